import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SampleReader, type Sample, type SampleGC } from '../../src/sampler/sample.js';
import {
  checkEventLoopStalls,
  checkGcOverhead,
  checkHeapGrowth,
  checkHeapNearLimit,
  checkRssAboveHeap,
  diagnose,
  formatOffset,
  heapAfterGC,
} from '../../src/report/diagnose.js';

const MiB = 1024 * 1024;
let base: Sample | undefined;

/** n samples one second apart, each from `f(i)` over a quiet baseline (no GC, small heap, no stall). */
function series(n: number, f: (i: number, t: number) => Partial<Sample> = () => ({})): Sample[] {
  if (!base) {
    const r = new SampleReader();
    base = r.read();
    r.close();
  }
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1_700_000_000_000 + i * 1000;
    out.push({
      ...base,
      timeMs: t,
      windowMs: 1000,
      heapUsedBytes: 20 * MiB,
      heapTotalBytes: 30 * MiB,
      heapPhysicalBytes: 30 * MiB,
      heapLimitBytes: 4096 * MiB,
      rssBytes: 70 * MiB,
      externalBytes: 2 * MiB,
      numGC: 0,
      numMinorGC: 0,
      numMajorGC: 0,
      gcCount: 0,
      gcPauseNs: 0,
      gcPauseMaxNs: 0,
      gcPauseTotalNs: 0,
      gcPauses: [],
      loopDelayMaxNs: 2e6,
      loopDelayP99Ns: 1e6,
      allocRateBytesPerSec: 10 * MiB,
      ...f(i, t),
    });
  }
  return out;
}

test('gc-overhead: fires above 10% of the main thread, overall or over any 30 s, with the evidence', () => {
  // 150 ms of pauses per second: 15%.
  const heavy = series(60, (i, t) => ({ numGC: 3 * (i + 1), numMinorGC: 3 * (i + 1), gcCount: 3, gcPauseTotalNs: 150e6 * (i + 1), gcPauseNs: 150e6, gcPauses: [[t - 500, 50e6, 'minor'], [t - 300, 50e6, 'minor'], [t - 100, 50e6, 'minor']] as SampleGC[] }));
  const f = checkGcOverhead(heavy)!;
  assert.equal(f.id, 'gc-overhead');
  assert.ok(Math.abs(f.figures.overallFraction - 0.15) < 0.003, String(f.figures.overallFraction));
  assert.equal(f.figures.cycles, 180);
  assert.match(f.title, /GC takes 15\.\d+% of the main thread/);
  assert.match(f.evidence[0], /180 cycles \(180 scavenges, 0 mark-compacts\)/);
  assert.ok(f.next.some((n) => /allocs/.test(n)), 'scavenges dominate: find the allocations');

  const light = series(60, (i) => ({ gcPauseTotalNs: 50e6 * (i + 1), gcPauseNs: 50e6 }));
  assert.equal(checkGcOverhead(light), undefined, '5% is fine');

  // Ten quiet minutes with one 40 s burst at 40%: 2.7% overall, but 40% over 30 s.
  const burst = series(600, (i) => {
    const inBurst = i >= 300 && i < 340;
    const before = Math.min(Math.max(0, i - 300), 40);
    return { gcPauseTotalNs: before * 400e6 + (inBurst ? 400e6 : 0), gcPauseNs: inBurst ? 400e6 : 0 };
  });
  const b = checkGcOverhead(burst)!;
  assert.ok(b, 'a sustained burst fires');
  assert.ok(b.figures.overallFraction < 0.1 && b.figures.worst30sFraction > 0.35, JSON.stringify(b.figures));
  assert.match(b.title, /in bursts/);
});

test('event-loop-stalls: windows over 100 ms are counted with their time, and GC pauses in them noted', () => {
  const s = series(30, (i) => (i === 12 ? { loopDelayMaxNs: 250e6, gcPauseMaxNs: 180e6 } : i === 20 ? { loopDelayMaxNs: 120e6 } : {}));
  const f = checkEventLoopStalls(s)!;
  assert.equal(f.figures.stalls, 2);
  assert.equal(f.figures.worstStallNs, 250e6);
  assert.equal(f.figures.stallsWithGc, 1);
  assert.match(f.evidence[0], /the worst 250\.00ms at \+12s/);
  assert.ok(f.next.some((n) => /pprof\/block/.test(n)));
  assert.equal(checkEventLoopStalls(series(30, () => ({ loopDelayMaxNs: 90e6 }))), undefined);
  assert.equal(checkEventLoopStalls(s, { stallMs: 300 }), undefined, 'the threshold is an option');
});

/** A sawtooth heap: a mark-compact every 10 s drops it to `floor(i)`, allocation raises it 2 MiB/s between. */
function sawtooth(n: number, floor: (i: number) => number): Sample[] {
  return series(n, (i, t) => {
    const major = i % 10 === 0;
    return {
      heapUsedBytes: floor(i) + (i % 10) * 2 * MiB + (major ? 0 : 0.5 * MiB),
      gcCount: major ? 1 : 0,
      gcPauses: major ? ([[t - 10, 5e6, 'major']] as SampleGC[]) : [],
    };
  });
}

test('heap-growth: the heap after each mark-compact trending up fires; a flat sawtooth, a plateau or no GC at all do not', () => {
  const leaking = sawtooth(300, (i) => 40 * MiB + i * 0.2 * MiB);
  const { points, basis } = heapAfterGC(leaking);
  assert.equal(basis, 'major');
  assert.equal(points.length, 30);
  const f = checkHeapGrowth(leaking)!;
  assert.ok(f, 'a leak of 12 MiB/min fires');
  assert.ok(Math.abs(f.figures.slopeBytesPerMin - 12 * MiB) < 0.5 * MiB, String(f.figures.slopeBytesPerMin / MiB));
  assert.ok(f.figures.confidence > 0.99);
  assert.match(f.title, /Heap after GC is growing/);
  assert.ok(f.next.some((n) => /memstats diff/.test(n)));

  // Noise around a flat floor: ±3 MiB, no trend.
  const flat = sawtooth(300, (i) => 40 * MiB + (((i * 7919) % 13) - 6) * 0.5 * MiB);
  assert.equal(checkHeapGrowth(flat), undefined, 'flat');
  // Grows for a minute, then levels off (a cache warming up) for four.
  const plateau = sawtooth(300, (i) => 40 * MiB + Math.min(i, 60) * 0.3 * MiB);
  assert.equal(checkHeapGrowth(plateau), undefined, 'levelled off');
  // Growing but tiny: 1 MiB in 5 minutes.
  assert.equal(checkHeapGrowth(sawtooth(300, (i) => 40 * MiB + i * 3500)), undefined, 'under 4 MiB');
  // The heap rises with no GC at all: that is allocation, not retention.
  assert.equal(checkHeapGrowth(series(60, (i) => ({ heapUsedBytes: 20 * MiB + i * MiB }))), undefined, 'no GC, no judgement');
});

test('heap-near-limit and rss-above-heap', () => {
  assert.equal(checkHeapNearLimit(series(10, (i) => ({ heapUsedBytes: (2000 + i * 100) * MiB }))), undefined, 'under 85%');
  const near = checkHeapNearLimit(series(10, (i) => ({ heapUsedBytes: (3000 + i * 100) * MiB })))!;
  assert.equal(near.severity, 'critical');
  assert.ok(near.figures.peakFraction > 0.9);

  const buffers = checkRssAboveHeap(series(20, () => ({ rssBytes: 400 * MiB, heapPhysicalBytes: 20 * MiB, externalBytes: 300 * MiB })))!;
  assert.equal(buffers.figures.outsideHeapBytes, 380 * MiB);
  assert.equal(buffers.figures.externalBytes, 300 * MiB);
  assert.match(buffers.title, /mostly external memory \(Buffers\)/);
  assert.ok(buffers.next.some((n) => /createRecycler/.test(n)));
  const native = checkRssAboveHeap(series(20, () => ({ rssBytes: 400 * MiB, heapPhysicalBytes: 20 * MiB, externalBytes: 10 * MiB })))!;
  assert.match(native.title, /mostly native memory/);
  assert.equal(native.figures.otherNativeBytes, 370 * MiB);
  assert.equal(checkRssAboveHeap(series(20, () => ({ rssBytes: 90 * MiB, heapPhysicalBytes: 10 * MiB }))), undefined, 'Node\'s own ~50 MiB is not a finding');
  assert.equal(checkRssAboveHeap(series(20, () => ({ rssBytes: 1500 * MiB, heapPhysicalBytes: 1000 * MiB }))), undefined, 'a big heap with RSS under twice it');
});

test('diagnose runs every rule, critical findings first; a quiet recording has none', () => {
  assert.deepEqual(diagnose(series(120)), []);
  const both = series(120, (i, t) => ({
    heapUsedBytes: (3700 + (i % 10)) * MiB,
    loopDelayMaxNs: i === 50 ? 150e6 : 2e6,
    gcPauses: i % 10 === 0 ? ([[t, 1e6, 'major']] as SampleGC[]) : [],
  }));
  const ids = diagnose(both.reverse()).map((f) => `${f.severity}:${f.id}`);
  assert.deepEqual(ids, ['critical:heap-near-limit', 'warning:event-loop-stalls']);
  assert.throws(() => diagnose([], { stallMs: -1 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /stallMs/ });
  assert.deepEqual(diagnose([]), []);
  assert.equal(formatOffset(83_000), '+1m23s');
  assert.equal(formatOffset(3_723_000), '+1h02m03s');
  assert.equal(formatOffset(4_000), '+4s');
});
