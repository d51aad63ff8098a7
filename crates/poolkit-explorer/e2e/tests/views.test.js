// The views beyond the seed, each checked against the library's own answers through the
// API: the shift demo, gradient routing, the strided convolution (0.25 weights equal
// average pooling), global pooling and the checkpoint question.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertNoBadNumbers, changed, gridValues, requestBody, useExplorer } from './harness.js';

const explorer = useExplorer({ resetEach: true });

/** Changes controls with `act`, waits for the page's new answer. */
const change = (act) => changed(explorer.page, act);

const cell = (grid, r, c) => explorer.page.locator(`td[data-grid="${grid}"][data-row="${r}"][data-col="${c}"]`);
const editor = () => explorer.page.locator('td[data-editing="true"] input');

test('shift demo: every direction agrees with the API, unchanged counts included', async () => {
  await explorer.page.click('#tab-shift');
  assert.equal(await explorer.page.locator('#panel-shift').isVisible(), true);
  for (const dir of ['up', 'down', 'left', 'right']) {
    await change(() => explorer.page.click(`#shift-direction [data-dir="${dir}"]`));
    assert.equal(await explorer.page.locator(`#shift-direction [data-dir="${dir}"]`).getAttribute('aria-checked'), 'true');
    const answer = await api(explorer.page, 'shift', await requestBody(explorer.page));
    assert.equal(answer.direction, dir);
    assert.deepEqual(await gridValues(explorer.page, 'shifted'), answer.shifted);
    for (const op of ['max', 'avg']) {
      assert.deepEqual(await gridValues(explorer.page, `shift-${op}`), answer[op].change, `${dir} ${op}`);
      const count = explorer.page.locator(`#shift-${op}-count`);
      assert.equal(await count.getAttribute('data-unchanged'), String(answer[op].unchanged));
      assert.match(await count.textContent(), new RegExp(`${answer[op].unchanged} of ${answer[op].total} outputs unchanged`));
    }
  }
  // Unchanged cells read "=", changed ones carry a sign: meaning in text, not only colour.
  const texts = await explorer.page.$$eval('td[data-grid="shift-max"]', (tds) => tds.map((td) => [td.dataset.value, td.textContent]));
  for (const [value, text] of texts) assert.equal(text === '=', Number(value) === 0);
  // Arrow keys move between directions (radio group).
  await explorer.page.focus('#shift-direction [data-dir="right"]');
  await change(() => explorer.page.keyboard.press('ArrowLeft'));
  assert.equal(await explorer.page.locator('#shift-direction [data-dir="left"]').getAttribute('aria-checked'), 'true');
  await assertNoBadNumbers(explorer.page);
});

test('gradient: ones by default, max routes to winners, average spreads; editable upstream', async () => {
  await explorer.page.click('#tab-gradient');
  let answer = await api(explorer.page, 'gradient', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'upstream'), [[1, 1, 1], [1, 1, 1], [1, 1, 1]]);
  assert.deepEqual(await gridValues(explorer.page, 'gradient'), answer.grad_input);
  assert.equal(await cell('gradient', 1, 1).getAttribute('data-value'), '1');
  assert.equal(await cell('gradient', 0, 0).getAttribute('data-value'), '0');
  // Edit the upstream gradient: the library's backward pass answers.
  await cell('upstream', 0, 0).click();
  await editor().fill('5');
  await change(() => explorer.page.keyboard.press('Enter'));
  answer = await api(explorer.page, 'gradient', await requestBody(explorer.page));
  assert.equal(answer.upstream[0][0], 5);
  assert.deepEqual(await gridValues(explorer.page, 'gradient'), answer.grad_input);
  assert.equal(await cell('gradient', 1, 1).getAttribute('data-value'), '5');
  // Average: every input cell of a window gets a quarter.
  await change(() => explorer.page.selectOption('#operator', 'avg'));
  answer = await api(explorer.page, 'gradient', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'gradient'), answer.grad_input);
  assert.equal(await cell('gradient', 0, 0).getAttribute('data-value'), '0.25');
  assert.equal(await cell('gradient', 0, 0).textContent(), '0.25', 'not rounded to a misleading 0.3');
  // Overlapping windows add up.
  await explorer.page.fill('#stride-0', '1');
  await change(() => explorer.page.press('#stride-0', 'Enter'));
  answer = await api(explorer.page, 'gradient', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'gradient'), answer.grad_input);
  assert.equal(answer.grad_input[2][0], 0.5);
  // Global average: one output, gradient 1/36 everywhere.
  await change(() => explorer.page.selectOption('#operator', 'global_avg'));
  answer = await api(explorer.page, 'gradient', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'gradient-output'), answer.output);
  assert.deepEqual(await gridValues(explorer.page, 'gradient'), answer.grad_input);
  assert.equal(answer.grad_input[0][0], 1 / 36);
  assert.equal(await cell('gradient', 0, 0).textContent(), '0.028');
  // Read aloud rounded as shown, never as 0.027777777777777776.
  assert.match(await cell('gradient', 0, 0).getAttribute('aria-label'), /value 0\.028(,|$)/);
  assert.match(await explorer.page.locator('#gradient-output-title').textContent(), /global average/);
  await assertNoBadNumbers(explorer.page);
});

test('strided convolution: 0.25 weights equal average pooling; other weights differ', async () => {
  await explorer.page.click('#tab-conv');
  const avg = await gridValues(explorer.page, 'conv-avg');
  assert.deepEqual(await gridValues(explorer.page, 'weights'), [[0.25, 0.25], [0.25, 0.25]]);
  assert.equal(await cell('weights', 0, 0).textContent(), '0.25');
  assert.deepEqual(await gridValues(explorer.page, 'conv'), avg);
  assert.deepEqual(avg, [[6, 4.5, 4.5], [3.5, 3.75, 6], [4.5, 5.75, 3.5]]);
  assert.equal(await explorer.page.locator('#conv-equal').getAttribute('data-equal'), 'true');
  assert.equal(await explorer.page.locator('#params-conv').textContent(), '5 (4 weights + 1 bias)');
  assert.equal(await explorer.page.locator('#params-conv-channels').textContent(), '4,128 (4,096 weights + 32 biases)');
  assert.equal(await explorer.page.locator('#params-pool').textContent(), '0');
  await cell('weights', 1, 1).click();
  await editor().fill('1');
  await change(() => explorer.page.keyboard.press('Enter'));
  const answer = await api(explorer.page, 'conv', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'conv'), answer.output);
  assert.equal(await explorer.page.locator('#conv-equal').getAttribute('data-equal'), 'false');
  await change(() => explorer.page.click('#reset-weights'));
  assert.equal(await explorer.page.locator('#conv-equal').getAttribute('data-equal'), 'true');
});

test('strided convolution follows the settings\' window, and says why padding makes it differ', async () => {
  await explorer.page.click('#tab-conv');
  await change(async () => { await explorer.page.fill('#kernel-0', '3'); await explorer.page.press('#kernel-0', 'Enter'); });
  await change(async () => { await explorer.page.fill('#kernel-1', '3'); await explorer.page.press('#kernel-1', 'Enter'); });
  await change(async () => { await explorer.page.fill('#stride-0', '1'); await explorer.page.press('#stride-0', 'Enter'); });
  await change(async () => { await explorer.page.fill('#stride-1', '1'); await explorer.page.press('#stride-1', 'Enter'); });
  assert.equal((await gridValues(explorer.page, 'weights')).length, 3);
  assert.equal(await explorer.page.locator('#conv-title').textContent(), '3×3/s1 convolution');
  assert.equal(await explorer.page.locator('#params-conv').textContent(), '10 (9 weights + 1 bias)');
  assert.equal((await gridValues(explorer.page, 'conv')).length, 4);
  await change(async () => { await explorer.page.fill('#pad_begin-0', '1'); await explorer.page.press('#pad_begin-0', 'Enter'); });
  assert.equal(await explorer.page.locator('#conv-equal').getAttribute('data-equal'), 'false');
  assert.match(await explorer.page.locator('#conv-equal').textContent(), /counts the missing ones as zeros\. Turn on “Average counts padding”/);
  await change(() => explorer.page.check('#count_include_pad'));
  assert.equal(await explorer.page.locator('#conv-equal').getAttribute('data-equal'), 'true');
  await change(() => explorer.page.click('#reset-all'));
});

test('global average and global max: one number each for the whole map', async () => {
  await explorer.page.click('#tab-explore');
  const answer = await api(explorer.page, 'explore', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'global_max'), [[answer.global.max]]);
  assert.deepEqual(await gridValues(explorer.page, 'global_avg'), [[answer.global.avg]]);
  assert.equal(answer.global.max, 9);
  assert.equal(await cell('global_avg', 0, 0).textContent(), '4.7');
});

test('checkpoint: the answer is checked by the server', async () => {
  await explorer.page.click('#tab-checkpoint');
  assert.equal(await explorer.page.locator('#input-area').isVisible(), false);
  await explorer.page.fill('#checkpoint-answer', '[7, 7, 16]');
  await explorer.page.click('#checkpoint-form button');
  await explorer.page.locator('.verdict').waitFor();
  assert.equal(await explorer.page.locator('.verdict').getAttribute('data-correct'), 'false');
  await explorer.page.fill('#checkpoint-answer', '7, 7, 32');
  await explorer.page.press('#checkpoint-answer', 'Enter');
  await explorer.page.locator('.verdict.correct').waitFor();
  assert.match(await explorer.page.locator('#checkpoint-result').textContent(), /floor\(\(14 \+ 0 \+ 0 - 1\*\(2-1\) - 1\) \/ 2\) \+ 1 = 7/);
  await explorer.page.fill('#checkpoint-answer', 'seven');
  await explorer.page.expectRefusals(async () => {
    await explorer.page.click('#checkpoint-form button');
    await explorer.page.locator('.verdict.refused').waitFor();
  });
  assert.match(await explorer.page.locator('.verdict').textContent(), /"seven" is not a shape/);
});
