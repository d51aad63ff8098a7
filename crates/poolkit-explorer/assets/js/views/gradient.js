// Gradient routing: the selected operator's forward output, the editable upstream gradient,
// and the gradient the library's backward pass sends to each input cell.

import { GridView } from '../grid.js';
import { compact, heat, heatAbs, range, readable } from '../format.js';

const NAMES = { max: 'max', avg: 'average', lp: 'Lp', global_max: 'global max', global_avg: 'global average' };

export class GradientView {
  constructor(onEditUpstream) {
    this.output = new GridView(document.getElementById('grid-gradient-output'), { name: 'gradient-output', labelledBy: 'gradient-output-title' });
    this.upstream = new GridView(document.getElementById('grid-upstream'), {
      name: 'upstream',
      labelledBy: 'upstream-title',
      editable: true,
      errorEl: document.getElementById('upstream-error'),
      onEdit: onEditUpstream,
    });
    this.gradient = new GridView(document.getElementById('grid-gradient'), { name: 'gradient', labelledBy: 'gradient-title' });
  }

  /** Draws the server's answer to /api/gradient. */
  render(g) {
    const name = NAMES[g.operator] || g.operator;
    document.getElementById('gradient-output-title').textContent = `Forward output (${name} pooling)`;
    const scale = range(g.output);
    this.output.render(g.output, (r, c, v) => ({ colour: heat(v, scale) }));
    this.upstream.render(g.upstream, (r, c, v) => ({ text: compact(v), colour: heatAbs(v, g.upstream) }));
    this.gradient.render(g.grad_input, (r, c, v) => ({
      text: compact(v),
      colour: heatAbs(v, g.grad_input),
      label: `row ${r + 1}, column ${c + 1}, value ${readable(v)}${v === 0 ? ', receives no gradient' : ''}`,
    }));
    const cells = g.grad_input.length * g.grad_input[0].length;
    const note = document.getElementById('gradient-note');
    note.textContent = `Upstream gradient in total: ${readable(g.upstream_total)}. Reaching the input in total: ${readable(g.grad_input_total)}. `
      + `${g.cells_receiving} of ${cells} input cells receive gradient; the others get exactly 0.`;
    note.dataset.receiving = String(g.cells_receiving);
  }
}
