// Accessibility and looks: zero axe-core violations (WCAG 2.1 A and AA) in every mode, at
// desktop and phone width, with a refusal on screen and with an editor open; numbers at
// least 4.5:1 on their heat colours; reduced motion respected; phone width usable (no
// sideways scrolling of the page, a tap selects). Screenshots go to target/e2e-screenshots/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { openExplorer, redrawn, renders, repoRoot, screenshotPath, startBrowser, startServer } from './harness.js';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const MODES = ['explore', 'shift', 'gradient', 'conv', 'images', 'checkpoint'];
const PHONE = { width: 390, height: 844 };

let server;
let desktop;
let phone;

before(async () => {
  server = await startServer();
  desktop = await startBrowser();
  phone = await startBrowser({ viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
});

after(async () => {
  await desktop.close();
  await phone.close();
  server.stop();
});

/** Runs axe in the page (evaluated, so the page's strict CSP needs no exception). */
async function axeViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`);
}

async function showMode(page, mode) {
  await page.click(`#tab-${mode}`);
  if (mode === 'images') {
    await page.waitForFunction(() => document.querySelectorAll('#image-results img').length > 0
      && [...document.querySelectorAll('#image-results img')].every((img) => img.complete));
  }
  if (mode === 'checkpoint') {
    await page.fill('#checkpoint-answer', '7, 7, 32');
    await page.click('#checkpoint-form button');
    await page.locator('.verdict').waitFor();
  }
}

test('no axe violations in any mode, desktop and phone; screenshots', async () => {
  for (const [name, browser, size] of [['desktop', desktop, null], ['phone', phone, PHONE]]) {
    const page = await openExplorer(browser.context, server.url, '', size);
    for (const mode of MODES) {
      await showMode(page, mode);
      if (mode === 'explore') await page.hover('td[data-grid="max"][data-row="0"][data-col="1"]').catch(() => {});
      assert.deepEqual(await axeViolations(page), [], `${name} ${mode}`);
      await page.screenshot({ path: screenshotPath(`${name}-${mode}.png`), fullPage: true });
    }
    assert.deepEqual(page.problems, [], name);
    await page.close();
  }
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
    mkdirSync(path.join(repoRoot, 'docs'), { recursive: true });
    copyFileSync(screenshotPath('desktop-explore.png'), path.join(repoRoot, 'docs', 'explorer.png'));
  }
});

test('no axe violations with a refusal shown and with an editor open', async () => {
  const page = await openExplorer(desktop.context, server.url);
  await page.expectRefusals(async () => {
    const n = await renders(page);
    await page.fill('#kernel-0', '9');
    await page.press('#kernel-0', 'Enter');
    await redrawn(page, n);
  });
  assert.equal(await page.locator('#problem').isVisible(), true);
  assert.deepEqual(await axeViolations(page), [], 'refusal');
  await page.screenshot({ path: screenshotPath('desktop-refusal.png'), fullPage: true });
  const n = await renders(page);
  await page.fill('#kernel-0', '2');
  await page.press('#kernel-0', 'Enter');
  await redrawn(page, n);
  await page.expectRefusals(async () => {
    await page.click('td[data-grid="input"][data-row="0"][data-col="0"]');
    await page.fill('td[data-editing="true"] input', 'abc');
    await page.keyboard.press('Enter');
    await page.locator('#input-error').waitFor({ state: 'visible' });
  });
  assert.deepEqual(await axeViolations(page), [], 'editor open, refused');
  await page.screenshot({ path: screenshotPath('desktop-edit-refused.png') });
  await page.keyboard.press('Escape');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('every number has at least 4.5:1 contrast on its heat colour', async () => {
  const page = await openExplorer(desktop.context, server.url);
  const worst = await page.$$eval('td[data-grid]', (tds) => {
    const lum = (css) => {
      const [r, g, b] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    return Math.min(...tds.map((td) => {
      const style = getComputedStyle(td);
      const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05);
    }));
  });
  assert.ok(worst >= 4.5, `lowest contrast ${worst}`);
  await page.close();
});

test('reduced motion: no transitions when the reader asks for none', async () => {
  const page = await openExplorer(desktop.context, server.url);
  const duration = () => page.$eval('td[data-grid="input"]', (td) => getComputedStyle(td).transitionDuration);
  await page.emulateMedia({ reducedMotion: 'no-preference' });
  assert.notEqual(await duration(), '0s');
  await page.emulateMedia({ reducedMotion: 'reduce' });
  assert.equal(await duration(), '0s');
  await page.close();
});

test('phone width: the page does not scroll sideways and a tap selects an output', async () => {
  const page = await openExplorer(phone.context, server.url, '', PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
  await page.tap('td[data-grid="max"][data-row="1"][data-col="2"]');
  const marked = await page.$$eval('td[data-grid="input"][data-mark~="contributor"]', (tds) => tds.map((td) => [td.dataset.row, td.dataset.col]));
  assert.deepEqual(marked, [['2', '4']]);
  // The settings sit folded right under the input grid, and unfold with one tap.
  const gap = await page.evaluate(() => document.getElementById('settings-toggle').getBoundingClientRect().top - document.getElementById('grid-input').getBoundingClientRect().bottom);
  assert.ok(gap < 200, `the settings start ${gap}px below the grid`);
  assert.equal(await page.locator('#kernel-0').isVisible(), false);
  await page.tap('#settings-toggle');
  assert.equal(await page.locator('#kernel-0').isVisible(), true);
  assert.equal(await page.locator('#settings-toggle').getAttribute('aria-expanded'), 'true');
  // A 16×16 grid still fits: its own box scrolls, not the page.
  for (const id of ['rows', 'cols']) {
    await page.fill(`#${id}`, '16');
    const n = await renders(page);
    await page.press(`#${id}`, 'Enter');
    await redrawn(page, n);
  }
  assert.equal(await page.locator('td[data-grid="input"]').count(), 256);
  const overflow16 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow16 <= 0, `16×16: page is ${overflow16}px wider than the phone`);
  assert.equal(await page.evaluate(() => window.innerWidth), 390);
  assert.deepEqual(page.problems, []);
  await page.close();
});
