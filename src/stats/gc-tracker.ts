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
 *   While it runs it writes ~3 KB of statistics inside every GC pause (~70 µs
 *   on a 0.4 ms scavenge here), and Node detaches a stopped profiler only when
 *   its object is collected. So the profiler is replaced at every batch of GC
 *   entries (dropped young, it dies in the next scavenge; see rotate), and in
 *   `'auto'` it measures windows (≥ 1 s and ≥ {@link ALLOC_WINDOW_CYCLES}
 *   cycles) until two agree, then one after sampling periods of 1, 2, 4, 8 and
 *   then every {@link ALLOC_SAMPLE_EVERY_MS} ms while they keep agreeing (and as soon as V8
 *   resizes the young generation, which changes the bytes per scavenge): in
 *   between, no profiler runs and each GC cycle adds the mean bytes per cycle
 *   of the last window; `allocEstimatedBytes` says how much of totalAlloc came
 *   that way, `allocEstimateError` how far the last estimate was from the
 *   window that followed it. `MEMSTATS_ALLOC=exact` keeps it running.
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
/** Length of a measured window, and while extrapolating the longest wait between checks whether to measure again, ms. */
const ROTATE_EVERY_MS = 1000;
/**
 * Most stopped GC profilers left to V8 at once. Node removes a GCProfiler's GC
 * callbacks only when its object is collected, and a stopped one goes on
 * writing its statistics at every GC until then; one promoted to the old
 * generation waits for a full GC. With this many waiting, no new profiler
 * starts (allocation is extrapolated) until a full GC has freed them —
 * except with `MEMSTATS_ALLOC=exact`, which measures whatever it costs.
 */
const MAX_HELD_PROFILERS = 2;
/** A measured window lasts ≥ 1 s and until it holds this many GC cycles (a mean to extrapolate with). */
export const ALLOC_WINDOW_CYCLES = 10;
/** Sampling starts when a window's bytes per cycle is within this fraction of the window's before it. */
const ALLOC_STEADY = 0.1;
/** While sampling, the profiler measures one window (≥ 1 s) in every this many ms. */
export const ALLOC_SAMPLE_EVERY_MS = 10_000;
/** The first sampling period, ms; each window that agrees with the one before doubles it, up to ALLOC_SAMPLE_EVERY_MS. */
const ALLOC_SAMPLE_FIRST_MS = 1000;

/** How totalAlloc is accounted: `'auto'` (one measured window in every ALLOC_SAMPLE_EVERY_MS, extrapolated in between) or `'exact'` (always measured). */
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
  /**
   * When each stopped profiler that V8 may still hold was dropped
   * (performance.now() ms): one that lived through two scavenges or a full GC
   * sits in the old generation, keeps its GC callbacks and goes on writing
   * statistics at every GC until a full GC collects it (see
   * {@link MAX_HELD_PROFILERS}). A full GC that ends after a drop frees it.
   */
  private heldProfilersSince: number[] = [];
  /** Bytes allocated, summed through the last profiler rotation. */
  private allocatedBytes = 0;
  /** Used heap after the last GC the profiler reported (or at start). */
  private usedAfterLastGC = 0;
  /** Largest totalAlloc handed out, so the figure never goes backwards. */
  private totalAllocReported = 0;
  /** performance.now() of the last check, while extrapolating, whether to measure again. */
  private rotatedAtMs = 0;
  /** The window being measured: its start (performance.now() ms), cycles and bytes so far. */
  private windowFromMs = 0;
  private windowCycles = 0;
  private windowBytes = 0;
  /** The window began between two GCs (at start, or after extrapolating): its first cycle is measured only in part. */
  private windowPartial = false;
  /** 'auto' or 'exact' (MEMSTATS_ALLOC=exact), read when tracking starts. */
  allocAccounting: AllocAccounting = 'auto';
  /** True while no profiler runs and each cycle adds allocBytesPerCycle (sampling, or waiting for V8 to free profilers). */
  private allocSampling = false;
  /** Extrapolating because V8 still holds {@link MAX_HELD_PROFILERS} stopped profilers, not because the rate asked for sampling. */
  private allocWaitingForFullGC = false;
  /** The profiler measures this window to calibrate (started after a sampling period). */
  private allocCalibrating = false;
  private allocSamplingSinceMs = 0;
  /** Windows in a row that agreed with the one before; the sampling period doubles with each (see samplePeriodMs). */
  private allocSteadyWindows = 0;
  /** Size of the young generation when sampling began (bytes per cycle were measured at that size). */
  private allocNewSpaceBytes = 0;
  /**
   * The last sampling period, [from, to) in performance.now() ms: a cycle is
   * extrapolated when it *ended* in it, whenever its entry arrives. Entries come
   * a loop turn or two after their GC, and the profiler has measured a GC that
   * ended before a rotation — so a cycle that ended before sampling began is
   * not counted twice, and one that ended before a measured window began is
   * not left out.
   */
  private allocSampledFromMs = Infinity;
  private allocSampledToMs = Infinity;
  private allocBytesPerCycle = 0;
  /** Bytes and cycles measured by the profiler since tracking began (the mean of last resort). */
  private measuredBytes = 0;
  private measuredCycles = 0;
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
    this.allocWaitingForFullGC = false;
    this.allocCalibrating = false;
    this.allocSampledFromMs = Infinity;
    this.allocSampledToMs = Infinity;
    this.rotatedAtMs = this.startedAtMs;
    this.observer = new PerformanceObserver((list) => this.onEntries(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
    this.beginWindow(this.startedAtMs, true);
    if (!this.startProfiler()) this.extrapolate(this.startedAtMs, true);
  }

  /** stop disconnects the observer and the profiler; figures are kept. Calling it twice is harmless. */
  stop(): void {
    if (!this.running) return;
    if (this.profiler) this.fold(performance.now());
    this.trackedMsBefore += performance.now() - this.startedAtMs;
    this.running = false;
    this.observer?.disconnect();
    this.observer = undefined;
  }

  /** Milliseconds of wall time during which GCs were tracked. */
  trackedMs(): number {
    return this.trackedMsBefore + (this.running ? performance.now() - this.startedAtMs : 0);
  }

  private onEntries(entries: PerformanceEntry[]): void {
    const cycles = this.numGC;
    for (const e of entries) this.onEntry(e);
    // While extrapolating, the heap now is where a read's growth since the last GC starts.
    if (this.allocSampling && this.numGC > cycles) this.usedAfterLastGC = v8.getHeapStatistics().used_heap_size;
    // Every batch replaces the profiler (see rotate): one that is dropped
    // young dies in the next scavenge, with its GC callbacks.
    this.rotate();
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
      const endMs = e.startTime + e.duration;
      if (k === 'major') {
        pause += this.pendingMarkingNs;
        this.pendingMarkingNs = 0;
        this.numMajorGC++;
        // A full GC collects the profilers dropped before it.
        if (this.heldProfilersSince.length) this.heldProfilersSince = this.heldProfilersSince.filter((t) => t >= e.startTime);
      } else {
        this.numMinorGC++;
      }
      const forced = (flags & FLAG_FORCED) !== 0;
      if (forced) this.numForcedGC++;
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
   * startProfiler starts a new GC profiler unless V8 still holds
   * MAX_HELD_PROFILERS stopped ones (in 'exact', it always does); false when it did not.
   */
  private startProfiler(): boolean {
    if (this.allocAccounting === 'auto' && this.heldProfilersSince.length >= MAX_HELD_PROFILERS) return false;
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    return true;
  }

  /**
   * stopProfiler stops the profiler and returns what it recorded. Node
   * detaches a GCProfiler's GC callbacks only when its object is collected;
   * one that lived through two scavenges or a full GC has been promoted and
   * is remembered until a full GC.
   */
  private stopProfiler(now: number): GCProfilerEntry[] {
    const p = this.profiler;
    this.profiler = undefined;
    let stats: GCProfilerEntry[] = [];
    try {
      stats = (p?.stop() as { statistics?: GCProfilerEntry[] } | undefined)?.statistics ?? [];
    } catch {
      // already stopped
    }
    let scavenges = 0;
    let full = false;
    for (const s of stats) {
      if (s.gcType === 'MarkSweepCompact') full = true;
      else if (CYCLE_TYPES.has(s.gcType)) scavenges++;
    }
    if (full || scavenges >= 2) this.heldProfilersSince.push(now);
    return stats;
  }

  private beginWindow(now: number, partial = false): void {
    this.windowPartial = partial;
    this.windowFromMs = now;
    this.windowCycles = 0;
    this.windowBytes = 0;
  }

  /** extrapolate: from `now` no profiler runs and each cycle adds the mean bytes per cycle (see rotate). */
  private extrapolate(now: number, waitingForFullGC: boolean): void {
    this.allocSampling = true;
    this.allocWaitingForFullGC = waitingForFullGC;
    this.allocSamplingSinceMs = now;
    this.rotatedAtMs = now;
    this.allocNewSpaceBytes = newSpaceBytes();
    this.allocSampledFromMs = now;
    this.allocSampledToMs = Infinity;
    if (this.allocBytesPerCycle === 0 && this.measuredCycles > 0) this.allocBytesPerCycle = Math.round(this.measuredBytes / this.measuredCycles);
  }

  /**
   * rotate folds the GC profiler's statistics into allocatedBytes and starts
   * a new profiler (~60 µs holding one GC, ~18 µs holding none). It runs at every batch of GC
   * entries and on every read (`readMemStats()`, a sample): Node detaches a
   * stopped GCProfiler's callbacks only when its object is collected, so a
   * profiler kept for a second outlives its scavenges, is promoted, and goes on
   * writing its statistics — ~3 KB of JSON, inside the pause — at every GC
   * until a full GC, one more at every rotation (measured: each one left makes
   * every scavenge ~70–80 µs longer). Replaced at every batch, a
   * profiler is dropped young and dies in the next scavenge; if one was
   * promoted anyway (two GCs before its batch), at most
   * {@link MAX_HELD_PROFILERS} are left to V8, and until a full GC frees them
   * allocation is extrapolated.
   *
   * Each measured window (≥ 1 s, ≥ ALLOC_WINDOW_CYCLES cycles) decides between
   * measuring on and sampling (see the module comment). While extrapolating, it checks at most
   * once a second whether the next measured window is due (10 s, a
   * young-generation resize, or the full GC that frees the held profilers).
   */
  rotate(): void {
    if (!this.running) return;
    const now = performance.now();
    if (!this.profiler) {
      if (now - this.rotatedAtMs < ROTATE_EVERY_MS) return;
      this.rotatedAtMs = now;
      // Bytes per scavenge follow the young generation's size, which V8 changes
      // as it goes: a resize ends a sampling period early.
      if (!this.allocWaitingForFullGC && now - this.allocSamplingSinceMs < this.samplePeriodMs() && newSpaceBytes() === this.allocNewSpaceBytes) return;
      if (!this.startProfiler()) {
        this.allocWaitingForFullGC = true;
        return;
      }
      // Measure a window again. The cycle in progress is counted from here
      // (its part before now was covered by the previous cycles' estimate).
      this.allocCalibrating = !this.allocWaitingForFullGC;
      this.allocSampling = false;
      this.allocWaitingForFullGC = false;
      this.allocSampledToMs = now;
      this.usedAfterLastGC = v8.getHeapStatistics().used_heap_size;
      this.beginWindow(now, true);
      return;
    }
    this.fold(now);
    if (now - this.windowFromMs >= ROTATE_EVERY_MS && this.windowCycles >= ALLOC_WINDOW_CYCLES) {
      // 'auto' samples from now on once two windows in a row agree on the
      // bytes per cycle (the first ones after start hold V8's smaller early
      // scavenges; a workload in flux is measured until it settles).
      const previous = this.allocBytesPerCycle;
      this.endWindow();
      this.beginWindow(now);
      const steady = previous > 0 && Math.abs(this.allocBytesPerCycle - previous) <= ALLOC_STEADY * previous;
      this.allocSteadyWindows = steady ? this.allocSteadyWindows + 1 : 0;
      if (this.allocAccounting === 'auto' && steady) return this.extrapolate(now, false);
    }
    if (!this.startProfiler()) this.extrapolate(now, true);
  }

  /** The sampling period: 1, 2, 4, 8, then 10 s as windows keep agreeing; it starts over when one does not. */
  private samplePeriodMs(): number {
    return Math.min(ALLOC_SAMPLE_EVERY_MS, ALLOC_SAMPLE_FIRST_MS * 2 ** Math.max(0, this.allocSteadyWindows - 1));
  }

  /** fold stops the profiler and adds the bytes it measured to allocatedBytes and to the window. */
  private fold(now: number): void {
    const stats = this.stopProfiler(now);
    let bytes = 0;
    let cycles = 0;
    let partialBytes = 0;
    for (const s of stats) {
      const before = s.beforeGC.heapStatistics.usedHeapSize;
      const after = s.afterGC.heapStatistics.usedHeapSize;
      const b = before > this.usedAfterLastGC ? before - this.usedAfterLastGC : 0;
      this.usedAfterLastGC = after;
      if (this.windowPartial) {
        // The window began mid-cycle: that cycle's bytes count, but not in its mean.
        if (CYCLE_TYPES.has(s.gcType)) this.windowPartial = false;
        partialBytes += b;
      } else {
        bytes += b;
        if (CYCLE_TYPES.has(s.gcType)) cycles++;
      }
    }
    this.allocatedBytes += bytes + partialBytes;
    this.measuredBytes += bytes;
    this.measuredCycles += cycles;
    this.windowBytes += bytes;
    this.windowCycles += cycles;
  }

  /**
   * endWindow: a measured window (≥ 1 s and ≥ ALLOC_WINDOW_CYCLES cycles)
   * gives the mean bytes per cycle that extrapolation uses; the first window
   * after a sampling period first checks the mean that period used against it.
   */
  private endWindow(): void {
    if (this.allocCalibrating && this.allocBytesPerCycle > 0 && this.windowBytes > 0) {
      this.allocEstimateError = (this.allocBytesPerCycle * this.windowCycles - this.windowBytes) / this.windowBytes;
    }
    this.allocBytesPerCycle = Math.round(this.windowBytes / this.windowCycles);
    this.allocCalibrating = false;
  }

  /**
   * totalAlloc: cumulative bytes allocated on the V8 heap, given the used heap
   * now. Never decreases. Without a rotation just before, GCs not yet folded in
   * make it a lower bound that the next rotation corrects.
   */
  totalAlloc(usedNow: number): number {
    // While extrapolating, the heap's growth since the last GC delivered is
    // counted here and again in the cycle's mean when it ends: the clamp below
    // keeps the figure flat until the mean has caught up.
    const est = this.allocatedBytes + (usedNow > this.usedAfterLastGC ? usedNow - this.usedAfterLastGC : 0);
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
