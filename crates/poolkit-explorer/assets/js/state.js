// The page's whole state, and its round trip through the URL's fragment so that a link
// restores exactly the same view. A damaged link never breaks the page: a part that cannot
// be read (a grid with a missing value, a word where a number belongs, 1e400) keeps its
// default, and `readLink` says which; values that read but break a rule go to the library,
// and the page falls back from its refusal the same way.

export const MODES = ['explore', 'shift', 'gradient', 'conv', 'images', 'checkpoint'];


export function defaultSettings() {
  return {
    operator: 'max',
    p: 2,
    kernel: [2, 2],
    stride: [2, 2],
    dilation: [1, 1],
    padding: 'explicit',
    pad_begin: [0, 0],
    pad_end: [0, 0],
    ceil_mode: false,
    count_include_pad: false,
  };
}

export function defaultState() {
  return {
    mode: 'explore',
    // null: the seed's grid, which the page asks the library for (its `seed` preset).
    grid: null,
    settings: defaultSettings(),
    upstream: null,
    shift: 'right',
    shiftBy: '1',
    weights: null,
    image: { sample: 'cat', layers: 2 },
  };
}

/** The body of the `explore` request that draws `state`. */
export function exploreRequest(state) {
  const along = ['up', 'down'].includes(state.shift) ? 0 : 1;
  return {
    grid: state.grid,
    settings: state.settings,
    upstream: state.upstream,
    shift: state.shift,
    shift_by: state.shiftBy === 'stride' ? state.settings.stride[along] : Number(state.shiftBy),
    weights: state.weights,
  };
}

const PAIRS = { k: 'kernel', s: 'stride', d: 'dilation', pb: 'pad_begin', pe: 'pad_end' };

function rowsText(rows) {
  return rows.map((row) => row.join(',')).join(';');
}

/** Rows of finite numbers, all the same length, from "1,2;3,4"; or why not. */
function rowsFrom(text) {
  const rows = text.split(';').map((row) => row.split(','));
  for (const [r, row] of rows.entries()) {
    if (row.length !== rows[0].length) {
      return { why: `row ${r + 1} has ${row.length} value${row.length === 1 ? '' : 's'}, row 1 has ${rows[0].length}` };
    }
    for (const [c, cell] of row.entries()) {
      const v = Number(cell);
      if (cell.trim() === '' || !Number.isFinite(v)) {
        return { why: `row ${r + 1}, column ${c + 1} is ${cell.trim() === '' ? 'empty' : `“${cell}”, not a finite number`}` };
      }
    }
  }
  return { rows: rows.map((row) => row.map(Number)) };
}

/** A pair of numbers from "2,2"; or why not. */
function pairFrom(text) {
  const parts = text.split(',');
  const values = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p.trim() === '') || !values.every(Number.isFinite)) {
    return { why: `“${text}” is not two numbers` };
  }
  return { pair: values };
}

/** The fragment that describes `state`. */
export function toHash(state) {
  const q = new URLSearchParams();
  q.set('mode', state.mode);
  if (state.grid) q.set('grid', rowsText(state.grid));
  const s = state.settings;
  q.set('op', s.operator);
  q.set('p', String(s.p));
  for (const [key, field] of Object.entries(PAIRS)) q.set(key, s[field].join(','));
  q.set('pad', s.padding);
  q.set('ceil', s.ceil_mode ? '1' : '0');
  q.set('cip', s.count_include_pad ? '1' : '0');
  if (state.upstream) q.set('up', rowsText(state.upstream));
  q.set('shift', state.shift);
  q.set('by', state.shiftBy);
  if (state.weights) q.set('w', rowsText(state.weights));
  q.set('img', state.image.sample);
  q.set('layers', String(state.image.layers));
  return '#' + q.toString();
}

/** The state a fragment describes; anything missing or unreadable keeps its default. */
export function fromHash(hash) {
  return readLink(hash).state;
}

const NAMES = { grid: 'grid', up: 'upstream gradient', w: 'weights', k: 'kernel', s: 'stride', d: 'dilation', pb: 'padding before', pe: 'padding after', p: 'p' };

/** The state a fragment describes, and a sentence for each part that could not be read. */
export function readLink(hash) {
  const state = defaultState();
  const notices = [];
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const refuse = (key, why) => notices.push(`The link’s ${NAMES[key]} could not be read (${why}), so the default is shown.`);
  if (MODES.includes(q.get('mode'))) state.mode = q.get('mode');
  const rowsOf = (key, set) => {
    if (!q.has(key)) return;
    const { rows, why } = rowsFrom(q.get(key));
    if (rows) set(rows);
    else refuse(key, why);
  };
  rowsOf('grid', (rows) => { state.grid = rows; });
  rowsOf('up', (rows) => { state.upstream = rows; });
  rowsOf('w', (rows) => { state.weights = rows; });
  const s = state.settings;
  if (q.has('op')) s.operator = q.get('op');
  if (q.has('p')) {
    const p = Number(q.get('p'));
    if (q.get('p').trim() !== '' && Number.isFinite(p)) s.p = p;
    else refuse('p', `“${q.get('p')}” is not a number`);
  }
  for (const [key, field] of Object.entries(PAIRS)) {
    if (!q.has(key)) continue;
    const { pair, why } = pairFrom(q.get(key));
    if (pair) s[field] = pair;
    else refuse(key, why);
  }
  if (q.has('pad')) s.padding = q.get('pad');
  if (q.has('ceil')) s.ceil_mode = q.get('ceil') === '1';
  if (q.has('cip')) s.count_include_pad = q.get('cip') === '1';
  if (['up', 'down', 'left', 'right'].includes(q.get('shift'))) state.shift = q.get('shift');
  if (['1', 'stride'].includes(q.get('by'))) state.shiftBy = q.get('by');
  if (q.has('img')) state.image.sample = q.get('img');
  if (/^\d+$/.test(q.get('layers') ?? '')) state.image.layers = Number(q.get('layers'));
  return { state, notices };
}
