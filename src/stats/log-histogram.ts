/**
 * @module stats/log-histogram
 * A small log-linear histogram of non-negative values (nanoseconds here): 16
 * buckets per power of two, so any quantile read from it is within ~4.4% of the
 * true value, with an exact count, sum, min and max. Recording is a couple of
 * arithmetic operations; reading a quantile scans at most a few hundred counters,
 * which is why it replaces `monitorEventLoopDelay().percentile()` (~8 µs a call,
 * bench/sample.ts).
 */

const SUB = 16; // buckets per octave
const OCTAVES = 48; // 1 ns … 2^48 ns (~3.3 days)
const SIZE = OCTAVES * SUB + 1;

/** Bucket index for a value in ns (bucket 0 holds values < 1). */
export function bucketOf(value: number): number {
  if (!(value >= 1)) return 0;
  const i = Math.floor(Math.log2(value) * SUB) + 1;
  return i < SIZE ? i : SIZE - 1;
}

/** The value a bucket stands for: the geometric middle of its bounds. */
export function bucketValue(index: number): number {
  if (index <= 0) return 0;
  return 2 ** ((index - 0.5) / SUB);
}

/** Cumulative counts plus exact count/sum/sum of squares/min/max. */
export class LogHistogram {
  readonly counts = new Float64Array(SIZE);
  count = 0;
  sum = 0;
  sumSq = 0;
  min = Infinity;
  max = 0;

  record(value: number): void {
    const v = value > 0 ? value : 0;
    this.counts[bucketOf(v)]++;
    this.count++;
    this.sum += v;
    this.sumSq += v * v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /**
   * Merges a batch summarized elsewhere (Node's native delay histogram): `n`
   * values with the given exact totals, spread over the buckets by `points`
   * (value, how many values it stands for; the counts must add up to `n`).
   */
  recordBatch(points: ReadonlyArray<readonly [value: number, n: number]>, n: number, sum: number, sumSq: number, min: number, max: number): void {
    for (const [value, k] of points) this.counts[bucketOf(value)] += k;
    this.count += n;
    this.sum += sum;
    this.sumSq += sumSq;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.sumSq = 0;
    this.min = Infinity;
    this.max = 0;
  }

  /** Copies counts and totals (for windowed reads by difference). */
  snapshot(): HistogramSnapshot {
    return { counts: this.counts.slice(), count: this.count, sum: this.sum, sumSq: this.sumSq };
  }
}

/** Frozen counts of a LogHistogram at one moment. */
export interface HistogramSnapshot {
  counts: Float64Array;
  count: number;
  sum: number;
  sumSq: number;
}

/**
 * Quantile `q` (0…1) of the values recorded between `prev` and `now` (or all of
 * `now` when `prev` is undefined), clamped to [min, max] when those are known.
 */
export function windowQuantile(
  now: Float64Array,
  prev: Float64Array | undefined,
  count: number,
  q: number,
  max = Infinity,
  min = 0,
): number {
  if (count <= 0) return 0;
  return Math.max(min, quantileUpTo(now, prev, count, q, max));
}

function quantileUpTo(now: Float64Array, prev: Float64Array | undefined, count: number, q: number, max: number): number {
  const rank = Math.max(1, Math.ceil(q * count));
  const end = max === Infinity ? now.length : Math.min(now.length, bucketOf(max) + 1);
  let seen = 0;
  for (let i = 0; i < end; i++) {
    const c = prev ? now[i] - prev[i] : now[i];
    if (c <= 0) continue;
    seen += c;
    if (seen >= rank) return Math.min(bucketValue(i), max);
  }
  return max === Infinity ? 0 : max;
}
