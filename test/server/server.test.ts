import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Registry, Counter } from 'prom-client';
import { startDebugServer, createDebugHandler, publish, type DebugServer } from '../../src/server/index.js';
import { readMemStats } from '../../src/stats/mem-stats.js';
import { fakeBackend } from './fake-backend.js';
import { blockLoop } from '../helpers/block-loop.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with full control of the headers (fetch does not let Host be set). */
function request(url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function withServer(opts: Parameters<typeof startDebugServer>[0], fn: (s: DebugServer) => Promise<void>): Promise<void> {
  const s = await startDebugServer({ port: 0, ...opts });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

test('binds 127.0.0.1 by default and serves the index, vars, cmdline and metrics with safe headers', async () => {
  const unpublish = publish('test_requests', () => ({ n: 42, big: 10n }));
  try {
    await withServer({}, async (s) => {
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const index = await request(`${s.url}/debug/pprof/`);
      assert.equal(index.status, 200);
      assert.match(String(index.headers['content-type']), /text\/html/);
      for (const name of ['allocs', 'block', 'cmdline', 'goroutine', 'heap', 'heapsnapshot', 'profile']) assert.ok(index.body.includes(`>${name}</a>`), name);
      assert.ok(index.body.includes('../../metrics'), 'lists /metrics relative to the mount point');
      assert.equal(index.headers['x-content-type-options'], 'nosniff');

      const vars = await request(`${s.url}/debug/vars`);
      assert.equal(vars.status, 200);
      const v = JSON.parse(vars.body);
      assert.deepEqual(Object.keys(v).slice(0, 2), ['cmdline', 'memstats'], "Go's order");
      assert.ok(Array.isArray(v.cmdline) && v.cmdline[0] === process.execPath);
      assert.equal(typeof v.memstats.HeapAlloc, 'number');
      assert.equal(v.memstats.Mallocs, null, 'null where Node has no value');
      assert.equal(v.memstats.PauseNs.length, 256);
      assert.deepEqual(v.test_requests, { n: 42, big: 10 });

      const cmd = await request(`${s.url}/debug/pprof/cmdline`);
      assert.equal(cmd.body.split('\x00')[0], process.execPath);

      const m = await request(`${s.url}/metrics`);
      assert.equal(m.status, 200);
      assert.equal(m.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(m.body, /^nodejs_heap_size_used_bytes \d+$/m);
      assert.match(m.body, /^memstats_gc_pause_seconds_bucket\{le="0.00001",kind="minor"\} \d+$/m);

      const root = await request(`${s.url}/debug/pprof`);
      assert.equal(root.status, 301);
      assert.equal(root.headers.location, 'pprof/');
      const slash = await request(`${s.url}/`);
      assert.equal(slash.status, 302, 'the standalone server sends people to the index');
      assert.equal(slash.headers.location, '/debug/pprof/');
    });
  } finally {
    unpublish();
  }
});

test('the first /metrics covers the time since the server started: a stall before it shows as event-loop lag', async () => {
  await withServer({}, async (s) => {
    // 300 ms: the monitor may share a timer backed off to 160 ms by earlier tests
    // in this process, which measures a stall from its due time only.
    blockLoop(300);
    await new Promise((r) => setTimeout(r, 30));
    const m = await request(`${s.url}/metrics`);
    const max = Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(m.body)?.[1]);
    assert.ok(max >= 0.1, `first scrape's lag max ${max} s after a 300 ms stall`);
  });
});

test('POST /debug/gc runs a full GC that readMemStats counts as forced; other methods get 405 with Allow', async () => {
  await withServer({}, async (s) => {
    const before = readMemStats().numForcedGC;
    const r = await request(`${s.url}/debug/gc`, { method: 'POST' });
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body);
    assert.ok(body.heapUsedBeforeBytes > 0 && body.heapUsedAfterBytes > 0 && body.durationMs >= 0);
    assert.ok(readMemStats().numForcedGC >= before + 1);
    const g = await request(`${s.url}/debug/gc`);
    assert.equal(g.status, 405);
    assert.equal(g.headers.allow, 'POST');
    const v = await request(`${s.url}/debug/vars`, { method: 'POST' });
    assert.equal(v.status, 405);
  });
});

test('errors are one line of text: unknown paths 404, unknown profiles 404, no stack traces', async () => {
  const boom = new Error('backend exploded\n    at secret (/srv/app/internal.js:1:1)');
  const { backend } = fakeBackend({ fail: boom });
  await withServer({ backend }, async (s) => {
    for (const [path, status] of [['/nope', 404], ['/debug/pprof/mutex', 404], ['/debug/pprof/profile?seconds=1', 500]] as const) {
      const r = await request(`${s.url}${path}`);
      assert.equal(r.status, status, path);
      assert.match(String(r.headers['content-type']), /^text\/plain/);
      assert.equal(r.body.split('\n').filter(Boolean).length, 1, `one line: ${JSON.stringify(r.body)}`);
      assert.ok(!/\bat \w+ \(/.test(r.body), 'no stack frame');
      assert.equal(r.headers['content-disposition'], undefined);
    }
  });
  await backend.close();
});

test('seconds must be an integer from 1 to maxProfileSeconds: 400 with a reason otherwise', async () => {
  const { backend, calls } = fakeBackend();
  await withServer({ backend, maxProfileSeconds: 5 }, async (s) => {
    for (const bad of ['0', '-1', '1.5', 'abc', '6', '1e3', '99999999999999999999']) {
      for (const path of ['profile', 'block']) {
        const r = await request(`${s.url}/debug/pprof/${path}?seconds=${encodeURIComponent(bad)}`);
        assert.equal(r.status, 400, `${path}?seconds=${bad}`);
        assert.match(r.body, /^seconds must be an integer from 1 to 5; received/);
      }
    }
    assert.equal(calls.cpu.length + calls.block.length, 0, 'no capture started');
    const h = await request(`${s.url}/debug/pprof/heap?seconds=0`);
    assert.equal(h.status, 400);
    assert.equal((await request(`${s.url}/debug/pprof/goroutine?seconds=1`)).status, 400);
    const d = await request(`${s.url}/debug/pprof/goroutine?debug=7`);
    assert.equal(d.status, 400);
  });
  await backend.close();
});

test('profiles are attachments with Go parameters passed through; heap debug=1 is Go\'s text form with MemStats', async () => {
  const { backend, calls } = fakeBackend();
  await withServer({ backend }, async (s) => {
    const cpu = await request(`${s.url}/debug/pprof/profile?seconds=1`);
    assert.equal(cpu.status, 200);
    assert.equal(cpu.headers['content-type'], 'application/octet-stream');
    assert.match(String(cpu.headers['content-disposition']), /^attachment; filename="cpu-\d+\.pb\.gz"$/);
    assert.equal(cpu.body, 'fake-cpu-profile');
    assert.equal(calls.cpu[0].seconds, 1);

    const heap = await request(`${s.url}/debug/pprof/heap?gc=1`);
    assert.match(String(heap.headers['content-disposition']), /attachment/);
    assert.deepEqual([calls.heap[0].gc, calls.heap[0].includeCollected], [true, undefined]);
    await request(`${s.url}/debug/pprof/allocs?seconds=1`);
    assert.equal(calls.heap[1].includeCollected, true);
    assert.equal((calls.heap[1] as { seconds?: number }).seconds, 1, 'Go\'s delta profile');

    const text = await request(`${s.url}/debug/pprof/heap?debug=1`);
    assert.equal(text.status, 200);
    assert.match(String(text.headers['content-type']), /^text\/plain/);
    assert.match(text.body, /^heap profile: 3: 3145728 \[0: 0\] @ heap\/524288$/m);
    assert.match(text.body, /^#\tallocateLeaky\t\/app\/leak\.ts:12$/m);
    assert.match(text.body, /^# runtime\.MemStats$/m);
    assert.match(text.body, /^# HeapAlloc = \d+$/m);

    const block = await request(`${s.url}/debug/pprof/block?seconds=1&threshold_ms=20`);
    assert.equal(block.status, 200);
    assert.equal(calls.block[0].thresholdMs, 20);

    const g = await request(`${s.url}/debug/pprof/goroutine?debug=1`);
    assert.equal(g.body, 'resources: 1\n');

    const snap = await request(`${s.url}/debug/pprof/heapsnapshot`);
    assert.equal(snap.status, 503, 'insufficient memory is 503 with the reason');
    assert.match(snap.body, /not enough memory/);
  });
  await backend.close();
});

test('a second concurrent CPU profile gets 409; a client that disconnects aborts its capture', async () => {
  const { backend, calls } = fakeBackend();
  await withServer({ backend }, async (s) => {
    const first = http.get(`${s.url}/debug/pprof/profile?seconds=20`, { agent: false });
    first.on('error', () => {});
    while (calls.cpu.length === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await request(`${s.url}/debug/pprof/profile?seconds=1`);
    assert.equal(second.status, 409);
    assert.match(second.body, /already in progress/);
    const signal = calls.cpu[0].signal!;
    assert.equal(signal.aborted, false);
    first.destroy();
    for (let i = 0; i < 200 && !signal.aborted; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(signal.aborted, true, 'the capture was aborted');
    // The slot is free again.
    const third = await request(`${s.url}/debug/pprof/profile?seconds=1`);
    assert.equal(third.status, 200);
  });
  await backend.close();
});

test('one block profile and one heap profile over seconds at a time; HEAD on a capture is 405 and runs nothing', async () => {
  const { backend, calls } = fakeBackend();
  await withServer({ backend }, async (s) => {
    const held = ['block?seconds=20', 'heap?seconds=20'].map((p) => {
      const r = http.get(`${s.url}/debug/pprof/${p}`, { agent: false });
      r.on('error', () => {});
      return r;
    });
    while (calls.block.length === 0 || calls.heap.length === 0) await new Promise((r) => setTimeout(r, 10));
    for (const p of ['block?seconds=1', 'heap?seconds=1', 'allocs?seconds=1']) {
      const r = await request(`${s.url}/debug/pprof/${p}`);
      assert.equal(r.status, 409, p);
      assert.match(r.body, /already in progress/);
    }
    // A heap profile of what was sampled so far is not a capture over time: it is served meanwhile.
    assert.equal((await request(`${s.url}/debug/pprof/heap`)).status, 200);
    for (const r of held) r.destroy();
    for (const p of ['profile', 'heap', 'allocs', 'block', 'heapsnapshot']) {
      const r = await request(`${s.url}/debug/pprof/${p}?seconds=1`, { method: 'HEAD' });
      assert.equal(r.status, 405, p);
      assert.equal(r.headers.allow, 'GET');
    }
    assert.equal(calls.cpu.length, 0, 'HEAD started no CPU profile');
    assert.equal((await request(`${s.url}/debug/vars`, { method: 'HEAD' })).status, 200, 'HEAD on a page is fine');
  });
  await backend.close();
});

test('a cross-site GET from a browser is refused (with or without a token); a malformed request gets a one-line 400, oversized headers 431', async () => {
  const { backend, calls } = fakeBackend();
  await withServer({ backend }, async (s) => {
    const img = await request(`${s.url}/debug/pprof/profile?seconds=1`, { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(img.status, 403);
    assert.equal(img.body, 'memstats: cross-site request refused\n');
    assert.equal(calls.cpu.length, 0);
    assert.equal((await request(`${s.url}/debug/vars`, { headers: { 'sec-fetch-site': 'same-origin' } })).status, 200);
    assert.equal((await request(`${s.url}/debug/vars`, { headers: { 'sec-fetch-site': 'none' } })).status, 200, 'typed in the address bar');
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = connect(s.port, '127.0.0.1', () => sock.end(text));
        let out = '';
        sock.setEncoding('utf8').on('data', (d: string) => (out += d));
        sock.on('close', () => resolve(out));
        sock.on('error', reject);
      });
    const bad = await raw('GARBAGE / HTTP/1.1\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(bad, /\r\nX-Content-Type-Options: nosniff\r\n/);
    assert.match(bad, /\r\n\r\nmemstats: malformed HTTP request \(HPE_\w+\)\n$/);
    const big = await raw(`GET /debug/vars HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n[\s\S]*memstats: request headers too large\n$/);
  });
  await withServer({ backend, token: 'tok' }, async (s) => {
    const r = await request(`${s.url}/debug/vars`, { headers: { authorization: 'Bearer tok', 'sec-fetch-site': 'cross-site' } });
    assert.equal(r.status, 403);
  });
  await backend.close();
});

test('a backend refusal with ERR_MEMSTATS_PROFILE_IN_USE is a 409', async () => {
  const inUse = Object.assign(new Error('memstats: cpu profiling already in use'), { code: 'ERR_MEMSTATS_PROFILE_IN_USE' });
  const { backend } = fakeBackend({ fail: inUse });
  await withServer({ backend }, async (s) => {
    const r = await request(`${s.url}/debug/pprof/profile?seconds=1`);
    assert.equal(r.status, 409);
    assert.equal(r.body, 'memstats: cpu profiling already in use\n');
  });
  await backend.close();
});

test('with a token: 401 without it or with a wrong one, constant-time Bearer and Basic accepted', async () => {
  await withServer({ token: 's3cret-token' }, async (s) => {
    const none = await request(`${s.url}/debug/vars`);
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /Basic realm="memstats"/);
    assert.equal((await request(`${s.url}/debug/vars`, { headers: { authorization: 'Bearer s3cret-tokeN' } })).status, 401);
    assert.equal((await request(`${s.url}/debug/vars`, { headers: { authorization: 'Bearer s3cret' } })).status, 401);
    assert.equal((await request(`${s.url}/metrics`, { headers: { authorization: 'Bearer s3cret-token' } })).status, 200);
    const basic = Buffer.from('pprof:s3cret-token').toString('base64');
    assert.equal((await request(`${s.url}/debug/vars`, { headers: { authorization: `Basic ${basic}` } })).status, 200);
    assert.equal((await request(`${s.url}/nope`)).status, 401, 'even 404s need the token');
  });
});

test('a non-loopback host without a token is refused with ERR_MEMSTATS_INVALID_OPTION; with a token it binds', async () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.1', 'example.com']) {
    await assert.rejects(startDebugServer({ host, port: 0 }), (err: NodeJS.ErrnoException) => {
      assert.ok(err instanceof RangeError);
      assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
      assert.match(err.message, /"token"/);
      assert.ok(err.message.includes(host));
      return true;
    });
  }
  await withServer({ host: '0.0.0.0', token: 't' }, async (s) => {
    assert.equal(s.host, '0.0.0.0');
  });
  await assert.rejects(startDebugServer({ port: 70000 }), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  await assert.rejects(startDebugServer({ port: 0, token: '' }), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  await assert.rejects(startDebugServer({ port: 0, maxProfileSeconds: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  // A misspelt option is named, with the one meant, rather than ignored.
  await assert.rejects(startDebugServer({ port: 0, maxProfileSecond: 10 } as never), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
    assert.match(err.message, /^memstats: unknown option "maxProfileSecond" \(did you mean "maxProfileSeconds"\?\); accepted: token, maxProfileSeconds, /);
    return err instanceof TypeError;
  });
  assert.throws(() => createDebugHandler({ port: 6060 } as never), /unknown option "port"/);
  assert.throws(() => createDebugHandler({ tokn: 'x' } as never), /did you mean "token"/);
});

test('a port in use rejects with EADDRINUSE and leaves nothing running', async () => {
  await withServer({}, async (s) => {
    await assert.rejects(startDebugServer({ port: s.port }), { code: 'EADDRINUSE' });
  });
});

test('without a token: a non-loopback Host header (DNS rebinding) and a cross-origin POST are refused', async () => {
  await withServer({}, async (s) => {
    const evil = await request(`${s.url}/debug/vars`, { headers: { host: `attacker.example:${s.port}` } });
    assert.equal(evil.status, 403);
    assert.equal((await request(`${s.url}/debug/vars`, { headers: { host: `localhost:${s.port}` } })).status, 200);
    const csrf = await request(`${s.url}/debug/gc`, { method: 'POST', headers: { origin: 'https://attacker.example' } });
    assert.equal(csrf.status, 403);
    const same = await request(`${s.url}/debug/gc`, { method: 'POST', headers: { origin: s.url } });
    assert.equal(same.status, 200);
  });
});

test('createDebugHandler mounts in an existing server: debug paths served, others passed on', async () => {
  const debug = createDebugHandler();
  const server = http.createServer((req, res) => {
    if (!debug(req, res)) {
      res.end('app');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.equal((await request(`${url}/`)).body, 'app');
    assert.equal((await request(`${url}/users?id=1`)).body, 'app');
    assert.equal((await request(`${url}/metricsx`)).body, 'app');
    assert.equal((await request(`${url}/debug/vars`)).status, 200);
    assert.equal((await request(`${url}/debug/vars?x=1`)).status, 200);
    assert.equal((await request(`${url}/debug/pprof/../../debug/vars`)).status, 200, 'dot segments are resolved before matching');
    assert.equal((await request(`${url}/metrics`)).status, 200);
    // connect/express style
    let nexted = false;
    const res = new http.ServerResponse(new http.IncomingMessage(null as never));
    const handled = debug(Object.assign(new http.IncomingMessage(null as never), { url: '/users', method: 'GET' }), res, () => (nexted = true));
    assert.equal(handled, false);
    assert.equal(nexted, true);
  } finally {
    await debug.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('on a loopback-bound server the client address is never read (the sockets keep the hidden class of the application\'s)', async () => {
  // Reading socket.remoteAddress caches the peer on the socket as a new
  // property; V8 then runs node:net/http code shared with the application's
  // server polymorphic (docs/benchmarks.md). Count reads through an own getter.
  await withServer({}, async (s) => {
    let reads = 0;
    s.server.on('connection', (socket) => {
      const get = Object.getOwnPropertyDescriptor(findGetter(socket, 'remoteAddress'), 'remoteAddress')!.get!;
      Object.defineProperty(socket, 'remoteAddress', { configurable: true, get: () => (reads++, get.call(socket)) });
    });
    for (const path of ['/metrics', '/debug/vars', '/debug/pprof/cmdline', '/debug/pprof/']) {
      assert.equal((await request(`${s.url}${path}`)).status, 200, path);
    }
    assert.equal(reads, 0, 'socket.remoteAddress was read');
  });
});

/** The object on `obj`'s prototype chain that defines `key`. */
function findGetter(obj: object, key: string): object {
  for (let o: object | null = obj; o; o = Object.getPrototypeOf(o) as object | null) if (Object.hasOwn(o, key)) return o;
  throw new Error(`no ${key} on the chain`);
}

test('a handler mounted on a server bound to every address serves loopback clients only without a token', async (t) => {
  const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  const debug = createDebugHandler();
  const server = http.createServer((req, res) => {
    if (!debug(req, res)) res.end('app');
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  const port = (server.address() as AddressInfo).port;
  try {
    assert.equal((await request(`http://127.0.0.1:${port}/debug/pprof/cmdline`)).status, 200);
    if (!external) {
      t.diagnostic('this machine has no non-loopback IPv4 address: the refusal of a remote client is not exercised');
      return;
    }
    // Host is loopback so that only the client address decides.
    const remote = await request(`http://${external}:${port}/debug/pprof/cmdline`, { headers: { Host: `127.0.0.1:${port}` } });
    assert.equal(remote.status, 403, `a client from ${external}`);
    assert.match(remote.body, /loopback clients only/);
    assert.equal((await request(`http://${external}:${port}/`)).body, 'app');
  } finally {
    await debug.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("/metrics serves the application's own prom-client registry with memstats' metrics in it", async () => {
  const registry = new Registry();
  const c = new Counter({ name: 'app_requests_total', help: 'requests', registers: [registry] });
  c.inc(5);
  await withServer({ registry }, async (s) => {
    const m = await request(`${s.url}/metrics`);
    assert.match(m.body, /^app_requests_total 5$/m);
    assert.match(m.body, /^nodejs_heap_size_used_bytes \d+$/m);
    const own = await registry.metrics();
    assert.match(own, /^memstats_heap_alloc_bytes \d+$/m, "the app's registry renders ours too");
  });
  assert.equal(registry.getSingleMetric('memstats_heap_alloc_bytes'), undefined, 'close() unregisters');
  assert.ok(registry.getSingleMetric('app_requests_total'));
});

test('close() aborts captures in progress and is harmless twice', async () => {
  const { backend, calls } = fakeBackend();
  const s = await startDebugServer({ port: 0, backend });
  const r = http.get(`${s.url}/debug/pprof/profile?seconds=60`, { agent: false });
  r.on('error', () => {});
  while (calls.cpu.length === 0) await new Promise((res) => setTimeout(res, 10));
  await s.close();
  await s.close();
  assert.equal(calls.cpu[0].signal?.aborted, true);
  // Mounted in a server that stays up, a capture stopped by close() is answered 503 with the reason.
  const debug = createDebugHandler({ backend });
  const app = http.createServer((req, res) => {
    if (!debug(req, res)) res.end('app');
  });
  await new Promise<void>((done) => app.listen(0, '127.0.0.1', done));
  try {
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const pending = request(`${url}/debug/pprof/profile?seconds=60`);
    while (calls.cpu.length < 2) await new Promise((res) => setTimeout(res, 10));
    await debug.close();
    const reply = await pending;
    assert.equal(reply.status, 503);
    assert.equal(reply.body, 'memstats: the debug server is closing; the capture was stopped\n');
  } finally {
    app.close();
  }
  await backend.close();
});

test('a heap sampler that a request started stops when its backend closes; one the program started is left running', async () => {
  const { localBackend } = await import('../../src/server/backend.js');
  const { heapSamplingState, startHeapSampling, stopHeapSampling } = await import('../../src/profile/heap.js');
  assert.equal(heapSamplingState(), null);
  const b = localBackend();
  await b.profileHeap({ gc: false });
  assert.notEqual(heapSamplingState(), null, 'the first heap profile starts the sampler');
  await b.close();
  assert.equal(heapSamplingState(), null, 'and closing the backend stops it');

  startHeapSampling();
  const c = localBackend();
  try {
    await c.profileHeap({ gc: false });
    await c.close();
    assert.notEqual(heapSamplingState(), null, "the program's own sampler is not the backend's to stop");
  } finally {
    stopHeapSampling();
  }
});
