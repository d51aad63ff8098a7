// Formatting only: how the server's numbers are written and coloured. Nothing here
// computes a value that the page presents as a result.

/** One decimal as the seed shows it ("4.5", "3.8", "9"), never "-0". */
export function short(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  let text = value.toFixed(1);
  if (text.endsWith('.0')) text = text.slice(0, -2);
  if (text === '-0') text = '0';
  return text;
}

/** The exact value, as JavaScript writes a double (shortest round-trip form). */
export function exact(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'not a number';
  return Object.is(value, -0) ? '0' : String(value);
}

/**
 * A value for reading (text and screen-reader labels): exact when it has at most four
 * decimals ("3.5625"), else rounded to three ("2.667", "15.888", "1" for 1.0000000000000002).
 * Cells keep the exact value in `data-value`; editing starts from it.
 */
export function readable(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'not a number';
  const exactText = exact(value);
  const decimals = exactText.includes('e') ? Infinity : (exactText.split('.')[1] ?? '').length;
  if (decimals <= 4) return exactText;
  if (Math.abs(value) < 1e-3) return String(Number(value.toPrecision(2)));
  const text = String(Number(value.toFixed(3)));
  return text === '-0' ? '0' : text;
}

/** Signed with one decimal, as the seed's summary: "+3.0", "−0.5". */
export function signed(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?';
  const text = Math.abs(value).toFixed(1);
  if (text === '0.0') return '0.0';
  return (value < 0 ? '−' : '+') + text;
}

/** A change for the shift view: "=" when none, else signed as the seed writes numbers ("+1", "−2.8"). */
export function change(value) {
  if (value === 0) return '=';
  const magnitude = short(Math.abs(value));
  return magnitude === '0' ? (value < 0 ? '−0' : '+0') : (value < 0 ? '−' : '+') + magnitude;
}

/** Smallest and largest of a list of rows, for a colour scale. */
export function range(rows) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows) for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return { lo, hi };
}

// White to a warm orange whose relative luminance (about 0.30) keeps near-black text above
// 6:1 contrast; every colour between is lighter, so every cell passes 4.5:1.
const COLD = [255, 255, 255];
const HOT = [230, 120, 40];

/** The heat colour of `value` on the scale `{lo, hi}` (the low end is white). */
export function heat(value, { lo, hi }) {
  const t = hi > lo ? Math.min(1, Math.max(0, (value - lo) / (hi - lo))) : 0;
  const mix = COLD.map((c, i) => Math.round(c + (HOT[i] - c) * t));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}

/** Heat by magnitude, for changes and gradients (zero is white). */
export function heatAbs(value, rows) {
  const { lo, hi } = range(rows);
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  return heat(Math.abs(value), { lo: 0, hi: top });
}

/** "row 2, column 3" from 0-based indices. */
export function place([r, c]) {
  return `row ${r + 1}, column ${c + 1}`;
}

/** "rows 1–2" / "row 3" from a sorted list of 0-based indices. */
export function span(indices, noun) {
  if (indices.length === 0) return `no ${noun}s`;
  const first = indices[0] + 1;
  const last = indices[indices.length - 1] + 1;
  if (first === last) return `${noun} ${first}`;
  const contiguous = indices.every((v, i) => i === 0 || v === indices[i - 1] + 1);
  return contiguous ? `${noun}s ${first}–${last}` : `${noun}s ${indices.map((v) => v + 1).join(', ')}`;
}

/**
 * Small numbers that one decimal would misstate (a weight of 0.25, a gradient of 1/36):
 * exact when short enough, else two significant digits ("0.028").
 */
export function compact(value) {
  const text = exact(value);
  if (text.length <= 4) return text;
  if (Math.abs(value) >= 10) return short(value);
  return exact(Number(value.toPrecision(2)));
}
