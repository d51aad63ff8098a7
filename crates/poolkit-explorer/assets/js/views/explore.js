// The seed's explorer: max and average outputs side by side (and Lp when chosen), the
// window and contributing cells of whichever output is hovered or focused, every output
// that reads a hovered input cell, the summary, global pooling and the shape formula.

import { GridView } from '../grid.js';
import { exact, heat, place, range, readable, signed, span } from '../format.js';

const POOLED = ['max', 'avg', 'lp'];
const NAMES = { max: 'Max pooling', avg: 'Average pooling', lp: 'Lp norm pooling' };

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

  /** Draws the library's answer to `explore` for these settings. */
  render(answer, settings) {
    this.data = answer;
    this.settings = settings;
    this.markOperator(settings.operator);
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
      document.getElementById('lp-title').firstChild.textContent = `Lp norm, p = ${readable(pool.lp.p)} `;
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
    let text = `row ${r + 1}, column ${c + 1}, value ${readable(v)}; window ${span(w.rows, 'row')}, ${span(w.cols, 'column')}`;
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
      label: `global max, value ${readable(v)}, at input ${place(global.max_at)}`,
    }));
    this.globalAvg.render([[global.avg]], (r, c, v) => ({
      colour: heat(v, scale),
      label: `global average, value ${readable(v)}, the mean of all ${global.count} inputs`,
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
      const value = readable(this.data.input[r][c]);
      this.info.textContent = readers.length === 0
        ? `Input ${place([r, c])} (${value}) is read by no output window: ${this.whySkipped(r, c)}.`
        : `Input ${place([r, c])} (${value}) is read by ${readers.length} output window${readers.length > 1 ? 's' : ''}: ${readers.map((o) => place(o)).join('; ')}.`;
    }
    this.input.mark(inputMarks);
    for (const g of Object.values(this.grids)) g.mark(outputMarks);
  }

  /** Why no window reads input (r, c): between a dilated window's taps, or passed over. */
  whySkipped(r, c) {
    const windows = this.data.pool.windows.flat();
    const between = (taps, i) => taps.length > 1 && taps[0] < i && i < taps[taps.length - 1] && !taps.includes(i);
    const d = this.settings.dilation;
    if (d[0] > 1 && windows.some((w) => w.cols.includes(c) && between(w.rows, r))) {
      return `it falls between the taps of a dilated window (dilation ${d[0]} on the rows reads every ${ordinal(d[0])} row)`;
    }
    if (d[1] > 1 && windows.some((w) => w.rows.includes(r) && between(w.cols, c))) {
      return `it falls between the taps of a dilated window (dilation ${d[1]} on the columns reads every ${ordinal(d[1])} column)`;
    }
    const lastRow = Math.max(...windows.flatMap((w) => w.rows));
    const lastCol = Math.max(...windows.flatMap((w) => w.cols));
    if (r > lastRow || c > lastCol) return 'the last window ends before it (turn on ceil mode, or add padding, to keep a partial window)';
    return 'the stride steps over it';
  }

  /** What lies outside the grid for these settings: padding, the ceil-mode overhang, or both. */
  outsideIs() {
    const { rows, cols } = this.data.pool.pads;
    const padded = [...rows, ...cols].some((p) => p > 0);
    if (!this.settings.ceil_mode) return 'padding';
    return padded ? 'padding, or the ceil-mode overhang past it' : 'past the grid\u2019s edge: ceil mode lets the last window overhang';
  }

  /** Outlines the panel of the operator the settings chose, and says so. */
  markOperator(operator) {
    const panels = { max: 'grid-max', avg: 'grid-avg', lp: 'grid-lp', global_max: 'grid-global-max', global_avg: 'grid-global-avg' };
    for (const [name, id] of Object.entries(panels)) {
      const box = document.getElementById(id).closest('.output, .global-pair > div');
      box.classList.toggle('chosen', name === operator);
      if (name === operator) box.dataset.chosen = 'true';
      else delete box.dataset.chosen;
    }
  }

  describeOutput(grid, r, c, w, contributors) {
    const pool = this.data.pool;
    const value = pool[grid].values[r][c];
    const where = `input ${span(w.rows, 'row')}, ${span(w.cols, 'column')}`;
    const outside = w.outside_taps ? ` ${w.outside_taps} of its ${w.taps} taps fall outside the grid (${this.outsideIs()}).` : '';
    const head = `${NAMES[grid]}, output ${place([r, c])} = ${readable(value)}`;
    const cells = contributors.map(([cr, cc]) => readable(this.data.input[cr][cc]));
    if (grid === 'max') {
      return `${head}: the largest value in its window (${where}) is at ${place(contributors[0])}.${outside}`;
    }
    if (grid === 'avg') {
      return `${head}: (${cells.join(' + ')}) / ${pool.avg.divisors[r][c]} over its window (${where}).${outside}`;
    }
    return `${head}: (Σ |x|^${readable(pool.lp.p)})^(1/${readable(pool.lp.p)}) over ${cells.join(', ')} in its window (${where}).${outside}`;
  }
}

/** "2nd", "3rd", "4th". */
function ordinal(n) {
  const suffix = n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}
