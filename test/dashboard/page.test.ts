import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { needTool } from '../helpers/tools.js';
import { artifactsDir, launchChromium, openPage, startFixtureApp, CHROMIUM, type FixtureApp, type WatchedPage } from './browser.js';

const chromiumTool = needTool('chromium', [CHROMIUM]);
let browser: Browser | undefined;
let app: FixtureApp | undefined;
/** One dashboard page for the tests of the live fixture, in order (opening a page costs ~2 s here). */
let dash: WatchedPage | undefined;

before(async () => {
  if (chromiumTool.skip) return;
  [browser, app] = await Promise.all([launchChromium(), startFixtureApp()]);
  dash = await openPage(browser);
  const res = await dash.page.goto(`${app.url}/debug/dashboard`);
  assert.equal(res?.status(), 200);
  await dash.page.waitForSelector('#connection.live', { timeout: 10_000 });
});

after(async () => {
  await dash?.close();
  await browser?.close();
  await app?.kill();
});

// Code evaluated in the page is written as strings: these tests compile without the DOM's types.

/**
 * until polls `expression` in the page (every 50 ms) until it is truthy. Not
 * page.waitForFunction: that evaluates through eval, which the page's CSP
 * rightly forbids.
 */
async function until(page: Page, expression: string, timeoutMs: number, what = expression): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Frames drawn per plot, for the visible plots. */
function frameCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(`Object.fromEntries([...document.querySelectorAll('[data-plot]')].filter((e) => !e.hidden).map((e) => [e.dataset.plot, Number(e.dataset.frames)]))`);
}

/** The raw number behind a figure of the summary strip (NaN while empty). */
async function statValue(page: Page, id: string): Promise<number> {
  const v = await page.getAttribute(`[data-stat="${id}"]`, 'data-value');
  return v === null || v === '' ? NaN : Number(v);
}

test('the dashboard loads with no console error, makes no request off the machine, and every chart gets ≥ 3 new points within 5 s', chromiumTool, async () => {
  const w = dash!;
  const { page } = w;
  await until(page, `[...document.querySelectorAll('[data-plot]')].every((e) => Number(e.dataset.frames) > 0)`, 10_000, 'every plot to have data');
  const start = await frameCounts(page);
  assert.equal(Object.keys(start).length, 12, `every plot shows, the recycler's too: ${Object.keys(start).join(', ')}`);
  const t0 = Date.now();
  let now = start;
  while (Object.entries(start).some(([id, n]) => now[id] < n + 3)) {
    assert.ok(Date.now() - t0 < 5000, `charts short of 3 new points after 5 s: ${JSON.stringify({ start, now })}`);
    await page.waitForTimeout(100);
    now = await frameCounts(page);
  }
  assert.ok((await page.textContent('#target'))!.includes('pid'), 'the header names the process');
  assert.ok((await statValue(page, 'rss')) > 10e6, 'the summary shows RSS');
  await page.screenshot({ path: join(artifactsDir(), 'dashboard.png'), fullPage: true });
  assert.deepEqual(w.errors, [], 'no console errors');
  assert.deepEqual(w.offMachine, [], 'no request off the machine');
});

test('"Force GC" runs a GC through POST /debug/gc and the GC counts shown rise', chromiumTool, async () => {
  const w = dash!;
  const { page } = w;
  w.errors.length = 0;
  await until(page, `document.querySelector('[data-stat="num-forced-gc"]')?.dataset.value > ''`, 5000, 'the summary to show the GC counts');
  const gcs = await statValue(page, 'num-gc');
  const forced = await statValue(page, 'num-forced-gc');
  await page.click('#gc-button');
  await page.waitForSelector('#gc-status.ok', { timeout: 10_000 });
  assert.match((await page.textContent('#gc-status'))!, /Full GC in .*heap used .* → /);
  const stat = (id: string) => `Number(document.querySelector('[data-stat="${id}"]').dataset.value)`;
  await until(page, `${stat('num-forced-gc')} > ${forced} && ${stat('num-gc')} > ${gcs}`, 5000, `forced GCs above ${forced} and GCs above ${gcs}`);
  assert.deepEqual(w.errors, []);
});

test('a 2 s CPU capture renders a flame graph naming the hot function and offers the pprof download', chromiumTool, async () => {
  const w = dash!;
  const { page } = w;
  w.errors.length = 0;
  await page.fill('#cpu-seconds', '2');
  await page.click('#cpu-button');
  await page.waitForSelector('#cpu-progress:not([hidden])', { timeout: 2000 });
  await page.waitForSelector('#cpu-status.ok, #cpu-status.error', { timeout: 20_000 });
  assert.match((await page.textContent('#cpu-status'))!, /^Captured 2 s/);
  const frames = await page.$$eval('#flame-body .frame', (els) => els.map((e) => e.textContent));
  assert.ok(frames.includes('dashboardHotFunction'), `the flame graph names the hot function: ${frames.slice(0, 20).join(', ')}`);
  const top = await page.textContent('#flame-body table.top');
  assert.match(top!, /dashboardHotFunction/);
  await page.locator('#flame').screenshot({ path: join(artifactsDir(), 'dashboard-flame.png') });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#cpu-download')]);
  assert.match(download.suggestedFilename(), /^cpu-\d+\.pb\.gz$/);
  const bytes = readFileSync((await download.path())!);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'the download is the gzipped pprof go tool pprof reads');
  // Clicking a frame zooms into it.
  await page.click('#flame-body .frame:text-is("dashboardHotFunction")');
  const first = await page.$eval('#flame-body .frame:not(.ancestor)', (e) => e.textContent);
  assert.equal(first, 'dashboardHotFunction');
  assert.deepEqual(w.errors, []);
});

test('a capture refused with 409 (another one running) says so, the page recovers, and the box knows the server\'s limit', chromiumTool, async () => {
  const w = dash!;
  const { page } = w;
  w.errors.length = 0;
  const busy = fetch(`${app!.url}/debug/pprof/profile?seconds=3`).then((r) => r.arrayBuffer());
  await new Promise((r) => setTimeout(r, 300));
  await page.fill('#cpu-seconds', '1');
  await page.click('#cpu-button');
  await page.waitForSelector('#cpu-status.error', { timeout: 5000 });
  assert.match((await page.textContent('#cpu-status'))!, /^Busy \(409\): a CPU profile is already in progress/);
  assert.equal(await page.isEnabled('#cpu-button'), true, 'the button is usable again');
  await busy;
  // Longer than the server allows: the stream told the page its maxProfileSeconds (300 by default), so the box
  // says so before asking (it offered 3600 and got the server's 400 before).
  assert.equal(await page.getAttribute('#cpu-seconds', 'max'), '300');
  await page.fill('#cpu-seconds', '999');
  await page.click('#cpu-button');
  await until(page, `/this server's limit/.test(document.getElementById('cpu-status').textContent)`, 5000, 'the limit message');
  assert.equal(await page.textContent('#cpu-status'), "Seconds must be a whole number from 1 to 300 (this server's limit).");
  // The browser logs the refused responses itself; nothing else may fail.
  assert.deepEqual(w.errors.filter((e) => !/status of (409|400)/.test(e)), []);
});

test('"Heap snapshot" downloads a snapshot DevTools can load, with progress', chromiumTool, async () => {
  const w = dash!;
  const { page } = w;
  w.errors.length = 0;
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#snapshot-button')]);
  assert.match(download.suggestedFilename(), /^heap-\d+\.heapsnapshot$/);
  const head = readFileSync((await download.path())!).subarray(0, 20).toString();
  assert.match(head, /^\{"snapshot":/);
  await page.waitForSelector('#snapshot-status.ok');
  assert.match((await page.textContent('#snapshot-status'))!, /^Heap snapshot of .* in /);
  assert.deepEqual(w.errors, []);
});

test('behind a token, the page works once the browser has it (Basic auth) and is refused without', chromiumTool, async () => {
  const secured = await startFixtureApp(['--token', 'dash-token']);
  try {
    // Without it: 401 (a browser then asks for a user and password).
    assert.equal((await fetch(`${secured.url}/debug/dashboard`)).status, 401);
    const w = await openPage(browser!, { httpCredentials: { username: 'me', password: 'dash-token' } });
    try {
      const res = await w.page.goto(`${secured.url}/debug/dashboard`);
      assert.equal(res?.status(), 200);
      await w.page.waitForSelector('#connection.live', { timeout: 10_000 });
      await until(w.page, `Number(document.querySelector('[data-plot="heap"]')?.dataset.frames) >= 2`, 5000, 'the heap plot to fill');
      await w.page.click('#gc-button');
      await w.page.waitForSelector('#gc-status.ok', { timeout: 10_000 });
      assert.deepEqual(w.errors, []);
    } finally {
      await w.close();
    }
  } finally {
    await secured.kill();
  }
});
