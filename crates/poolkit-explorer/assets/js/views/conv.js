// A strided convolution with editable weights beside average pooling over the same window
// (the settings'), and the parameters each has to learn.

import { GridView } from '../grid.js';
import { compact, heat, heatAbs, range, readable } from '../format.js';

export class ConvView {
  constructor(onEditWeight) {
    this.weights = new GridView(document.getElementById('grid-weights'), {
      name: 'weights',
      labelledBy: 'weights-title',
      editable: true,
      errorEl: document.getElementById('weights-error'),
      onEdit: onEditWeight,
    });
    this.conv = new GridView(document.getElementById('grid-conv'), { name: 'conv', labelledBy: 'conv-title' });
    this.avg = new GridView(document.getElementById('grid-conv-avg'), { name: 'conv-avg', labelledBy: 'conv-avg-title' });
  }

  /** Draws the library's answer to `conv` for these settings. */
  render(conv, input, settings) {
    const [kh, kw] = conv.kernel;
    const window = `${kh}×${kw}/s${settings.stride[0] === settings.stride[1] ? settings.stride[0] : settings.stride.join('×')}`;
    for (const el of document.querySelectorAll('#panel-conv .window-name')) el.textContent = window;
    const scale = range(input);
    this.weights.render(conv.weights, (r, c, v) => ({ text: compact(v), colour: heatAbs(v, conv.weights) }));
    // Learned weights can leave the input's range; the scale then widens to cover them.
    const convScale = range([...input, ...conv.output]);
    this.conv.render(conv.output, (r, c, v) => ({ colour: heat(v, convScale) }));
    this.avg.render(conv.avg_pool, (r, c, v) => ({ colour: heat(v, scale) }));
    const equal = document.getElementById('conv-equal');
    const rounding = conv.exactly_equal ? '' : ` (to rounding: 1/${kh * kw} has no exact binary form, so the last digits may differ, by at most ${readable(conv.max_abs_difference)})`;
    equal.textContent = conv.equals_avg_pool
      ? `Equal to average pooling in every cell${rounding}: with all ${kh * kw} weights 1/${kh * kw} this convolution is average pooling.`
      : `Differs from average pooling by up to ${readable(conv.max_abs_difference)}: ${this.whyDifferent(conv, settings)}`;
    equal.dataset.equal = String(conv.equals_avg_pool);
    const p = conv.parameters;
    const count = (n) => n.toLocaleString('en');
    const parts = (x) => `${count(x.total)} (${count(x.weights)} weights + ${count(x.biases)} ${x.biases === 1 ? 'bias' : 'biases'})`;
    document.getElementById('params-example-head').textContent = `${p.example_channels} → ${p.example_channels} channels`;
    document.getElementById('params-conv').textContent = parts(p.one_channel);
    document.getElementById('params-conv-channels').textContent = parts(p.with_channels);
    document.getElementById('params-pool').textContent = count(p.pool);
    document.getElementById('params-pool-channels').textContent = count(p.pool);
  }

  /** Why the outputs differ: the weights, or the padding that average pooling leaves out. */
  whyDifferent(conv, settings) {
    const [kh, kw] = conv.kernel;
    if (conv.weights.flat().every((w) => w === 1 / (kh * kw))) {
      const padded = [...settings.pad_begin, ...settings.pad_end].some((p) => p > 0) || settings.padding !== 'explicit';
      const hint = padded && !settings.count_include_pad ? ' Turn on “Average counts padding” to make them equal where padding is the reason.' : '';
      return `near the border the average divides only by the cells its window reads inside the grid, while the convolution counts the missing ones as zeros.${hint}`;
    }
    return 'these weights weigh the window\u2019s cells unequally.';
  }
}
