// Node 20's GC performance entries carry per-entry DEP0152 accessors whose util.deprecate wrappers keep each
// entry alive through scavenges until a full GC, so V8 grows the young generation and the program slows
// (docs/benchmarks.md, seventh session). The GC tracker has Node build them from functions made once per key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http2 from 'node:http2';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { entryAccessorsState, shareEntryAccessors } from '../../src/stats/gc-entries.js';
import { getGCTracker } from '../../src/stats/gc-tracker.js';
import { gc } from '../../src/runtime/gc.js';

const fixture = fileURLToPath(new URL('../fixtures/stats/gc-entries-alloc.js', import.meta.url));

/** Bytes promoted per scavenge (V8's --trace-gc-nvp) in the fixture, and the state it reported. */
function promotedPerScavenge(env: NodeJS.ProcessEnv): { bytes: number; scavenges: number; state: string } {
  const r = spawnSync(process.execPath, ['--trace-gc-nvp', fixture, '50000'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  let promoted = 0;
  let scavenges = 0;
  for (const line of r.stdout.split('\n')) {
    if (!/\sgc=s\s/.test(line)) continue;
    scavenges++;
    promoted += Number(/\spromoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return { bytes: scavenges ? promoted / scavenges : NaN, scavenges, state: /^STATE (\S+)$/m.exec(r.stdout)?.[1] ?? '?' };
}

test("with the accessors shared, GC entries no longer outlive scavenges; with Node's own (MEMSTATS_GC_ENTRIES=node) they do", (t) => {
  const shared = promotedPerScavenge({ MEMSTATS_GC_ENTRIES: '' });
  const node = promotedPerScavenge({ MEMSTATS_GC_ENTRIES: 'node' });
  t.diagnostic(`promoted per scavenge: shared ${shared.bytes.toFixed(0)} B over ${shared.scavenges}, Node's ${node.bytes.toFixed(0)} B over ${node.scavenges}`);
  assert.equal(shared.state, 'shared');
  assert.equal(node.state, 'disabled');
  assert.ok(shared.scavenges >= 100 && node.scavenges >= 50, 'the workload must cause scavenges');
  // Measured: ~3.2 KB a scavenge with Node's accessors, ~10–40 B without an observer or with them shared.
  assert.ok(node.bytes > 2000, `Node's accessors: ${node.bytes} B promoted per scavenge`);
  assert.ok(shared.bytes < 1000, `shared accessors: ${shared.bytes} B promoted per scavenge`);
});

test("GC entries keep Node's shape: detail, and the deprecated accessors with their values, setters and one DEP0152 warning", async () => {
  getGCTracker(); // the tracker shares them when it starts
  assert.equal(entryAccessorsState().state, 'shared', entryAccessorsState().reason);
  assert.equal(shareEntryAccessors(), 'shared', 'a second call returns the first result');
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? '');
  process.on('warning', onWarning);
  const entries: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((l) => entries.push(...l.getEntries()));
  obs.observe({ entryTypes: ['gc'] });
  try {
    gc();
    for (let i = 0; i < 20 && entries.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const e = entries[0] as PerformanceEntry & { detail: { kind: number; flags: number }; kind: number; flags: number };
    assert.ok(e, 'a GC entry arrived');
    assert.equal(e.entryType, 'gc');
    assert.equal(typeof e.detail.kind, 'number');
    assert.deepEqual(Object.keys(e), ['kind', 'flags'], "own enumerable accessors, as Node's");
    assert.equal(e.kind, e.detail.kind);
    assert.equal(e.flags, e.detail.flags);
    e.kind = 12345;
    assert.equal(e.kind, 12345, 'settable, as before');
    assert.notEqual(e.detail.kind, 12345, 'without touching detail');
    const other = entries.find((x) => x !== e) as (PerformanceEntry & { kind: number; detail: { kind: number } }) | undefined;
    if (other) assert.equal(other.kind, other.detail.kind, 'a value set on one entry stays on it');
    await new Promise((r) => setImmediate(r));
    assert.ok(warnings.filter((c) => c === 'DEP0152').length <= 1, `DEP0152 at most once per process: ${warnings.join(',')}`);
  } finally {
    obs.disconnect();
    process.off('warning', onWarning);
  }
});

test('HTTP/2 entries, which Node builds through the same callback, keep their detail and an accessor per detail key', async () => {
  assert.equal(shareEntryAccessors(), 'shared');
  type H2Entry = PerformanceEntry & { detail: Record<string, unknown> } & Record<string, unknown>;
  const entries: H2Entry[] = [];
  const obs = new PerformanceObserver((l) => entries.push(...(l.getEntries() as H2Entry[])));
  obs.observe({ entryTypes: ['http2'] });
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const client = http2.connect(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    const req = client.request({ ':path': '/' });
    req.resume();
    await once(req, 'end');
    client.close();
    for (let i = 0; i < 50 && !entries.some((e) => e.name === 'Http2Session'); i++) await new Promise((r) => setTimeout(r, 10));
    for (const name of ['Http2Stream', 'Http2Session']) {
      const e = entries.find((x) => x.name === name);
      assert.ok(e, `an ${name} entry arrived (${entries.map((x) => x.name).join(',')})`);
      const keys = Object.keys(e.detail);
      assert.ok(keys.includes('bytesWritten'), `${name} detail: ${keys.join(',')}`);
      assert.deepEqual(Object.keys(e), keys, 'one own accessor per detail key, as Node makes them');
      for (const k of keys) assert.equal(e[k], e.detail[k], `${name}.${k}`);
    }
  } finally {
    obs.disconnect();
    server.close();
  }
});

test('keepNodeEntryCallback (what `memstats attach` calls in a target) leaves Node\'s callback alone', () => {
  const entries = new URL('../../src/stats/gc-entries.js', import.meta.url).href;
  const snapshot = new URL('../../src/export/metrics-snapshot.js', import.meta.url).href;
  // Then a metrics reader (it starts the tracker, which would share them): /metrics must say `node`.
  const script = `import(${JSON.stringify(entries)}).then(async (m) => { m.keepNodeEntryCallback(); const first = m.shareEntryAccessors();
    const r = (await import(${JSON.stringify(snapshot)})).createMetricsReader(); const s = r.read(); r.close();
    process.stdout.write(first + ' ' + m.entryAccessorsState().state + ' ' + s.gcEntries); })`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, MEMSTATS_GC_ENTRIES: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'disabled disabled node');
});
