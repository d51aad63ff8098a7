// The shift demo: the input moved by one pixel or by the stride (zero fill), per output cell
// how much max and average pooling changed, the count of unchanged cells for each, and a
// sentence saying what the counts show: small shifts inside a window leave max alone, a shift
// by the stride moves the pooled map along, and most shifts change something.

import { GridView } from '../grid.js';
import { change, heat, heatAbs, range, readable } from '../format.js';

export class ShiftView {
  /** `onDirection(dir)`, `onBy(by)` (1 or 'stride'), `onSpike()` load the single-feature grid. */
  constructor(onDirection, onBy, onSpike) {
    this.byButtons = [...document.querySelectorAll('#shift-by [role="radio"]')];
    for (const button of this.byButtons) {
      button.addEventListener('click', () => onBy(button.dataset.by));
    }
    document.getElementById('shift-spike').addEventListener('click', () => onSpike());
    this.story = document.getElementById('shift-story');
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

  /** Draws the library's answer to `shift`. */
  render(shift, input) {
    this.select(shift.direction);
    const byStride = shift.by === shift.stride && shift.by > 1;
    for (const button of this.byButtons) {
      const on = (button.dataset.by === 'stride') === byStride;
      button.setAttribute('aria-checked', on ? 'true' : 'false');
      button.tabIndex = on ? 0 : -1;
    }
    const scale = range(input);
    this.shifted.render(shift.shifted, (r, c, v) => ({ colour: heat(v, scale) }));
    for (const [name, view] of [['max', this.max], ['avg', this.avg]]) {
      const cmp = shift[name];
      view.render(cmp.change, (r, c, v) => ({
        text: change(v),
        colour: heatAbs(v, cmp.change),
        label: v === 0
          ? `row ${r + 1}, column ${c + 1}, value 0, unchanged: ${readable(cmp.before[r][c])} before and after`
          : `row ${r + 1}, column ${c + 1}, value ${readable(v)}, changed from ${readable(cmp.before[r][c])} to ${readable(cmp.after[r][c])}`,
      }));
      const count = document.getElementById(`shift-${name}-count`);
      count.textContent = `${name === 'max' ? 'Max' : 'Average'}: ${cmp.unchanged} of ${cmp.total} outputs unchanged.`;
      count.dataset.unchanged = String(cmp.unchanged);
    }
    this.story.textContent = this.tell(shift);
  }

  /** What the counts show, in a sentence or two. */
  tell(shift) {
    const { max, avg } = shift;
    const pixels = `${shift.by} pixel${shift.by > 1 ? 's' : ''}`;
    const head = `After a shift by ${pixels}, max pooling kept ${max.unchanged} of ${max.total} outputs and average pooling ${avg.unchanged}.`;
    if (max.moved_along) {
      const m = max.moved_along;
      return `${head} A shift by a multiple of the stride moves every window by whole outputs: ${m.equal} of ${m.comparable} max outputs that have a neighbour on that side now hold the neighbour's old value. The pooled map moved along with the input (equivariance): the values survive, their places change.`;
    }
    if (max.unchanged === max.total) {
      return `${head} Every max output stayed the same: each window's largest value stayed inside its window. This is the invariance pooling gives: to shifts smaller than the window, while the strongest feature does not cross a window border.`;
    }
    return `${head} A one-pixel shift moves values across window borders, so most windows see a different largest value: pooling is invariant only to shifts that keep each window's strongest feature inside it. Try “Show it with a single feature”, or shift by the stride.`;
  }
}
