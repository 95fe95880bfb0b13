import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readGCStats, settleGC, GC_PAUSE_BUCKETS_SECONDS } from '../../src/index.js';
import { pauseQuantiles } from '../../src/stats/gc-stats.js';
import { gc } from '../../src/runtime/gc.js';

test("pauseQuantiles follows Go's rule: min, …, max", () => {
  assert.deepEqual(pauseQuantiles([5, 1, 4, 2, 3], 5), [1, 2, 3, 4, 5]);
  assert.deepEqual(pauseQuantiles([10, 20], 3), [10, 20, 20]);
  assert.deepEqual(pauseQuantiles([7], 2), [7, 7]);
  assert.deepEqual(pauseQuantiles([], 5), []);
  assert.deepEqual(pauseQuantiles([1, 2, 3], 0), []);
  assert.deepEqual(pauseQuantiles([3, 9, 1], 1), [9], 'one quantile is the max, as in Go');
  assert.doesNotThrow(() => readGCStats({ pauseQuantiles: 1 }));
});

test('readGCStats returns pauses most recent first, quantiles from min to max, and a histogram from 10 µs', async () => {
  readGCStats(); // tracking starts on first use: GCs before it are not seen
  for (let i = 0; i < 5; i++) gc({ type: i % 2 ? 'minor' : 'major' });
  await settleGC();
  const s = readGCStats({ pauseQuantiles: 5 });
  assert.ok(s.numGC >= 5);
  assert.equal(s.pause.length, Math.min(256, s.numGC));
  assert.equal(s.pauseQuantiles.length, 5);
  assert.equal(s.pauseQuantiles[0], Math.min(...s.pause));
  assert.equal(s.pauseQuantiles[4], Math.max(...s.pause));
  for (let i = 1; i < s.pauseEnd.length; i++) assert.ok(s.pauseEnd[i - 1] >= s.pauseEnd[i], 'most recent first');
  assert.ok(GC_PAUSE_BUCKETS_SECONDS[0] <= 10e-6, 'lowest bucket ≤ 10 µs');
  const h = s.histogram;
  assert.equal(h.minor.count + h.major.count, s.numGC);
  assert.equal(h.minor.counts.reduce((a, b) => a + b, 0), h.minor.count);
  assert.equal(h.minor.count, s.numMinorGC);
  assert.equal(h.major.count, s.numMajorGC);
});

test('readGCStats rejects bad pauseQuantiles with a coded RangeError/TypeError naming the option', () => {
  for (const bad of [-1, 1.5, NaN, Infinity, 5000]) {
    assert.throws(() => readGCStats({ pauseQuantiles: bad }), (e: Error & { code?: string }) => {
      assert.ok(e instanceof RangeError);
      assert.equal(e.code, 'ERR_MEMSTATS_INVALID_OPTION');
      assert.match(e.message, /pauseQuantiles/);
      assert.ok(e.message.includes(String(bad)));
      return true;
    });
  }
  assert.throws(() => readGCStats({ pauseQuantiles: '5' as unknown as number }), TypeError);
  assert.throws(() => readGCStats(42 as never), TypeError);
});
