// Real images (the project's samples, an uploaded PNG and JPEG, 1–4 layers) and the URL
// round trip: a link holds the whole state and restores exactly the same view.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridValues, openExplorer, redrawn, renders, target, useExplorer } from './harness.js';

const explorer = useExplorer();

async function imagesShown() {
  await explorer.page.waitForFunction(() => document.getElementById('image-results').dataset.busy === 'false');
  return explorer.page.$$eval('#image-results .image-layer', (rows) => rows.map((row) => ({
    layer: Number(row.dataset.layer),
    kinds: [...row.querySelectorAll('figure')].map((f) => f.dataset.kind),
    loaded: [...row.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0),
    widths: [...row.querySelectorAll('img')].map((img) => img.naturalWidth),
  })));
}

test('sample images pooled max vs average, 1 to 4 layers', async () => {
  await explorer.page.click('#tab-images');
  await explorer.page.locator('button.sample[data-sample="stars"]').waitFor();
  assert.equal(await explorer.page.locator('#input-area').isVisible(), false);
  let layers = await imagesShown();
  assert.deepEqual(layers.map((l) => l.layer), [1, 2]);
  assert.deepEqual(layers[0].kinds, ['max', 'avg']);
  assert.ok(layers.every((l) => l.loaded));
  await explorer.page.click('button.sample[data-sample="stars"]');
  await explorer.page.selectOption('#image-layers', '4');
  await explorer.page.waitForFunction(() => document.querySelectorAll('#image-results .image-layer').length === 4);
  layers = await imagesShown();
  assert.deepEqual(layers.map((l) => l.widths[0]), [48, 24, 12, 6]);
  assert.equal(await explorer.page.locator('button.sample[data-sample="stars"]').getAttribute('aria-pressed'), 'true');
  // The URL remembers the sample and the layer count.
  const again = await openExplorer(explorer.browser.context, explorer.server.url, new URL(explorer.page.url()).hash);
  await again.waitForFunction(() => document.querySelectorAll('#image-results .image-layer').length === 4);
  assert.equal(await again.locator('button.sample[data-sample="stars"]').getAttribute('aria-pressed'), 'true');
  assert.deepEqual(again.problems, []);
  await again.close();
  await explorer.page.selectOption('#image-layers', '1');
  await explorer.page.waitForFunction(() => document.querySelectorAll('#image-results .image-layer').length === 1);
});

test('an upstream gradient that no longer fits is reset, not a dead end', async () => {
  const hash = '#mode=gradient&up=1,2;3,4';
  const stale = await openExplorer(explorer.browser.context, explorer.server.url, hash);
  assert.match(await stale.locator('#form-message').textContent(), /upstream gradient did not fit/);
  assert.deepEqual(await gridValues(stale, 'upstream'), [[1, 1, 1], [1, 1, 1], [1, 1, 1]]);
  // The only refusal (over HTTP, a 400 and Chromium's console line about it) is the stale gradient's.
  assert.ok(stale.problems.every((p) => /400/.test(p)), stale.problems.join('\n'));
  await stale.close();
});

test('uploading a PNG and a JPEG', async () => {
  await explorer.page.selectOption('#image-layers', '2');
  await explorer.page.waitForFunction(() => document.querySelectorAll('#image-results .image-layer').length === 2);
  // A PNG: the project's own rings sample, as a file of the reader's.
  const png = await explorer.page.evaluate(async () => {
    const { call, imageUrl } = await import('./js/api.js');
    const rings = (await call('samples')).samples.find((s) => s.name === 'rings');
    return [...new Uint8Array(await (await fetch(imageUrl(rings.image))).arrayBuffer())];
  });
  // With the WebAssembly build the upload is pooled in the browser: no request leaves the page.
  const sent = [];
  const record = (request) => { if (!request.url().startsWith('data:')) sent.push(request.url()); };
  explorer.page.on('request', record);
  await explorer.page.setInputFiles('#image-file', { name: 'rings.png', mimeType: 'image/png', buffer: Buffer.from(png) });
  await explorer.page.waitForFunction(() => document.getElementById('image-message').textContent.includes('rings.png'));
  explorer.page.off('request', record);
  if (target === 'static') assert.deepEqual(sent, []);
  let layers = await imagesShown();
  assert.equal(layers.length, 2);
  assert.deepEqual(layers.map((l) => l.widths[0]), [48, 24]);
  // A JPEG, 300×200, drawn by the browser itself: larger than 128, so it is fitted first.
  const jpeg = await explorer.page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 300;
    canvas.height = 200;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#204080';
    ctx.fillRect(0, 0, 300, 200);
    ctx.fillStyle = '#ffcc00';
    ctx.fillRect(100, 50, 60, 60);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
    return [...new Uint8Array(await blob.arrayBuffer())];
  });
  await explorer.page.setInputFiles('#image-file', { name: 'drawn.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(jpeg) });
  await explorer.page.waitForFunction(() => document.getElementById('image-message').textContent.includes('drawn.jpg'));
  assert.match(await explorer.page.locator('#image-message').textContent(), /300×200, averaged down to 128×86/);
  layers = await imagesShown();
  assert.deepEqual(layers.map((l) => l.widths[0]), [64, 32]);
  // Not an image: refused in words.
  await explorer.page.expectRefusals(async () => {
    await explorer.page.setInputFiles('#image-file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('hello') });
    await explorer.page.waitForFunction(() => document.getElementById('image-message').textContent.startsWith('No result'));
  });
  assert.match(await explorer.page.locator('#image-message').textContent(), /not a PNG or JPEG image/);
});

test('the URL holds the whole state and restores exactly that view', async () => {
  await explorer.page.click('#tab-explore');
  const edit = async (grid, r, c, text) => {
    const n = await renders(explorer.page);
    await explorer.page.click(`td[data-grid="${grid}"][data-row="${r}"][data-col="${c}"]`);
    await explorer.page.fill('td[data-editing="true"] input', text);
    await explorer.page.keyboard.press('Enter');
    await redrawn(explorer.page, n);
  };
  const set = async (id, value) => {
    const n = await renders(explorer.page);
    await explorer.page.fill(`#${id}`, value);
    await explorer.page.press(`#${id}`, 'Enter');
    await redrawn(explorer.page, n);
  };
  await edit('input', 2, 3, '-1.5');
  await set('kernel-0', '3');
  await set('stride-1', '1');
  await set('pad_end-1', '1');
  let n = await renders(explorer.page);
  await explorer.page.check('#count_include_pad');
  await redrawn(explorer.page, n);
  n = await renders(explorer.page);
  await explorer.page.selectOption('#operator', 'lp');
  await redrawn(explorer.page, n);
  await set('p', '3.5');
  await explorer.page.click('#tab-gradient');
  await edit('upstream', 0, 1, '2');
  await explorer.page.click('#tab-conv');
  await edit('weights', 0, 0, '0.5');
  await explorer.page.click('#tab-shift');
  n = await renders(explorer.page);
  await explorer.page.click('#shift-direction [data-dir="up"]');
  await redrawn(explorer.page, n);

  const url = explorer.page.url();
  const grids = ['input', 'max', 'avg', 'lp', 'upstream', 'gradient', 'weights', 'conv', 'shift-max', 'shift-avg'];
  const snapshot = async (p) => {
    const out = { mode: await p.locator('#explorer').getAttribute('data-mode') };
    for (const g of grids) out[g] = await gridValues(p, g);
    for (const id of ['kernel-0', 'stride-1', 'pad_end-1', 'p', 'operator']) out[id] = await p.locator(`#${id}`).inputValue();
    out.cip = await p.locator('#count_include_pad').isChecked();
    out.shift = await p.locator('#shift-direction [aria-checked="true"]').getAttribute('data-dir');
    return out;
  };
  const original = await snapshot(explorer.page);
  assert.equal(original.mode, 'shift');
  assert.equal(original.input[2][3], -1.5);
  assert.equal(original.upstream[0][1], 2);
  assert.equal(original.weights[0][0], 0.5);

  const second = await openExplorer(explorer.browser.context, explorer.server.url, new URL(url).hash);
  const restored = await snapshot(second);
  assert.deepEqual(restored, original);
  assert.equal(await second.locator('#tab-shift').getAttribute('aria-selected'), 'true');
  assert.deepEqual(second.problems, []);
  await second.close();
});
