// The seed's explorer, as the seed describes it: its 6×6 grid, 2×2/s2, max and average
// side by side, the summary +3.0 / +3.5, and the windows and contributing cells shown on
// hover and on keyboard focus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoBadNumbers, gridValues, useExplorer } from './harness.js';

const SEED = [
  [8, 2, 6, 1, 7, 3], [5, 9, 3, 8, 2, 6], [1, 4, 7, 2, 9, 4],
  [6, 3, 1, 5, 3, 8], [2, 8, 4, 7, 1, 5], [7, 1, 9, 3, 6, 2],
];

const explorer = useExplorer();

const cell = (grid, r, c) => explorer.page.locator(`td[data-grid="${grid}"][data-row="${r}"][data-col="${c}"]`);
const marks = (grid) => explorer.page.$$eval(`td[data-grid="${grid}"][data-mark]`, (tds) =>
  Object.fromEntries(tds.map((td) => [`${td.dataset.row},${td.dataset.col}`, td.dataset.mark])));

test('default grid is the seed, 2×2/s2, max and average 3×3 side by side', async () => {
  assert.deepEqual(await gridValues(explorer.page, 'input'), SEED);
  assert.deepEqual(await gridValues(explorer.page, 'max'), [[9, 8, 7], [6, 7, 9], [8, 9, 6]]);
  assert.deepEqual(await gridValues(explorer.page, 'avg'), [[6, 4.5, 4.5], [3.5, 3.75, 6], [4.5, 5.75, 3.5]]);
  assert.equal(await explorer.page.locator('#kernel-0').inputValue(), '2');
  assert.equal(await explorer.page.locator('#stride-1').inputValue(), '2');
  const maxBox = await explorer.page.locator('#grid-max').boundingBox();
  const avgBox = await explorer.page.locator('#grid-avg').boundingBox();
  assert.ok(Math.abs(maxBox.y - avgBox.y) < 2 && avgBox.x > maxBox.x + maxBox.width, 'side by side');
});

test('outputs show one decimal as the seed does, exact value in the label', async () => {
  const texts = await explorer.page.$$eval('td[data-grid="avg"]', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(texts, ['6', '4.5', '4.5', '3.5', '3.8', '6', '4.5', '5.8', '3.5']);
  const label = await cell('avg', 1, 1).getAttribute('aria-label');
  assert.match(label, /^row 2, column 2, value 3\.75/);
  assert.equal(await cell('input', 1, 2).getAttribute('aria-label'), 'row 2, column 3, value 3');
});

test('summary reads +3.0 (max always ≥ avg) and largest gap +3.5', async () => {
  assert.equal(await explorer.page.locator('#mean-gap').textContent(), '+3.0');
  assert.equal(await explorer.page.locator('#mean-gap-note').textContent(), '(max always ≥ avg)');
  assert.equal(await explorer.page.locator('#largest-gap').textContent(), '+3.5');
  await assertNoBadNumbers(explorer.page);
});

test('colour intensity follows activation strength', async () => {
  const bg = (r, c) => cell('input', r, c).evaluate((td) => getComputedStyle(td).backgroundColor);
  assert.equal(await bg(2, 0), 'rgb(255, 255, 255)'); // a 1: the weakest
  assert.equal(await bg(1, 1), 'rgb(230, 120, 40)'); // a 9: the strongest
});

test('hovering a max output highlights its window and only the argmax', async () => {
  await cell('max', 0, 0).hover();
  const input = await marks('input');
  assert.deepEqual(Object.keys(input).sort(), ['0,0', '0,1', '1,0', '1,1']);
  assert.match(input['1,1'], /contributor/);
  for (const key of ['0,0', '0,1', '1,0']) assert.doesNotMatch(input[key], /contributor/);
  assert.match(await explorer.page.locator('#window-info').textContent(), /row 2, column 2/);
});

test('hovering an average output marks every cell of its window as contributing', async () => {
  await cell('avg', 2, 1).hover();
  const input = await marks('input');
  assert.deepEqual(Object.keys(input).sort(), ['4,2', '4,3', '5,2', '5,3']);
  for (const m of Object.values(input)) assert.match(m, /window contributor/);
  assert.match(await explorer.page.locator('#window-info').textContent(), /\(4 \+ 7 \+ 9 \+ 3\) \/ 4/);
});

test('hovering an input cell shows every output window that reads it', async () => {
  await cell('input', 3, 4).hover();
  assert.deepEqual(await marks('max'), { '1,2': 'reader' });
  assert.deepEqual(await marks('avg'), { '1,2': 'reader' });
  const input = await marks('input');
  assert.deepEqual(Object.keys(input).sort(), ['2,4', '2,5', '3,4', '3,5']);
  await explorer.page.mouse.move(5, 5);
  assert.deepEqual(await marks('input'), {});
});

test('keyboard: one tab stop per grid, arrows, Home/End, focus highlights like hover', async () => {
  await explorer.page.mouse.move(5, 5);
  const stops = await explorer.page.$$eval('td[data-grid="max"][tabindex="0"]', (tds) => tds.length);
  assert.equal(stops, 1);
  await cell('max', 0, 0).focus();
  await explorer.page.keyboard.press('ArrowRight');
  await explorer.page.keyboard.press('ArrowDown');
  let focused = await explorer.page.evaluate(() => [document.activeElement.dataset.grid, document.activeElement.dataset.row, document.activeElement.dataset.col]);
  assert.deepEqual(focused, ['max', '1', '1']);
  // Output (1, 1) reads input rows 2–3, columns 2–3; its max 7 sits at (2, 2).
  const input = await marks('input');
  assert.deepEqual(Object.keys(input).sort(), ['2,2', '2,3', '3,2', '3,3']);
  assert.match(input['2,2'], /contributor/);
  await explorer.page.keyboard.press('End');
  focused = await explorer.page.evaluate(() => document.activeElement.dataset.col);
  assert.equal(focused, '2');
  await explorer.page.keyboard.press('Home');
  focused = await explorer.page.evaluate(() => document.activeElement.dataset.col);
  assert.equal(focused, '0');
  await explorer.page.keyboard.press('Control+End');
  focused = await explorer.page.evaluate(() => [document.activeElement.dataset.row, document.activeElement.dataset.col]);
  assert.deepEqual(focused, ['2', '2']);
  // Tab leaves the grid in one step: the next stop is the average grid.
  await explorer.page.keyboard.press('Tab');
  focused = await explorer.page.evaluate(() => document.activeElement.dataset.grid);
  assert.equal(focused, 'avg');
  const ring = await explorer.page.evaluate(() => getComputedStyle(document.activeElement).boxShadow);
  assert.notEqual(ring, 'none', 'a visible focus ring');
});

test('a tap (click) on an output cell selects it and keeps its window shown', async () => {
  await cell('avg', 0, 2).click();
  await explorer.page.mouse.move(5, 5);
  const input = await marks('input');
  assert.deepEqual(Object.keys(input).sort(), ['0,4', '0,5', '1,4', '1,5']);
});
