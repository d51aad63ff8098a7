// The shift demo: the input moved one pixel (zero fill), and per output cell how much max
// and average pooling changed, with the count of unchanged cells for each.

import { GridView } from '../grid.js';
import { change, exact, heat, heatAbs, range } from '../format.js';

export class ShiftView {
  constructor(onDirection) {
    this.shifted = new GridView(document.getElementById('grid-shifted'), { name: 'shifted', labelledBy: 'shifted-title' });
    this.max = new GridView(document.getElementById('grid-shift-max'), { name: 'shift-max', labelledBy: 'shift-max-title' });
    this.avg = new GridView(document.getElementById('grid-shift-avg'), { name: 'shift-avg', labelledBy: 'shift-avg-title' });
    this.group = document.getElementById('shift-direction');
    this.buttons = [...this.group.querySelectorAll('[role="radio"]')];
    for (const button of this.buttons) {
      button.addEventListener('click', () => onDirection(button.dataset.dir));
      button.addEventListener('keydown', (e) => {
        const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
        if (!step) return;
        e.preventDefault();
        const i = (this.buttons.indexOf(button) + step + this.buttons.length) % this.buttons.length;
        this.buttons[i].focus();
        onDirection(this.buttons[i].dataset.dir);
      });
    }
  }

  /** Marks the chosen direction. */
  select(direction) {
    for (const button of this.buttons) {
      const on = button.dataset.dir === direction;
      button.setAttribute('aria-checked', on ? 'true' : 'false');
      button.tabIndex = on ? 0 : -1;
    }
  }

  /** Draws the server's answer to /api/shift. */
  render(shift, input) {
    this.select(shift.direction);
    const scale = range(input);
    this.shifted.render(shift.shifted, (r, c, v) => ({ colour: heat(v, scale) }));
    for (const [name, view] of [['max', this.max], ['avg', this.avg]]) {
      const cmp = shift[name];
      view.render(cmp.change, (r, c, v) => ({
        text: change(v),
        colour: heatAbs(v, cmp.change),
        label: v === 0
          ? `row ${r + 1}, column ${c + 1}, value 0, unchanged: ${exact(cmp.before[r][c])} before and after`
          : `row ${r + 1}, column ${c + 1}, value ${exact(v)}, changed from ${exact(cmp.before[r][c])} to ${exact(cmp.after[r][c])}`,
      }));
      const count = document.getElementById(`shift-${name}-count`);
      count.textContent = `${name === 'max' ? 'Max' : 'Average'}: ${cmp.unchanged} of ${cmp.total} outputs unchanged.`;
      count.dataset.unchanged = String(cmp.unchanged);
    }
  }
}
