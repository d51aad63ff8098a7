// One grid of numbers on the page, following the WAI-ARIA grid pattern: a single tab
// stop, arrow keys, Home/End (Ctrl+Home/End for the corners), Enter or F2 (or typing) to
// edit an editable cell, Esc to cancel. Hover and focus are reported to the view, which
// decides what to highlight. Values are drawn as given; nothing is computed here.

import { exact, readable, short } from './format.js';

const NAV_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown']);

export class GridView {
  /**
   * @param {HTMLElement} host where the table goes
   * @param {object} options name (data-grid), labelledBy (id of the heading), editable,
   *   onEdit(r, c, text) → Promise<string|null> (an error message or null), onActivate(r, c, how),
   *   onDeactivate(how), errorEl (where refusals of edits are shown), onMove(from, to) (when
   *   `movable` is set: a cell dragged onto another, or moved with Alt+arrow keys)
   */
  constructor(host, options) {
    this.host = host;
    this.options = options;
    this.rows = 0;
    this.cols = 0;
    this.active = [0, 0];
    this.values = [];
    this.texts = [];
    this.editing = null;
    this.table = document.createElement('table');
    this.table.className = 'grid';
    this.table.setAttribute('role', 'grid');
    this.table.dataset.gridTable = options.name;
    if (options.labelledBy) this.table.setAttribute('aria-labelledby', options.labelledBy);
    this.table.setAttribute('aria-readonly', options.editable ? 'false' : 'true');
    this.body = document.createElement('tbody');
    this.table.append(this.body);
    host.append(this.table);
    this.table.addEventListener('keydown', (e) => this.onKey(e));
    this.table.addEventListener('click', (e) => this.onClick(e));
    this.table.addEventListener('mouseover', (e) => {
      const cell = e.target.closest('td');
      if (cell && !this.editing) options.onActivate?.(+cell.dataset.row, +cell.dataset.col, 'hover');
    });
    this.table.addEventListener('mouseleave', () => options.onDeactivate?.('hover'));
    // Dragging a cell onto another moves its value there (the shift demo's feature).
    this.movable = false;
    this.table.addEventListener('pointerdown', (e) => {
      const cell = e.target.closest('td');
      this.dragFrom = this.movable && cell ? [+cell.dataset.row, +cell.dataset.col] : null;
    });
    this.table.addEventListener('pointerup', (e) => {
      const from = this.dragFrom;
      this.dragFrom = null;
      const cell = document.elementFromPoint(e.clientX, e.clientY)?.closest('td');
      if (!from || !cell || !this.table.contains(cell)) return;
      const to = [+cell.dataset.row, +cell.dataset.col];
      if (to[0] !== from[0] || to[1] !== from[1]) options.onMove?.(from, to);
    });
    this.table.addEventListener('focusin', (e) => {
      const cell = e.target.closest('td');
      if (!cell) return;
      this.active = [+cell.dataset.row, +cell.dataset.col];
      this.syncTabStop();
      options.onActivate?.(this.active[0], this.active[1], 'focus');
    });
    this.table.addEventListener('focusout', (e) => {
      if (!this.table.contains(e.relatedTarget)) options.onDeactivate?.('focus');
    });
  }

  /**
   * Draws `values` (rows of numbers). `look(r, c, v)` may return {text, label, colour, mark}.
   */
  render(values, look = () => ({})) {
    if (this.editing) this.finishEdit(false);
    const rows = values.length;
    const cols = rows ? values[0].length : 0;
    if (rows !== this.rows || cols !== this.cols) this.rebuild(rows, cols);
    this.values = values;
    this.texts = values.map((row) => row.map(() => ''));
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = values[r][c];
        const cell = this.cell(r, c);
        const shown = look(r, c, v) || {};
        const text = shown.text ?? short(v);
        let label = shown.label ?? `row ${r + 1}, column ${c + 1}, value ${readable(v)}`;
        // The visible text is part of the name (WCAG 2.5.3), also when it is rounded.
        if (!label.includes(text)) label += `; shown as ${text}`;
        // Only what changed is written: an edit touches a few cells, and every write costs.
        const value = exact(v);
        if (cell.dataset.value !== value) cell.dataset.value = value;
        if (cell.textContent !== text) cell.textContent = text;
        this.texts[r][c] = text;
        if (cell.getAttribute('aria-label') !== label) cell.setAttribute('aria-label', label);
        const heat = shown.colour ?? '';
        if (cell.style.getPropertyValue('--heat') !== heat) {
          if (heat) cell.style.setProperty('--heat', heat);
          else cell.style.removeProperty('--heat');
        }
      }
    }
    this.host.style.setProperty('--cols', String(cols));
  }

  rebuild(rows, cols) {
    this.body.replaceChildren();
    for (let r = 0; r < rows; r++) {
      const tr = document.createElement('tr');
      for (let c = 0; c < cols; c++) {
        const td = document.createElement('td');
        td.setAttribute('role', 'gridcell');
        td.dataset.grid = this.options.name;
        td.dataset.row = String(r);
        td.dataset.col = String(c);
        td.tabIndex = -1;
        tr.append(td);
      }
      this.body.append(tr);
    }
    this.rows = rows;
    this.cols = cols;
    this.table.setAttribute('aria-rowcount', String(rows));
    this.table.setAttribute('aria-colcount', String(cols));
    this.active = [Math.min(this.active[0], rows - 1), Math.min(this.active[1], cols - 1)];
    this.syncTabStop();
  }

  cell(r, c) {
    return this.body.rows[r]?.cells[c];
  }

  syncTabStop() {
    for (const td of this.body.querySelectorAll('td[tabindex="0"]')) td.tabIndex = -1;
    const [r, c] = this.active;
    const cell = this.cell(r, c);
    if (cell) cell.tabIndex = 0;
  }

  focusCell(r, c) {
    this.active = [Math.max(0, Math.min(r, this.rows - 1)), Math.max(0, Math.min(c, this.cols - 1))];
    this.syncTabStop();
    this.cell(...this.active)?.focus();
  }

  /** Sets `data-mark` on every cell: `marks` maps "r,c" to a space-separated list. */
  mark(marks) {
    for (const row of this.body.rows) {
      for (const td of row.cells) {
        const m = marks.get(`${td.dataset.row},${td.dataset.col}`);
        if (m) td.dataset.mark = m;
        else delete td.dataset.mark;
      }
    }
  }

  onKey(e) {
    if (this.editing) return;
    const [r, c] = this.active;
    const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
    if (this.movable && e.altKey && step) {
      e.preventDefault();
      const to = [r + step[0], c + step[1]];
      if (to[0] >= 0 && to[0] < this.rows && to[1] >= 0 && to[1] < this.cols) {
        this.active = to;
        this.options.onMove?.([r, c], to);
      }
      return;
    }
    if (NAV_KEYS.has(e.key)) {
      e.preventDefault();
      const moves = {
        ArrowUp: [r - 1, c], ArrowDown: [r + 1, c], ArrowLeft: [r, c - 1], ArrowRight: [r, c + 1],
        Home: e.ctrlKey ? [0, 0] : [r, 0],
        End: e.ctrlKey ? [this.rows - 1, this.cols - 1] : [r, this.cols - 1],
        PageUp: [0, c], PageDown: [this.rows - 1, c],
      };
      this.focusCell(...moves[e.key]);
      return;
    }
    if (!this.options.editable) return;
    if (e.key === 'Enter' || e.key === 'F2') {
      e.preventDefault();
      this.startEdit(r, c, exact(this.values[r][c]), true);
    } else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && e.key !== ' ') {
      e.preventDefault();
      this.startEdit(r, c, e.key, false);
    }
  }

  onClick(e) {
    const cell = e.target.closest('td');
    if (!cell || this.editing) return;
    const [r, c] = [+cell.dataset.row, +cell.dataset.col];
    this.focusCell(r, c);
    if (this.options.editable) this.startEdit(r, c, exact(this.values[r][c]), true);
  }

  startEdit(r, c, text, selectAll) {
    const cell = this.cell(r, c);
    const input = document.createElement('input');
    input.type = 'text';
    input.inputMode = 'decimal';
    input.className = 'cell-editor';
    input.value = text;
    input.setAttribute('aria-label', `New value for row ${r + 1}, column ${c + 1} (Enter applies, Esc cancels)`);
    if (this.options.errorEl) input.setAttribute('aria-describedby', this.options.errorEl.id);
    cell.textContent = '';
    cell.append(input);
    cell.dataset.editing = 'true';
    this.editing = { r, c, input, busy: false };
    input.focus();
    if (selectAll) input.select();
    else input.setSelectionRange(text.length, text.length);
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === 'Tab') {
        if (e.key === 'Enter') e.preventDefault();
        this.commit();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        this.finishEdit(true);
        this.showError(null);
      }
      e.stopPropagation();
    });
    input.addEventListener('blur', () => {
      if (this.editing && this.editing.input === input && !this.editing.busy) this.commit(true);
    });
  }

  async commit(fromBlur = false) {
    const edit = this.editing;
    if (!edit || edit.busy) return;
    const text = edit.input.value;
    if (text === exact(this.values[edit.r][edit.c])) {
      this.finishEdit(!fromBlur);
      this.showError(null);
      return;
    }
    edit.busy = true;
    const refusal = await this.options.onEdit(edit.r, edit.c, text);
    edit.busy = false;
    if (refusal) {
      if (this.editing !== edit) return;
      this.showError(refusal);
      edit.input.setAttribute('aria-invalid', 'true');
      if (fromBlur) this.finishEdit(false);
      else edit.input.focus();
      return;
    }
    this.showError(null);
    // A successful edit re-renders the grid, which may already have closed the editor.
    if (this.editing === edit) this.finishEdit(false);
    if (!fromBlur) this.cell(edit.r, edit.c)?.focus();
  }

  /** Leaves editing mode, showing the cell's current value again. */
  finishEdit(refocus) {
    const edit = this.editing;
    if (!edit) return;
    this.editing = null;
    const cell = this.cell(edit.r, edit.c);
    delete cell.dataset.editing;
    cell.textContent = this.texts[edit.r][edit.c];
    if (refocus) cell.focus();
  }

  showError(message) {
    const el = this.options.errorEl;
    if (!el) return;
    el.textContent = message ? `Not changed: ${message}` : '';
    el.hidden = !message;
    this.table.dataset.refused = message ? 'true' : 'false';
  }
}
