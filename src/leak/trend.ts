/**
 * @module leak/trend
 * Robust trend statistics for a short, noisy series: the Theil–Sen slope (the
 * median of the slopes between every pair of points — one outlier GC cannot
 * move it, where a least-squares fit follows it) and the Mann–Kendall test's
 * confidence that the series increases (the share of pairs that go up versus
 * down, against what chance would give). Both are rank-based: they need no
 * assumption about how the heap's noise is distributed.
 */

/** A point of a series: time (ms) and value. */
export interface TrendPoint {
  timeMs: number;
  value: number;
}

/** What judgeTrend concludes about a series. */
export interface Trend {
  /** Points used. */
  n: number;
  /** Time from the first point to the last, ms. */
  spanMs: number;
  /** Theil–Sen slope, value units per minute. */
  slopePerMin: number;
  /** Theil–Sen slope of the readings in the first half of the span (in time), units per minute; 0 with fewer than two. */
  earlySlopePerMin: number;
  /** Theil–Sen slope of the readings in the second half of the span, units per minute ("still growing?"); 0 with fewer than two. */
  recentSlopePerMin: number;
  /** Mann–Kendall: probability-like confidence (0…1) that the series increases. */
  confidence: number;
  /** Fitted value at the first and last point (Theil–Sen line). */
  fittedFirst: number;
  fittedLast: number;
}

/** Most points a slope is computed over: O(n²) pairs, so longer series are thinned evenly (64 points: ~0.15 ms a judgement). */
const MAX_POINTS = 64;

/** k-th smallest of a[0..len) (0-based), rearranging a in place: quickselect, O(len) on average. */
function select(a: Float64Array, len: number, k: number): number {
  let lo = 0;
  let hi = len - 1;
  while (hi > lo) {
    // Median of three as the pivot: sorted or reversed series stay linear.
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** median of a[0..len) (rearranges a). A typed-array sort of the ~7,000 pairwise slopes took ~1 ms; this ~0.05 ms. */
function median(a: Float64Array, len: number): number {
  const m = len >> 1;
  if (len % 2) return select(a, len, m);
  const upper = select(a, len, m);
  // After selecting m, a[0..m) holds the m smallest: the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < m; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

function thin(points: readonly TrendPoint[], max: number): readonly TrendPoint[] {
  if (points.length <= max) return points;
  const out: TrendPoint[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let k = 0; k < max; k++) out.push(points[Math.round(k * step)]);
  return out;
}

/**
 * theilSen: the median pairwise slope (units per ms) and the median intercept
 * at `originMs` (the first point's time: epoch times would cost precision).
 * Pairs at the same instant are skipped. Returns slope 0 for fewer than 2 points.
 */
export function theilSen(points: readonly TrendPoint[]): { slopePerMs: number; intercept: number; originMs: number } {
  const p = thin(points, MAX_POINTS);
  const n = p.length;
  const originMs = n > 0 ? p[0].timeMs : 0;
  if (n < 2) return { slopePerMs: 0, intercept: n === 1 ? p[0].value : 0, originMs };
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dt = p[j].timeMs - p[i].timeMs;
      if (dt !== 0) slopes[k++] = (p[j].value - p[i].value) / dt;
    }
  }
  if (k === 0) return { slopePerMs: 0, intercept: p[0].value, originMs };
  const slope = median(slopes, k);
  const res = new Float64Array(n);
  for (let i = 0; i < n; i++) res[i] = p[i].value - slope * (p[i].timeMs - originMs);
  return { slopePerMs: slope, intercept: median(res, n), originMs };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * mannKendallConfidence: one-sided confidence (0…1) that `values` (in time
 * order) increase — Φ(z) of the Mann–Kendall S statistic with the tie-corrected
 * variance and a continuity correction. 0.5 for fewer than 3 points.
 */
export function mannKendallConfidence(values: readonly number[]): number {
  const n = values.length;
  if (n < 3) return 0.5;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const vi = values[i];
    for (let j = i + 1; j < n; j++) {
      const d = values[j] - vi;
      s += d > 0 ? 1 : d < 0 ? -1 : 0;
    }
  }
  // Ties lower the variance: Σ t(t−1)(2t+5) over groups of equal values.
  const sorted = Float64Array.from(values).sort();
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    const t = j - i;
    if (t > 1) tieTerm += t * (t - 1) * (2 * t + 5);
    i = j;
  }
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (variance <= 0) return 0.5;
  const z = s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0;
  return normalCdf(z);
}

/** judgeTrend computes the slope (whole, earlier half, later half) and the confidence of increase of a series. */
export function judgeTrend(points: readonly TrendPoint[]): Trend {
  const n = points.length;
  if (n === 0) return { n: 0, spanMs: 0, slopePerMin: 0, earlySlopePerMin: 0, recentSlopePerMin: 0, confidence: 0.5, fittedFirst: 0, fittedLast: 0 };
  // Thinned once: the slopes and the test see at most MAX_POINTS evenly spread readings.
  const p = thin(points, MAX_POINTS);
  const { slopePerMs, intercept, originMs } = theilSen(p);
  // Halves split in time at the middle of the span; a half with fewer than two
  // readings has no slope of its own (0: no evidence that it grew).
  const m = p.length;
  const midMs = (points[0].timeMs + points[n - 1].timeMs) / 2;
  const early = p.filter((q) => q.timeMs <= midMs);
  const late = p.filter((q) => q.timeMs >= midMs);
  const earlySlope = early.length >= 2 ? theilSen(early).slopePerMs : 0;
  const recent = late.length >= 2 ? theilSen(late).slopePerMs : 0;
  const values = new Array<number>(m);
  for (let i = 0; i < m; i++) values[i] = p[i].value;
  const first = points[0].timeMs;
  const last = points[n - 1].timeMs;
  return {
    n,
    spanMs: last - first,
    slopePerMin: slopePerMs * 60_000,
    earlySlopePerMin: earlySlope * 60_000,
    recentSlopePerMin: recent * 60_000,
    confidence: mannKendallConfidence(values),
    fittedFirst: intercept + slopePerMs * (first - originMs),
    fittedLast: intercept + slopePerMs * (last - originMs),
  };
}
