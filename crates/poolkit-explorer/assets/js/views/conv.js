// A 2×2, stride-2 convolution with editable weights beside 2×2/s2 average pooling, and
// the parameters each has to learn.

import { GridView } from '../grid.js';
import { compact, exact, heat, heatAbs, range } from '../format.js';

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

  /** Draws the server's answer to /api/conv. */
  render(conv, input) {
    const scale = range(input);
    this.weights.render(conv.weights, (r, c, v) => ({ text: compact(v), colour: heatAbs(v, conv.weights) }));
    // Learned weights can leave the input's range; the scale then widens to cover them.
    const convScale = range([...input, ...conv.output]);
    this.conv.render(conv.output, (r, c, v) => ({ colour: heat(v, convScale) }));
    this.avg.render(conv.avg_pool, (r, c, v) => ({ colour: heat(v, scale) }));
    const equal = document.getElementById('conv-equal');
    equal.textContent = conv.equals_avg_pool
      ? 'Equal to average pooling in every cell: with all weights 0.25 this convolution is average pooling.'
      : `Differs from average pooling by up to ${exact(conv.max_abs_difference)}: these weights weigh the window's cells unequally.`;
    equal.dataset.equal = String(conv.equals_avg_pool);
    const p = conv.parameters;
    document.getElementById('params-example-head').textContent = `${p.example_channels} → ${p.example_channels} channels`;
    document.getElementById('params-conv').textContent = `${p.conv} weights`;
    document.getElementById('params-conv-channels').textContent = `${p.conv_with_channels.toLocaleString('en')} (weights and biases)`;
    document.getElementById('params-pool').textContent = `${p.pool}`;
    document.getElementById('params-pool-channels').textContent = `${p.pool}`;
  }
}
