/**
 * @module demo/service
 * The demo behind `npm start` / `memstats demo`: a small HTTP service in the
 * spirit of the seed's experiment — each request makes a 5–10 MB buffer (written
 * in full, as real code would) and keeps it in one of 20 slots, plus steady
 * small garbage — driven by its own load generator and watched by memstats:
 * GC lines and system lines on the console, the debug server and dashboard on
 * http://127.0.0.1:6060 when available.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchGC, watchSystem, type LineWriter } from '../report/console.js';
import { formatBytes } from '../report/format.js';
import { readMemStats } from '../stats/mem-stats.js';

/** Options of runDemoService. */
export interface DemoServiceOptions {
  /** Debug server address `host:port` (default 127.0.0.1:6060); `off` to run without it. */
  addr?: string;
  /** Stop after this many ms (default: run until SIGINT/SIGTERM). */
  durationMs?: number;
  /** Requests per second of the built-in load (default 20). */
  requestsPerSec?: number;
  /** Receives console lines (default: stdout). */
  write?: LineWriter;
}

const SLOTS = 20;

function makeBuffer(): Buffer {
  const size = 5_000_000 + Math.floor(Math.random() * 5_000_000);
  // allocUnsafe + fill: every page is touched, as a real producer would.
  return Buffer.allocUnsafe(size).fill(Math.floor(Math.random() * 256));
}

/**
 * runDemoService starts the demo and resolves when it stops (after
 * `durationMs`, or on SIGINT/SIGTERM). Everything it starts is stopped before
 * it resolves.
 */
export async function runDemoService(options: DemoServiceOptions = {}): Promise<void> {
  const write: LineWriter = options.write ?? ((line) => process.stdout.write(line + '\n'));
  const rps = options.requestsPerSec ?? 20;
  const slots: (Buffer | undefined)[] = new Array(SLOTS);
  let makes = 0;
  let served = 0;

  const app = http.createServer((req, res) => {
    slots[Math.floor(Math.random() * SLOTS)] = makeBuffer();
    makes++;
    // Small garbage: a response built from short-lived objects.
    const items = [];
    for (let i = 0; i < 2000; i++) items.push({ id: i, name: `item-${i}`, tags: [i % 7, i % 11] });
    const body = JSON.stringify({ url: req.url, makes, count: items.length, sample: items.slice(0, 3) });
    res.setHeader('content-type', 'application/json');
    res.end(body);
    served++;
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  // Optional debug server (dashboard, /metrics, /debug/pprof): loaded only if this build has it.
  let debug: { url: string; close(): Promise<void> | void } | undefined;
  const addr = options.addr ?? '127.0.0.1:6060';
  if (addr !== 'off') {
    try {
      const modPath = '../server/index.js';
      const mod = (await import(modPath)) as { startDebugServer?: (o: { host: string; port: number }) => Promise<{ url: string; close(): Promise<void> }> };
      if (mod.startDebugServer) {
        const i = addr.lastIndexOf(':');
        debug = await mod.startDebugServer({ host: addr.slice(0, i) || '127.0.0.1', port: Number(addr.slice(i + 1)) });
      }
    } catch (err) {
      write(`memstats demo: debug server not started: ${(err as Error).message}`);
    }
  }

  write(`memstats demo: a service on http://127.0.0.1:${appPort}/ making 5–10 MB buffers (20 kept) at ${rps} requests/s, plus small garbage.`);
  if (debug) write(`memstats demo: dashboard ${debug.url}/debug/dashboard  ·  metrics ${debug.url}/metrics  ·  profiles ${debug.url}/debug/pprof/`);
  write('memstats demo: GC lines below (one per second with GCs), a system line every 5 s. Ctrl-C to stop.');

  const gcWatch = watchGC({ intervalMs: 1000, write });
  const sysWatch = watchSystem({ intervalMs: 5000, write });
  const load = setInterval(() => {
    http.get({ host: '127.0.0.1', port: appPort, path: '/work', agent }, (res) => res.resume()).on('error', () => {});
  }, Math.max(1, Math.round(1000 / rps)));

  await new Promise<void>((resolve) => {
    const timer = options.durationMs !== undefined ? setTimeout(finish, options.durationMs) : undefined;
    function finish(): void {
      if (timer) clearTimeout(timer);
      process.removeListener('SIGINT', finish);
      process.removeListener('SIGTERM', finish);
      resolve();
    }
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });

  clearInterval(load);
  gcWatch.stop();
  sysWatch.stop();
  agent.destroy();
  await new Promise<void>((resolve) => app.close(() => resolve()));
  app.closeAllConnections?.();
  if (debug) await debug.close();
  const m = readMemStats();
  const live = slots.reduce((n, b) => n + (b ? b.length : 0), 0);
  write(
    `memstats demo: stopped after ${served} requests, ${makes} buffers made; live buffers ${formatBytes(live)}, ` +
      `rss ${formatBytes(m.rss)} (${(m.rss / Math.max(1, live)).toFixed(2)}× live), heap ${formatBytes(m.heapAlloc)}, ${m.numGC} GCs.`,
  );
}
