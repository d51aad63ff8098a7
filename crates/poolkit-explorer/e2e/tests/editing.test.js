// Editing the input: click, Enter, F2 or typing starts an edit; a number updates both
// outputs at once (checked against the API); a non-number is refused visibly and changes
// nothing; Esc cancels.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, gridValues, redrawn, renders, requestBody, useExplorer } from './harness.js';

const explorer = useExplorer();

const cell = (grid, r, c) => explorer.page.locator(`td[data-grid="${grid}"][data-row="${r}"][data-col="${c}"]`);
const editor = () => explorer.page.locator('td[data-editing="true"] input');

async function outputsMatchApi() {
  const answer = await api(explorer.page, 'pool', await requestBody(explorer.page));
  assert.deepEqual(await gridValues(explorer.page, 'max'), answer.max.values);
  assert.deepEqual(await gridValues(explorer.page, 'avg'), answer.avg.values);
  return answer;
}

test('clicking a cell and typing a number updates both outputs at once', async () => {
  const before = await renders(explorer.page);
  await cell('input', 0, 0).click();
  await editor().fill('20');
  await explorer.page.keyboard.press('Enter');
  await redrawn(explorer.page, before);
  assert.equal(await cell('input', 0, 0).getAttribute('data-value'), '20');
  assert.equal(await cell('max', 0, 0).getAttribute('data-value'), '20');
  assert.equal(await cell('avg', 0, 0).getAttribute('data-value'), '9');
  await outputsMatchApi();
  const focused = await explorer.page.evaluate(() => [document.activeElement.dataset.row, document.activeElement.dataset.col]);
  assert.deepEqual(focused, ['0', '0'], 'focus returns to the edited cell');
  await explorer.page.waitForFunction(() => /Input row 1, column 1 set to 20\./.test(document.getElementById('announcer').textContent));
  assert.equal(await explorer.page.locator('#announcer').getAttribute('aria-live'), 'polite');
});

test('typing on a focused cell starts an edit with that character; decimals are kept exactly', async () => {
  await cell('input', 5, 5).focus();
  const before = await renders(explorer.page);
  await explorer.page.keyboard.type('2.25');
  await explorer.page.keyboard.press('Enter');
  await redrawn(explorer.page, before);
  assert.equal(await cell('input', 5, 5).getAttribute('data-value'), '2.25');
  assert.equal(await cell('input', 5, 5).textContent(), '2.3');
  const answer = await outputsMatchApi();
  assert.equal(answer.avg.values[2][2], 3.5625);
  assert.equal(await cell('avg', 2, 2).getAttribute('aria-label').then((l) => l.split(';')[0]), 'row 3, column 3, value 3.5625');
});

test('F2 and Enter open the editor on the current value', async () => {
  await cell('input', 1, 1).focus();
  await explorer.page.keyboard.press('F2');
  assert.equal(await editor().inputValue(), '9');
  await explorer.page.keyboard.press('Escape');
  await explorer.page.keyboard.press('Enter');
  assert.equal(await editor().inputValue(), '9');
  await explorer.page.keyboard.press('Escape');
  assert.equal(await editor().count(), 0);
});

test('a non-number is refused visibly and changes nothing', async () => {
  const maxBefore = await gridValues(explorer.page, 'max');
  const inputBefore = await gridValues(explorer.page, 'input');
  await explorer.page.expectRefusals(async () => {
    await cell('input', 2, 2).click();
    await editor().fill('seven');
    await explorer.page.keyboard.press('Enter');
    await explorer.page.locator('#input-error').waitFor({ state: 'visible' });
  });
  assert.match(await explorer.page.locator('#input-error').textContent(), /Not changed: value "seven" is not a number/);
  assert.equal(await editor().getAttribute('aria-invalid'), 'true');
  await explorer.page.keyboard.press('Escape');
  assert.equal(await explorer.page.locator('#input-error').isVisible(), false);
  assert.deepEqual(await gridValues(explorer.page, 'input'), inputBefore);
  assert.deepEqual(await gridValues(explorer.page, 'max'), maxBefore);
});

test('NaN, Infinity and huge values are refused the same way', async () => {
  for (const bad of ['NaN', 'Infinity', '1e9', '']) {
    await explorer.page.expectRefusals(async () => {
      await cell('input', 0, 1).click();
      await editor().fill(bad);
      await explorer.page.keyboard.press('Enter');
      await explorer.page.locator('#input-error').waitFor({ state: 'visible' });
    });
    await explorer.page.keyboard.press('Escape');
    assert.equal(await cell('input', 0, 1).getAttribute('data-value'), '2', bad);
  }
});

test('Esc cancels an edit in progress', async () => {
  await cell('input', 3, 3).click();
  await editor().fill('99');
  await explorer.page.keyboard.press('Escape');
  assert.equal(await cell('input', 3, 3).getAttribute('data-value'), '5');
  assert.equal(await cell('input', 3, 3).textContent(), '5');
  const focused = await explorer.page.evaluate(() => document.activeElement.dataset.grid);
  assert.equal(focused, 'input');
});
