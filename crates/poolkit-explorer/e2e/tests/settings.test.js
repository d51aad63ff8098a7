// Every setting, each checked against the API's own answer for the page's state: operator
// (Lp with p), kernel, stride, dilation, explicit and SAME padding, ceil mode,
// count_include_pad, per axis; grid size; presets; CSV; and settings with no valid output,
// which are explained in words instead of showing outputs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertNoBadNumbers, changed, gridValues, requestBody, useExplorer } from './harness.js';

const explorer = useExplorer({ resetEach: true });

/** Changes controls with `act`, waits for the page's new answer. */
const change = (act) => changed(explorer.page, act);

async function setNumber(id, value) {
  await change(async () => {
    // As a person does: type, then Enter commits the value (the browser fires `change`).
    await explorer.page.fill(`#${id}`, String(value));
    await explorer.page.press(`#${id}`, 'Enter');
  });
}

async function setSelect(id, value) {
  await change(() => explorer.page.selectOption(`#${id}`, value));
}

/** The page's grids equal the API's answer for the page's own state. */
async function matchesApi() {
  const answer = await api(explorer.page, 'pool', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'max'), answer.max.values);
  assert.deepEqual(await gridValues(explorer.page, 'avg'), answer.avg.values);
  if (answer.lp) assert.deepEqual(await gridValues(explorer.page, 'lp'), answer.lp.values);
  await assertNoBadNumbers(explorer.page);
  return answer;
}

const shape = async (grid) => {
  const v = await gridValues(explorer.page, grid);
  return [v.length, v[0].length];
};

test('Lp operator with p shows its own panel', async () => {
  assert.equal(await explorer.page.locator('#lp-output').isVisible(), false);
  await setSelect('operator', 'lp');
  await setNumber('p', 3);
  assert.equal(await explorer.page.locator('#lp-output').isVisible(), true);
  const answer = await matchesApi();
  assert.equal(answer.lp.p, 3);
  assert.match(await explorer.page.locator('#lp-title').textContent(), /p = 3/);
});

test('kernel, stride and dilation per axis', async () => {
  await setNumber('kernel-0', 3);
  await setNumber('stride-0', 1);
  assert.deepEqual(await shape('max'), [4, 3]);
  await setNumber('kernel-1', 3);
  await setNumber('stride-1', 1);
  assert.deepEqual(await shape('max'), [4, 4]);
  await setNumber('dilation-1', 2);
  assert.deepEqual(await shape('max'), [4, 2]);
  await matchesApi();
  const formulas = await explorer.page.locator('#formula-list').textContent();
  assert.match(formulas, /Columns: floor\(\(6 \+ 0 \+ 0 - 2\*\(3-1\) - 1\) \/ 1\) \+ 1 = 2/);
});

test('explicit padding and count_include_pad change the average only', async () => {
  await setNumber('kernel-0', 3);
  await setNumber('kernel-1', 3);
  await setNumber('pad_begin-0', 1);
  await setNumber('pad_end-1', 1);
  const without = await matchesApi();
  await change(() => explorer.page.check('#count_include_pad'));
  const withPad = await matchesApi();
  assert.deepEqual(withPad.max.values, without.max.values);
  assert.notDeepEqual(withPad.avg.values, without.avg.values);
});

test('SAME padding, upper and lower', async () => {
  await setNumber('kernel-0', 3);
  await setNumber('kernel-1', 3);
  await setSelect('padding', 'same_upper');
  assert.equal(await explorer.page.locator('#pad_begin-0').isDisabled(), true);
  const upper = await matchesApi();
  assert.deepEqual(upper.pads, { rows: [0, 1], cols: [0, 1] });
  await setSelect('padding', 'same_lower');
  const lower = await matchesApi();
  assert.deepEqual(lower.pads, { rows: [1, 0], cols: [1, 0] });
});

test('ceil mode keeps a last, partial window', async () => {
  await setNumber('rows', 5);
  await setNumber('cols', 5);
  assert.deepEqual(await shape('max'), [2, 2]);
  await change(() => explorer.page.check('#ceil_mode'));
  assert.deepEqual(await shape('max'), [3, 3]);
  await matchesApi();
});

test('grid size 2–16, rectangular; new cells are zero', async () => {
  await setNumber('rows', 8);
  await setNumber('cols', 5);
  const input = await gridValues(explorer.page, 'input');
  assert.deepEqual([input.length, input[0].length], [8, 5]);
  assert.deepEqual(input[7], [0, 0, 0, 0, 0]);
  assert.deepEqual(input[0], [8, 2, 6, 1, 7]);
  await matchesApi();
  await explorer.page.expectRefusals(async () => {
    await explorer.page.fill('#rows', '17');
    await explorer.page.press('#rows', 'Enter');
    await explorer.page.waitForFunction(() => document.getElementById('form-message').textContent.includes('17'));
  });
  assert.match(await explorer.page.locator('#form-message').textContent(), /rows = 17: grids have 2 to 16 rows and columns/);
  assert.equal(await explorer.page.locator('#rows').inputValue(), '8');
});

test('presets: spike, checkerboard, ramp, seeded random', async () => {
  for (const name of ['spike', 'checkerboard', 'ramp', 'random']) {
    await explorer.page.selectOption('#preset', name);
    if (name === 'random') await explorer.page.fill('#random-seed', '7');
    await change(() => explorer.page.click('#apply-preset'));
    const expected = await api(explorer.page, 'preset', { name, rows: 6, cols: 6, seed: name === 'random' ? 7 : 0 });
    assert.deepEqual(await gridValues(explorer.page, 'input'), expected.grid, name);
    await matchesApi();
  }
  const seven = await gridValues(explorer.page, 'input');
  await explorer.page.fill('#random-seed', '8');
  await change(() => explorer.page.click('#apply-preset'));
  assert.notDeepEqual(await gridValues(explorer.page, 'input'), seven);
  await explorer.page.fill('#random-seed', '7');
  await change(() => explorer.page.click('#apply-preset'));
  assert.deepEqual(await gridValues(explorer.page, 'input'), seven, 'same seed, same grid');
});

test('pasting a CSV grid, and refusing a broken one', async () => {
  await explorer.page.click('.csv summary');
  await explorer.page.fill('#csv-text', '1, 2, 3, 4\n5; 6; 7; 8\n9\t10\t11\t12');
  await change(() => explorer.page.click('#apply-csv'));
  assert.deepEqual(await gridValues(explorer.page, 'input'), [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
  await matchesApi();
  await explorer.page.fill('#csv-text', '1,2\n3,x');
  await explorer.page.expectRefusals(async () => {
    await explorer.page.click('#apply-csv');
    await explorer.page.waitForFunction(() => document.getElementById('form-message').textContent !== '');
  });
  assert.match(await explorer.page.locator('#form-message').textContent(), /CSV row 2, column 2 "x" is not a number/);
  assert.deepEqual((await gridValues(explorer.page, 'input'))[0], [1, 2, 3, 4]);
});

test('a refusal is a sentence beside the field that caused it, and no outputs are shown', async () => {
  const problem = explorer.page.locator('#problem');
  const refused = async (act, id, rule) => {
    await explorer.page.expectRefusals(act);
    assert.equal(await problem.isVisible(), true);
    assert.match(await problem.textContent(), rule);
    assert.match(await explorer.page.locator(`#${id}-error`).textContent(), rule);
    assert.equal(await explorer.page.locator(`#${id}`).getAttribute('aria-invalid'), 'true');
    assert.equal(await explorer.page.locator(`#${id}`).getAttribute('aria-describedby'), `${id}-error`);
    assert.equal(await explorer.page.locator('td[data-grid="max"]').first().isVisible(), false);
    // No parser or library jargon in what a learner reads.
    assert.doesNotMatch(await explorer.page.locator('#settings-form').textContent(), /invalid type|expected usize|line 1|taps at|=-/);
    assert.doesNotMatch(await problem.textContent(), /invalid type|expected usize|line 1|taps at|=-/);
    await assertNoBadNumbers(explorer.page);
  };
  await refused(() => setNumber('kernel-0', 7), 'kernel-0', /On the rows, the window spans 7 cells but the grid with its padding has only 6: no window fits/);
  await setNumber('kernel-0', 2);
  assert.equal(await problem.isVisible(), false);
  assert.equal(await explorer.page.locator('.field-error').count(), 0);
  await refused(() => setNumber('stride-1', 0), 'stride-1', /Stride \(columns\) is 0: it must be a whole number from 1 to 16\./);
  await refused(() => setNumber('stride-1', ''), 'stride-1', /Stride \(columns\) is empty: type a whole number from 1 to 16\./);
  await refused(() => setNumber('stride-1', 2.5), 'stride-1', /Stride \(columns\) is 2\.5: it must be a whole number from 1 to 16\./);
  await setNumber('stride-1', 2);
  await setSelect('operator', 'lp');
  await refused(() => setNumber('p', 0), 'p', /p is 0: it must be a number from 0\.1 to 100\./);
  await refused(() => setNumber('p', ''), 'p', /p is empty: type a number from 0\.1 to 100\./);
  await setNumber('p', 2);
  await refused(() => setNumber('pad_begin-0', 3), 'pad_begin-0', /On the rows, padding 3 is as wide as the window \(2 cells\) or wider/);
  // The library's own account stays one click away for a teacher.
  assert.match(await explorer.page.locator('#problem-detail').textContent(), /wholly in padding/);
  await setNumber('pad_begin-0', 0);
  assert.equal(await problem.isVisible(), false);
  assert.equal(await explorer.page.locator('td[data-grid="max"]').first().isVisible(), true);
  await matchesApi();
});
