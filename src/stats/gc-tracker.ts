/**
 * @module stats/gc-tracker
 * The one stateful reader of stats/: it observes every GC V8 reports and keeps
 * Go's figures — counts, the `pauseNs`/`pauseEnd` rings of 256, total pause,
 * forced GCs, a pause histogram by kind — plus cumulative allocated bytes.
 *
 * Two V8 sources, each for what it does right:
 * - `PerformanceObserver('gc')`: one entry per GC phase with start time,
 *   duration, kind and flags. Entries arrive in batches (hundreds at a time in
 *   a burst) one or two loop turns after the GC; *every* entry of every batch is
 *   read — prom-client and OpenTelemetry read only the first of each batch.
 * - `v8.GCProfiler`: the used heap before and after each GC, from which the
 *   bytes allocated between GCs are summed (Go's TotalAlloc; V8 has no counter).
 *   Its `stop()` costs ~11 µs per GC it holds plus a fixed cost, so it is
 *   rotated at most once a second as batches arrive, and on every read
 *   (`readMemStats()`, a sample). Running, it costs a saturated HTTP server
 *   ~3 % of its requests at 150 GCs a second (bench/agent-overhead.ts), so above
 *   {@link ALLOC_EXACT_MAX_RATE} GCs a second it runs 1 s in every
 *   {@link ALLOC_SAMPLE_EVERY_MS} ms (and again as soon as V8 resizes the young
 *   generation, which changes the bytes per scavenge): in between, each GC cycle adds the mean
 *   bytes per cycle of the last measured second, and `allocEstimatedBytes` says
 *   how much of totalAlloc came that way (`MEMSTATS_ALLOC=exact` keeps it
 *   running).
 *
 * A GC *cycle* is what `--trace-gc` prints a line for: a Scavenge (kind 1) or a
 * Mark-Compact (kind 4). Incremental-marking steps (kind 8) and weak-callback
 * processing (kind 16) are phases of a cycle: counted apart, their time added to
 * the cycle they belong to (marking to the next Mark-Compact, weak callbacks to
 * the cycle just finished), as Go sums all pauses of a cycle into one PauseNs.
 */
import { PerformanceObserver, performance, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';

/** Kind of a GC cycle. */
export type GCKind = 'minor' | 'major';

/** One completed GC cycle. */
export interface GCEvent {
  /** Sequence number (1 for the first cycle seen). */
  seq: number;
  kind: GCKind;
  /** End of the cycle, ms since the Unix epoch (µs precision). */
  endMs: number;
  /** Main-thread pause of the cycle in ns (all its phases). */
  pauseNs: number;
  /** The cycle was forced (`gc()`, heap snapshot, low-memory notification). */
  forced: boolean;
}

/** Upper bounds (seconds) of the pause histogram buckets; +Inf is implicit. Lowest is 10 µs. */
export const GC_PAUSE_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/** Cumulative pause histogram of one GC kind (Prometheus-style, non-cumulative bucket counts). */
export interface PauseHistogram {
  /** Upper bounds in seconds, as GC_PAUSE_BUCKETS_SECONDS. */
  boundsSeconds: readonly number[];
  /** counts[i] = cycles with pause ≤ bounds[i] and > bounds[i-1]; the last entry counts the rest (+Inf). */
  counts: number[];
  count: number;
  sumNs: number;
}

const RING = 256;
const EVENTS = 1024;
/** Longest time GC statistics wait in the profiler when nobody reads, ms. */
const ROTATE_EVERY_MS = 1000;
/** Above this many GC cycles a second (over a measured window of ≥ 0.5 s), allocation is sampled instead of measured throughout. */
export const ALLOC_EXACT_MAX_RATE = 20;
/** While sampling, the profiler measures one window (≥ 1 s) in every this many ms. */
export const ALLOC_SAMPLE_EVERY_MS = 10_000;

/** How totalAlloc is accounted: `'auto'` (exact up to ALLOC_EXACT_MAX_RATE GCs/s, sampled above) or `'exact'` (always measured). */
export type AllocAccounting = 'auto' | 'exact';

/** What v8.GCProfiler reports per GC (the fields read here). */
interface GCProfilerEntry {
  gcType: string;
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

/** GCProfiler gcTypes that are whole cycles (what the observer counts as minor/major). */
const CYCLE_TYPES = new Set(['Scavenge', 'MinorMarkCompact', 'MinorMarkSweep', 'MarkSweepCompact']);

/** Committed bytes of V8's young generation (new space). */
function newSpaceBytes(): number {
  for (const sp of v8.getHeapSpaceStatistics()) if (sp.space_name === 'new_space') return sp.space_size;
  return 0;
}

function allocAccountingFromEnv(): AllocAccounting {
  return process.env.MEMSTATS_ALLOC === 'exact' ? 'exact' : 'auto';
}

const KIND_MINOR = perfConstants.NODE_PERFORMANCE_GC_MINOR; // 1
const KIND_MAJOR = perfConstants.NODE_PERFORMANCE_GC_MAJOR; // 4
const KIND_INCREMENTAL = perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL; // 8
const KIND_WEAKCB = perfConstants.NODE_PERFORMANCE_GC_WEAKCB; // 16
const FLAG_FORCED = perfConstants.NODE_PERFORMANCE_GC_FLAGS_FORCED; // 4

function newHistogram(): PauseHistogram {
  return { boundsSeconds: GC_PAUSE_BUCKETS_SECONDS, counts: new Array(GC_PAUSE_BUCKETS_SECONDS.length + 1).fill(0), count: 0, sumNs: 0 };
}

function histogramAdd(h: PauseHistogram, ns: number): void {
  const s = ns / 1e9;
  let i = 0;
  while (i < h.boundsSeconds.length && s > h.boundsSeconds[i]) i++;
  h.counts[i]++;
  h.count++;
  h.sumNs += ns;
}

function histogramAddToLast(h: PauseHistogram, oldNs: number, newNs: number): void {
  // Move one observation from the bucket of oldNs to the bucket of newNs.
  const find = (ns: number) => {
    const s = ns / 1e9;
    let i = 0;
    while (i < h.boundsSeconds.length && s > h.boundsSeconds[i]) i++;
    return i;
  };
  h.counts[find(oldNs)]--;
  h.counts[find(newNs)]++;
  h.sumNs += newNs - oldNs;
}

/** The GC tracker: use `getGCTracker()`; there is one per isolate. */
export class GCTracker {
  running = false;
  /** performance.now() when tracking (re)started, and the epoch ms of that moment. */
  startedAtMs = 0;
  startedAtEpochMs = 0;
  /** Wall time tracked before the last restart (ms), so fractions survive stop/start. */
  private trackedMsBefore = 0;

  numGC = 0;
  numMinorGC = 0;
  numMajorGC = 0;
  numIncrementalMarking = 0;
  numWeakCallbacks = 0;
  numForcedGC = 0;
  /** Σ of every GC entry's duration (cycles and phases), ns: Go's PauseTotalNs. */
  pauseTotalNs = 0;
  /** End of the most recent cycle, ns since the epoch (Go's LastGC), 0 before the first. */
  lastGCNs = 0;
  // Plain arrays of doubles: slice() copies them in well under a µs, where
  // Array.from(Float64Array) took ~13 µs each (bench/sample.ts).
  readonly pauseNsRing: number[] = new Array<number>(RING).fill(0.5).fill(0);
  readonly pauseEndRing: number[] = new Array<number>(RING).fill(0.5).fill(0);
  readonly histogramMinor = newHistogram();
  readonly histogramMajor = newHistogram();

  private readonly events: GCEvent[] = new Array(EVENTS);
  private pendingMarkingNs = 0;
  private lastCycleSlot = -1;
  private lastCycleKind: GCKind | undefined;

  private observer: PerformanceObserver | undefined;
  private profiler: v8.GCProfiler | undefined;
  /** Bytes allocated, summed through the last profiler rotation. */
  private allocatedBytes = 0;
  /** Used heap after the last GC the profiler reported (or at start). */
  private usedAfterLastGC = 0;
  /** Largest totalAlloc handed out, so the figure never goes backwards. */
  private totalAllocReported = 0;
  /** performance.now() of the last profiler rotation. */
  private rotatedAtMs = 0;
  /** 'auto' or 'exact' (MEMSTATS_ALLOC=exact), read when tracking starts. */
  allocAccounting: AllocAccounting = 'auto';
  /** True while the profiler is off and each cycle adds allocBytesPerCycle. */
  private allocSampling = false;
  /** The profiler measures this window to calibrate (started after a sampling period). */
  private allocCalibrating = false;
  private allocSamplingSinceMs = 0;
  /**
   * The last sampling period, [from, to) in performance.now() ms: a cycle is
   * extrapolated when it *ended* in it, whenever its entry arrives. Entries come
   * a loop turn or two after their GC, and the profiler has measured a GC that
   * ended before a rotation — so a cycle that ended before sampling began is
   * not counted twice, and one that ended before a measured window began is
   * not left out.
   */
  /** Size of the young generation when sampling began (bytes per cycle were measured at that size). */
  private allocNewSpaceBytes = 0;
  private allocSampledFromMs = Infinity;
  private allocSampledToMs = Infinity;
  private allocBytesPerCycle = 0;
  /** Bytes of totalAlloc extrapolated (cycles × mean bytes per cycle) rather than measured. */
  allocEstimatedBytes = 0;
  /**
   * Relative error of the last extrapolation checked against a measured window:
   * (predicted − measured) / measured, with the bytes per cycle that the sampling
   * period before it used. null until a sampling period has been checked.
   */
  allocEstimateError: number | null = null;

  /** start begins tracking; calling it while running is harmless. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAtMs = performance.now();
    this.startedAtEpochMs = performance.timeOrigin + this.startedAtMs;
    const used = v8.getHeapStatistics().used_heap_size;
    if (this.allocatedBytes === 0) {
      // Everything alive now was allocated before we started: count it, so
      // totalAlloc starts where the heap is (a lower bound of Go's TotalAlloc).
      this.allocatedBytes = used;
      this.totalAllocReported = used;
    }
    this.usedAfterLastGC = used;
    this.allocAccounting = allocAccountingFromEnv();
    this.allocSampling = false;
    this.allocCalibrating = false;
    this.allocSampledFromMs = Infinity;
    this.allocSampledToMs = Infinity;
    this.rotatedAtMs = this.startedAtMs;
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    this.observer = new PerformanceObserver((list) => this.onEntries(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** stop disconnects the observer and the profiler; figures are kept. Calling it twice is harmless. */
  stop(): void {
    if (!this.running) return;
    this.rotate();
    this.trackedMsBefore += performance.now() - this.startedAtMs;
    this.running = false;
    this.observer?.disconnect();
    this.observer = undefined;
    try {
      this.profiler?.stop();
    } catch {
      // already stopped
    }
    this.profiler = undefined;
  }

  /** Milliseconds of wall time during which GCs were tracked. */
  trackedMs(): number {
    return this.trackedMsBefore + (this.running ? performance.now() - this.startedAtMs : 0);
  }

  private onEntries(entries: PerformanceEntry[]): void {
    for (const e of entries) this.onEntry(e);
    // Each rotation has a fixed cost (a new profiler, its start and stop) on
    // top of the per-GC one; under load GCs come many times a second, so a
    // batch rotates only when the last rotation is a second old. Readers
    // (readMemStats, the sampler) rotate before they read.
    if (performance.now() - this.rotatedAtMs >= ROTATE_EVERY_MS) this.rotate();
  }

  private onEntry(e: PerformanceEntry): void {
    const detail = (e as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail;
    const kind = detail?.kind ?? 0;
    const flags = detail?.flags ?? 0;
    const ns = Math.round(e.duration * 1e6);
    this.pauseTotalNs += ns;
    if (kind === KIND_MINOR || kind === KIND_MAJOR) {
      const k: GCKind = kind === KIND_MINOR ? 'minor' : 'major';
      let pause = ns;
      if (k === 'major') {
        pause += this.pendingMarkingNs;
        this.pendingMarkingNs = 0;
        this.numMajorGC++;
      } else {
        this.numMinorGC++;
      }
      const forced = (flags & FLAG_FORCED) !== 0;
      if (forced) this.numForcedGC++;
      const endMs = e.startTime + e.duration;
      if (endMs >= this.allocSampledFromMs && endMs < this.allocSampledToMs) {
        this.allocatedBytes += this.allocBytesPerCycle;
        this.allocEstimatedBytes += this.allocBytesPerCycle;
      }
      const endNs = (performance.timeOrigin + endMs) * 1e6;
      const slot = this.numGC % RING;
      this.pauseNsRing[slot] = pause;
      this.pauseEndRing[slot] = endNs;
      this.numGC++;
      this.lastGCNs = endNs;
      this.lastCycleSlot = slot;
      this.lastCycleKind = k;
      histogramAdd(k === 'minor' ? this.histogramMinor : this.histogramMajor, pause);
      this.events[(this.numGC - 1) % EVENTS] = { seq: this.numGC, kind: k, endMs: endNs / 1e6, pauseNs: pause, forced };
    } else if (kind === KIND_INCREMENTAL) {
      this.numIncrementalMarking++;
      this.pendingMarkingNs += ns;
    } else if (kind === KIND_WEAKCB) {
      this.numWeakCallbacks++;
      // Weak callbacks run right after the cycle that found the dead objects.
      if (this.lastCycleSlot >= 0 && this.lastCycleKind) {
        const old = this.pauseNsRing[this.lastCycleSlot];
        this.pauseNsRing[this.lastCycleSlot] = old + ns;
        histogramAddToLast(this.lastCycleKind === 'minor' ? this.histogramMinor : this.histogramMajor, old, old + ns);
        const ev = this.events[(this.numGC - 1) % EVENTS];
        if (ev) ev.pauseNs += ns;
      }
    }
  }

  /**
   * rotate folds the GC profiler's statistics into allocatedBytes (cost ~6 µs +
   * ~11 µs per GC held), and switches between measuring throughout and sampling
   * (see the module comment). While sampling it only checks, at most once a
   * second, whether the next measured window is due (10 s, or a young-generation resize).
   */
  rotate(): void {
    if (!this.running) return;
    const now = performance.now();
    if (this.allocSampling) {
      // Bytes per scavenge follow the young generation's size, which V8 changes
      // as it goes: a resize ends the sampling period early (one read a second at most).
      if (now - this.rotatedAtMs < ROTATE_EVERY_MS && now - this.allocSamplingSinceMs < ALLOC_SAMPLE_EVERY_MS) return;
      this.rotatedAtMs = now;
      if (now - this.allocSamplingSinceMs < ALLOC_SAMPLE_EVERY_MS && newSpaceBytes() === this.allocNewSpaceBytes) return;
      // Measure a window again. The cycle in progress is counted from here
      // (its part before now was covered by the previous cycles' estimate).
      this.allocSampling = false;
      this.allocSampledToMs = now;
      this.allocCalibrating = true;
      this.usedAfterLastGC = v8.getHeapStatistics().used_heap_size;
      this.profiler = new v8.GCProfiler();
      this.profiler.start();
      return;
    }
    if (!this.profiler) return;
    const windowMs = now - this.rotatedAtMs;
    const allocatedBefore = this.allocatedBytes;
    this.rotatedAtMs = now;
    let result: ReturnType<v8.GCProfiler['stop']> | undefined;
    try {
      result = this.profiler.stop();
    } catch {
      result = undefined;
    }
    this.profiler = undefined;
    const stats = (result as { statistics?: GCProfilerEntry[] } | undefined)?.statistics ?? [];
    let cycles = 0;
    for (const s of stats) {
      const before = s.beforeGC.heapStatistics.usedHeapSize;
      const after = s.afterGC.heapStatistics.usedHeapSize;
      if (before > this.usedAfterLastGC) this.allocatedBytes += before - this.usedAfterLastGC;
      this.usedAfterLastGC = after;
      if (CYCLE_TYPES.has(s.gcType)) cycles++;
    }
    const calibrating = this.allocCalibrating;
    this.allocCalibrating = false;
    // Sample from now on when the window was long enough, held enough cycles
    // for a mean, and ran at a rate where the profiler costs.
    const sample =
      this.allocAccounting === 'auto' &&
      windowMs >= 500 &&
      cycles >= 10 &&
      (cycles * 1000) / windowMs > ALLOC_EXACT_MAX_RATE;
    if (!sample) {
      this.profiler = new v8.GCProfiler();
      this.profiler.start();
      return;
    }
    // The window's bytes: from the used heap after the GC before it to the
    // used heap before its last GC, over its cycles.
    const measured = this.allocatedBytes - allocatedBefore;
    if (calibrating && this.allocBytesPerCycle > 0 && measured > 0) {
      this.allocEstimateError = (this.allocBytesPerCycle * cycles - measured) / measured;
    }
    this.allocBytesPerCycle = Math.round(measured / cycles);
    this.allocSampling = true;
    this.allocSamplingSinceMs = now;
    this.allocNewSpaceBytes = newSpaceBytes();
    this.allocSampledFromMs = now;
    this.allocSampledToMs = Infinity;
  }

  /**
   * totalAlloc: cumulative bytes allocated on the V8 heap, given the used heap
   * now. Never decreases. Without a rotation just before, GCs not yet folded in
   * make it a lower bound that the next rotation corrects.
   */
  totalAlloc(usedNow: number): number {
    // While sampling, the bytes of the cycle in progress are added when it ends.
    const est = this.allocatedBytes + (!this.allocSampling && usedNow > this.usedAfterLastGC ? usedNow - this.usedAfterLastGC : 0);
    if (est > this.totalAllocReported) this.totalAllocReported = est;
    return this.totalAllocReported;
  }

  /** Cycles with seq > afterSeq still held (at most the last 1024), oldest first. */
  eventsSince(afterSeq: number, max = EVENTS): GCEvent[] {
    const from = Math.max(afterSeq, this.numGC - EVENTS, this.numGC - max);
    const out: GCEvent[] = [];
    for (let seq = from + 1; seq <= this.numGC; seq++) {
      const ev = this.events[(seq - 1) % EVENTS];
      if (ev) out.push({ ...ev });
    }
    return out;
  }

  /** pauseNs in Go's layout: a copy of the ring, most recent at (numGC+255) % 256. */
  pauseNs(): number[] {
    return this.pauseNsRing.slice();
  }

  /** pauseEnd in Go's layout (ns since the epoch). */
  pauseEnd(): number[] {
    return this.pauseEndRing.slice();
  }

  /** The recent cycle pauses (ns), most recent first, as many as the ring holds. */
  recentPauses(): { pauseNs: number[]; pauseEndNs: number[] } {
    const n = Math.min(this.numGC, RING);
    const pauseNs = new Array<number>(n);
    const pauseEndNs = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const slot = (this.numGC - 1 - i + RING * 2) % RING;
      pauseNs[i] = this.pauseNsRing[slot];
      pauseEndNs[i] = this.pauseEndRing[slot];
    }
    return { pauseNs, pauseEndNs };
  }
}

let tracker: GCTracker | undefined;

/** getGCTracker returns the isolate's GC tracker, started on first use. */
export function getGCTracker(): GCTracker {
  if (!tracker) tracker = new GCTracker();
  if (!tracker.running) tracker.start();
  return tracker;
}

/** peekGCTracker returns the tracker without starting it (undefined if never used). */
export function peekGCTracker(): GCTracker | undefined {
  return tracker;
}

/**
 * stopGCTracker stops observing GCs (the figures are kept; the next read starts
 * tracking again, and GCs in between are not counted). Calling it twice is harmless.
 */
export function stopGCTracker(): void {
  tracker?.stop();
}

/**
 * settleGC resolves once every GC that completed before the call has been
 * counted. V8 reports GCs one or two turns of the event loop after they happen;
 * Go's ReadMemStats has no such lag, so code that forces a GC and reads at once
 * should `await settleGC()` in between.
 */
export function settleGC(): Promise<void> {
  getGCTracker();
  // The native side queues the entries on one immediate, the observer callback on the next.
  return new Promise((resolve) => setImmediate(() => setImmediate(() => setImmediate(resolve))));
}
