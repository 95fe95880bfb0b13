import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IMPORT_FLAG, fixture, startWithAgent } from '../server/child.js';
import { agentOptionsFromEnv, parseAddr, startAgent } from '../../src/agent/agent.js';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], env: Record<string, string | undefined>, timeoutMs = 20_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the program did not end within ${timeoutMs} ms (the agent kept it alive?); stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

const memstatsLines = (s: string) => s.split('\n').filter((l) => l.startsWith('memstats:'));

test('a program that ends by itself still ends with the agent loaded, with its exit code and output (--import and NODE_OPTIONS)', async () => {
  const viaFlag = await runNode([IMPORT_FLAG, fixture('exit-by-itself')], { MEMSTATS_ADDR: '127.0.0.1:0' });
  assert.equal(viaFlag.code, 7);
  assert.equal(viaFlag.stdout, 'done 0\n');
  const lines = memstatsLines(viaFlag.stderr);
  assert.equal(lines.length, 1, `one agent line (none from the worker thread): ${viaFlag.stderr}`);
  assert.match(lines[0], /^memstats: debug server on http:\/\/127\.0\.0\.1:\d+\/debug\/pprof\/$/);

  const viaEnv = await runNode([fixture('exit-by-itself')], { MEMSTATS_ADDR: '127.0.0.1:0', NODE_OPTIONS: IMPORT_FLAG });
  assert.equal(viaEnv.code, 7);
  assert.equal(viaEnv.stdout, 'done 0\n');
  assert.equal(memstatsLines(viaEnv.stderr).length, 1, viaEnv.stderr);
});

test('a program that ends by itself ends even while a CPU, a block and a heap profile are being captured', async () => {
  const app = await startWithAgent(fixture('exit-by-itself'), ['1500']);
  try {
    const reqs = ['profile', 'block', 'heap'].map((p) => {
      const r = http.get(`${app.url}/debug/pprof/${p}?seconds=60`, { agent: false });
      r.on('error', () => {});
      return r;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the capture kept the program alive')), 30_000);
      app.child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    for (const r of reqs) r.destroy();
    assert.equal(code, 7);
    assert.equal(app.stdout(), 'done 0\n');
  } finally {
    await app.kill();
  }
});

test('a taken port, a public address without token, a bad address: one stderr line each, the program runs on', async () => {
  const blocker = http.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ MEMSTATS_ADDR: `127.0.0.1:${port}` }, /^memstats: debug server not started: 127\.0\.0\.1:\d+ is in use/],
      [{ MEMSTATS_ADDR: '0.0.0.0:0' }, /^memstats: debug server not started: 0\.0\.0\.0:0 is not a loopback address and MEMSTATS_TOKEN is not set/],
      [{ MEMSTATS_ADDR: 'banana' }, /^memstats: debug server not started: MEMSTATS_ADDR="banana" is not host:port/],
      [{ MEMSTATS_ADDR: '127.0.0.1:0', MEMSTATS_RECORD: path.join(tmpdir(), 'memstats-missing-dir', 'x', 'r.ndjson') }, /^memstats: not recording to .*ENOENT/],
    ];
    await Promise.all(
      cases.map(async ([env, re]) => {
        const r = await runNode([IMPORT_FLAG, fixture('exit-by-itself')], env);
        assert.equal(r.code, 7, `the program ran on (${JSON.stringify(env)}): ${r.stderr}`);
        assert.equal(r.stdout, 'done 0\n');
        const lines = memstatsLines(r.stderr);
        assert.ok(lines.some((l) => re.test(l)), `${re} in ${JSON.stringify(lines)}`);
        assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
      }),
    );
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

test('the agent serves the running program: metrics, vars, token when set', async () => {
  const app = await startWithAgent(fixture('busy-app'), ['60000'], { MEMSTATS_TOKEN: 'tok' });
  try {
    const denied = await fetch(`${app.url}/metrics`);
    assert.equal(denied.status, 401);
    const m = await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer tok' } });
    assert.equal(m.status, 200);
    const text = await m.text();
    assert.match(text, /^nodejs_heap_size_used_bytes \d+$/m);
    const vars = (await (await fetch(`${app.url}/debug/vars`, { headers: { authorization: 'Bearer tok' } })).json()) as { cmdline: string[]; memstats: { NumGC: number } };
    assert.ok((vars.cmdline as string[]).some((a: string) => a.endsWith('busy-app.js')), 'the target program, not the test');
    assert.ok(vars.memstats.NumGC >= 0);
  } finally {
    await app.kill();
  }
});

test('MEMSTATS_RECORD writes one Sample per second as ndjson; MEMSTATS_GC_LOG prints GC lines', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'memstats-agent-'));
  try {
    const file = path.join(dir, 'rec.ndjson');
    const r = await runNode([IMPORT_FLAG, fixture('busy-app'), '2600'], { MEMSTATS_ADDR: 'off', MEMSTATS_RECORD: file, MEMSTATS_GC_LOG: '1' });
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.ok(lines.length >= 2, `${lines.length} lines`);
    for (const l of lines) {
      const s = JSON.parse(l);
      assert.equal(typeof s.timeMs, 'number');
      assert.equal(typeof s.heapUsedBytes, 'number');
      assert.ok(Math.abs(s.windowMs - 1000) < 900, `windowMs ${s.windowMs}`);
    }
    assert.match(r.stderr, /^NumGC:\d+ Pause:/m);
    assert.equal(memstatsLines(r.stderr).length, 0, 'MEMSTATS_ADDR=off: no server, no line');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseAddr and agentOptionsFromEnv', async () => {
  assert.deepEqual(parseAddr('127.0.0.1:6060'), { host: '127.0.0.1', port: 6060 });
  assert.deepEqual(parseAddr(':0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseAddr('7070'), { host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseAddr('[::1]:6060'), { host: '::1', port: 6060 });
  assert.deepEqual(parseAddr('localhost:1'), { host: 'localhost', port: 1 });
  for (const bad of ['', 'x', '1.2.3.4', '::1', 'h:99999', 'h:-1', 'a b:1']) assert.equal(parseAddr(bad), undefined, bad);
  assert.deepEqual(agentOptionsFromEnv({ MEMSTATS_ADDR: ':0', MEMSTATS_TOKEN: 't', MEMSTATS_GC_LOG: '1', MEMSTATS_RECORD: 'r', MEMSTATS_HEAP_SAMPLING: '0' }), {
    addr: ':0',
    token: 't',
    gcLog: true,
    recordPath: 'r',
  });
  assert.equal(agentOptionsFromEnv({ MEMSTATS_SERVER_THREAD: 'main' }).serverThread, 'main');
  assert.equal(agentOptionsFromEnv({ MEMSTATS_SERVER_PRIORITY: 'normal' }).serverPriority, 'normal');
  assert.equal(agentOptionsFromEnv({}).serverPriority, undefined);
  const lines: string[] = [];
  const agent = await startAgent({ addr: ':0', log: (l) => lines.push(l) });
  try {
    assert.ok(agent.server);
    assert.deepEqual(agent.problems, []);
    assert.equal(lines.length, 1);
    // The server runs in a worker thread; if that thread dies, the agent says so once and the program runs on.
    const worker = (agent.server as { worker?: import('node:worker_threads').Worker }).worker;
    assert.ok(worker, 'the agent serves from a worker thread');
    assert.equal((agent.server as { priority?: string }).priority, process.platform === 'linux' ? 'low' : 'normal');
    await worker.terminate();
    for (let i = 0; i < 50 && agent.problems.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(agent.problems.length, 1);
    assert.match(agent.problems[0], /^memstats: debug server thread ended \(exit code \d+\); http:\/\/127\.0\.0\.1:\d+ no longer answers$/);
  } finally {
    await agent.stop();
    await agent.stop();
  }
  // On the main thread when asked.
  const main = await startAgent({ addr: ':0', serverThread: 'main', log: () => {} });
  try {
    assert.ok(main.server);
    assert.equal((main.server as { worker?: unknown }).worker, undefined);
    assert.equal((await fetch(`${main.server.url}/debug/pprof/cmdline`)).status, 200);
  } finally {
    await main.stop();
  }
  // The thread at the program's priority when asked.
  const normal = await startAgent({ addr: ':0', serverPriority: 'normal', log: () => {} });
  try {
    assert.equal((normal.server as { priority?: string }).priority, 'normal');
  } finally {
    await normal.stop();
  }
});

test('a bad setting, from the environment or in code, is one line naming it and the accepted values; the rest starts', async () => {
  const env = agentOptionsFromEnv({ MEMSTATS_ADDR: 'off', MEMSTATS_HEAP_SAMPLING: 'alloc', MEMSTATS_SERVER_THREAD: 'mian', MEMSTATS_SERVER_PRIORITY: 'high', MEMSTATS_GC_LOG: '1' });
  const lines: string[] = [];
  const a = await startAgent({ ...env, log: (l) => lines.push(l) });
  await a.stop();
  assert.deepEqual(lines, [
    'memstats: heap sampling not started: heapSampling (MEMSTATS_HEAP_SAMPLING) is "alloc"; accepted: inuse, allocs',
    'memstats: using the default server thread (worker): serverThread (MEMSTATS_SERVER_THREAD) is "mian"; accepted: worker, main',
    'memstats: using the default server priority (low): serverPriority (MEMSTATS_SERVER_PRIORITY) is "high"; accepted: low, normal',
  ]);
  assert.deepEqual(a.problems, lines);
  // In code: wrong types never reject either.
  const typed: string[] = [];
  const b = await startAgent({ addr: 123 as never, gcLog: 'yes' as never, recordPath: {} as never, log: (l) => typed.push(l) });
  await b.stop();
  assert.equal(b.server, undefined);
  assert.deepEqual(typed, [
    'memstats: not recording: recordPath (MEMSTATS_RECORD) is object; accepted: a string',
    'memstats: debug server not started: addr (MEMSTATS_ADDR) is number; accepted: a string',
    'memstats: GC log not started: gcLog (MEMSTATS_GC_LOG) is "yes"; accepted: true, false',
  ]);
  const port: string[] = [];
  await (await startAgent({ addr: '127.0.0.1:99999', log: (l) => port.push(l) })).stop();
  assert.deepEqual(port, ['memstats: debug server not started: MEMSTATS_ADDR="127.0.0.1:99999": port 99999 is out of range 0…65535']);
});

test('where worker threads are not allowed (the permission model), the agent says so and serves from the main thread', async () => {
  // Node's permission model without --allow-worker: creating the server's thread throws ERR_ACCESS_DENIED.
  const app = await startWithAgent(fixture('busy-app'), ['60000'], {}, ['--experimental-permission', '--allow-fs-read=*']);
  try {
    const lines = memstatsLines(app.stderr());
    assert.equal(lines.length, 2, app.stderr());
    assert.match(lines[0], /^memstats: debug server thread not started \(.*access.*\); serving from the main thread$/i);
    const res = await fetch(`${app.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^nodejs_heap_size_used_bytes \d+/m);
    assert.equal(app.child.exitCode, null, 'the program runs on');
  } finally {
    await app.kill();
  }
});
