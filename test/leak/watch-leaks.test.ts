// watchLeaks' judgement, on recorded-style series fed with addReading (no
// timing involved), and its live plumbing in this process.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { watchLeaks, LeakWatcher, judgeTrend, theilSen, mannKendallConfidence, type LeakEvent, type LeakReading } from '../../src/leak/index.js';
import { readSnapshotHeader } from '../../src/snapshot/index.js';
import { gc } from '../../src/runtime/gc.js';
import { rng } from '../helpers/rng.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'memstats-watch-test-'));
// The watcher's timers are unref'd (they never keep a process alive): this one
// keeps the test's event loop alive while it waits for them.
const keepAlive = setInterval(() => {}, 1000);
after(() => {
  clearInterval(keepAlive);
  rmSync(dir, { recursive: true, force: true });
});


/** Readings every `everyMs` for `minutes`, heap = f(minute). */
function feed(w: LeakWatcher, minutes: number, everyMs: number, heapAt: (min: number) => number, extra: Partial<LeakReading> = {}, t0 = 1_700_000_000_000): LeakEvent[] {
  const events: LeakEvent[] = [];
  const on = (e: LeakEvent) => events.push(e);
  w.on('leak', on);
  for (let t = 0; t <= minutes * 60_000; t += everyMs) {
    w.addReading({ timeMs: t0 + t, heapUsedBytes: heapAt(t / 60_000), externalBytes: 2 * MiB, nativeBytes: 30 * MiB, rssBytes: 100 * MiB, detachedContexts: 0, forced: false, ...extra });
  }
  w.off('leak', on);
  return events;
}

test('trend statistics: Theil–Sen ignores outliers, Mann–Kendall says how sure', () => {
  const pts = Array.from({ length: 20 }, (_, i) => ({ timeMs: i * 1000, value: 100 + 5 * i }));
  pts[7].value = 10_000; // one wild reading
  assert.equal(theilSen(pts).slopePerMs * 1000, 5);
  assert.ok(mannKendallConfidence(pts.map((p) => p.value)) > 0.999);
  assert.ok(mannKendallConfidence([5, 4, 3, 2, 1, 0]) < 0.01);
  assert.equal(mannKendallConfidence([3, 3, 3, 3, 3]), 0.5);
  const r = rng(7);
  const noise = Array.from({ length: 40 }, () => r());
  const c = mannKendallConfidence(noise);
  assert.ok(c > 0.05 && c < 0.95, String(c));
  const t = judgeTrend(pts);
  assert.equal(t.n, 20);
  assert.equal(t.spanMs, 19_000);
  assert.equal(t.slopePerMin, 300);
  assert.equal(t.earlySlopePerMin, 300);
  assert.equal(t.recentSlopePerMin, 300);
});

test('a steady leak fires once, with the evidence', () => {
  const w = new LeakWatcher({ windowMs: 300_000, minSlopeBytesPerMin: MiB });
  const r = rng(1);
  // 2 MiB/min on a 100 MiB heap, ±3 MiB of noise from one full GC to the next.
  const events = feed(w, 4, 10_000, (m) => 100 * MiB + 2 * MiB * m + (r() - 0.5) * 6 * MiB);
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.kind, 'heap');
  assert.equal(e.unit, 'bytes');
  // It fires as soon as the evidence suffices, so the slope is that of a short, noisy series.
  assert.ok(e.slopeBytesPerMin >= MiB && e.slopeBytesPerMin < 3 * MiB, String(e.slopeBytesPerMin));
  assert.equal(e.slopePerMin, e.slopeBytesPerMin);
  assert.ok(e.confidence >= 0.95);
  assert.ok(e.series.length >= 6 && e.series.every((p) => p.value > 90 * MiB));
  assert.ok(e.growth > 0);
  assert.equal(e.windowMs, 300_000);
  assert.equal(e.capturing, false);
  assert.match(e.message, /possible leak: V8 heap after full GCs grew .* MiB\/min over \d+ full GCs, confidence/);
  // It fired once the readings spanned half the window, not before.
  assert.ok(e.series[e.series.length - 1].timeMs - e.series[0].timeMs >= 150_000);
});

test('quiet on noise, on a warm-up that stops, and on a one-off step', () => {
  const r = rng(2);
  const opts = { windowMs: 300_000, minSlopeBytesPerMin: MiB };
  assert.deepEqual(feed(new LeakWatcher(opts), 20, 10_000, () => 100 * MiB + (r() - 0.5) * 10 * MiB), [], 'noise');
  // 20 MiB in the first minute (caches filling, code compiled), flat after.
  assert.deepEqual(feed(new LeakWatcher(opts), 20, 10_000, (m) => 100 * MiB + Math.min(m, 1) * 20 * MiB + (r() - 0.5) * MiB), [], 'warm-up');
  // One 30 MiB step at minute 6 (a big request, a heap snapshot's own memory).
  assert.deepEqual(feed(new LeakWatcher(opts), 20, 10_000, (m) => 100 * MiB + (m >= 6 ? 30 * MiB : 0) + (r() - 0.5) * MiB), [], 'step');
});

test('a leak that goes on fires again only a window later', () => {
  const w = new LeakWatcher({ windowMs: 120_000, minSlopeBytesPerMin: MiB });
  const events = feed(w, 10, 5000, (m) => 100 * MiB + 4 * MiB * m);
  assert.ok(events.length >= 3 && events.length <= 5, String(events.length));
  for (let i = 1; i < events.length; i++) assert.ok(events[i].timeMs - events[i - 1].timeMs >= 120_000);
});

test('other signals: external memory, native memory, detached contexts', () => {
  const base = { heapUsedBytes: 50 * MiB, externalBytes: 2 * MiB, nativeBytes: 30 * MiB, rssBytes: 100 * MiB, detachedContexts: 0, forced: true };
  const ext = new LeakWatcher({ windowMs: 60_000, signals: ['external'] });
  const evs: LeakEvent[] = [];
  ext.on('leak', (e) => evs.push(e));
  for (let s = 0; s <= 60; s += 5) ext.addReading({ ...base, timeMs: s * 1000, externalBytes: 2 * MiB + s * 100_000 });
  assert.equal(evs.length, 1);
  assert.equal(evs[0].kind, 'external');
  assert.equal(evs[0].forcedGCs, evs[0].series.length);

  const nat = new LeakWatcher({ windowMs: 60_000, signals: ['native', 'heap'] });
  const nevs: LeakEvent[] = [];
  nat.on('leak', (e) => nevs.push(e));
  for (let s = 0; s <= 60; s += 5) nat.addReading({ ...base, timeMs: s * 1000, nativeBytes: 30 * MiB + s * 100_000 });
  assert.deepEqual(nevs.map((e) => e.kind), ['native']);
  assert.match(nevs[0].message, /native memory/);

  // A running watcher judges native memory only after the process's warm-up.
  for (const [warmup, expected] of [[86_400_000, []], [0, ['native']]] as const) {
    const live = new LeakWatcher({ windowMs: 60_000, signals: ['native'], nativeWarmupMs: warmup }).start();
    const lev: LeakEvent[] = [];
    live.on('leak', (e) => lev.push(e));
    const t0 = Date.now();
    for (let s = 0; s <= 60; s += 5) live.addReading({ ...base, timeMs: t0 + s * 1000, nativeBytes: 30 * MiB + s * 100_000 });
    live.stop();
    assert.deepEqual(lev.map((e) => e.kind), expected, `nativeWarmupMs ${warmup}`);
  }

  const ctx = new LeakWatcher({ windowMs: 60_000, signals: ['detached-contexts'] });
  const cevs: LeakEvent[] = [];
  ctx.on('leak', (e) => cevs.push(e));
  // Left behind by one full GC in two: not a leak.
  for (let s = 0; s <= 60; s += 5) ctx.addReading({ ...base, timeMs: s * 1000, detachedContexts: s % 10 === 0 ? 1 : 0 });
  assert.equal(cevs.length, 0);
  // Surviving every full GC for half a window: a leak.
  for (let s = 65; s <= 130; s += 5) ctx.addReading({ ...base, timeMs: s * 1000, detachedContexts: 2 });
  assert.equal(cevs.length, 1);
  assert.equal(cevs[0].unit, 'contexts');
  assert.equal(cevs[0].slopeBytesPerMin, 0);
  assert.equal(cevs[0].confidence, 1);
  assert.match(cevs[0].message, /2 detached V8 contexts after full GCs survived all \d+ full GCs/);
  const st = ctx.status();
  assert.equal(st.length, 1);
  assert.equal(st[0].kind, 'detached-contexts');
  assert.equal(st[0].leaking, true);
});

test('options are validated, naming the option', () => {
  const bad: [object, RegExp][] = [
    [{ windowMs: 500 }, /"windowMs" must be an integer from 1000 to 86400000; received 500/],
    [{ minSlopeBytesPerMin: -1 }, /"minSlopeBytesPerMin"/],
    [{ minConfidence: 1 }, /"minConfidence"/],
    [{ minSamples: 2 }, /"minSamples"/],
    [{ signals: [] }, /"signals" must be a non-empty array/],
    [{ signals: ['heap', 'disk'] }, /"signals\[1\]" must be one of/],
    [{ gcIntervalMs: 50 }, /"gcIntervalMs" must be 0 \(never\) or an integer from 100/],
    [{ capture: 'core' }, /"capture" must be one of "none", "heap-snapshot", "heap-profile"/],
    [{ captureDir: '' }, /"captureDir"/],
    [{ maxCaptures: 1.5 }, /"maxCaptures"/],
    [{ emitReadings: 'yes' }, /"emitReadings" must be a boolean/],
    [{ nativeWarmupMs: -1 }, /"nativeWarmupMs" must be an integer from 0 to 86400000; received -1/],
  ];
  for (const [opts, re] of bad) {
    assert.throws(() => watchLeaks(opts as never), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
      assert.match(err.message, re);
      return true;
    });
  }
  assert.throws(() => watchLeaks('fast' as never), TypeError);
});

test('a listener that throws never reaches the host; it is reported once as a warning', async () => {
  const w = new LeakWatcher({ windowMs: 60_000 });
  w.on('leak', () => {
    throw new Error('listener bug');
  });
  const warned = once(process, 'warning');
  assert.doesNotThrow(() => feed(w, 2, 5000, (m) => 100 * MiB + 20 * MiB * m));
  const [warning] = await warned;
  assert.match((warning as Error).message, /a 'leak' listener threw: listener bug/);
});

test('live: a reading after each full GC; stop() ends it and is harmless twice', async () => {
  const w = watchLeaks({ emitReadings: true });
  assert.equal(w.running, true);
  const got = once(w, 'reading');
  gc();
  const [r] = (await got) as [LeakReading];
  assert.ok(Math.abs(r.timeMs - Date.now()) < 5000);
  assert.ok(r.heapUsedBytes > 1 * MiB && r.rssBytes > r.heapUsedBytes);
  assert.equal(r.forced, true);
  assert.equal(w.readingsInWindow().length, 1);
  w.stop();
  w.stop();
  assert.equal(w.running, false);
  let more = 0;
  w.on('reading', () => more++);
  gc();
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(more, 0);
});

test('gcIntervalMs forces full GCs when none come', async () => {
  const w = watchLeaks({ emitReadings: true, gcIntervalMs: 100 });
  let n = 0;
  w.on('reading', () => n++);
  await new Promise((res) => setTimeout(res, 700));
  w.stop();
  assert.ok(n >= 2, `${n} readings`);
});

test('capture: a heap snapshot when a leak fires, rate-limited', async () => {
  const w = new LeakWatcher({ windowMs: 60_000, capture: 'heap-snapshot', captureDir: dir, captureMinIntervalMs: 3_600_000 });
  const captured = once(w, 'capture');
  const events = feed(w, 3, 5000, (m) => 100 * MiB + 20 * MiB * m);
  assert.ok(events.length >= 2);
  assert.equal(events[0].capturing, true);
  assert.equal(events[1].capturing, false, 'the second within the hour is not captured');
  const [c] = await captured;
  assert.equal(c.error, undefined, String(c.error));
  assert.equal(c.leak, events[0]);
  assert.equal(c.result.kind, 'heap-snapshot');
  assert.ok(c.result.path.startsWith(dir) && c.result.path.endsWith('.heapsnapshot'));
  const h = await readSnapshotHeader(c.result.path);
  assert.ok(h.nodeCount > 1000);
});

test('capture: a sampling heap profile; nothing is written after stop()', async () => {
  const w = new LeakWatcher({ windowMs: 60_000, capture: 'heap-profile', captureDir: dir, captureDurationMs: 200 });
  w.start();
  const captured = once(w, 'capture');
  feed(w, 2, 5000, (m) => 100 * MiB + 20 * MiB * m, {}, Date.now() - 120_000);
  const [c] = await captured;
  assert.equal(c.error, undefined, String(c.error));
  assert.ok(c.result.path.endsWith('.pb.gz'));
  const profile = Profile.decode(gunzipSync(readFileSync(c.result.path)));
  const types = profile.sampleType.map((t) => String(profile.stringTable.strings[Number(t.type)]));
  assert.deepEqual(types, ['samples', 'inuse_space'], 'a pprof heap profile');

  const w2 = new LeakWatcher({ windowMs: 60_000, capture: 'heap-profile', captureDir: join(dir, 'after-stop'), captureDurationMs: 300 });
  w2.start();
  let fired = 0;
  w2.on('capture', () => fired++);
  feed(w2, 2, 5000, (m) => 100 * MiB + 20 * MiB * m, {}, Date.now() - 120_000);
  w2.stop();
  await new Promise((res) => setTimeout(res, 600));
  assert.equal(fired, 0);
  assert.equal(existsSync(join(dir, 'after-stop')), false);
  w.stop();
});
