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
 *   read — prom-client reads only the first of each batch.
 * - `v8.GCProfiler`: the used heap before and after each GC, from which the
 *   bytes allocated between GCs are summed (Go's TotalAlloc; V8 has no counter).
 *   While it runs it writes ~3 KB of statistics inside every GC pause (~70 µs
 *   on a 0.4 ms scavenge here), and Node detaches a stopped profiler only when
 *   its object is collected. So the profiler is replaced at every batch of GC
 *   entries (dropped young, it dies in the next scavenge; see rotate), and in
 *   `'auto'` it measures windows (≥ 200 ms and ≥ {@link ALLOC_WINDOW_CYCLES}
 *   cycles) until two agree, then one after sampling periods of 1, 2, 4, 8 and
 *   then every {@link ALLOC_SAMPLE_EVERY_MS} ms while they keep agreeing: in
 *   between, no profiler runs and each GC cycle adds the mean bytes of the
 *   cycles measured at the young generation's size it ran at. The bytes
 *   between two scavenges follow that size (about 40 % of it), which V8
 *   changes as the load comes and goes (1 → 2 → 4 → 8 MB and back), so the
 *   means are kept per size (see {@link BytesPerCycle}); a size with no
 *   mean yet starts a measured window at once. `allocEstimatedBytes` says how
 *   much of totalAlloc came that way, `allocEstimateError` how far the last
 *   estimate was from the window that followed it. `MEMSTATS_ALLOC=exact`
 *   keeps it running.
 *
 * A GC *cycle* is what `--trace-gc` prints a line for: a Scavenge (kind 1) or a
 * Mark-Compact (kind 4). Incremental-marking steps (kind 8) and weak-callback
 * processing (kind 16) are phases of a cycle: counted apart, their time added to
 * the cycle they belong to (marking to the next Mark-Compact, weak callbacks to
 * the cycle just finished), as Go sums all pauses of a cycle into one PauseNs.
 */
import { PerformanceObserver, performance, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { shareEntryAccessors } from './gc-entries.js';

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
/** While extrapolating, the longest wait between checks whether to measure again, ms. */
const ROTATE_EVERY_MS = 1000;
/**
 * Shortest measured window, ms. With the means kept by young-generation size,
 * ten cycles give the mean (within 1–2 % here); a longer window only measures
 * more of them at high GC rates, each paused longer by the profiler.
 */
const ALLOC_WINDOW_MIN_MS = 200;
/**
 * Most stopped GC profilers left to V8 at once. Node removes a GCProfiler's GC
 * callbacks only when its object is collected, and a stopped one goes on
 * writing its statistics at every GC until then; one promoted to the old
 * generation waits for a full GC. With this many waiting, no new profiler
 * starts (allocation is extrapolated) until a full GC has freed them —
 * except with `MEMSTATS_ALLOC=exact`, which measures whatever it costs.
 */
const MAX_HELD_PROFILERS = 2;
/** A measured window lasts ≥ ALLOC_WINDOW_MIN_MS and until it holds this many GC cycles (a mean to extrapolate with). */
export const ALLOC_WINDOW_CYCLES = 10;
/** Sampling starts when a window's bytes per cycle is within this fraction of the window's before it (at each young-generation size). */
const ALLOC_STEADY = 0.1;
/** Cycles at one young-generation size that a window needs for its mean there to be compared with the one before. */
const ALLOC_SIZE_MIN_CYCLES = 4;
/** With fewer cycles than ALLOC_SIZE_MIN_CYCLES at a size, a window still disagrees when its mean is off by more than this fraction. */
const ALLOC_OUTLIER = 0.5;
/** While extrapolating, a change of the heap's growth per scavenge by this fraction of the bytes per cycle starts a measured window (loadDrifted). */
const ALLOC_DRIFT = 0.5;
/** Weight of each scavenge in the moving mean of the heap's growth while extrapolating (loadDrifted). */
const ALLOC_DRIFT_WEIGHT = 0.25;
/** While sampling, the profiler measures one window (≥ 200 ms, ≥ 10 cycles) in every this many ms. */
export const ALLOC_SAMPLE_EVERY_MS = 10_000;
/** The first sampling period, ms; each window that agrees with the one before doubles it, up to ALLOC_SAMPLE_EVERY_MS. */
const ALLOC_SAMPLE_FIRST_MS = 1000;

/** How totalAlloc is accounted: `'auto'` (one measured window in every ALLOC_SAMPLE_EVERY_MS, extrapolated in between) or `'exact'` (always measured). */
export type AllocAccounting = 'auto' | 'exact';

/** What v8.GCProfiler reports per GC (the fields read here). */
interface GCProfilerEntry {
  gcType: string;
  beforeGC: { heapStatistics: { usedHeapSize: number }; heapSpaceStatistics?: Array<{ spaceName: string; spaceSize: number }> };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

/** GCProfiler gcTypes that are whole cycles (what the observer counts as minor/major). */
const CYCLE_TYPES = new Set(['Scavenge', 'MinorMarkCompact', 'MinorMarkSweep', 'MarkSweepCompact']);

/** Committed bytes of V8's young generation (new space). */
function newSpaceBytes(): number {
  for (const sp of v8.getHeapSpaceStatistics()) if (sp.space_name === 'new_space') return sp.space_size;
  return 0;
}

/** Cycles a mean of {@link BytesPerCycle} is taken over at most: older ones weigh less and less. */
const ALLOC_MEAN_CYCLES = 64;

/** A full GC that starts this soon after the last cycle ended is one of a series (a heap snapshot's): nothing was allocated in between, ms. */
const GC_SERIES_MS = 1;
/** The key of {@link BytesPerCycle} for full GCs (scavenges go by the young generation's size). */
const FULL_GC_KEY = 0;

/**
 * Mean bytes allocated per GC cycle: per scavenge by the young generation's
 * size (a scavenge comes when that space is full, less what survived the one
 * before), and per full GC (key {@link FULL_GC_KEY}). The bytes between
 * two scavenges follow the young generation's size, and V8 resizes it with the
 * load (measured on the benchmark server: ~1.0 MB a cycle at 2 MB, ~1.6 MB at
 * 4 MB; one mean over windows that mixed sizes was off by 40–90 %). Windows
 * that agree are pooled (up to ALLOC_MEAN_CYCLES cycles), one that does not
 * starts the mean over.
 */
class BytesPerCycle {
  private readonly sums = new Map<number, { bytes: number; cycles: number }>();

  has(key: number): boolean {
    return this.sums.has(key);
  }

  /** The mean at `key`, undefined if none was measured. */
  get(key: number): number | undefined {
    const s = this.sums.get(key);
    return s ? Math.round(s.bytes / s.cycles) : undefined;
  }

  /** add pools `cycles` measured cycles into the mean at `key`, or starts it over with them (`replace`). */
  add(key: number, bytes: number, cycles: number, replace: boolean): void {
    const s = this.sums.get(key);
    if (!s || replace) {
      this.sums.set(key, { bytes, cycles });
      return;
    }
    s.bytes += bytes;
    s.cycles += cycles;
    if (s.cycles > ALLOC_MEAN_CYCLES) {
      s.bytes *= ALLOC_MEAN_CYCLES / s.cycles;
      s.cycles = ALLOC_MEAN_CYCLES;
    }
  }

  /**
   * estimate: the mean at `key`; else, for a young-generation size, the
   * nearest size's scaled to this one (bytes per cycle grow about in
   * proportion); else `fallback`.
   */
  estimate(key: number, fallback: number): number {
    const m = this.get(key);
    if (m !== undefined) return m;
    let near = 0;
    for (const k of this.sums.keys()) if (k !== FULL_GC_KEY && (near === 0 || Math.abs(Math.log(k / key)) < Math.abs(Math.log(near / key)))) near = k;
    return near > 0 && key !== FULL_GC_KEY ? Math.round((this.get(near) as number) * (key / near)) : fallback;
  }

  /** The means, for diagnostics: [key, bytes per cycle, cycles pooled]. */
  entries(): Array<[number, number, number]> {
    return [...this.sums].map(([k, s]) => [k, Math.round(s.bytes / s.cycles), Math.round(s.cycles)]);
  }
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
  /** Process CPU (µs) of the earlier tracked periods, and at the start of this one: GC's share of process CPU is over the same time as its pauses. */
  private trackedCpuUsBefore = 0;
  private cpuAtStartUs = 0;

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
  /** End of the last cycle, performance.now() ms. */
  private lastCycleEndMs = -Infinity;
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
  /**
   * Used heap just before the last profiler was stopped, while its successor
   * is not started yet (-1 otherwise): a GC between the two (stop() and the
   * new profiler allocate) is recorded by neither, and startProfiler finds it
   * by the heap having shrunk.
   */
  private usedBeforeStop = -1;
  /** The part of totalAlloc that was alive when tracking began (allocated before): not part of any rate over the tracked time. */
  allocAtStartBytes = 0;
  /** Largest totalAlloc handed out, so the figure never goes backwards. */
  private totalAllocReported = 0;
  /** performance.now() of the last check, while extrapolating, whether to measure again. */
  private rotatedAtMs = 0;
  /** The window being measured: its start (performance.now() ms), its cycles, and their cycles and bytes by key of {@link BytesPerCycle}. */
  private windowFromMs = 0;
  private windowCycles = 0;
  private windowByKey = new Map<number, { bytes: number; bytesSq: number; cycles: number }>();
  /** Bytes of GC phases (incremental marking, weak callbacks) measured since the last cycle: they count with the cycle that ends them. */
  private phaseBytes = 0;
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
  /** Size of the young generation at the last batch of GC entries, while extrapolating: the next scavenge fills that much. */
  private allocNewSpaceBytes = 0;
  /**
   * While extrapolating, measure again at once: a scavenge ran at a
   * young-generation size with no measured mean, or the load no longer looks
   * like the measured one (see loadDrifted).
   */
  private allocMeasureNow = false;
  /** Heap growth across scavenges (used after one − used after the cycle before), summed over the measured windows' scavenges since the last sampling period; and their cycles and full GCs. */
  private windowGrowthBytes = 0;
  private windowGrowthCycles = 0;
  private windowCyclesSinceSampling = 0;
  private windowMajorsSinceSampling = 0;
  /** Used heap after the last cycle the profiler reported (growth is measured from it). */
  private lastCycleUsedAfter = -1;
  /**
   * The same while extrapolating, from the heap read at each batch of
   * scavenges only: a moving mean (each batch weighs ALLOC_DRIFT_WEIGHT per
   * scavenge in it), so a change shows within a few scavenges however long the
   * period has been; and the cycles and full GCs since extrapolating began.
   */
  private sampledGrowthMean = 0;
  private sampledGrowthCycles = 0;
  private sampledCycles = 0;
  private sampledMajors = 0;
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
  /** Mean bytes per scavenge by young-generation size and per full GC, from the measured windows. */
  private readonly allocBytesPerCycle = new BytesPerCycle();
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
    const cpu = process.cpuUsage();
    this.cpuAtStartUs = cpu.user + cpu.system;
    this.startedAtEpochMs = performance.timeOrigin + this.startedAtMs;
    const used = v8.getHeapStatistics().used_heap_size;
    if (this.allocatedBytes === 0) {
      // Everything alive now was allocated before we started: count it, so
      // totalAlloc starts where the heap is (a lower bound of Go's TotalAlloc).
      this.allocatedBytes = used;
      this.totalAllocReported = used;
      this.allocAtStartBytes = used;
    }
    this.usedAfterLastGC = used;
    this.allocAccounting = allocAccountingFromEnv();
    this.allocSampling = false;
    this.allocWaitingForFullGC = false;
    this.allocCalibrating = false;
    this.allocSampledFromMs = Infinity;
    this.allocSampledToMs = Infinity;
    this.rotatedAtMs = this.startedAtMs;
    // Node's own GC entries cost the program far more than reading them (stats/gc-entries).
    shareEntryAccessors();
    this.observer = new PerformanceObserver((list) => this.onEntries(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
    this.beginWindow(this.startedAtMs, true);
    if (!this.startProfiler()) this.extrapolate(this.startedAtMs, true);
  }

  /** stop disconnects the observer and the profiler; figures are kept. Calling it twice is harmless. */
  stop(): void {
    if (!this.running) return;
    if (this.profiler) this.fold(performance.now());
    this.usedBeforeStop = -1;
    this.trackedMsBefore += performance.now() - this.startedAtMs;
    const cpu = process.cpuUsage();
    this.trackedCpuUsBefore += cpu.user + cpu.system - this.cpuAtStartUs;
    this.running = false;
    this.observer?.disconnect();
    this.observer = undefined;
  }

  /** Milliseconds of wall time during which GCs were tracked. */
  trackedMs(): number {
    return this.trackedMsBefore + (this.running ? performance.now() - this.startedAtMs : 0);
  }

  /** Process CPU time (µs, all threads) spent while GCs were tracked; `nowUs`: process.cpuUsage() user + system now. */
  trackedCpuUs(nowUs: number): number {
    return this.trackedCpuUsBefore + (this.running ? nowUs - this.cpuAtStartUs : 0);
  }

  private onEntries(entries: PerformanceEntry[]): void {
    const cycles = this.numGC;
    const majors = this.numMajorGC;
    for (const e of entries) this.onEntry(e);
    // While extrapolating, the heap now is where a read's growth since the last
    // GC starts, and the young generation's size now is what the next scavenge fills.
    if (this.allocSampling && this.numGC > cycles) {
      const used = v8.getHeapStatistics().used_heap_size;
      this.sampledCycles += this.numGC - cycles;
      this.sampledMajors += this.numMajorGC - majors;
      if (this.numMajorGC === majors) {
        const n = this.numGC - cycles;
        const weight = this.sampledGrowthCycles === 0 ? 1 : Math.min(1, ALLOC_DRIFT_WEIGHT * n);
        this.sampledGrowthMean += weight * ((used - this.usedAfterLastGC) / n - this.sampledGrowthMean);
        this.sampledGrowthCycles += n;
      }
      this.usedAfterLastGC = used;
      this.allocNewSpaceBytes = newSpaceBytes();
      if (!this.allocBytesPerCycle.has(this.allocNewSpaceBytes) || this.loadDrifted()) this.allocMeasureNow = true;
    }
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
      if (endMs >= this.allocSampledFromMs && endMs < this.allocSampledToMs) this.extrapolateCycle(k, forced, e.startTime);
      this.lastCycleEndMs = endMs;
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
    if (this.usedBeforeStop >= 0) {
      const used = v8.getHeapStatistics().used_heap_size;
      if (used < this.usedBeforeStop) {
        // A GC ran between the two profilers (only a GC shrinks the heap): what was allocated up to
        // it counts, and the new profiler's first GC counts from here — not from the last GC the old
        // one saw, which would lose all that the unseen GC freed (one young generation, ~2 % of a
        // measured window; seen in a CI run). Its bytes stay out of the window's means.
        this.allocatedBytes += this.usedBeforeStop > this.usedAfterLastGC ? this.usedBeforeStop - this.usedAfterLastGC : 0;
        this.usedAfterLastGC = used;
      }
      this.usedBeforeStop = -1;
    }
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
    if (p) this.usedBeforeStop = v8.getHeapStatistics().used_heap_size;
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
    this.windowByKey = new Map();
    // GC phases measured before the next cycle count with it, unless the window starts mid-cycle.
    if (partial) this.phaseBytes = 0;
  }

  /**
   * extrapolateCycle adds a cycle's estimated bytes while no profiler runs. A
   * scavenge: the mean at the young generation's size. A full GC: the mean of
   * full GCs, or nothing when it starts within {@link GC_SERIES_MS} of the last
   * cycle's end (a heap snapshot or a memory-pressure notification runs a
   * series of them back to back, with nothing allocated in between). A forced
   * GC (`gc()`) comes whenever it is asked for: nothing (at most one young
   * generation's fill missed each).
   */
  private extrapolateCycle(kind: GCKind, forced: boolean, startMs: number): void {
    if (forced || (kind === 'major' && startMs - this.lastCycleEndMs < GC_SERIES_MS)) return;
    const bytes = this.allocBytesPerCycle.estimate(kind === 'major' ? FULL_GC_KEY : this.allocNewSpaceBytes, this.meanBytesPerCycle());
    this.allocatedBytes += bytes;
    this.allocEstimatedBytes += bytes;
  }

  /**
   * loadDrifted: while extrapolating, the load no longer looks like the one
   * measured. Either full GCs come more often than in the measured windows
   * (over ALLOC_SIZE_MIN_CYCLES of them, a share of the cycles above twice
   * theirs plus 5 %), or the used heap grows across scavenges (promoted bytes,
   * and what is allocated straight in the old generation) by more or less than
   * in the windows — by ALLOC_DRIFT of the bytes per cycle, in a moving mean,
   * after ≥ ALLOC_SIZE_MIN_CYCLES scavenges. Both happened when V8 turned part
   * way through a steady test load to filling the old generation between
   * scavenges (pretenuring, it seems): each scavenge then came with ~5× the
   * bytes, and full GCs followed each other.
   */
  private loadDrifted(): boolean {
    if (
      this.sampledMajors >= ALLOC_SIZE_MIN_CYCLES &&
      this.sampledMajors / this.sampledCycles > (2 * this.windowMajorsSinceSampling) / Math.max(1, this.windowCyclesSinceSampling) + 0.05
    )
      return true;
    if (this.sampledGrowthCycles < ALLOC_SIZE_MIN_CYCLES || this.windowGrowthCycles < ALLOC_SIZE_MIN_CYCLES) return false;
    const drift = Math.abs(this.sampledGrowthMean - this.windowGrowthBytes / this.windowGrowthCycles);
    return drift > ALLOC_DRIFT * this.allocBytesPerCycle.estimate(this.allocNewSpaceBytes, this.meanBytesPerCycle());
  }

  /** The mean of every cycle measured since tracking began: the estimate of last resort. */
  private meanBytesPerCycle(): number {
    return this.measuredCycles > 0 ? Math.round(this.measuredBytes / this.measuredCycles) : 0;
  }

  /** extrapolate: from `now` no profiler runs and each cycle adds the mean bytes per cycle (see rotate). */
  private extrapolate(now: number, waitingForFullGC: boolean): void {
    // No profiler follows the last one: the cycles from here are extrapolated.
    this.usedBeforeStop = -1;
    this.allocSampling = true;
    this.allocWaitingForFullGC = waitingForFullGC;
    this.allocSamplingSinceMs = now;
    this.rotatedAtMs = now;
    this.allocNewSpaceBytes = newSpaceBytes();
    this.allocMeasureNow = false;
    this.sampledGrowthMean = 0;
    this.sampledGrowthCycles = 0;
    this.sampledCycles = 0;
    this.sampledMajors = 0;
    this.allocSampledFromMs = now;
    this.allocSampledToMs = Infinity;
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
   * Each measured window (≥ 200 ms, ≥ ALLOC_WINDOW_CYCLES cycles) decides between
   * measuring on and sampling (see the module comment). While extrapolating, it checks at most
   * once a second whether the next measured window is due (the sampling
   * period, or the full GC that frees the held profilers) — at once when a
   * scavenge ran at a young-generation size with no measured mean, or the
   * load has drifted from the measured one (loadDrifted).
   */
  rotate(): void {
    if (!this.running) return;
    const now = performance.now();
    if (!this.profiler) {
      if (now - this.rotatedAtMs < ROTATE_EVERY_MS && !this.allocMeasureNow) return;
      this.rotatedAtMs = now;
      if (!this.allocWaitingForFullGC && !this.allocMeasureNow && now - this.allocSamplingSinceMs < this.samplePeriodMs()) return;
      if (!this.startProfiler()) {
        this.allocWaitingForFullGC = true;
        return;
      }
      // Measure a window again. The cycle in progress is counted from here
      // (its part before now was covered by the previous cycles' estimate).
      this.allocCalibrating = !this.allocWaitingForFullGC;
      this.allocSampling = false;
      this.allocWaitingForFullGC = false;
      this.allocMeasureNow = false;
      this.allocSampledToMs = now;
      this.usedAfterLastGC = v8.getHeapStatistics().used_heap_size;
      this.lastCycleUsedAfter = -1;
      this.windowGrowthBytes = 0;
      this.windowGrowthCycles = 0;
      this.windowCyclesSinceSampling = 0;
      this.windowMajorsSinceSampling = 0;
      this.beginWindow(now, true);
      return;
    }
    this.fold(now);
    if (now - this.windowFromMs >= ALLOC_WINDOW_MIN_MS && this.windowCycles >= ALLOC_WINDOW_CYCLES) {
      // 'auto' samples from now on once two windows in a row agree on the
      // bytes per cycle at each young-generation size they share (a workload
      // in flux is measured until it settles).
      const steady = this.endWindow();
      this.beginWindow(now);
      this.allocSteadyWindows = steady ? this.allocSteadyWindows + 1 : 0;
      if (this.allocAccounting === 'auto' && steady) return this.extrapolate(now, false);
    }
    if (this.startProfiler()) return;
    // Two promoted profilers wait for a full GC: what this window measured so
    // far still updates the means, if it is enough to compare (a load whose
    // batches often hold two scavenges may never finish a window otherwise).
    if (this.windowCycles >= ALLOC_SIZE_MIN_CYCLES) this.endWindow();
    this.extrapolate(now, true);
  }

  /** The sampling period: 1, 2, 4, 8, then 10 s as windows keep agreeing; it starts over when one does not. */
  private samplePeriodMs(): number {
    return Math.min(ALLOC_SAMPLE_EVERY_MS, ALLOC_SAMPLE_FIRST_MS * 2 ** Math.max(0, this.allocSteadyWindows - 1));
  }

  /** fold stops the profiler and adds the bytes it measured to allocatedBytes and to the window. */
  private fold(now: number): void {
    const stats = this.stopProfiler(now);
    let measured = 0;
    for (const s of stats) {
      const before = s.beforeGC.heapStatistics.usedHeapSize;
      const after = s.afterGC.heapStatistics.usedHeapSize;
      const b = before > this.usedAfterLastGC ? before - this.usedAfterLastGC : 0;
      this.usedAfterLastGC = after;
      measured += b;
      const cycle = CYCLE_TYPES.has(s.gcType);
      const previousCycleUsedAfter = this.lastCycleUsedAfter;
      if (cycle) this.lastCycleUsedAfter = after;
      if (this.windowPartial) {
        // The window began mid-cycle: that cycle's bytes count, but not in its mean.
        if (cycle) this.windowPartial = false;
      } else if (!cycle) {
        this.phaseBytes += b;
      } else {
        const bytes = b + this.phaseBytes;
        this.phaseBytes = 0;
        const full = s.gcType === 'MarkSweepCompact';
        this.windowCyclesSinceSampling++;
        if (full) this.windowMajorsSinceSampling++;
        else if (previousCycleUsedAfter >= 0) {
          this.windowGrowthBytes += after - previousCycleUsedAfter;
          this.windowGrowthCycles++;
        }
        const key = full ? FULL_GC_KEY : (s.beforeGC.heapSpaceStatistics?.find((sp) => sp.spaceName === 'new_space')?.spaceSize ?? 0);
        const w = this.windowByKey.get(key);
        if (w) {
          w.bytes += bytes;
          w.bytesSq += bytes * bytes;
          w.cycles++;
        } else this.windowByKey.set(key, { bytes, bytesSq: bytes * bytes, cycles: 1 });
        this.windowCycles++;
        this.measuredBytes += bytes;
        this.measuredCycles++;
      }
    }
    this.allocatedBytes += measured;
  }

  /**
   * endWindow: a measured window (≥ 200 ms and ≥ ALLOC_WINDOW_CYCLES cycles)
   * gives the mean bytes per cycle, at each young-generation size it ran at,
   * that extrapolation uses; the first window after a sampling period first
   * checks the means that period used against it. True when the window agrees
   * with the means before it at every size (and for full GCs), and at one size
   * at least with ≥ ALLOC_SIZE_MIN_CYCLES cycles; a mean it contradicts starts
   * over from the window's, the others pool it.
   */
  private endWindow(): boolean {
    let predicted = 0;
    let measured = 0;
    let compared = 0;
    let agree = true;
    const disagreeing = new Set<number>();
    for (const [key, w] of this.windowByKey) {
      const before = this.allocBytesPerCycle.get(key);
      if (before === undefined) continue;
      predicted += before * w.cycles;
      measured += w.bytes;
      // How far the window's mean may be from the one before: ALLOC_STEADY; with
      // ≥ ALLOC_WINDOW_CYCLES cycles, also three standard errors of its mean (the
      // bytes between two scavenges of a busy server vary by ±20 %, and ten of
      // them do not make a mean good to 10 %); with too few cycles to compare,
      // ALLOC_OUTLIER (those can end sampling, not start it: a load whose
      // objects V8 starts allocating in the old generation shows first in a
      // cycle or two of five times the bytes).
      const mean = w.bytes / w.cycles;
      let tolerance = ALLOC_OUTLIER;
      if (w.cycles >= ALLOC_SIZE_MIN_CYCLES) {
        compared++;
        tolerance = ALLOC_STEADY;
        if (w.cycles >= ALLOC_WINDOW_CYCLES) tolerance = Math.max(tolerance, (3 * Math.sqrt(Math.max(0, w.bytesSq / w.cycles - mean * mean) / w.cycles)) / before);
      }
      if (Math.abs(mean - before) > tolerance * before) {
        agree = false;
        disagreeing.add(key);
      }
    }
    // A mean that the window contradicts starts over from it; the others pool it.
    for (const [key, w] of this.windowByKey) this.allocBytesPerCycle.add(key, w.bytes, w.cycles, disagreeing.has(key));
    if (this.allocCalibrating && measured > 0) this.allocEstimateError = (predicted - measured) / measured;
    this.allocCalibrating = false;
    return agree && compared > 0;
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
