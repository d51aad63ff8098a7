// Shared set-up of the browser tests: the page as EXPLORER_TARGET says (`static`, the
// default: the static build of scripts/build-web.sh under a plain static file server;
// `server`: the real explorer server, the `serve` example binary, which serves the same
// build), each started on a free port; Debian's Chromium through playwright-core; and a page
// that records every console error and failed request so that each test can insist on none.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../../..');
export const screenshotDir = path.join(repoRoot, 'target', 'e2e-screenshots');

const serverBin = process.env.EXPLORER_BIN || path.join(repoRoot, 'target', 'debug', 'examples', 'serve');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const webDir = process.env.EXPLORER_WEB || path.join(repoRoot, 'target', 'web');
export const target = process.env.EXPLORER_TARGET || 'static';

/** Starts the page's host on a free port (`kind`: `static` or `server`); resolves to {url, stop}. */
export function startServer(kind = target) {
  const [command, args] = kind === 'server'
    ? [serverBin, ['0']]
    : ['python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', path.join(webDir, 'site')]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('server printed no URL within 20 s')), 20000);
    child.on('error', reject);
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const match = buffered.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[0], stop: () => child.kill('SIGINT') });
      }
    });
  });
}

/** Launches Chromium with a fresh profile; resolves to {context, close}. `options` adds
 *  context options (a phone's viewport and touch). */
export async function startBrowser(options = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'poolkit-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the explorer at `hash` and waits for its first answer. The returned page records
 * problems: console errors, uncaught exceptions, failed requests, HTTP errors. Responses
 * of 400 (and the console line Chromium logs for them) are allowed only inside
 * `expectRefusals`, where a test sends something invalid on purpose.
 */
export async function openExplorer(context, baseUrl, hash = '', viewport) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems = [];
  const origin = new URL(baseUrl).origin;
  let refusalsAllowed = 0;
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const refusal = /status of 40[0-9]/.test(msg.text());
    if (refusal && refusalsAllowed > 0) return;
    problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    const status = res.status();
    if (status >= 400 && !(status === 400 && refusalsAllowed > 0)) problems.push(`HTTP ${status}: ${res.url()}`);
    const own = res.url().startsWith(origin + '/') || res.url().startsWith(`blob:${origin}/`) || res.url().startsWith('data:');
    if (!own) problems.push(`outside request: ${res.url()}`);
  });
  page.problems = problems;
  page.expectRefusals = async (fn) => {
    refusalsAllowed += 1;
    try {
      return await fn();
    } finally {
      // Console lines about the refused responses arrive a moment after them.
      await page.waitForTimeout(150);
      refusalsAllowed -= 1;
    }
  };
  await page.goto(baseUrl + hash);
  await settled(page);
  return page;
}

/**
 * The set-up most suites share: registers a `before` hook that starts the page's host and
 * Chromium and opens the explorer, and an `after` hook that insists the page recorded no
 * problems, then closes Chromium and stops the host. Returns an object whose `page`,
 * `browser` and `server` are set once `before` has run. `resetEach`: before every test,
 * clicks "reset all" and waits for the page's answer, so each test starts from defaults.
 */
export function useExplorer({ resetEach = false } = {}) {
  const explorer = { server: undefined, browser: undefined, page: undefined };
  before(async () => {
    explorer.server = await startServer();
    explorer.browser = await startBrowser();
    explorer.page = await openExplorer(explorer.browser.context, explorer.server.url);
  });
  after(async () => {
    assert.deepEqual(explorer.page.problems, []);
    await explorer.browser.close();
    explorer.server.stop();
  });
  if (resetEach) {
    beforeEach(() => changed(explorer.page, () => explorer.page.click('#reset-all')));
  }
  return explorer;
}

/** Runs `act` (which changes the page's controls) and waits for the page's new answer. */
export async function changed(page, act) {
  const n = await renders(page);
  await act();
  await redrawn(page, n);
}

/** Waits until the page has drawn the answer to its latest request. */
export async function settled(page) {
  await page.waitForFunction(() => {
    const main = document.getElementById('explorer');
    return main && main.dataset.busy === 'false' && Number(main.dataset.renders) > 0;
  });
}

/** Waits until the page drew at least one more answer than `before`. */
export async function redrawn(page, before) {
  await page.waitForFunction((n) => {
    const main = document.getElementById('explorer');
    return main.dataset.busy === 'false' && Number(main.dataset.renders) > n;
  }, before);
}

export async function renders(page) {
  return Number(await page.locator('#explorer').getAttribute('data-renders'));
}

/** Reads a grid's cells as rows of exact values (data-value). */
export async function gridValues(page, name) {
  return page.$$eval(`td[data-grid="${name}"]`, (cells) => {
    const rows = [];
    for (const td of cells) {
      const r = Number(td.dataset.row);
      (rows[r] ||= [])[Number(td.dataset.col)] = Number(td.dataset.value);
    }
    return rows;
  });
}

/** Asks the page's engine (the library in WebAssembly, or the server) directly, for
 *  cross-checks: `endpoint` as API.md names it (`pool`); resolves to the answer or {error, field}. */
export async function api(page, endpoint, body) {
  return page.evaluate(async ([e, b]) => {
    const { call } = await import('./js/api.js');
    try {
      return await call(e, b);
    } catch (err) {
      return { error: err.message, field: err.field };
    }
  }, [endpoint, body]);
}

/** The body the page sends to `explore`, rebuilt from its URL (the page's own state). */
export async function requestBody(page) {
  return page.evaluate(async () => {
    const { exploreRequest, fromHash } = await import('./js/state.js');
    return exploreRequest(fromHash(location.hash));
  });
}

/** Every text a person could read on the page must be free of these. */
export async function assertNoBadNumbers(page) {
  const text = await page.evaluate(() => document.body.innerText);
  for (const bad of ['NaN', 'undefined', 'Infinity', 'null']) {
    if (text.includes(bad)) throw new Error(`page shows ${bad}: …${text.slice(Math.max(0, text.indexOf(bad) - 80), text.indexOf(bad) + 40)}…`);
  }
  // Numbers are read rounded: no text or screen-reader label carries a double's full digits.
  const labels = await page.$$eval('[aria-label]', (els) => els.map((e) => e.getAttribute('aria-label')));
  for (const said of [text, ...labels]) {
    const long = said.match(/\d\.\d{7,}/);
    if (long) throw new Error(`unrounded number ${long[0]} in: ${said.slice(0, 200)}`);
  }
  const values = await page.$$eval('[data-value]', (els) => els.map((e) => e.dataset.value));
  for (const v of values) {
    if (!Number.isFinite(Number(v))) throw new Error(`a cell's data-value is ${v}`);
  }
}

export function screenshotPath(name) {
  mkdirSync(screenshotDir, { recursive: true });
  return path.join(screenshotDir, name);
}
