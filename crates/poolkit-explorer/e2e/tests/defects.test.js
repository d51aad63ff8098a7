// The defects a learner and a teacher found, each held by a test: damaged links, history,
// the operator menu, Lp's name, the explanations of skipped inputs and outside taps, the
// checkpoint's answers and hints, the shift view's guidance, and an upload after a reload.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoBadNumbers, gridValues, openExplorer, redrawn, renders, startBrowser, startServer } from './harness.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser.close();
  server.stop();
});

const SEED_ROW = [8, 2, 6, 1, 7, 3];

test('a damaged link falls back to defaults with a notice, never a broken page', async () => {
  for (const [hash, said] of [
    ['#grid=a,b;c,d', /grid could not be read \(row 1, column 1 is “a”, not a finite number\)/],
    ['#grid=1,2;3', /grid could not be read \(row 2 has 1 value, row 1 has 2\)/],
    ['#grid=NaN,1;2,3', /“NaN”, not a finite number/],
    ['#grid=1e400,1;2,3', /“1e400”, not a finite number/],
    ['#k=x,2', /kernel could not be read/],
    ['#s=0,2', /stride was not valid \(Stride \(rows\) is 0: it must be a whole number from 1 to 16\)/],
    ['#p=&op=lp', /p could not be read/],
  ]) {
    const page = await openExplorer(browser.context, server.url, hash);
    assert.match(await page.locator('#link-notice').textContent(), said, hash);
    assert.equal(await page.locator('#problem').isVisible(), false, hash);
    assert.equal((await gridValues(page, 'max')).length > 0, true, hash);
    if (hash.startsWith('#grid')) assert.deepEqual((await gridValues(page, 'input'))[0], SEED_ROW, hash);
    if (!/NaN|1e400/.test(hash)) await assertNoBadNumbers(page);
    assert.deepEqual(page.problems, [], hash);
    await page.close();
  }
});

test('Back, Undo and Redo step through the reader\'s changes', async () => {
  const page = await openExplorer(browser.context, server.url);
  assert.equal(await page.locator('#undo').isDisabled(), true);
  const set = async (id, value) => {
    const n = await renders(page);
    await page.fill(`#${id}`, value);
    await page.press(`#${id}`, 'Enter');
    await redrawn(page, n);
  };
  await set('stride-0', '1');
  await set('stride-1', '1');
  assert.equal((await gridValues(page, 'max')).length, 5);
  assert.equal((await gridValues(page, 'max'))[0].length, 5);
  let n = await renders(page);
  await page.click('#undo');
  await redrawn(page, n);
  assert.equal((await gridValues(page, 'max'))[0].length, 3, 'undo restores the columns\' stride');
  assert.equal(await page.locator('#stride-1').inputValue(), '2');
  n = await renders(page);
  await page.goBack();
  await redrawn(page, n);
  assert.equal((await gridValues(page, 'max')).length, 3, 'Back restores the seed');
  assert.equal(await page.locator('#undo').isDisabled(), true);
  n = await renders(page);
  await page.click('#redo');
  await redrawn(page, n);
  assert.equal((await gridValues(page, 'max')).length, 5, 'redo');
  // Ctrl+Z outside a field undoes too.
  n = await renders(page);
  await page.locator('h1').click();
  await page.keyboard.press('Control+z');
  await redrawn(page, n);
  assert.equal((await gridValues(page, 'max')).length, 3);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the operator menu shows in the main view, and Lp is named a power sum', async () => {
  const page = await openExplorer(browser.context, server.url);
  const chosen = () => page.$$eval('[data-chosen="true"] [id^="grid-"]', (els) => els.map((e) => e.id));
  assert.deepEqual(await chosen(), ['grid-max']);
  for (const [op, grid] of [['avg', 'grid-avg'], ['lp', 'grid-lp'], ['global_max', 'grid-global-max'], ['global_avg', 'grid-global-avg']]) {
    const n = await renders(page);
    await page.selectOption('#operator', op);
    await redrawn(page, n);
    assert.deepEqual(await chosen(), [grid], op);
  }
  assert.equal(await page.locator('#operator option[value="lp"]').textContent(), 'Lp norm (power sum)');
  const n = await renders(page);
  await page.selectOption('#operator', 'lp');
  await redrawn(page, n);
  assert.match(await page.locator('#lp-title').textContent(), /^Lp norm, p = 2/);
  assert.match(await page.locator('#lp-note').textContent(), /power sum, not an average/);
  await page.close();
});

test('skipped inputs and outside taps are explained by what causes them', async () => {
  // Dilation 2 on the columns, stride 2: column 2 lies between the taps of the first window.
  let page = await openExplorer(browser.context, server.url, '#k=2,2&s=2,2&d=1,2');
  await page.hover('td[data-grid="input"][data-row="0"][data-col="1"]');
  assert.match(await page.locator('#window-info').textContent(), /falls between the taps of a dilated window \(dilation 2 on the columns/);
  await page.close();
  // Stride 3 with kernel 2: the third column is stepped over.
  page = await openExplorer(browser.context, server.url, '#k=2,2&s=3,3');
  await page.hover('td[data-grid="input"][data-row="0"][data-col="2"]');
  assert.match(await page.locator('#window-info').textContent(), /the stride steps over it/);
  await page.close();
  // Ceil mode without padding: the last window overhangs the grid, no padding involved.
  page = await openExplorer(browser.context, server.url, '#k=3,3&s=2,2&ceil=1&grid=1,2,3,4;5,6,7,8;9,1,2,3;4,5,6,7');
  await page.hover('td[data-grid="max"][data-row="1"][data-col="1"]');
  const info = await page.locator('#window-info').textContent();
  assert.match(info, /past the grid’s edge: ceil mode lets the last window overhang/);
  assert.doesNotMatch(info, /\(padding\)/);
  await page.close();
});

test('the checkpoint reads answers in any brackets and hints at what was missed', async () => {
  const page = await openExplorer(browser.context, server.url, '#mode=checkpoint');
  const answer = async (text) => {
    await page.fill('#checkpoint-answer', text);
    await page.press('#checkpoint-answer', 'Enter');
    await page.waitForFunction(() => document.querySelector('#checkpoint-result .verdict'));
    const verdict = page.locator('#checkpoint-result .verdict');
    return [await verdict.getAttribute('data-correct'), await verdict.textContent()];
  };
  assert.equal((await answer('(7, 7, 32)'))[0], 'true');
  const [correct, said] = await answer('[14, 14, 32]');
  assert.equal(correct, 'false');
  assert.match(said, /halves height and width: 14 → 7, 14 → 7/);
  assert.doesNotMatch(said, /channel/);
  assert.match((await answer('7, 7, 16'))[1], /the 32 channels pass through as 32/);
  await page.close();
});

test('the shift view says what the counts show and leads to where invariance holds', async () => {
  const page = await openExplorer(browser.context, server.url, '#mode=shift');
  const story = page.locator('#shift-story');
  assert.match(await story.textContent(), /max pooling kept 4 of 9 outputs/);
  assert.match(await story.textContent(), /Try “Show it with a single feature”, or shift by the stride/);
  let n = await renders(page);
  await page.click('#shift-by [data-by="stride"]');
  await redrawn(page, n);
  assert.match(await story.textContent(), /shift by 2 pixels/);
  assert.match(await story.textContent(), /6 of 6 max outputs that have a neighbour on that side now hold the neighbour's old value/);
  n = await renders(page);
  await page.click('#shift-spike');
  await redrawn(page, n);
  assert.equal(await page.locator('#shift-by [data-by="1"]').getAttribute('aria-checked'), 'true');
  assert.equal(await page.locator('#shift-max-count').getAttribute('data-unchanged'), '9');
  assert.match(await story.textContent(), /Every max output stayed the same/);
  await page.close();
});

test('after a reload an uploaded image is not silently replaced: the page says so', async () => {
  const page = await openExplorer(browser.context, server.url, '#mode=images&img=upload&layers=2');
  await page.waitForFunction(() => document.getElementById('image-message').textContent.length > 0);
  assert.match(await page.locator('#image-message').textContent(), /Your uploaded image is not kept in links or across reloads/);
  await page.close();
});

test('in the shift view a feature is dragged, or moved with Alt+arrows, to another cell', async () => {
  const page = await openExplorer(browser.context, server.url, '#mode=shift');
  assert.equal(await page.locator('#move-hint').isVisible(), true);
  let n = await renders(page);
  await page.click('#shift-spike');
  await redrawn(page, n);
  const nine = async () => page.$$eval('td[data-grid="input"][data-value="9"]', (tds) => tds.map((td) => [+td.dataset.row, +td.dataset.col]));
  const [[r, c]] = await nine();
  const target = [r === 0 ? 1 : r - 1, c === 0 ? 1 : c - 1];
  n = await renders(page);
  await page.locator(`td[data-grid="input"][data-row="${r}"][data-col="${c}"]`)
    .dragTo(page.locator(`td[data-grid="input"][data-row="${target[0]}"][data-col="${target[1]}"]`));
  await redrawn(page, n);
  assert.deepEqual(await nine(), [target]);
  n = await renders(page);
  await page.keyboard.press(c === 0 ? 'Alt+ArrowLeft' : 'Alt+ArrowRight');
  await redrawn(page, n);
  assert.deepEqual(await nine(), [[target[0], c === 0 ? 0 : target[1] + 1]]);
  assert.deepEqual(page.problems, []);
  await page.close();
});
