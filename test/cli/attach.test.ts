/**
 * The CLI against real processes started with no flags and no memstats,
 * reached by pid through their inspector. These tests run one after the other
 * in this one file: SIGUSR1 opens 127.0.0.1:9229, which one process at a time
 * can hold.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { goPath, needTool } from '../helpers/tools.js';
import { ROOT, TARGET_APP, cleanEnv, eventually, inspectorPort, runCli, startCli, startTarget, type TargetProcess } from './helpers.js';

let target: TargetProcess;
let dir: string;

before(async () => {
  target = await startTarget();
  dir = await mkdtemp(path.join(os.tmpdir(), 'memstats-cli-'));
});

after(async () => {
  await target?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function httpJson(url: string): Promise<Record<string, unknown>> {
  const r = await fetch(url);
  assert.equal(r.status, 200, `${url}: ${r.status}`);
  return (await r.json()) as Record<string, unknown>;
}

async function assertDetached(t: TargetProcess): Promise<void> {
  assert.ok(await eventually(async () => (await inspectorPort(t.pid)) === null, 5000), `the inspector of ${t.pid} is still open`);
  assert.ok(t.alive(), 'the target must still run');
}

test('attach <pid> serves the memstats of a process started with no flags, and closes the inspector port it opened', async () => {
  const cli = startCli(['attach', String(target.pid), '--json']);
  try {
    const info = JSON.parse(await cli.line(/"url"/)) as { pid: number; url: string; inspector: { port: number; openedByUs: boolean } };
    assert.equal(info.pid, target.pid);
    assert.equal(info.inspector.openedByUs, true);
    const vars = await httpJson(`${info.url}/debug/vars`);
    const ms = vars.memstats as Record<string, number>;
    assert.ok(ms.HeapAlloc > 0 && ms.HeapSys >= ms.HeapAlloc, JSON.stringify(ms).slice(0, 200));
    assert.ok((vars.cmdline as string[]).includes(TARGET_APP), String(vars.cmdline));
    const metrics = await (await fetch(`${info.url}/metrics`)).text();
    assert.match(metrics, /^nodejs_heap_size_used_bytes \d+/m);
    const goroutine = await (await fetch(`${info.url}/debug/pprof/goroutine?debug=1`)).text();
    assert.match(goroutine, /@ Timeout/);
    assert.match(target.stderr(), /Debugger attached\./);
    // The attach URL is served by the CLI's process, but the figures are the target's: so is the pid others read.
    const viaUrl = await runCli(['stats', info.url, '--json']);
    assert.equal(viaUrl.code, 0, viaUrl.stderr);
    assert.equal((JSON.parse(viaUrl.stdout) as { pid: number }).pid, target.pid);
    assert.ok((await inspectorPort(target.pid)) !== null, 'the inspector is open while attached');
  } finally {
    cli.child.kill('SIGINT');
  }
  const r = await cli.exited();
  assert.equal(r.code, 0, r.stderr);
  await assertDetached(target);
});

test('two memstats attached at once: the one that leaves does not cut the other off', async () => {
  const cli = startCli(['attach', String(target.pid), '--json']);
  try {
    const info = JSON.parse(await cli.line(/"url"/)) as { url: string; inspector: { port: number } };
    const second = await runCli(['stats', String(target.pid), '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(await inspectorPort(target.pid), info.inspector.port, 'the port stays open for the first client');
    const vars = await httpJson(`${info.url}/debug/vars`);
    assert.ok((vars.memstats as Record<string, number>).HeapAlloc > 0);
  } finally {
    cli.child.kill('SIGINT');
  }
  assert.equal((await cli.exited()).code, 0);
  await assertDetached(target);
});

test('stats <pid> --json reads the MemStats of the process', async () => {
  const r = await runCli(['stats', String(target.pid), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { pid: number; memstats: Record<string, unknown> };
  assert.equal(out.pid, target.pid);
  const m = out.memstats;
  assert.ok((m.heapAlloc as number) > 1e6, 'the fixture holds megabytes of objects');
  assert.ok((m.rss as number) > (m.heapAlloc as number));
  assert.ok(Array.isArray(m.heapSpaces) && (m.heapSpaces as unknown[]).length > 3);
  assert.equal(m.lookups, null);
  const go = await runCli(['stats', String(target.pid), '--go']);
  assert.equal(go.code, 0, go.stderr);
  assert.match(go.stdout, /^HeapAlloc: \d+$/m);
  await assertDetached(target);
});

test('gc <pid> raises the GC count of the process', async () => {
  const r = await runCli(['gc', String(target.pid), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const g = JSON.parse(r.stdout) as { numGCBefore: number; numGCAfter: number; durationMs: number; heapUsedBeforeBytes: number };
  assert.ok(g.numGCAfter > g.numGCBefore, r.stdout);
  assert.ok(g.durationMs > 0 && g.heapUsedBeforeBytes > 0);
  await assertDetached(target);
});

test('profile cpu <pid> writes a profile that go tool pprof reads and that names the hot function', needTool('go'), async () => {
  const file = path.join(dir, 'cpu.pb.gz');
  const r = await runCli(['profile', 'cpu', String(target.pid), '--seconds', '2', '-o', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*cpu\.pb\.gz/);
  const top = spawnSync(goPath()!, ['tool', 'pprof', '-top', file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(top.status, 0, top.stderr);
  assert.match(top.stdout, /memstatsHotSpin/);
  // Frames are mapped back to the TypeScript source through the fixture's source map.
  const lines = spawnSync(goPath()!, ['tool', 'pprof', '-top', '-lines', file], { encoding: 'utf8', timeout: 60_000 });
  assert.match(lines.stdout, /memstatsHotSpin \S*test\/fixtures\/cli\/target-app\.ts:\d+/);
  await assertDetached(target);
});

test('profile heap and block <pid> are read by go tool pprof; block names the stalling function', needTool('go'), async () => {
  const stalling = await startTarget({ args: ['--stall', '120'] });
  try {
    const heap = path.join(dir, 'heap.pb.gz');
    const block = path.join(dir, 'block.pb.gz');
    const h = await runCli(['profile', 'heap', String(stalling.pid), '--seconds', '1', '-o', heap]);
    assert.equal(h.code, 0, h.stderr);
    const ht = spawnSync(goPath()!, ['tool', 'pprof', '-top', heap], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(ht.status, 0, ht.stderr);
    assert.match(ht.stdout, /Type: inuse_space/);
    const b = await runCli(['profile', 'block', String(stalling.pid), '--seconds', '3', '-o', block]);
    assert.equal(b.code, 0, b.stderr);
    const bt = spawnSync(goPath()!, ['tool', 'pprof', '-top', block], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bt.status, 0, bt.stderr);
    assert.match(bt.stdout, /Type: delay/);
    assert.match(bt.stdout, /memstatsHotSpin/);
    await assertDetached(stalling);
  } finally {
    await stalling.kill();
  }
});

test('top <pid> under a pseudo-terminal shows the figures and quits on q', needTool('script'), async () => {
  const child = spawn('script', ['-qfec', `${process.execPath} ${ROOT}bin/memstats.js top ${target.pid}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv({ TERM: 'xterm' }) });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (screen += d));
  try {
    const shown = await eventually(() => /Resources/.test(screen) && /pause p50/.test(screen), 20_000);
    assert.ok(shown, `no figures on the screen: ${JSON.stringify(screen.slice(-500))}`);
    child.stdin.write('q');
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 0, screen.slice(-500));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  assert.match(screen, /RSS\s+\d+(\.\d+)?[KMG] = V8 heap \d/);
  assert.match(screen, /Heap\s+used \d+(\.\d+)?[KMG]/);
  assert.match(screen, /GC\s+[\d,]+ cycles/);
  assert.match(screen, /Loop\s+delay p50 /);
  assert.match(screen, /Alloc\s+\d+(\.\d+)?[BKMG]\/s/);
  // The alternate screen and the cursor are given back.
  assert.ok(screen.includes('\x1b[?1049l') && screen.includes('\x1b[?25h'));
  await assertDetached(target);
});

test('top <pid> prints plain lines when stdout is not a terminal', async () => {
  const r = await runCli(['top', String(target.pid), '-n', '2']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stdout);
  for (const l of lines) assert.match(l, /^\d\d:\d\d:\d\d rss=\d.* heap=\d.* gc=\d+ .* loop_p99=.* resources=\d+$/);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
});

test('snapshot <pid> writes a heap snapshot Chrome DevTools reads, and nothing else', async () => {
  const file = path.join(dir, 'one.heapsnapshot');
  const r = await runCli(['snapshot', String(target.pid), '-o', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { file: string; bytes: number };
  assert.equal(info.file, file);
  const text = await readFile(file, 'utf8');
  assert.equal(text.length, info.bytes);
  const snap = JSON.parse(text) as { snapshot: { node_count: number }; nodes: number[] };
  assert.ok(snap.snapshot.node_count > 1000);
  assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp')), []);
  await assertDetached(target);
});

test('a target that exits mid-profile: one-line error, exit 1, no file', async () => {
  const dying = await startTarget({ args: ['--exit-after', '5000'] });
  const file = path.join(dir, 'never.pb.gz');
  const r = await runCli(['profile', 'cpu', String(dying.pid), '--seconds', '20', '-o', file], { timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`^memstats profile: process ${dying.pid} exited\\n$`));
  const left = (await readdir(dir)).filter((f) => f.includes('never'));
  assert.deepEqual(left, []);
  await dying.kill();
});

test('no such process, not a Node process, another user\'s process: one-line errors, exit 1', async (t) => {
  const gone = await runCli(['stats', '4194303']);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, 'memstats stats: no such process: 4194303\n');
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const notNode = await runCli(['gc', String(sleeper.pid)]);
    assert.equal(notNode.code, 1);
    assert.match(notNode.stderr, /^memstats gc: process \d+ is not a Node\.js process \(it runs .*sleep\)\n$/);
  } finally {
    sleeper.kill('SIGKILL');
  }
  if (process.getuid?.() !== 0) {
    t.diagnostic('not root: cannot run the CLI as another user to check "permission denied"');
    return;
  }
  // The checkout must be readable by that user (a clone under /root is not).
  const readable = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(`${ROOT}dist/src/cli/main.js`)}, require('fs').constants.R_OK)`], { uid: 65534, gid: 65534 });
  if (readable.status !== 0) {
    t.diagnostic('uid 65534 cannot read this checkout: "permission denied" not checked');
    return;
  }
  const denied = await runCli(['stats', String(target.pid)], { uid: 65534, gid: 65534 });
  assert.equal(denied.code, 1, denied.stderr);
  assert.match(denied.stderr, /^memstats stats: permission denied: process \d+ belongs to /);
  assert.ok(target.alive());
});

test('port 9229 taken: explains how to proceed, or waits for the port and attaches', async (t) => {
  let server: Server | undefined = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(9229, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    server = undefined;
    t.skip(`port 9229 is in use by another program (${(err as NodeJS.ErrnoException).code}): cannot stage the conflict`);
    return;
  }
  try {
    const quick = await runCli(['stats', String(target.pid), '--timeout', '1']);
    assert.equal(quick.code, 1);
    assert.match(quick.stderr, /port 9229 is in use by process \d+/);
    assert.match(quick.stderr, /--inspect-port=0/);
    assert.ok(target.alive());
    const patient = startCli(['stats', String(target.pid), '--json', '--timeout', '20']);
    assert.ok(await eventually(() => /waiting for the port/.test(patient.stderr()), 10_000), patient.stderr());
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const r = await patient.exited();
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { pid: number }).pid, target.pid);
  } finally {
    server?.close();
  }
  await assertDetached(target);
});

test('a process started with --inspect-port=0: memstats finds the port it opened, and closes it', async () => {
  const t0 = await startTarget({ nodeArgs: ['--inspect-port=0'] });
  try {
    const cli = startCli(['attach', String(t0.pid), '--json']);
    let info: { inspector: { port: number; openedByUs: boolean } };
    try {
      info = JSON.parse(await cli.line(/"url"/)) as typeof info;
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.equal((await cli.exited()).code, 0);
    assert.notEqual(info.inspector.port, 9229);
    assert.equal(info.inspector.openedByUs, true);
    await assertDetached(t0);
  } finally {
    await t0.kill();
  }
});

test('an inspector the process had open before is left open', async () => {
  const open = await startTarget({ nodeArgs: ['--inspect=127.0.0.1:0'] });
  try {
    const port = await inspectorPort(open.pid);
    assert.ok(port !== null);
    const r = await runCli(['gc', String(open.pid), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await inspectorPort(open.pid), port);
  } finally {
    await open.kill();
  }
});

test('a CLI killed outright: what it installed removes itself and closes the port', async () => {
  const cli = startCli(['attach', String(target.pid), '--json'], { env: { MEMSTATS_ATTACH_WATCHDOG_MS: '1500' } });
  await cli.line(/"url"/);
  cli.child.kill('SIGKILL');
  await cli.exited();
  assert.ok(await eventually(async () => (await inspectorPort(target.pid)) === null, 8000), 'the watchdog did not close the inspector');
  assert.ok(target.alive());
  // And it can be attached again at once.
  const again = await runCli(['stats', String(target.pid), '--json']);
  assert.equal(again.code, 0, again.stderr);
  await assertDetached(target);
});

test('explain <pid> accounts for the RSS of the process', async () => {
  const r = await runCli(['explain', String(target.pid)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^RSS of process ${target.pid}: \\d`));
  assert.match(r.stdout, /V8 heap: objects/);
  await assertDetached(target);
});

test('leak <pid> takes three snapshots and names what leaked', async () => {
  const leaky = await startTarget({ args: ['--leak', '20'] });
  try {
    const r = await runCli(['leak', String(leaky.pid), '--interval', '1s', '--json'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { groups: Array<{ name: string; retainerPath: string }> };
    const g = result.groups.find((x) => x.name === 'LeakySession');
    assert.ok(g, `LeakySession not reported: ${result.groups.map((x) => x.name).join(', ')}`);
    assert.match(g.retainerPath, /leakedSessions/);
    // memstats' own objects in the target are not mistaken for a leak.
    assert.ok(!result.groups.some((x) => /memstats|Sampler/.test(x.retainerPath)), r.stdout.slice(0, 2000));
    await assertDetached(leaky);
  } finally {
    await leaky.kill();
  }
});

test('the target never saw a flag or memstats', () => {
  assert.deepEqual(target.child.spawnargs.slice(1), [TARGET_APP]);
  assert.equal(cleanEnv().NODE_OPTIONS, undefined);
});
