// Step through the windows one output at a time (first, back, play/pause, next, a slider):
// the input drawn with its padding and the ceil-mode overhang around it, the current
// window's taps outlined and its max starred, and a sentence with the output's numbers. Every
// position and value comes from the library's answer (`pool.windows`, `pool.max`, `pool.avg`).

import { place, readable, short } from '../format.js';

const $ = (id) => document.getElementById(id);

export class Stepper {
  constructor() {
    this.index = 0;
    this.timer = null;
    this.data = null;
    $('step-first').addEventListener('click', () => this.go(0));
    $('step-back').addEventListener('click', () => this.go(this.index - 1));
    $('step-next').addEventListener('click', () => this.go(this.index + 1));
    $('step-play').addEventListener('click', () => (this.timer ? this.pause() : this.play()));
    $('step-slider').addEventListener('input', () => this.go(Number($('step-slider').value) - 1));
    // Closed, the stepper draws nothing; opening it draws the latest answer.
    $('stepper').addEventListener('toggle', () => {
      if ($('stepper').open) this.go(this.index);
      else this.pause();
    });
  }

  /** Draws the current window of the library's answer to `explore`. */
  render(answer) {
    this.data = answer;
    const [rows, cols] = answer.pool.output_shape;
    this.count = rows * cols;
    $('step-slider').max = String(this.count);
    this.index = Math.min(this.index, this.count - 1);
    if ($('stepper').open) this.go(this.index);
  }

  play() {
    if (this.index >= this.count - 1) this.go(0);
    this.timer = setInterval(() => {
      if (this.index >= this.count - 1) this.pause();
      else this.go(this.index + 1);
    }, 900);
    $('step-play').textContent = '⏸ Pause';
    $('step-play').setAttribute('aria-label', 'Pause');
    $('step-play').setAttribute('aria-pressed', 'true');
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    $('step-play').textContent = '▶ Play';
    $('step-play').setAttribute('aria-label', 'Play');
    $('step-play').setAttribute('aria-pressed', 'false');
  }

  go(i) {
    if (!this.data) return;
    this.index = Math.max(0, Math.min(this.count - 1, i));
    const pool = this.data.pool;
    const cols = pool.output_shape[1];
    const [r, c] = [Math.floor(this.index / cols), this.index % cols];
    $('step-slider').value = String(this.index + 1);
    $('step-slider').setAttribute('aria-valuetext', `output ${place([r, c])}`);
    $('step-position').textContent = `${this.index + 1} of ${this.count}`;
    this.draw(r, c);
    const w = pool.windows[r][c];
    const cells = w.rows.flatMap((wr) => w.cols.map((wc) => readable(this.data.input[wr][wc])));
    const outside = w.outside_taps ? ` ${w.outside_taps} of its ${w.taps} taps lie outside the grid and are left out.` : '';
    $('step-caption').textContent = `Output ${place([r, c])}: its window reads ${cells.length} input cell${cells.length === 1 ? '' : 's'}.${outside} ` +
      `Max = ${readable(pool.max.values[r][c])} (at input ${place(pool.max.argmax[r][c])}). ` +
      `Average = (${cells.join(' + ')}) / ${pool.avg.divisors[r][c]} = ${readable(pool.avg.values[r][c])}.`;
  }

  /** The input with a ring of padding (and overhang) cells, the window (r, c) outlined. */
  draw(r, c) {
    const { input, pool } = this.data;
    const windows = pool.windows.flat();
    const [rows, cols] = [input.length, input[0].length];
    const [pr, pc] = [pool.pads.rows, pool.pads.cols];
    // The whole padding ring, and past it whatever a ceil-mode window overhangs.
    const lo = (key, pad) => Math.min(-pad, ...windows.map((w) => w[key][0]));
    const hi = (key, n, pad) => Math.max(n - 1 + pad, ...windows.map((w) => w[key][w[key].length - 1]));
    const [r0, r1] = [lo('row_taps', pr[0]), hi('row_taps', rows, pr[1])];
    const [c0, c1] = [lo('col_taps', pc[0]), hi('col_taps', cols, pc[1])];
    const w = pool.windows[r][c];
    const star = pool.max.argmax[r][c];
    const table = $('step-grid');
    table.replaceChildren();
    for (let y = r0; y <= r1; y++) {
      const tr = document.createElement('tr');
      for (let x = c0; x <= c1; x++) {
        const td = document.createElement('td');
        const inside = y >= 0 && y < rows && x >= 0 && x < cols;
        const inPadding = y >= -pr[0] && y < rows + pr[1] && x >= -pc[0] && x < cols + pc[1];
        td.dataset.row = String(y);
        td.dataset.col = String(x);
        if (inside) {
          td.textContent = short(input[y][x]);
          td.dataset.value = String(input[y][x]);
        } else {
          td.className = inPadding ? 'pad' : 'overhang';
          td.textContent = inPadding ? 'pad' : '·';
        }
        if (w.row_taps.includes(y) && w.col_taps.includes(x)) td.dataset.mark = 'window';
        if (inside && star[0] === y && star[1] === x) td.dataset.mark = 'window contributor';
        tr.append(td);
      }
      table.append(tr);
    }
  }
}
