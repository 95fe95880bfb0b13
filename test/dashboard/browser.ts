/**
 * Helpers of the dashboard's browser tests: Debian's chromium driven by
 * playwright-core, pages that fail any request leaving the machine and
 * collect console errors, and the fixture app in a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { stopChild } from '../helpers/stop-child.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots are kept (gitignored): <repo>/test-artifacts/. */
export function artifactsDir(): string {
  const dir = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** launchChromium starts headless chromium with flags that keep it off the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  /** Requests that tried to leave 127.0.0.1 (each was failed). */
  offMachine: string[];
  close(): Promise<void>;
}

/** openPage opens a new context and page that fails any request not to 127.0.0.1 (or file:, data:, blob:). */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true, ...options });
  const errors: string[] = [];
  const offMachine: string[] = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'file:' || u.protocol === 'data:' || u.protocol === 'blob:' || u.hostname === '127.0.0.1') return route.continue();
    offMachine.push(u.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors, offMachine, close: () => context.close() };
}

export interface FixtureApp {
  url: string;
  child: ChildProcess;
  kill(): Promise<void>;
}

/** startFixtureApp runs test/fixtures/dashboard/app.js and waits (≤ 15 s) for its URL. */
export async function startFixtureApp(args: string[] = []): Promise<FixtureApp> {
  const script = fileURLToPath(new URL('../fixtures/dashboard/app.js', import.meta.url));
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const kill = () => stopChild(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`fixture app printed no URL within 15 s; stderr: ${err}`)), 15_000);
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /^url (\S+)$/m.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`fixture app exited (${code}); stderr: ${err}`));
      });
    });
    return { url, child, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}
