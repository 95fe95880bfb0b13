/**
 * The same commands against a debug-server URL: a process started with the
 * memstats agent (MEMSTATS_ADDR=127.0.0.1:0), reached through its endpoints
 * only — no inspector involved, so this file can run beside attach.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { goPath, needTool } from '../helpers/tools.js';
import { ROOT, eventually, inspectorPort, runCli, startTarget, type TargetProcess } from './helpers.js';

const REGISTER = pathToFileURL(`${ROOT}dist/src/agent/register.js`).href;

let served: TargetProcess;
let url: string;
let dir: string;

async function startServed(env: Record<string, string> = {}): Promise<{ t: TargetProcess; url: string }> {
  const t = await startTarget({ nodeArgs: [`--import=${REGISTER}`], env: { MEMSTATS_ADDR: '127.0.0.1:0', ...env } });
  assert.ok(await eventually(() => /debug server on http:\/\/127\.0\.0\.1:\d+/.test(t.stderr()), 10_000), t.stderr());
  return { t, url: /(http:\/\/127\.0\.0\.1:\d+)/.exec(t.stderr())![1] };
}

before(async () => {
  ({ t: served, url } = await startServed());
  dir = await mkdtemp(path.join(os.tmpdir(), 'memstats-cli-url-'));
});

after(async () => {
  await served?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('stats <url> reads Go\'s fields from /debug/vars and Node\'s from /metrics, and finds the pid', async () => {
  const r = await runCli(['stats', url, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { pid: number; target: string; memstats: Record<string, unknown> };
  assert.equal(out.target, url);
  assert.equal(out.pid, served.pid);
  assert.ok((out.memstats.heapAlloc as number) > 0);
  assert.ok((out.memstats.rss as number) > (out.memstats.heapAlloc as number));
  assert.ok((out.memstats.heapSizeLimit as number) > 0);
  const go = await runCli(['stats', url, '--go', '--json']);
  const g = JSON.parse(go.stdout) as { memstats: Record<string, unknown> };
  assert.ok(Array.isArray(g.memstats.PauseNs) && (g.memstats.PauseNs as unknown[]).length === 256);
  // The agent counts from the program's start: the fixture has collected by now.
  assert.ok((g.memstats.NumGC as number) > 0);
});

test('gc <url> raises the GC count', async () => {
  const r = await runCli(['gc', url, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const g = JSON.parse(r.stdout) as { numGCBefore: number; numGCAfter: number };
  assert.ok(g.numGCAfter > g.numGCBefore, r.stdout);
});

test('profile cpu and goroutine <url>', needTool('go'), async () => {
  const file = path.join(dir, 'cpu.pb.gz');
  const r = await runCli(['profile', 'cpu', url, '--seconds', '1', '-o', file]);
  assert.equal(r.code, 0, r.stderr);
  const top = spawnSync(goPath()!, ['tool', 'pprof', '-top', file], { encoding: 'utf8', timeout: 60_000 });
  assert.match(top.stdout, /memstatsHotSpin/);
  const g = await runCli(['profile', 'goroutine', url, '--debug', '1']);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /^resources profile: total \d+/);
});

test('top <url> streams the dashboard\'s frames as plain lines', async () => {
  const r = await runCli(['top', url, '-n', '2']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1], /rss=\d.* gc=\d+ gc\/s=\d/);
  // The server keeps the frames of that run as its backlog: they are not replayed as if live, nor counted for -n.
  await new Promise((res) => setTimeout(res, 4000));
  const t0 = Date.now();
  const later = await runCli(['top', url, '-n', '1', '--json']);
  assert.equal(later.code, 0, later.stderr);
  const shown = later.stdout.trim().split('\n').map((l) => JSON.parse(l) as { timeMs?: number; t?: number });
  assert.equal(shown.length, 1);
  const at = shown[0]!.timeMs ?? shown[0]!.t;
  assert.ok(typeof at === 'number' && at >= t0 - 1500, `a live frame, not the backlog's (${t0 - (at ?? 0)} ms old)`);
});

test('snapshot <url> streams the heap snapshot into the file', async () => {
  const file = path.join(dir, 'url.heapsnapshot');
  const r = await runCli(['snapshot', url, '-o', file]);
  assert.equal(r.code, 0, r.stderr);
  const head = (await readFile(file, 'utf8')).slice(0, 20);
  assert.match(head, /^\{"snapshot":\{/);
});

test('ps shows the agent\'s URL and no inspector; explain <url> finds the process', async () => {
  const r = await runCli(['ps', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const row = (JSON.parse(r.stdout) as Array<{ pid: number; agentUrl: string | null; inspectorPort: number | null }>).find((x) => x.pid === served.pid);
  assert.ok(row, r.stdout);
  assert.equal(row.agentUrl, url);
  assert.equal(row.inspectorPort, null);
  const e = await runCli(['explain', url]);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, new RegExp(`^RSS of process ${served.pid}:`));
  assert.equal(await inspectorPort(served.pid), null);
});

test('a server that wants a token, and a URL nobody serves: one-line errors, exit 1', async () => {
  const { t, url: guarded } = await startServed({ MEMSTATS_TOKEN: 'sesame' });
  try {
    const denied = await runCli(['stats', guarded]);
    assert.equal(denied.code, 1);
    assert.equal(denied.stderr, `memstats stats: ${guarded} requires a token: set MEMSTATS_TOKEN\n`);
    const ok = await runCli(['stats', guarded, '--json'], { env: { MEMSTATS_TOKEN: 'sesame' } });
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await t.kill();
  }
  const nobody = await runCli(['gc', 'http://127.0.0.1:1']);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /^memstats gc: http:\/\/127\.0\.0\.1:1\/debug\/(vars|gc): connection refused/);
});

test('a web server that is not a memstats server: profile and snapshot say so and leave no file', async () => {
  const http = await import('node:http');
  const web = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>shop</title>');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(web.address() as import('node:net').AddressInfo).port}`;
  try {
    for (const [args, out] of [
      [['profile', 'cpu', base, '--seconds', '1', '-o', path.join(dir, 'web.pb.gz')], 'web.pb.gz'],
      [['snapshot', base, '-o', path.join(dir, 'web.heapsnapshot')], 'web.heapsnapshot'],
    ] as const) {
      const r = await runCli([...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /is not a (pprof profile|heap snapshot) \(text\/html\): is this a memstats debug server\?\n$/);
      assert.equal((await import('node:fs')).existsSync(path.join(dir, out)), false, 'no file');
    }
  } finally {
    web.close();
  }
});

test('leak --keep that cannot be a directory fails at once, before any snapshot', async () => {
  const t0 = Date.now();
  const r = await runCli(['leak', url, '--keep', '/dev/null/snaps']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, 'memstats leak: --keep /dev/null/snaps: cannot make that directory (ENOTDIR)\n');
  assert.ok(Date.now() - t0 < 10_000, 'no snapshot was taken first');
});
