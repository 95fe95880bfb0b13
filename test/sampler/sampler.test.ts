import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSampleSource, createSampler, getSampler, SampleReader, type Sample } from '../../src/index.js';
import { gc } from '../../src/runtime/gc.js';

test('a sampler delivers one sample per tick to every subscriber, and keeps a bounded ring', async () => {
  const s = createSampler({ intervalMs: 20, capacity: 3 });
  const a: Sample[] = [];
  const b: Sample[] = [];
  const ua = s.subscribe((x) => a.push(x));
  const ub = s.subscribe((x) => b.push(x));
  await new Promise((r) => setTimeout(r, 200));
  ua();
  ub();
  assert.ok(a.length >= 3, `${a.length} samples in 200 ms at 20 ms`);
  assert.deepEqual(a.map((x) => x.timeMs), b.map((x) => x.timeMs), 'one reading per tick, shared');
  assert.equal(a[0], b[0], 'the same object');
  const h = s.history();
  assert.equal(h.length, 3);
  assert.deepEqual(h, a.slice(-3));
  assert.equal(s.latest(), a[a.length - 1]);
  const n = a.length;
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(a.length, n, 'no subscriber, no timer');
  assert.equal(s.subscribers, 0);
});

test('a listener that throws does not stop the others', async () => {
  const s = createSampler({ intervalMs: 15 });
  let got = 0;
  const warnings: string[] = [];
  const onWarn = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarn);
  const u1 = s.subscribe(() => {
    throw new Error('boom');
  });
  const u2 = s.subscribe(() => got++);
  await new Promise((r) => setTimeout(r, 100));
  u1();
  u2();
  process.off('warning', onWarn);
  assert.ok(got >= 2);
  assert.equal(warnings.filter((w) => w.includes('boom')).length, 1, 'reported once');
});

test('samples carry window figures: GCs in the window, allocation rate, CPU, sources', async () => {
  const r = new SampleReader();
  const remove = addSampleSource('test', () => ({ widgets: 7 }));
  try {
    let junk: unknown[] = [];
    for (let i = 0; i < 300_000; i++) junk.push({ i });
    junk = [];
    gc();
    gc({ type: 'minor' });
    await new Promise((res) => setTimeout(res, 30));
    const s = r.read();
    assert.ok(s.gcCount >= 2, `gcCount ${s.gcCount}`);
    assert.equal(s.gcPauses.length, s.gcCount);
    assert.ok(s.gcPauses.some((p) => p[2] === 'major') && s.gcPauses.some((p) => p[2] === 'minor'));
    assert.ok(s.gcPauseNs >= s.gcPauseMaxNs && s.gcPauseMaxNs > 0);
    assert.ok(s.allocRateBytesPerSec > 1e6, `alloc rate ${s.allocRateBytesPerSec}`);
    assert.ok(s.cpuUserFraction > 0);
    assert.ok(s.rssBytes > s.heapUsedBytes);
    assert.ok(s.spaceUsedBytes.old_space > 0);
    assert.deepEqual(s.sources?.test, { widgets: 7 });
    const next = r.read();
    assert.equal(next.gcCount, 0, 'the next window starts empty');
    void junk;
  } finally {
    remove();
    r.close();
  }
});

test('getSampler shares one sampler per interval; options are validated', () => {
  assert.equal(getSampler(1000), getSampler(1000));
  assert.notEqual(getSampler(500), getSampler(1000));
  assert.throws(() => createSampler({ intervalMs: 5 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', name: 'RangeError' });
  assert.throws(() => createSampler({ capacity: -1 }), /capacity.*-1/);
  assert.throws(() => createSampler({ intervalMs: NaN }), RangeError);
  assert.throws(() => createSampler({ intervalMs: '10' as never }), TypeError);
  assert.throws(() => createSampler().subscribe(42 as never), { name: 'TypeError', code: 'ERR_MEMSTATS_INVALID_OPTION' });
});
