import { after, afterEach, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as inspector from 'node:inspector';
import {
  heapProfileToPprof,
  heapSamplingState,
  profileHeap,
  startHeapSampling,
  stopHeapSampling,
  type V8SamplingHeapProfile,
} from '../../src/profile/index.js';
import { needTool } from '../helpers/tools.js';
import { describe, goPprof, runFixture, topRows } from './pprof-tool.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memstats-heap-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => stopHeapSampling());

const kept: unknown[] = [];
function retainSome(n: number): void {
  for (let i = 0; i < n; i++) kept.push({ i, s: `retained-${i}`, a: [i, i, i] });
}
function makeGarbage(n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += [i, i + 1, `g${i}`].length;
  return t;
}

function bytesAt(p: ReturnType<typeof describe>, fn: string): number {
  return p.samples.filter((s) => s.frames.some((f) => f.name === fn)).reduce((a, s) => a + s.values[1], 0);
}

suite('heap profile of a fixture, read by go tool pprof', () => {
  test('allocateLeaky leads inuse_space, with its .ts file', needTool('go', ['/usr/lib/go/bin/go']), async () => {
    const out = join(dir, 'heap.pb.gz');
    await runFixture('heap-leaky', [out]);
    const text = await goPprof(['-top', '-lines', '-sample_index=inuse_space', out]);
    assert.match(text, /Type: inuse_space/);
    const rows = topRows(text);
    assert.match(rows[0].name, /^allocateLeaky .*test\/fixtures\/profile\/heap-leaky\.ts:\d+$/, text);
    // 200,000 retained objects of ~150 bytes: tens of MB, not kB and not GB.
    assert.match(rows[0].flat, /^\d+(\.\d+)?MB$/, text);
    const mb = Number.parseFloat(rows[0].flat);
    assert.ok(mb > 15 && mb < 150, `allocateLeaky flat ${rows[0].flat}`);
    // churn's garbage was collected before the profile (gc: true): not in use.
    assert.doesNotMatch(text, /\bchurn\b.*MB/, text);
  });
});

suite('heap sampling in process', () => {
  test('inuse profile: retained objects counted, garbage gone after gc', async () => {
    startHeapSampling({ intervalBytes: 16 * 1024 });
    retainSome(50_000);
    makeGarbage(100_000);
    const d = describe(await profileHeap({ gc: true }));
    assert.deepEqual(d.types, ['samples/count', 'inuse_space/bytes']);
    assert.ok(bytesAt(d, 'retainSome') > 1_000_000, `retainSome ${bytesAt(d, 'retainSome')}`);
    assert.ok(bytesAt(d, 'makeGarbage') < bytesAt(d, 'retainSome') / 10, 'garbage mostly collected');
    assert.ok(d.samples.some((s) => s.frames.some((f) => f.name === 'retainSome' && /heap\.test\.ts$/.test(f.file))));
  });

  test('includeCollected reports alloc_space, garbage included', async () => {
    startHeapSampling({ intervalBytes: 16 * 1024, includeCollected: true });
    makeGarbage(200_000);
    const p = await profileHeap({ gc: true });
    const d = describe(p);
    assert.deepEqual(d.types, ['samples/count', 'alloc_space/bytes']);
    assert.ok(bytesAt(d, 'makeGarbage') > 1_000_000, `makeGarbage ${bytesAt(d, 'makeGarbage')}`);
    assert.equal(Number(p.period), 16 * 1024);
  });

  test('seconds: only what was allocated during the window', async () => {
    startHeapSampling({ intervalBytes: 8 * 1024 });
    retainSome(20_000);
    const pending = profileHeap({ seconds: 0.3 });
    setTimeout(() => makeGarbage(10), 50);
    const d = describe(await pending);
    assert.equal(bytesAt(d, 'retainSome'), 0, 'allocations before the window are not counted');
  });

  test('starting twice: same options harmless, other options refused', async () => {
    startHeapSampling();
    startHeapSampling({ intervalBytes: 512 * 1024 });
    assert.equal(heapSamplingState()!.intervalBytes, 512 * 1024);
    assert.throws(() => startHeapSampling({ intervalBytes: 1024 }), { code: 'ERR_MEMSTATS_PROFILE_IN_USE' });
    await assert.rejects(profileHeap({ includeCollected: true }), { code: 'ERR_MEMSTATS_PROFILE_IN_USE' });
    stopHeapSampling();
    stopHeapSampling();
    assert.equal(heapSamplingState(), null);
  });

  test('profileHeap starts sampling when needed and leaves it running', async () => {
    assert.equal(heapSamplingState(), null);
    await profileHeap();
    assert.equal(heapSamplingState()!.intervalBytes, 512 * 1024);
  });

  test('refused while another inspector client samples the heap', async () => {
    const s = new inspector.Session();
    s.connect();
    try {
      await new Promise<void>((res, rej) => s.post('HeapProfiler.startSampling', {}, (e) => (e ? rej(e) : res())));
      assert.throws(() => startHeapSampling(), { code: 'ERR_MEMSTATS_PROFILE_IN_USE', message: /another inspector client/ });
    } finally {
      s.post('HeapProfiler.stopSampling', () => undefined);
      s.disconnect();
    }
  });

  test('abort and bad options', async () => {
    const ac = new AbortController();
    const pending = profileHeap({ seconds: 30, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(pending, { name: 'AbortError' });
    await assert.rejects(profileHeap({ seconds: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"seconds"/ });
    assert.throws(() => startHeapSampling({ intervalBytes: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"intervalBytes"/ });
    assert.throws(() => startHeapSampling({ includeCollected: 'yes' as never }), TypeError);
    assert.throws(() => heapProfileToPprof({} as never), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  });

  test('heapProfileToPprof converts a profile from another session', async () => {
    const s = new inspector.Session();
    s.connect();
    try {
      const post = <T>(m: string, p?: object) => new Promise<T>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r as T))));
      await post('HeapProfiler.startSampling', { samplingInterval: 8192 });
      retainSome(20_000);
      const { profile } = await post<{ profile: V8SamplingHeapProfile }>('HeapProfiler.stopSampling');
      const d = describe(heapProfileToPprof(profile, { intervalBytes: 8192 }));
      const samples = d.samples.reduce((a, x) => a + x.values[0], 0);
      assert.equal(samples, profile.samples!.length);
      const bytes = d.samples.reduce((a, x) => a + x.values[1], 0);
      assert.equal(bytes, profile.samples!.reduce((a, x) => a + x.size, 0));
      assert.ok(bytesAt(d, 'retainSome') > 0);
    } finally {
      s.disconnect();
    }
  });
});
