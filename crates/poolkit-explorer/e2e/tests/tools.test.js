// The teacher's tools: stepping through the windows with padding drawn, the "frameworks
// disagree" note, a link and an embed snippet that keep the view (and an embedded page that
// works), CSV/SVG/PNG exports of the library's numbers, presentation mode, the print
// stylesheet, and the shape calculator for a chain of layers.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { api, gridValues, openExplorer, redrawn, renders, requestBody, startBrowser, startServer } from './harness.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser({ acceptDownloads: true });
});

after(async () => {
  await browser.close();
  server.stop();
});

test('stepping through the windows: controls, slider, padding drawn, the numbers of each output', async () => {
  const page = await openExplorer(browser.context, server.url, '#k=3,3&s=2,2&pb=1,1&pe=1,1');
  await page.click('#stepper summary');
  // Opening draws the current window (the toggle event comes a moment after the click).
  await page.waitForFunction(() => document.getElementById('step-caption').textContent !== '');
  const caption = page.locator('#step-caption');
  assert.match(await caption.textContent(), /^Output row 1, column 1: its window reads 4 input cells\. 5 of its 9 taps lie outside the grid/);
  assert.equal(await page.locator('#step-position').textContent(), '1 of 9');
  // The padded grid: one ring of "pad" cells around the 6×6 input; the first window covers 5 of them.
  assert.equal(await page.locator('#step-grid tr').count(), 8);
  assert.equal(await page.locator('#step-grid td.pad').count(), 8 * 8 - 36);
  assert.equal(await page.locator('#step-grid td.pad[data-mark~="window"]').count(), 5);
  const answer = await api(page, 'pool', await requestBody(page));
  await page.click('#step-next');
  assert.equal(await page.locator('#step-position').textContent(), '2 of 9');
  assert.match(await caption.textContent(), new RegExp(`Max = ${answer.max.values[0][1]} `));
  await page.fill('#step-slider', '9');
  assert.equal(await page.locator('#step-position').textContent(), '9 of 9');
  assert.match(await caption.textContent(), /^Output row 3, column 3/);
  await page.click('#step-first');
  await page.click('#step-play');
  assert.equal(await page.locator('#step-play').getAttribute('aria-pressed'), 'true');
  await page.waitForFunction(() => document.getElementById('step-position').textContent.startsWith('3 '), null, { timeout: 5000 });
  await page.click('#step-play');
  assert.equal(await page.locator('#step-play').getAttribute('aria-pressed'), 'false');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a note says where PyTorch and ONNX would disagree, and only then', async () => {
  const page = await openExplorer(browser.context, server.url);
  assert.equal(await page.locator('#frameworks').isVisible(), false);
  const n = await renders(page);
  await page.selectOption('#padding', 'same_upper');
  await redrawn(page, n);
  assert.equal(await page.locator('#frameworks').isVisible(), true);
  assert.match(await page.locator('#frameworks-list').textContent(), /PyTorch's pooling has no SAME padding/);
  assert.match(await page.locator('#frameworks-list').textContent(), /count_include_pad=True by default/);
  await page.close();
});

test('a link and an embed snippet keep the view; the embedded page works in a course page', async () => {
  const page = await openExplorer(browser.context, server.url, '#k=3,3&s=1,1');
  await page.click('#share');
  assert.equal(await page.locator('#share-link').inputValue(), page.url());
  const embed = await page.locator('#embed-code').inputValue();
  assert.match(embed, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/#mode=explore&amp;grid=.*k=3%2C3.*" title="Max vs\. Average Pooling Explorer"/);
  await page.click('#copy-link');
  await page.waitForFunction(() => document.getElementById('share-note').textContent !== '');
  assert.match(await page.locator('#share-note').textContent(), /copied|press Ctrl\+C/);
  // A course page holding the snippet: the explorer draws inside the frame, with the view's settings.
  const course = await browser.context.newPage();
  const src = embed.match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&');
  await course.setContent(`<h1>Week 3: pooling</h1><iframe src="${src}" width="1000" height="760"></iframe>`);
  const frame = course.frames().find((f) => f.url().startsWith(server.url));
  await frame.waitForFunction(() => document.getElementById('explorer').dataset.busy === 'false' && Number(document.getElementById('explorer').dataset.renders) > 0);
  assert.equal(await frame.locator('td[data-grid="max"]').count(), 16);
  await course.close();
  await page.close();
});

test('exports: CSV with the exact numbers, an SVG and a PNG picture', async () => {
  const page = await openExplorer(browser.context, server.url, '#grid=1,2,3;4,5,6.5;7,8,9.25&k=2,2&s=1,1');
  const answer = await api(page, 'explore', await requestBody(page));
  const saved = async (button) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    return { name: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
  };
  const csv = await saved('#export-csv');
  assert.equal(csv.name, 'pooling-k2x2-s1x1.csv');
  const lines = csv.bytes.toString().trim().split('\n');
  assert.equal(lines[0], 'grid,row,column,value');
  const value = (grid, r, c) => Number(lines.find((l) => l.startsWith(`${grid},${r},${c},`)).split(',')[3]);
  assert.equal(value('input', 2, 3), 6.5);
  assert.equal(value('max', 2, 2), answer.pool.max.values[1][1]);
  assert.equal(value('avg', 2, 2), answer.pool.avg.values[1][1]);
  assert.equal(lines.length, 1 + 9 + 4 + 4);
  const svg = await saved('#export-svg');
  assert.match(svg.bytes.toString(), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg.bytes.toString(), />Max pooling \(2×2\)</);
  const png = await saved('#export-png');
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('presentation mode enlarges the grids; the print stylesheet drops the controls', async () => {
  const page = await openExplorer(browser.context, server.url);
  const cellWidth = () => page.locator('td[data-grid="input"]').first().evaluate((td) => td.getBoundingClientRect().width);
  const before = await cellWidth();
  await page.click('#present');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.present), 'true');
  assert.ok(await cellWidth() > before, 'cells grow for a projector');
  assert.equal(await page.locator('.lede').isVisible(), false);
  await page.click('#present');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.present), 'false');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.toolbar').isVisible(), false);
  assert.equal(await page.locator('[role="tablist"]').isVisible(), false);
  assert.equal(await page.locator('td[data-grid="max"]').first().isVisible(), true);
  await page.emulateMedia({ media: 'screen' });
  await page.close();
});

test('the shape calculator runs a chain of layers and names the layer that fails', async () => {
  const page = await openExplorer(browser.context, server.url, '#mode=checkpoint');
  await page.selectOption('#chain-example', 'vgg');
  await page.waitForFunction(() => document.querySelector('#chain-result .verdict'));
  assert.equal(await page.locator('#chain-result .verdict').getAttribute('data-output'), '[7,7,3]');
  assert.equal(await page.locator('#chain-result li').count(), 5);
  await page.selectOption('#chain-example', 'resnet');
  await page.waitForFunction(() => document.querySelector('#chain-result .verdict')?.dataset.output === '[56,56,64]');
  await page.click('#chain-add');
  await page.fill('#chain-layers tr:nth-child(2) [data-field="stride"]', '');
  await page.click('#chain-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#chain-result .refused'));
  assert.equal(await page.locator('#chain-result .refused').textContent(), 'Layer 2: Stride (rows) is empty: type a whole number from 1 to 16.');
  await page.close();
});
