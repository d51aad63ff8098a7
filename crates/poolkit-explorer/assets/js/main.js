// The page's glue: the state, the URL that mirrors it, the tabs, and one `explore` call to
// the library per change whose answer every view draws. No view computes a number.

import { call, engineKind } from './api.js';
import { heat, range, readable, signed } from './format.js';
import { GridView } from './grid.js';
import { SettingsForm } from './settings-form.js';
import { defaultSettings, exploreRequest, MODES, readLink, toHash } from './state.js';
import { ChainView } from './views/chain.js';
import { CheckpointView } from './views/checkpoint.js';
import { ConvView } from './views/conv.js';
import { ExploreView } from './views/explore.js';
import { GradientView } from './views/gradient.js';
import { ImagesView } from './views/images.js';
import { ShiftView } from './views/shift.js';
import { Stepper } from './views/stepper.js';
import { Tools } from './views/tools.js';

const $ = (id) => document.getElementById(id);
const main = $('explorer');
const link = readLink(location.hash);
const state = link.state;
const notices = [...link.notices];
// Until the first answer is drawn, a value from the link that the library refuses falls
// back to its default (with a notice) instead of leaving the reader stuck, and the URL is
// replaced, not pushed: loading the page (the seed's grid arriving included) is no change.
let fromLink = true;
let latest = null;
let requestCount = 0;
// When the reader's latest edit was committed: `data-edit-ms` is the time until it is drawn.
let editStarted = null;

function announce(text) {
  const el = $('announcer');
  el.textContent = '';
  // A fresh text node after a tick makes screen readers announce repeated messages too.
  setTimeout(() => { el.textContent = text; }, 30);
}

// History: each change the reader makes is a new entry, so Back and the Undo button step
// back through them; `history.state.i` numbers the explorer's own entries.
let historyIndex = history.state?.i ?? 0;
let historyTop = historyIndex;
history.replaceState({ i: historyIndex }, '', location.hash || toHash(state));

/** Mirrors the state in the URL: a new history entry (`push`), or the current one replaced. */
function saveUrl(push = true) {
  const hash = toHash(state);
  if (hash === location.hash) return;
  if (push && !fromLink) {
    historyIndex += 1;
    historyTop = historyIndex;
    history.pushState({ i: historyIndex }, '', hash);
  } else {
    history.replaceState({ i: historyIndex }, '', hash);
  }
  syncUndo();
  tools.refreshShare();
}

function syncUndo() {
  $('undo').disabled = historyIndex <= 0;
  $('redo').disabled = historyIndex >= historyTop;
}

function showNotices(list) {
  const el = $('link-notice');
  el.textContent = list.join(' ');
  el.hidden = list.length === 0;
}

async function parseNumber(text) {
  const { value } = await call('parse', { text, kind: 'number' });
  return value;
}

/** Edits a cell of one of the state's grids; resolves to a refusal message or null. */
function editor(rowsOf, what) {
  return async (r, c, text) => {
    editStarted = performance.now();
    let value;
    try {
      value = await parseNumber(text);
    } catch (e) {
      announce(`Not changed: ${e.message}`);
      return e.message;
    }
    rowsOf()[r][c] = value;
    await refresh(`${what} row ${r + 1}, column ${c + 1} set to ${readable(value)}.`);
    return null;
  };
}

const inputGrid = new GridView($('grid-input'), {
  name: 'input',
  labelledBy: 'input-title',
  editable: true,
  errorEl: $('input-error'),
  onEdit: editor(() => state.grid, 'Input'),
  onActivate: (r, c, how) => exploreView.activate('input', r, c, how),
  onDeactivate: (how) => exploreView.deactivate(how),
  // In the shift view a feature can be dragged (or Alt+arrowed) to another cell: the two
  // cells trade values, and every view is drawn afresh.
  onMove: ([r0, c0], [r1, c1]) => {
    const grid = state.grid;
    [grid[r0][c0], grid[r1][c1]] = [grid[r1][c1], grid[r0][c0]];
    state.upstream = null;
    refresh(`Moved the value at row ${r0 + 1}, column ${c0 + 1} to row ${r1 + 1}, column ${c1 + 1}.`)
      .then(() => inputGrid.focusCell(r1, c1));
  },
});
const exploreView = new ExploreView(inputGrid);
const shiftView = new ShiftView((direction) => {
  state.shift = direction;
  refresh(`Shifted ${direction}.`);
}, (by) => {
  state.shiftBy = by;
  refresh(by === 'stride' ? 'Shifting by the stride.' : 'Shifting by one pixel.');
}, async () => {
  // A single strong feature, shifted one pixel the way that keeps it inside its window (the
  // library counts, for each direction, how many max outputs stay the same).
  const answer = await call('preset', { name: 'spike', rows: state.grid.length, cols: state.grid[0].length });
  state.grid = answer.grid;
  state.upstream = null;
  state.shiftBy = '1';
  let best = { direction: 'right', unchanged: -1 };
  for (const direction of ['right', 'left', 'down', 'up']) {
    const shift = await call('shift', { grid: state.grid, settings: state.settings, shift: direction, shift_by: 1 });
    if (shift.max.unchanged > best.unchanged) best = { direction, unchanged: shift.max.unchanged };
  }
  state.shift = best.direction;
  form.fill();
  refresh(`Loaded a single feature and shifted it ${best.direction} by one pixel.`);
});
const gradientView = new GradientView(editor(() => {
  state.upstream ??= latest.gradient.upstream.map((row) => row.slice());
  return state.upstream;
}, 'Upstream gradient'));
const convView = new ConvView(editor(() => {
  state.weights ??= latest.conv.weights.map((row) => row.slice());
  return state.weights;
}, 'Weight'));
const imagesView = new ImagesView(state, saveUrl);
new CheckpointView();
new ChainView();
const stepper = new Stepper();
const tools = new Tools(() => (latest ? { answer: latest, settings: state.settings } : null));
const form = new SettingsForm(state, {
  onSettings: () => {
    editStarted = performance.now();
    return refresh('Settings changed.');
  },
  onGrid: (reason) => refresh(reason),
  message: (text) => { $('form-message').textContent = text; },
});

$('reset-upstream').addEventListener('click', () => { state.upstream = null; refresh('Upstream gradient reset to all ones.'); });
$('reset-weights').addEventListener('click', () => { state.weights = null; refresh('Weights reset to the averaging weights.'); });

/** Asks the library for everything and draws it; a refusal is shown in words instead. */
async function refresh(reason) {
  const mine = ++requestCount;
  const started = performance.now();
  main.dataset.busy = 'true';
  try {
    if (!state.grid) {
      // The seed's grid comes from the library, as every other number does.
      const seed = await call('preset', { name: 'seed' });
      if (mine !== requestCount) return;
      state.grid ??= seed.grid;
    }
    saveUrl();
    const answer = await call('explore', exploreRequest(state));
    if (mine !== requestCount) return;
    latest = answer;
    state.grid = answer.input;
    if (fromLink) {
      fromLink = false;
      saveUrl(false);
    }
    draw(answer);
    form.clearErrors();
    main.dataset.editMs = (performance.now() - (editStarted ?? started)).toFixed(2);
    editStarted = null;
    if (!performance.getEntriesByName('poolkit-first-draw').length) performance.mark('poolkit-first-draw');
    if (reason) {
      const s = answer.pool.summary;
      announce(`${reason} Average difference ${signed(s.mean_gap)}, largest gap ${signed(s.largest_gap)}.`);
    }
  } catch (e) {
    if (mine !== requestCount) return;
    // An upstream gradient or weights from an old link may not fit the current output:
    // start them afresh rather than leave the reader stuck behind a refusal.
    if ((e.field === 'upstream' && state.upstream) || (e.field === 'weights' && state.weights)) {
      state[e.field] = null;
      $('form-message').textContent = `The ${e.field === 'upstream' ? 'upstream gradient' : 'weights'} did not fit (${e.message}); reset to the default.`;
      main.dataset.busy = 'false';
      return refresh(reason);
    }
    // A link's value the library refuses: its default instead, and say so.
    if (fromLink && e.field && !e.detail) {
      const fallback = fallBack(e.field);
      if (fallback) {
        notices.push(`The link’s ${fallback} was not valid (${e.message.replace(/\.$/, "")}), so the default is shown.`);
        showNotices(notices);
        form.fill();
        main.dataset.busy = 'false';
        return refresh(reason);
      }
    }
    fromLink = false;
    latest = null;
    showProblem(e);
    if (reason) announce(`No output: ${e.message}`);
  } finally {
    if (mine === requestCount) {
      main.dataset.busy = 'false';
      main.dataset.renders = String(Number(main.dataset.renders) + 1);
    }
  }
}

/** Resets the part of the state a refusal's field names; its name, or null if none fits. */
function fallBack(field) {
  const setting = /^settings\.(\w+)/.exec(field)?.[1];
  if (setting && setting in state.settings) {
    state.settings[setting] = defaultSettings()[setting];
    return setting.replace('_', ' ');
  }
  if (field.startsWith('grid')) {
    state.grid = null;
    return 'grid';
  }
  if (field === 'shift_by') {
    state.shiftBy = '1';
    return 'shift';
  }
  return null;
}

function draw(answer) {
  $('problem').hidden = true;
  $('problem-more').hidden = true;
  main.dataset.problem = 'false';
  setOutputsHidden(false);
  const scale = range(answer.input);
  const rows = answer.input.length;
  const cols = answer.input[0].length;
  $('input-title').textContent = `Input (${rows}×${cols})`;
  inputGrid.render(answer.input, (r, c, v) => ({ colour: heat(v, scale) }));
  form.fillSize();
  exploreView.render(answer, state.settings);
  shiftView.render(answer.shift, answer.input);
  gradientView.render(answer.gradient);
  convView.render(answer.conv, answer.input, state.settings);
  stepper.render(answer);
  renderFrameworks(answer.frameworks);
}

/** Where PyTorch and ONNX would differ for these settings, each in a sentence. */
function renderFrameworks(notes) {
  $('frameworks').hidden = notes.length === 0;
  $('frameworks-list').replaceChildren(...notes.map((n) => {
    const li = document.createElement('li');
    const topic = document.createElement('strong');
    topic.textContent = `${n.topic[0].toUpperCase()}${n.topic.slice(1)}. `;
    li.append(topic, `${n.pytorch} ${n.onnx}`);
    return li;
  }));
}

/** A refusal in words: beside the setting that caused it, and a banner that says which kind it is. */
function showProblem(e) {
  const problem = $('problem');
  const beside = form.showError(e.field, e.message);
  if (beside) {
    problem.textContent = `No output until the highlighted setting is changed: ${e.message}`;
  } else if (e.field?.startsWith('grid')) {
    problem.textContent = `The input grid cannot be pooled: ${e.message}`;
  } else if (e.status === 0 || e.status >= 500) {
    problem.textContent = e.message;
  } else {
    problem.textContent = `These settings give no output, so none is shown. ${e.message}`;
  }
  $('problem-detail').textContent = e.detail ?? '';
  $('problem-more').hidden = !e.detail;
  problem.hidden = false;
  main.dataset.problem = 'true';
  setOutputsHidden(true);
  // The input is still the reader's to edit; only finite numbers are ever drawn.
  const ok = Array.isArray(state.grid) && state.grid.every((row) => Array.isArray(row) && row.every(Number.isFinite));
  if (ok) inputGrid.render(state.grid);
  exploreView.setActive(false);
}

function setOutputsHidden(hidden) {
  for (const id of ['panel-explore', 'panel-shift', 'panel-gradient', 'panel-conv']) {
    $(id).classList.toggle('blocked', hidden);
  }
  if (!hidden) exploreView.setActive(state.mode === 'explore');
}

// Tabs (WAI-ARIA tabs pattern, automatic activation).
const tabs = [...document.querySelectorAll('[role="tab"]')];
function setMode(mode, focus = false) {
  state.mode = MODES.includes(mode) ? mode : 'explore';
  for (const tab of tabs) {
    const on = tab.dataset.mode === state.mode;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
    if (on && focus) tab.focus();
  }
  $('input-area').hidden = state.mode === 'images' || state.mode === 'checkpoint';
  inputGrid.movable = state.mode === 'shift';
  $('move-hint').hidden = state.mode !== 'shift';
  main.dataset.mode = state.mode;
  exploreView.setActive(state.mode === 'explore' && main.dataset.problem !== 'true');
  saveUrl(false);
  if (state.mode === 'images') imagesView.refresh();
}
for (const tab of tabs) {
  tab.addEventListener('click', () => setMode(tab.dataset.mode));
  tab.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    setMode(tabs[(next + tabs.length) % tabs.length].dataset.mode, true);
  });
}

/** Shows the state the URL holds now (Back, Forward, Undo, Redo, an edited address). */
function restore() {
  if (location.hash === toHash(state)) return;
  const next = readLink(location.hash);
  fromLink = true;
  Object.assign(state, next.state);
  notices.splice(0, notices.length, ...next.notices);
  showNotices(notices);
  form.fill();
  setMode(state.mode);
  refresh();
}
window.addEventListener('popstate', (e) => {
  historyIndex = e.state?.i ?? 0;
  syncUndo();
  restore();
});
window.addEventListener('hashchange', restore);
$('undo').addEventListener('click', () => history.back());
$('redo').addEventListener('click', () => history.forward());
document.addEventListener('keydown', (e) => {
  const typing = e.target.closest?.('input, textarea, select, [contenteditable]');
  if (typing || !(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z') return;
  e.preventDefault();
  if (e.shiftKey) {
    if (!$('redo').disabled) history.forward();
  } else if (!$('undo').disabled) {
    history.back();
  }
});

showNotices(notices);
syncUndo();
form.fill();
// The form's ranges come from the library; the tabs (and the images view's layer choices)
// wait for them.
form.applyLimits().finally(() => setMode(state.mode));
engineKind().then((kind) => {
  document.documentElement.dataset.engine = kind;
  $('engine-note').textContent = kind === 'wasm'
    ? 'in this page (the library compiled to WebAssembly: nothing you enter leaves your browser)'
    : 'on the explorer\u2019s local server';
}).catch((e) => {
  $('problem').textContent = `The explorer could not start its computing engine: ${e.message}`;
  $('problem').hidden = false;
});
refresh();
