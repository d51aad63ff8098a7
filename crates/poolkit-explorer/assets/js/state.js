// The page's whole state, and its round trip through the URL's fragment so that a link
// restores exactly the same view. Values read from the URL are passed to the server as
// they are; the server refuses what is not valid, and the page says why.

export const MODES = ['explore', 'shift', 'gradient', 'conv', 'images', 'checkpoint'];

export const SEED_GRID = [
  [8, 2, 6, 1, 7, 3],
  [5, 9, 3, 8, 2, 6],
  [1, 4, 7, 2, 9, 4],
  [6, 3, 1, 5, 3, 8],
  [2, 8, 4, 7, 1, 5],
  [7, 1, 9, 3, 6, 2],
];

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
    grid: SEED_GRID.map((row) => row.slice()),
    settings: defaultSettings(),
    upstream: null,
    shift: 'right',
    weights: null,
    image: { sample: 'cat', layers: 2 },
  };
}

const PAIRS = { k: 'kernel', s: 'stride', d: 'dilation', pb: 'pad_begin', pe: 'pad_end' };

function rowsText(rows) {
  return rows.map((row) => row.join(',')).join(';');
}

function rowsFrom(text) {
  return text.split(';').map((row) => row.split(',').map(Number));
}

/** The fragment that describes `state`. */
export function toHash(state) {
  const q = new URLSearchParams();
  q.set('mode', state.mode);
  q.set('grid', rowsText(state.grid));
  const s = state.settings;
  q.set('op', s.operator);
  q.set('p', String(s.p));
  for (const [key, field] of Object.entries(PAIRS)) q.set(key, s[field].join(','));
  q.set('pad', s.padding);
  q.set('ceil', s.ceil_mode ? '1' : '0');
  q.set('cip', s.count_include_pad ? '1' : '0');
  if (state.upstream) q.set('up', rowsText(state.upstream));
  q.set('shift', state.shift);
  if (state.weights) q.set('w', rowsText(state.weights));
  q.set('img', state.image.sample);
  q.set('layers', String(state.image.layers));
  return '#' + q.toString();
}

/** The state a fragment describes; anything missing keeps its default. */
export function fromHash(hash) {
  const state = defaultState();
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  if (MODES.includes(q.get('mode'))) state.mode = q.get('mode');
  if (q.has('grid')) state.grid = rowsFrom(q.get('grid'));
  const s = state.settings;
  if (q.has('op')) s.operator = q.get('op');
  if (q.has('p')) s.p = Number(q.get('p'));
  for (const [key, field] of Object.entries(PAIRS)) {
    if (q.has(key)) s[field] = q.get(key).split(',').map(Number);
  }
  if (q.has('pad')) s.padding = q.get('pad');
  if (q.has('ceil')) s.ceil_mode = q.get('ceil') === '1';
  if (q.has('cip')) s.count_include_pad = q.get('cip') === '1';
  if (q.has('up')) state.upstream = rowsFrom(q.get('up'));
  if (q.has('shift')) state.shift = q.get('shift');
  if (q.has('w')) state.weights = rowsFrom(q.get('w'));
  if (q.has('img')) state.image.sample = q.get('img');
  if (q.has('layers')) state.image.layers = Number(q.get('layers'));
  return state;
}
