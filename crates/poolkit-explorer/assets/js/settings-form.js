// The settings form: shows the state's settings, writes changes back into it, asks the
// library for new grids (resize, presets, pasted CSV), and shows a refusal beside the field
// that caused it. Controls report on `change`, so a half-typed number is not sent.

import { call } from './api.js';
import { defaultSettings } from './state.js';

const AXIS_FIELDS = ['kernel', 'stride', 'dilation', 'pad_begin', 'pad_end'];

const $ = (id) => document.getElementById(id);

/** A number field's value, or null when it is empty (the library then says what is missing). */
function numberOf(input) {
  return input.value.trim() === '' ? null : Number(input.value);
}

export class SettingsForm {
  /**
   * @param {object} state the page state (changed in place)
   * @param {object} hooks onSettings(), onGrid(reason), message(text)
   */
  constructor(state, hooks) {
    this.state = state;
    this.hooks = hooks;
    this.gridRequests = 0;
    // Enter in a field commits it (the browser fires `change`); it never submits the form.
    $('settings-form').addEventListener('submit', (e) => e.preventDefault());
    const onSetting = () => {
      this.read();
      this.hooks.onSettings();
    };
    for (const id of ['operator', 'p', 'padding', 'ceil_mode', 'count_include_pad']) $(id).addEventListener('change', onSetting);
    for (const field of AXIS_FIELDS) {
      for (const axis of [0, 1]) $(`${field}-${axis}`).addEventListener('change', onSetting);
    }
    $('rows').addEventListener('change', () => this.resize());
    $('cols').addEventListener('change', () => this.resize());
    $('preset').addEventListener('change', () => this.syncVisibility());
    $('apply-preset').addEventListener('click', () => this.preset());
    $('apply-csv').addEventListener('click', () => this.csv());
    // Narrow screens fold the settings under the grid; a refusal unfolds them.
    $('settings-toggle').addEventListener('click', () => this.setOpen($('settings').dataset.open !== 'true'));
    this.setOpen(false);
    const reset = document.createElement('button');
    reset.type = 'button';
    reset.id = 'reset-all';
    reset.textContent = 'Reset everything to the seed';
    reset.addEventListener('click', () => this.reset());
    $('settings-form').append(reset);
  }

  /** The control a refusal's field names (`settings.stride[1]` is `stride-1`), or null. */
  static controlOf(field) {
    const m = /^settings\.(\w+)(?:\[(\d)\])?$/.exec(field ?? '');
    if (!m) return null;
    return $(m[2] === undefined ? m[1] : `${m[1]}-${m[2]}`) ?? $(`${m[1]}-0`);
  }

  /** Unfolds (or folds) the settings where the screen is narrow. */
  setOpen(open) {
    $('settings').dataset.open = String(open);
    $('settings-toggle').setAttribute('aria-expanded', String(open));
    $('settings-toggle').textContent = open ? 'Hide the settings' : 'Show the settings';
  }

  /** Shows `message` beside the control of `field`; false when no control matches. */
  showError(field, message) {
    this.clearErrors();
    const control = SettingsForm.controlOf(field);
    if (!control) return false;
    this.setOpen(true);
    const row = control.closest('.axis-row, label');
    const note = document.createElement('p');
    note.className = 'field-error';
    note.id = `${control.id}-error`;
    note.textContent = message;
    row.after(note);
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', note.id);
    return true;
  }

  clearErrors() {
    for (const note of document.querySelectorAll('#settings-form .field-error')) note.remove();
    for (const control of document.querySelectorAll('#settings-form [aria-invalid]')) {
      control.removeAttribute('aria-invalid');
      control.removeAttribute('aria-describedby');
    }
  }

  /** Gives the controls the library's ranges as hints (`min`, `max`); it still checks them. */
  async applyLimits() {
    const limits = await call('limits');
    const range = (input, [lo, hi]) => { input.min = String(lo); input.max = String(hi); };
    for (const [field, pair] of Object.entries(limits.axes)) {
      for (const axis of [0, 1]) range($(`${field}-${axis}`), pair);
    }
    range($('p'), limits.p);
    range($('rows'), limits.grid_side);
    range($('cols'), limits.grid_side);
    const layers = $('image-layers');
    const chosen = layers.value;
    layers.replaceChildren();
    for (let n = limits.layers[0]; n <= limits.layers[1]; n++) layers.append(new Option(String(n), String(n)));
    if (chosen) layers.value = chosen;
  }

  /** Shows the state's values in the controls. */
  fill() {
    const s = this.state.settings;
    $('operator').value = s.operator;
    $('p').value = String(s.p);
    $('padding').value = s.padding;
    $('ceil_mode').checked = !!s.ceil_mode;
    $('count_include_pad').checked = !!s.count_include_pad;
    for (const field of AXIS_FIELDS) {
      for (const axis of [0, 1]) $(`${field}-${axis}`).value = String(s[field]?.[axis] ?? '');
    }
    this.fillSize();
    this.syncVisibility();
  }

  /** Shows the grid's size (once there is a grid). */
  fillSize() {
    if (!this.state.grid) return;
    $('rows').value = String(this.state.grid.length);
    $('cols').value = String(this.state.grid[0]?.length ?? 0);
  }

  /** Reads the controls into the state's settings. */
  read() {
    const s = this.state.settings;
    s.operator = $('operator').value;
    s.p = numberOf($('p'));
    s.padding = $('padding').value;
    s.ceil_mode = $('ceil_mode').checked;
    s.count_include_pad = $('count_include_pad').checked;
    for (const field of AXIS_FIELDS) s[field] = [0, 1].map((axis) => numberOf($(`${field}-${axis}`)));
    // A new geometry may change the output's shape: the upstream gradient starts again from ones.
    this.state.upstream = null;
    this.syncVisibility();
  }

  syncVisibility() {
    $('p-label').hidden = $('operator').value !== 'lp';
    const explicit = $('padding').value === 'explicit';
    for (const field of ['pad_begin', 'pad_end']) {
      for (const axis of [0, 1]) $(`${field}-${axis}`).disabled = !explicit;
    }
    $('seed-label').hidden = $('preset').value !== 'random';
  }

  async newGrid(request, reason) {
    const mine = ++this.gridRequests;
    try {
      const answer = await request();
      if (mine !== this.gridRequests) return;
      this.state.grid = answer.grid;
      this.state.upstream = null;
      this.hooks.message('');
      this.fill();
      await this.hooks.onGrid(reason);
    } catch (e) {
      if (mine !== this.gridRequests) return;
      this.fill();
      this.hooks.message(`Not applied: ${e.message}`);
    }
  }

  resize() {
    const rows = numberOf($('rows'));
    const cols = numberOf($('cols'));
    return this.newGrid(() => call('resize', { grid: this.state.grid, rows, cols }), `Grid resized to ${rows}×${cols}.`);
  }

  preset() {
    const name = $('preset').value;
    const body = { name, rows: this.state.grid.length, cols: this.state.grid[0].length, seed: numberOf($('random-seed')) ?? 0 };
    const label = $('preset').selectedOptions[0].textContent;
    return this.newGrid(() => call('preset', body), `Loaded ${label}.`);
  }

  csv() {
    const text = $('csv-text').value;
    return this.newGrid(() => call('parse', { text, kind: 'csv' }), 'Loaded the pasted grid.');
  }

  async reset() {
    this.state.settings = defaultSettings();
    this.state.grid = null; // the seed's, from the library
    this.state.upstream = null;
    this.state.weights = null;
    this.hooks.message('');
    this.fill();
    await this.hooks.onGrid('Reset to the seed’s grid and settings.');
  }
}
