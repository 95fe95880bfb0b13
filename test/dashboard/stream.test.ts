import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startDebugServer } from '../../src/server/index.js';
import { dashboardStreamFor, DashboardStream } from '../../src/dashboard/stream.js';
import { DASHBOARD_PLOTS } from '../../src/dashboard/plots.js';
import type { DashboardConfig, Frame } from '../../src/dashboard/wire.js';
import { sampleBackend } from './sample-backend.js';

interface SseEvent {
  event: string;
  data: string;
}

interface SseClient {
  events: SseEvent[];
  bytes(): number;
  /** Resolves when `pred` holds (checked on each event), rejects after `timeoutMs`. */
  until(pred: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

function openStream(url: string): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let buf = '';
      let bytes = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk);
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) events.push({ event, data: data.join('\n') });
        }
        for (const w of [...waiters]) w();
      });
      res.on('error', () => {});
      resolve({
        events,
        bytes: () => bytes,
        until(pred, timeoutMs = 5000) {
          return new Promise<void>((ok, fail) => {
            const check = () => {
              if (pred(events)) {
                clearTimeout(t);
                waiters.delete(check);
                ok();
              }
            };
            const t = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`stream condition not met within ${timeoutMs} ms (${events.length} events)`));
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

const samples = (events: SseEvent[]) => events.filter((e) => e.event === 'sample');

async function waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the stream serves 20 concurrent clients: config once, the backlog, then the same frames to all; it samples only while someone watches', async () => {
  const sb = sampleBackend({ intervalMs: 50, history: 30 });
  const server = await startDebugServer({ port: 0, backend: sb.backend });
  const clients: SseClient[] = [];
  try {
    assert.equal(sb.subscribers(), 0, 'nobody watches yet: not subscribed');
    const url = `${server.url}/debug/dashboard/stream`;
    clients.push(...(await Promise.all(Array.from({ length: 20 }, () => openStream(url)))));
    await Promise.all(clients.map((c) => c.until((ev) => samples(ev).length >= 3)));

    const hub = dashboardStreamFor(sb.backend);
    assert.equal(hub.stats().clients, 20);
    assert.equal(sb.subscribers(), 1, 'one subscription shared by all clients');
    for (const c of clients) {
      assert.equal(c.events[0].event, 'config');
      assert.equal(c.events.filter((e) => e.event === 'config').length, 1, 'config is sent once');
      const config = JSON.parse(c.events[0].data) as DashboardConfig;
      assert.equal(config.plots.length, DASHBOARD_PLOTS.length);
      assert.deepEqual(config.target, { description: 'sample backend', pid: 4242 });
      assert.deepEqual([c.events[1].event, JSON.parse(c.events[1].data)], ['limits', { maxProfileSeconds: 300 }], "the server's limits");
      assert.equal(c.events[2].event, 'backlog');
      const backlog = JSON.parse(c.events[2].data) as Frame[];
      assert.ok(backlog.length >= 30, `backlog holds the backend's history (${backlog.length})`);
      for (let i = 1; i < backlog.length; i++) assert.ok(backlog[i].t > backlog[i - 1].t, 'backlog in time order');
      const first = JSON.parse(samples(c.events)[0].data) as Frame;
      assert.ok(first.t > backlog[backlog.length - 1].t, 'live frames follow the backlog without overlap');
      assert.equal(first.p.length, DASHBOARD_PLOTS.length);
    }
    // Serialized once: a frame reads the same, byte for byte, on every client.
    const byTime = new Map<number, Set<string>>();
    for (const c of clients) {
      for (const e of samples(c.events)) {
        const t = (JSON.parse(e.data) as Frame).t;
        if (!byTime.has(t)) byTime.set(t, new Set());
        byTime.get(t)!.add(e.data);
      }
    }
    for (const [t, variants] of byTime) assert.equal(variants.size, 1, `frame ${t} identical for every client`);
    const stats = hub.stats();
    assert.ok(stats.lastFrameBytes > 100 && stats.lastFrameBytes <= 2048, `a frame is at most 2 KB (${stats.lastFrameBytes} bytes)`);
    assert.equal(stats.framesDropped, 0);

    for (const c of clients) c.close();
    await waitFor(() => hub.stats().clients === 0, 3000, 'the clients to be gone');
    assert.equal(hub.stats().subscribed, false);
    assert.equal(sb.subscribers(), 0, 'the last client left: unsubscribed');
    const emitted = sb.emitted();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sb.emitted(), emitted, 'nothing sampled while nobody watches');

    // A reload gets what was seen before, in its backlog.
    const again = await openStream(url);
    clients.push(again);
    await again.until((ev) => ev.some((e) => e.event === 'backlog'));
    const backlog = JSON.parse(again.events.find((e) => e.event === 'backlog')!.data) as Frame[];
    const seen = Math.max(...byTime.keys());
    assert.ok(backlog.some((f) => f.t === seen), 'the backlog includes the frames sent before');
    assert.equal(sb.subscribers(), 1, 'subscribed again');
  } finally {
    for (const c of clients) c.close();
    await server.close();
    sb.close();
  }
});

test('a client that never reads misses frames instead of growing the server\'s buffers', async () => {
  // ~40 KB frames every 10 ms (4 MB/s): a stuck socket's kernel buffers fill within a second or two.
  const sb = sampleBackend({ intervalMs: 10, resourceTypes: 1500 });
  const server = await startDebugServer({ port: 0, backend: sb.backend });
  const stuck = net.connect(server.port, '127.0.0.1');
  let reader: SseClient | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      stuck.once('connect', resolve);
      stuck.once('error', reject);
    });
    stuck.on('error', () => {});
    // Send the request, then never read a byte of the answer.
    stuck.pause();
    stuck.write(`GET /debug/dashboard/stream HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAccept: text/event-stream\r\n\r\n`);
    reader = await openStream(`${server.url}/debug/dashboard/stream`);
    const hub = dashboardStreamFor(sb.backend);
    await waitFor(() => hub.stats().framesDropped > 0, 10_000, 'frames to be dropped for the stuck client');
    const pending1 = Math.max(...hub.stats().pendingBytes);
    const got1 = reader.bytes();
    await new Promise((r) => setTimeout(r, 1000));
    const stats = hub.stats();
    const pending2 = Math.max(...stats.pendingBytes);
    const got2 = reader.bytes();
    // Without the drop rule the stuck client's buffer would have grown by what the reader got: far past the bound below.
    assert.ok(got2 - got1 > 4 * 65_536, `the reading client keeps receiving (${got2 - got1} bytes in 1 s)`);
    assert.ok(pending2 <= 65_536 + 2 * stats.lastFrameBytes, `pending bytes stay bounded (${pending2})`);
    assert.ok(pending2 <= pending1 + stats.lastFrameBytes, `pending bytes do not grow (${pending1} → ${pending2})`);
    assert.equal(stats.clients, 2);
  } finally {
    reader?.close();
    stuck.destroy();
    await server.close();
    sb.close();
  }
});

test('the backlog keeps historyMs of frames; HEAD answers the headers without subscribing', async () => {
  const sb = sampleBackend({ intervalMs: 20 });
  const hub = new DashboardStream(sb.backend, { historyMs: 1000 });
  const server = http.createServer((req, res) => {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    void hub.serve(res, ac.signal, req.method);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
  let first: SseClient | undefined;
  let second: SseClient | undefined;
  try {
    const head = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.request(url, { method: 'HEAD', agent: false }, resolve).on('error', reject).end();
    });
    assert.equal(head.statusCode, 200);
    assert.match(String(head.headers['content-type']), /^text\/event-stream/);
    assert.equal(sb.subscriptions(), 0, 'HEAD does not subscribe');

    first = await openStream(url);
    await first.until((ev) => samples(ev).length >= 80, 8000);
    second = await openStream(url);
    await second.until((ev) => ev.some((e) => e.event === 'backlog'));
    const backlog = JSON.parse(second.events.find((e) => e.event === 'backlog')!.data) as Frame[];
    const newest = backlog[backlog.length - 1].t;
    const span = newest - backlog[0].t;
    assert.ok(span <= 1000, `backlog spans at most historyMs (${span} ms)`);
    // Every frame the first client got in that last second is in the backlog (timer-independent: the machine may be slow).
    const kept = new Set(backlog.map((f) => f.t));
    const recent = samples(first.events).map((e) => (JSON.parse(e.data) as Frame).t).filter((t) => t >= newest - 1000 && t <= newest);
    assert.ok(recent.length >= 2, `frames in the last second (${recent.length})`);
    for (const t of recent) assert.ok(kept.has(t), `frame ${t} of the last second is in the backlog`);
    assert.equal(sb.subscriptions(), 1);
  } finally {
    first?.close();
    second?.close();
    hub.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    sb.close();
  }
});

test('a client stuck for stalledClientMs is disconnected, and the hub unsubscribes when it was the last', async () => {
  const sb = sampleBackend({ intervalMs: 10, resourceTypes: 1500 });
  const hub = new DashboardStream(sb.backend, { stalledClientMs: 1000 });
  const server = http.createServer((req, res) => {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    void hub.serve(res, ac.signal, req.method);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const stuck = net.connect(port, '127.0.0.1');
  stuck.on('error', () => {});
  try {
    stuck.pause();
    stuck.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await waitFor(() => hub.stats().clientsCut === 1, 15_000, 'the stuck client to be cut');
    await waitFor(() => hub.stats().clients === 0, 3000, 'the client to be gone');
    assert.equal(hub.stats().subscribed, false);
    assert.equal(sb.subscribers(), 0);
  } finally {
    stuck.destroy();
    hub.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    sb.close();
  }
});

test('DashboardStream validates its options', () => {
  const sb = sampleBackend();
  assert.throws(() => new DashboardStream(sb.backend, { maxPendingBytes: 10 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /maxPendingBytes/ });
  assert.throws(() => new DashboardStream(sb.backend, { historyMs: 'long' as unknown as number }), { code: 'ERR_MEMSTATS_INVALID_OPTION', name: 'TypeError' });
  sb.close();
});
