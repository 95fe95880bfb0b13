import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SampleReader, type Sample } from '../../src/sampler/sample.js';
import { compactValue, createProjector, dashboardConfig, selectPoints, MAX_POINTS_PER_SERIES } from '../../src/dashboard/projection.js';
import { DASHBOARD_PLOTS, DASHBOARD_STATS, quantile, windowPauseNs } from '../../src/dashboard/plots.js';

function realSample(): Sample {
  const r = new SampleReader();
  try {
    return r.read();
  } finally {
    r.close();
  }
}

const plotIndex = (id: string) => DASHBOARD_PLOTS.findIndex((p) => p.id === id);

test('compactValue keeps integers exact, rounds the rest, and turns non-finite values into gaps', () => {
  assert.equal(compactValue(123_456_789), 123_456_789);
  assert.equal(compactValue(0), 0);
  assert.equal(compactValue(1234.56), 1235);
  assert.equal(compactValue(0.0123456), 0.01235);
  assert.equal(compactValue(NaN), null);
  assert.equal(compactValue(Infinity), null);
  assert.equal(compactValue(undefined), null);
});

test('selectPoints keeps at most max events: the longest, an even spread of the rest, in time order', () => {
  const pts: Array<[number, number]> = Array.from({ length: 200 }, (_, i) => [i, i === 150 ? 1e9 : i % 7]);
  const kept = selectPoints(pts, 24);
  assert.equal(kept.length, 24);
  assert.ok(kept.some(([t]) => t === 150), 'the longest pause is kept');
  for (let i = 1; i < kept.length; i++) assert.ok(kept[i][0] > kept[i - 1][0]);
  assert.ok(kept[0][0] < 20 && kept[kept.length - 1][0] > 180, 'spread over the whole window');
  assert.equal(selectPoints(pts.slice(0, 5), 24).length, 5);
});

test('a frame has one entry per plot and series, keyed maps last, GC events relative to the frame', () => {
  const s: Sample = { ...realSample(), timeMs: 1_700_000_000_000.4, gcPauses: [[1_699_999_999_500, 150_000, 'minor'], [1_699_999_999_900, 2_000_000, 'major']] };
  const p = createProjector();
  const f = p.project(s);
  assert.equal(f.t, 1_700_000_000_000);
  assert.equal(f.p.length, DASHBOARD_PLOTS.length);
  assert.equal(f.s.length, DASHBOARD_STATS.length);
  DASHBOARD_PLOTS.forEach((plot, i) => assert.equal(f.p[i].length, plot.series.length + (plot.keyed ? 1 : 0), plot.id));
  const heap = f.p[plotIndex('heap')];
  assert.equal(heap[0], s.heapUsedBytes, 'byte figures are exact');
  const gc = f.p[plotIndex('gc-pauses')];
  assert.deepEqual(gc[0], [-500, 150_000], 'minor events: [dt ms, pause ns]');
  assert.deepEqual(gc[1], [-100, 2_000_000]);
  assert.equal(gc[2], 2_000_000, 'p99 of the two pauses so far');
  const spaces = f.p[plotIndex('heap-spaces')][0] as Record<string, number>;
  assert.equal(spaces.old, s.spaceUsedBytes.old_space, 'space names without _space');
  const rss = f.p[plotIndex('rss')];
  const parts = (rss.slice(0, 4) as number[]).reduce((a, b) => a + b, 0);
  assert.ok(parts >= s.rssBytes - 4, 'the parts add up to at least RSS (external may exceed what is resident)');
  assert.equal(f.s[DASHBOARD_STATS.findIndex((x) => x.id === 'num-gc')], s.numGC);
});

test('derived series: recycler rates from consecutive samples, p99 over the last 256 pauses, optional plots empty without a recycler', () => {
  const base = realSample();
  const p = createProjector();
  const a = p.project({ ...base, timeMs: 1000, sources: { recycler: { makes: 1, hits: 10, misses: 1, gives: 11, drops: 0, evictions: 0, idleCount: 2, idleBytes: 4096 } } });
  const b = p.project({ ...base, timeMs: 3000, sources: { recycler: { makes: 1, hits: 30, misses: 1, gives: 31, drops: 0, evictions: 0, idleCount: 2, idleBytes: 8192 } } });
  const ops = plotIndex('recycler-ops');
  assert.equal(a.p[ops][0], null, 'no rate without a previous reading');
  assert.equal(b.p[ops][0], 10, '20 hits in 2 s');
  assert.equal(b.p[plotIndex('recycler-idle')][0], 8192);
  const c = p.project({ ...base, timeMs: 4000 });
  assert.deepEqual(c.p[ops], [null, null, null, null, null], 'no recycler: gaps');

  const q = createProjector();
  let last;
  for (let i = 0; i < 300; i++) last = q.project({ ...base, timeMs: 10_000 + i, gcPauses: [[10_000 + i, i < 100 ? 1_000_000_000 : i * 1000, 'minor']] });
  const p99 = last!.p[plotIndex('gc-pauses')][2] as number;
  // The ring holds pauses 44…299: the 56 huge ones of the first 100 are in it, so p99 is one of them.
  assert.equal(p99, 1_000_000_000);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
  assert.equal(quantile([], 0.99), null);
});

test('a frame of a real sample is at most 2 KB and well under the Sample itself', () => {
  const s = realSample();
  const frame = JSON.stringify(createProjector().project(s));
  const whole = JSON.stringify(s);
  assert.ok(frame.length <= 2048, `frame ${frame.length} bytes`);
  assert.ok(frame.length < whole.length, `frame ${frame.length} < sample ${whole.length}`);
});

test('the config carries every plot as data, without functions', () => {
  const c = dashboardConfig({ description: 'local', pid: 1 });
  assert.deepEqual(JSON.parse(JSON.stringify(c)), c);
  assert.deepEqual(
    c.plots.map((p) => p.id),
    DASHBOARD_PLOTS.map((p) => p.id),
  );
  for (const p of c.plots) for (const s of p.series) assert.equal(typeof s.source, 'string', `${p.id}/${s.name} names its source`);
  assert.ok(c.plots.find((p) => p.id === 'gc-pauses')!.series.some((s) => s.points), 'GC pauses are events');
  assert.equal(MAX_POINTS_PER_SERIES, 24);
});

test('GC pause in a window: the total\'s difference from the sample just before, not across a time nobody watched', () => {
  const at = (timeMs: number, gcPauseTotalNs: number, gcPauseNs: number) => ({ timeMs, windowMs: 1000, gcPauseTotalNs, gcPauseNs }) as unknown as Sample;
  assert.equal(windowPauseNs(at(2000, 5e6, 1e6), at(1000, 3e6, 0)), 2e6, 'adjacent: the difference (every phase counted)');
  // The sampler stopped for a minute (no dashboard open) while six GCs ran: its first sample's own window counts.
  assert.equal(windowPauseNs(at(62_000, 90e6, 1e6), at(1000, 3e6, 0)), 1e6);
  assert.equal(windowPauseNs(at(2000, 5e6, 1e6), undefined), 1e6);
});
