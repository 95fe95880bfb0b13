/**
 * @module stats/gc-stats
 * `readGCStats()`: Go's `debug.ReadGCStats` for Node — last GC, count, total
 * pause, recent pauses (most recent first), their end times, pause quantiles —
 * plus per-kind counts and a pause histogram whose lowest bucket is 10 µs.
 */
import { getGCTracker, type PauseHistogram } from './gc-tracker.js';
import { numberOption, optionsObject, optionNames } from '../internal/validate.js';
const READ_GC_STATS_OPTIONS_NAMES = optionNames<ReadGCStatsOptions>({ pauseQuantiles: true });

/** Options of readGCStats. */
export interface ReadGCStatsOptions {
  /**
   * Number of pause quantiles to compute, as Go's `len(PauseQuantiles)`:
   * 5 gives min, 25%, 50%, 75%, max. Integer 0…1001, default 5 (0 = none).
   */
  pauseQuantiles?: number;
}

/** GCStats: Go's debug.GCStats in Node terms (durations in ns, instants in ns since the epoch). */
export interface GCStats {
  /** End of the last cycle, ns since the epoch (0 if none). */
  lastGC: number;
  /** Completed GC cycles. */
  numGC: number;
  /** Σ of main-thread GC pauses, ns. */
  pauseTotalNs: number;
  /** Recent cycle pauses, ns, most recent first (up to 256). */
  pause: number[];
  /** End times of those pauses, ns since the epoch, most recent first. */
  pauseEnd: number[];
  /** Quantiles of `pause`: [min, …, max] (empty when pauseQuantiles is 0 or no GC yet). */
  pauseQuantiles: number[];
  /** Cycles by kind, and GC phases seen. */
  numMinorGC: number;
  numMajorGC: number;
  numIncrementalMarking: number;
  numWeakCallbacks: number;
  numForcedGC: number;
  /** Pause histograms of every cycle seen (not only the last 256), by kind. */
  histogram: { minor: PauseHistogram; major: PauseHistogram };
}

/** Go's quantile rule: q[i] = sorted[len*i/(n-1)], q[n-1] = max. */
export function pauseQuantiles(pauses: number[], n: number): number[] {
  if (n <= 0 || pauses.length === 0) return [];
  const sorted = [...pauses].sort((a, b) => a - b);
  const out = new Array<number>(n);
  for (let i = 0; i < n - 1; i++) out[i] = sorted[Math.floor((sorted.length * i) / (n - 1))];
  out[n - 1] = sorted[sorted.length - 1];
  return out;
}

function copyHistogram(h: PauseHistogram): PauseHistogram {
  return { boundsSeconds: h.boundsSeconds, counts: [...h.counts], count: h.count, sumNs: h.sumNs };
}

/**
 * readGCStats returns the GC statistics: counts, total pause, the recent pauses
 * most recent first and their quantiles (`pauseQuantiles`, default 5: min,
 * 25%, 50%, 75%, max). Starts the GC tracker on first use. Throws a RangeError
 * (code ERR_MEMSTATS_INVALID_OPTION) for a bad pauseQuantiles.
 */
export function readGCStats(options?: ReadGCStatsOptions): GCStats {
  const o = optionsObject<ReadGCStatsOptions>('options', options, READ_GC_STATS_OPTIONS_NAMES);
  // As Go's ReadGCStats: n quantiles from min to max; one is the max.
  const nq = numberOption('pauseQuantiles', o.pauseQuantiles, 5, { integer: true, min: 0, max: 1001 });
  const t = getGCTracker();
  const recent = t.recentPauses();
  return {
    lastGC: t.lastGCNs,
    numGC: t.numGC,
    pauseTotalNs: t.pauseTotalNs,
    pause: recent.pauseNs,
    pauseEnd: recent.pauseEndNs,
    pauseQuantiles: pauseQuantiles(recent.pauseNs, nq),
    numMinorGC: t.numMinorGC,
    numMajorGC: t.numMajorGC,
    numIncrementalMarking: t.numIncrementalMarking,
    numWeakCallbacks: t.numWeakCallbacks,
    numForcedGC: t.numForcedGC,
    histogram: { minor: copyHistogram(t.histogramMinor), major: copyHistogram(t.histogramMajor) },
  };
}
