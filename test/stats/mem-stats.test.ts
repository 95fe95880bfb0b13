import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMemStats, readGCStats, settleGC, GO_MEMSTATS_FIELDS, toGoMemStats } from '../../src/index.js';
import { gc } from '../../src/runtime/gc.js';

function makeObjects(n: number): Array<{ id: number; name: string; arr: number[] }> {
  const out = [];
  for (let i = 0; i < n; i++) out.push({ id: i, name: `object-number-${i}`, arr: [i, i + 1, i + 2] });
  return out;
}

// Synchronous on purpose: a suspended async frame can keep a temporary alive
// in one of its registers, which would make the drop look like a leak.
function holdThenDrop(): { base: number; held: number; after: number } {
  gc();
  const base = readMemStats().heapAlloc;
  // ~50 MB of small objects: 500k objects × ~100 bytes (object + string + array).
  const holder: { keep?: Array<{ id: number; name: string; arr: number[] }> } = { keep: makeObjects(500_000) };
  gc(); // only garbage goes: what we keep stays
  const held = readMemStats().heapAlloc;
  delete holder.keep;
  gc();
  return { base, held, after: readMemStats().heapAlloc };
}

test('keeping ~50 MB of objects raises heapAlloc by ≥ 45 MB; dropping them and gc() lowers it', () => {
  const { base, held, after } = holdThenDrop();
  assert.ok(held - base >= 45e6, `heapAlloc grew by ${held - base} bytes holding 500k objects`);
  assert.ok(held - after >= 40e6, `heapAlloc fell by only ${held - after} bytes after dropping the objects`);
});

test('every Go MemStats field is present; the ones Node cannot fill are null', () => {
  const m = readMemStats();
  const nullFields = ['lookups', 'mallocs', 'frees', 'heapObjects', 'stackInuse', 'stackSys', 'mSpanInuse', 'mSpanSys', 'mCacheInuse', 'mCacheSys', 'buckHashSys', 'gcSys', 'nextGC', 'bySize'];
  assert.equal(GO_MEMSTATS_FIELDS.length, 32);
  for (const [go, key] of GO_MEMSTATS_FIELDS) {
    assert.ok(key in m, `${go} (${key}) missing`);
    if (nullFields.includes(key)) assert.equal(m[key], null, `${key} should be null`);
    else assert.notEqual(m[key], null, `${key} should have a value`);
  }
  const goView = toGoMemStats(m);
  assert.equal(goView.HeapAlloc, m.heapAlloc);
  assert.equal(goView.NumGC, m.numGC);
  assert.equal(m.enableGC, true);
  assert.equal(m.debugGC, false);
});

test("the figures keep Go's identities and orders of magnitude", () => {
  const m = readMemStats();
  assert.equal(m.alloc, m.heapAlloc);
  assert.equal(m.heapIdle + m.heapInuse, m.heapSys, 'HeapSys = HeapIdle + HeapInuse');
  assert.equal(m.sys, m.heapSys + m.otherSys, 'Sys = Σ of the XSys fields');
  assert.ok(m.heapInuse >= m.heapAlloc, 'HeapInuse ≥ HeapAlloc');
  assert.ok(m.heapReleased <= m.heapSys);
  assert.ok(m.rss > m.heapPhysical, 'RSS includes the physical heap and more');
  assert.ok(m.totalAlloc >= m.heapAlloc - 1, 'TotalAlloc ≥ what is allocated now');
  assert.ok(m.heapSizeLimit > m.heapSys);
  assert.ok(m.external >= m.arrayBuffers);
  assert.ok(m.nativeContexts >= 1);
  assert.ok(m.heapSpaces.some((s) => s.name === 'old_space' && s.usedBytes > 0));
  assert.equal(m.pauseNs.length, 256);
  assert.equal(m.pauseEnd.length, 256);
  assert.ok(m.gcCPUFraction >= 0 && m.gcCPUFraction <= 1);
  assert.ok(m.gcCPUFractionOfProcess >= 0 && m.gcCPUFractionOfProcess <= 1);
});

test('numGC and numForcedGC move exactly with forced GCs; the rings follow Go\'s layout', async () => {
  await settleGC();
  const a = readMemStats();
  for (let i = 0; i < 3; i++) gc();
  gc({ type: 'minor' });
  await settleGC();
  const b = readMemStats();
  assert.equal(b.numGC - a.numGC, 4);
  assert.equal(b.numForcedGC - a.numForcedGC, 4);
  assert.equal(b.numMajorGC - a.numMajorGC, 3);
  assert.equal(b.numMinorGC - a.numMinorGC, 1);
  // Most recent at (NumGC+255) % 256; its end is LastGC; pauseEnd grows with the index.
  const last = (b.numGC + 255) % 256;
  assert.equal(b.pauseEnd[last], b.lastGC);
  assert.ok(b.pauseNs[last] > 0);
  const prev = (b.numGC + 254) % 256;
  assert.ok(b.pauseEnd[prev] <= b.pauseEnd[last]);
  const nowNs = Date.now() * 1e6;
  assert.ok(Math.abs(b.lastGC - nowNs) < 60e9, 'LastGC is ns since the epoch');
  // readGCStats lists the same pauses, most recent first.
  const s = readGCStats();
  assert.equal(s.numGC, b.numGC);
  assert.equal(s.pause[0], b.pauseNs[last]);
  assert.equal(s.pause[1], b.pauseNs[prev]);
  assert.equal(s.pauseEnd[0], b.lastGC);
  assert.ok(b.pauseTotalNs - a.pauseTotalNs >= s.pause[0] + s.pause[1]);
});

test('totalAlloc only grows, and grows by what is allocated', async () => {
  const a = readMemStats().totalAlloc;
  let junk: unknown[] = [];
  for (let i = 0; i < 200_000; i++) junk.push({ i, s: `garbage-${i}` });
  junk = [];
  const b = readMemStats().totalAlloc;
  assert.ok(b - a > 10e6, `allocated ${b - a} bytes for ~200k objects`);
  gc();
  const c = readMemStats().totalAlloc;
  assert.ok(c >= b, 'a GC never lowers totalAlloc');
  void junk;
});

test('gcCPUFractionOfProcess is over the CPU of the time tracked, whichever reader started the tracker', async () => {
  // A fresh process: readGCStats() starts the tracker, 1.5 s of allocation, then the first readMemStats().
  // The share was 0, then 1, when the CPU baseline was taken at that first readMemStats().
  const index = new URL('../../src/index.js', import.meta.url).href;
  const script = `
    const { readGCStats, readMemStats, settleGC } = await import(${JSON.stringify(index)});
    readGCStats();
    let keep = []; const t0 = Date.now();
    while (Date.now() - t0 < 1500) { for (let i = 0; i < 1e4; i++) keep.push({ i }); if (keep.length > 3e5) keep = []; }
    await settleGC();
    const m = readMemStats();
    process.stdout.write(JSON.stringify({ of: m.gcCPUFractionOfProcess, pause: m.pauseTotalNs }));`;
  const { execFileSync } = await import('node:child_process');
  const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { of: number; pause: number };
  assert.ok(r.pause > 0, 'the load caused GCs');
  assert.ok(r.of > 0.01 && r.of < 0.9, `GC's share of process CPU ${r.of}`);
});
