// The seed's explorer: max and average outputs side by side (and Lp when chosen), the
// window and contributing cells of whichever output is hovered or focused, every output
// that reads a hovered input cell, the summary, global pooling and the shape formula.

import { GridView } from '../grid.js';
import { exact, heat, place, range, signed, span } from '../format.js';

const POOLED = ['max', 'avg', 'lp'];
const NAMES = { max: 'Max pooling', avg: 'Average pooling', lp: 'Lp pooling' };

export class ExploreView {
  constructor(inputGrid) {
    this.input = inputGrid;
    this.data = null;
    this.hover = null;
    this.focus = null;
    this.active = true;
    const hooks = (name) => ({
      name,
      labelledBy: `${name}-title`,
      onActivate: (r, c, how) => this.activate(name, r, c, how),
      onDeactivate: (how) => this.deactivate(how),
    });
    this.grids = {
      max: new GridView(document.getElementById('grid-max'), hooks('max')),
      avg: new GridView(document.getElementById('grid-avg'), hooks('avg')),
      lp: new GridView(document.getElementById('grid-lp'), hooks('lp')),
    };
    this.globalMax = new GridView(document.getElementById('grid-global-max'), { name: 'global_max', labelledBy: 'global-max-label' });
    this.globalAvg = new GridView(document.getElementById('grid-global-avg'), { name: 'global_avg', labelledBy: 'global-avg-label' });
    this.info = document.getElementById('window-info');
    this.defaultInfo = this.info.textContent;
  }

  /** Draws the server's answer to /api/explore. */
  render(answer) {
    this.data = answer;
    const pool = answer.pool;
    const scale = range(answer.input);
    const [outRows, outCols] = pool.output_shape;
    for (const name of ['max', 'avg']) {
      document.getElementById(`${name}-shape`).textContent = `${outRows}×${outCols}`;
      this.grids[name].render(pool[name].values, (r, c, v) => ({
        colour: heat(v, scale),
        label: this.outputLabel(name, r, c, v),
      }));
    }
    const lpBox = document.getElementById('lp-output');
    lpBox.hidden = !pool.lp;
    if (pool.lp) {
      document.getElementById('lp-title').firstChild.textContent = `Lp pooling, p = ${exact(pool.lp.p)} `;
      document.getElementById('lp-shape').textContent = `${outRows}×${outCols}`;
      const lpScale = range(pool.lp.values);
      this.grids.lp.render(pool.lp.values, (r, c, v) => ({
        colour: heat(v, lpScale),
        label: this.outputLabel('lp', r, c, v),
      }));
    }
    this.renderSummary(pool.summary);
    this.renderGlobal(answer.global, scale);
    this.renderFormulas(pool);
    this.apply();
  }

  outputLabel(name, r, c, v) {
    const w = this.data.pool.windows[r][c];
    let text = `row ${r + 1}, column ${c + 1}, value ${exact(v)}; window ${span(w.rows, 'row')}, ${span(w.cols, 'column')}`;
    if (name === 'max') text += `; taken from ${place(this.data.pool.max.argmax[r][c])}`;
    return text;
  }

  renderSummary(summary) {
    document.getElementById('mean-gap').textContent = signed(summary.mean_gap);
    document.getElementById('mean-gap').dataset.value = exact(summary.mean_gap);
    document.getElementById('mean-gap-note').textContent = summary.max_never_below_avg
      ? '(max always ≥ avg)'
      : `(average is above max in ${summary.cells_where_avg_exceeds_max} cell(s): counted padding zeros pull a negative window's average up)`;
    const largest = document.getElementById('largest-gap');
    largest.textContent = signed(summary.largest_gap);
    largest.dataset.value = exact(summary.largest_gap);
    document.getElementById('largest-gap-at').textContent = `(output ${place(summary.largest_gap_at)})`;
  }

  renderGlobal(global, scale) {
    this.globalMax.render([[global.max]], (r, c, v) => ({
      colour: heat(v, scale),
      label: `global max, value ${exact(v)}, at input ${place(global.max_at)}`,
    }));
    this.globalAvg.render([[global.avg]], (r, c, v) => ({
      colour: heat(v, scale),
      label: `global average, value ${exact(v)}, the mean of all ${global.count} inputs`,
    }));
    document.getElementById('global-note').textContent =
      `The whole ${this.data.input.length}×${this.data.input[0].length} map becomes one number: its largest value (at input ${place(global.max_at)}) or the mean of all ${global.count} values. No parameters either way — this is how GoogLeNet and ResNet replace a large fully connected head.`;
  }

  renderFormulas(pool) {
    const list = document.getElementById('formula-list');
    list.replaceChildren();
    for (const axis of pool.formulas) {
      const li = document.createElement('li');
      const name = axis.axis === 'h' ? 'Rows' : 'Columns';
      li.textContent = `${name}: ${axis.formula}`;
      list.append(li);
    }
    const total = document.createElement('li');
    total.textContent = `Output shape: ${pool.output_shape[0]} × ${pool.output_shape[1]} (from ${this.data.input.length} × ${this.data.input[0].length})`;
    list.append(total);
  }

  setActive(active) {
    this.active = active;
    if (!active) {
      this.hover = null;
      this.apply();
    }
  }

  activate(grid, r, c, how) {
    this[how] = { grid, r, c };
    this.apply();
  }

  deactivate(how) {
    this[how] = null;
    this.apply();
  }

  /** Marks the cells the hovered (else focused) cell relates to, and describes them. */
  apply() {
    const target = this.active ? this.hover || this.focus : null;
    const inputMarks = new Map();
    const outputMarks = new Map();
    if (!this.data || !target) {
      this.input.mark(inputMarks);
      for (const g of Object.values(this.grids)) g.mark(outputMarks);
      this.info.textContent = this.defaultInfo;
      return;
    }
    const pool = this.data.pool;
    const add = (map, key, m) => map.set(key, map.has(key) ? `${map.get(key)} ${m}` : m);
    if (POOLED.includes(target.grid)) {
      const { grid, r, c } = target;
      const w = pool.windows[r][c];
      const contributors = grid === 'max'
        ? [pool.max.argmax[r][c]]
        : w.rows.flatMap((wr) => w.cols.map((wc) => [wr, wc]));
      for (const wr of w.rows) for (const wc of w.cols) add(inputMarks, `${wr},${wc}`, 'window');
      for (const [cr, cc] of contributors) add(inputMarks, `${cr},${cc}`, 'contributor');
      add(outputMarks, `${r},${c}`, 'selected');
      this.info.textContent = this.describeOutput(grid, r, c, w, contributors);
    } else if (target.grid === 'input') {
      const { r, c } = target;
      const readers = pool.readers[r][c];
      for (const [or, oc] of readers) {
        add(outputMarks, `${or},${oc}`, 'reader');
        const w = pool.windows[or][oc];
        for (const wr of w.rows) for (const wc of w.cols) add(inputMarks, `${wr},${wc}`, 'window');
      }
      add(inputMarks, `${r},${c}`, 'selected');
      const value = exact(this.data.input[r][c]);
      this.info.textContent = readers.length === 0
        ? `Input ${place([r, c])} (${value}) is read by no output window: the stride skips it.`
        : `Input ${place([r, c])} (${value}) is read by ${readers.length} output window${readers.length > 1 ? 's' : ''}: ${readers.map((o) => place(o)).join('; ')}.`;
    }
    this.input.mark(inputMarks);
    for (const g of Object.values(this.grids)) g.mark(outputMarks);
  }

  describeOutput(grid, r, c, w, contributors) {
    const pool = this.data.pool;
    const value = pool[grid].values[r][c];
    const where = `input ${span(w.rows, 'row')}, ${span(w.cols, 'column')}`;
    const outside = w.outside_taps ? ` ${w.outside_taps} of its ${w.taps} taps fall outside the grid (padding).` : '';
    const head = `${NAMES[grid]}, output ${place([r, c])} = ${exact(value)}`;
    const cells = contributors.map(([cr, cc]) => exact(this.data.input[cr][cc]));
    if (grid === 'max') {
      return `${head}: the largest value in its window (${where}) is at ${place(contributors[0])}.${outside}`;
    }
    if (grid === 'avg') {
      return `${head}: (${cells.join(' + ')}) / ${pool.avg.divisors[r][c]} over its window (${where}).${outside}`;
    }
    return `${head}: (Σ |x|^${exact(pool.lp.p)})^(1/${exact(pool.lp.p)}) over ${cells.join(', ')} in its window (${where}).${outside}`;
  }
}
