/**
 * @module stats/mem-stats
 * `readMemStats()`: Go's `runtime.ReadMemStats` for Node — every MemStats field
 * with the closest honest Node value, or `null` where Node has none (reasons in
 * docs/memstats.md), plus Node's own figures. Sizes are bytes, times ns, as in Go.
 */
import v8 from 'node:v8';
import { getGCTracker, type GCTracker } from './gc-tracker.js';
import { availableParallelism } from './system.js';

/** One V8 heap space (BySize's analog: V8 sorts objects by space, not size class). */
export interface HeapSpace {
  /** V8's name: `new_space`, `old_space`, `code_space`, `large_object_space`, … */
  name: string;
  /** Committed size of the space, bytes. */
  sizeBytes: number;
  /** Bytes of objects in the space. */
  usedBytes: number;
  /** Bytes still allocatable in the space without growing it. */
  availableBytes: number;
  /** Committed bytes backed by physical memory. */
  physicalBytes: number;
}

/**
 * MemStats: Go's `runtime.MemStats` in Node terms. Byte sizes in bytes, times in
 * ns (ns since the Unix epoch for instants: a float64 holds them to 256 ns). A
 * field is `null` when Node has no honest value for it; docs/memstats.md gives,
 * field by field, the Node source and whether the value is exact or estimated.
 */
export interface MemStats {
  // General statistics
  /** Bytes of allocated V8 heap objects (= heapAlloc). Exact. */
  alloc: number;
  /** Cumulative bytes allocated on the V8 heap since tracking began (plus the heap live then). Estimated from GC before/after figures; +0.05…0.4% measured; partly extrapolated between measured windows (totalAllocEstimated). */
  totalAlloc: number;
  /** Bytes obtained from the OS: RSS plus V8 heap pages committed but not resident (= heapSys + otherSys). Estimated. */
  sys: number;
  /** Pointer lookups by the runtime: V8 has no such counter. */
  lookups: null;
  /** Cumulative heap objects allocated: V8 counts none (the sampling heap profiler estimates them). */
  mallocs: null;
  /** Cumulative heap objects freed: V8 counts none. */
  frees: null;
  // Heap
  /** Bytes of allocated V8 heap objects, reachable or not yet collected. Exact (`used_heap_size`). Buffers live outside: see `external`/`arrayBuffers`. */
  heapAlloc: number;
  /** Bytes of V8 heap committed from the OS (`total_heap_size`). Exact. */
  heapSys: number;
  /** heapSys − heapInuse: committed heap holding no objects (idle semispace, free pages). Estimated. */
  heapIdle: number;
  /** Bytes of heap pages holding objects, including free-list fragments in old-generation pages. Estimated. */
  heapInuse: number;
  /** Committed heap bytes not backed by physical memory (`total_heap_size − total_physical_size`). Estimated. */
  heapReleased: number;
  /** Live heap objects: counting them needs a heap walk (profileHeap / heap snapshot). */
  heapObjects: null;
  // Stacks
  /** V8 does not report stack usage (explainMemory() reads thread stacks from /proc). */
  stackInuse: null;
  stackSys: null;
  // Off-heap runtime structures Go reports and V8 does not
  mSpanInuse: null;
  mSpanSys: null;
  mCacheInuse: null;
  mCacheSys: null;
  buckHashSys: null;
  gcSys: null;
  /** Everything resident outside the V8 heap: code of Node and libraries, malloc'd memory, Buffers, thread stacks (RSS − heap physical). Estimated. */
  otherSys: number;
  // GC
  /** V8 does not expose the heap size at which it will next collect (heapSizeLimit is the hard limit). */
  nextGC: null;
  /** End of the last GC cycle, ns since the Unix epoch; 0 if none seen. */
  lastGC: number;
  /** Σ of main-thread GC pause time (every cycle and phase) since tracking began, ns. */
  pauseTotalNs: number;
  /** Ring of recent cycle pauses, ns: the most recent at pauseNs[(numGC+255) % 256]. */
  pauseNs: number[];
  /** Ring of recent cycle end times, ns since the epoch, laid out as pauseNs. */
  pauseEnd: number[];
  /** Completed GC cycles (Scavenges + Mark-Compacts: the lines `--trace-gc` prints). */
  numGC: number;
  /** Cycles that were forced (gc(), heap snapshots, memory-pressure notifications). */
  numForcedGC: number;
  /** GC main-thread time over available CPU time (wall time × available parallelism) since tracking began, 0…1. V8's concurrent marking threads are not included. */
  gcCPUFraction: number;
  /** Always true: V8's GC cannot be disabled. */
  enableGC: true;
  /** Unused in Go; always false. */
  debugGC: false;
  /** Go's per-size-class counts: V8 has no size classes — see heapSpaces. */
  bySize: null;

  // Node's own figures
  /** Resident set size of the process, bytes (whole process). */
  rss: number;
  /** Memory outside the V8 heap that V8 is told about (Buffers, ArrayBuffers, addons), bytes. */
  external: number;
  /** Bytes of ArrayBuffer/Buffer backing stores (part of external). */
  arrayBuffers: number;
  /** Hard limit of the V8 heap (`--max-old-space-size` and friends), bytes. */
  heapSizeLimit: number;
  /** Committed V8 heap backed by physical memory, bytes. */
  heapPhysical: number;
  /** Bytes V8 could still allocate before hitting heapSizeLimit. */
  heapAvailable: number;
  /** Bytes of executable heap (code). */
  heapExecutable: number;
  /** Bytes V8 itself malloc'd (outside the heap pages), now and at peak. */
  mallocedMemory: number;
  peakMallocedMemory: number;
  /** Live V8 contexts (a vm context or realm each); a growing count is a leak. */
  nativeContexts: number;
  /** Contexts detached but not yet collected: > 0 for long is a leak. */
  detachedContexts: number;
  /** Global handles, bytes used / committed. */
  globalHandlesUsed: number;
  globalHandlesSize: number;
  /** Per-space figures (BySize's analog). */
  heapSpaces: HeapSpace[];
  /** Cycles by kind: Scavenges and Mark-Compacts. */
  numMinorGC: number;
  numMajorGC: number;
  /** GC phases seen (not cycles): incremental-marking steps and weak-callback runs. */
  numIncrementalMarking: number;
  numWeakCallbacks: number;
  /** GC main-thread time over this process's CPU time (user + system) since tracking began, 0…1. */
  gcCPUFractionOfProcess: number;
  /** Wall time since GC tracking began, ms (the window of totalAlloc, pauseTotalNs and the fractions). */
  trackedMs: number;
  /**
   * Bytes of totalAlloc extrapolated rather than measured: V8's GCProfiler
   * measures windows (≥ 200 ms, ≥ 10 GC cycles) until two agree, then one after
   * sampling periods growing from 1 s to 10 s; each other cycle adds the mean
   * bytes per cycle measured at its young-generation size (full GCs: theirs)
   * (`MEMSTATS_ALLOC=exact`: always measured, 0).
   */
  totalAllocEstimated: number;
  /** Relative error of the last extrapolation checked against the window measured after it ((predicted − measured) / measured); null until one was checked. */
  totalAllocEstimateError: number | null;
}

/** Raw heap figures shared by readMemStats and the sampler. */
export interface HeapFigures {
  heapAlloc: number;
  heapSys: number;
  heapInuse: number;
  heapPhysical: number;
  heapReleased: number;
}

/** Splits V8's space figures into Go's in-use / idle / released (see MemStats docs). */
export function heapFigures(h: v8.HeapInfo, spaces: v8.HeapSpaceInfo[]): HeapFigures {
  let inuse = 0;
  for (const s of spaces) {
    const name = s.space_name;
    if (name === 'new_space') {
      // Bump-pointer space: the unused part of the active semispace and the idle
      // semispace hold nothing.
      inuse += s.space_used_size;
    } else if (name.endsWith('large_object_space')) {
      inuse += s.space_size; // one object per page
    } else {
      const occupied = s.space_size - s.space_available_size;
      inuse += Math.min(s.space_size, Math.max(s.space_used_size, occupied));
    }
  }
  const heapSys = h.total_heap_size;
  if (inuse > heapSys) inuse = heapSys;
  if (inuse < h.used_heap_size) inuse = Math.min(heapSys, h.used_heap_size);
  const released = heapSys - h.total_physical_size;
  return {
    heapAlloc: h.used_heap_size,
    heapSys,
    heapInuse: inuse,
    heapPhysical: h.total_physical_size,
    heapReleased: released > 0 ? released : 0,
  };
}

/** GC CPU fractions of a tracker (Go's, over available CPU; and over process CPU), both over the time it tracked. */
export function gcFractions(t: GCTracker, cpuNowUs: number): { ofAvailable: number; ofProcess: number } {
  const wallNs = t.trackedMs() * 1e6;
  const cpuNs = t.trackedCpuUs(cpuNowUs) * 1e3;
  const ofAvailable = wallNs > 0 ? t.pauseTotalNs / (wallNs * availableParallelism()) : 0;
  const ofProcess = cpuNs > 0 ? Math.min(1, t.pauseTotalNs / cpuNs) : 0;
  return { ofAvailable: Math.min(1, ofAvailable), ofProcess };
}

/**
 * readMemStats returns one snapshot of every memory figure: Go's MemStats fields
 * (null where Node has no honest value) and Node's own. The first call starts
 * the GC tracker (an observer and V8's GCProfiler, see totalAllocEstimated); GC counts
 * include the GCs V8 has reported so far — a GC that finished in the current
 * synchronous run is counted after `await settleGC()`. Cost ~15 µs. Never throws.
 */
export function readMemStats(): MemStats {
  const t = getGCTracker();
  t.rotate();
  const mu = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const rawSpaces = v8.getHeapSpaceStatistics();
  const cpu = process.cpuUsage();
  const f = heapFigures(h, rawSpaces);
  const rss = mu.rss;
  const otherSys = Math.max(0, rss - f.heapPhysical);
  const fr = gcFractions(t, cpu.user + cpu.system);
  return {
    alloc: f.heapAlloc,
    totalAlloc: t.totalAlloc(f.heapAlloc),
    sys: f.heapSys + otherSys,
    lookups: null,
    mallocs: null,
    frees: null,
    heapAlloc: f.heapAlloc,
    heapSys: f.heapSys,
    heapIdle: f.heapSys - f.heapInuse,
    heapInuse: f.heapInuse,
    heapReleased: f.heapReleased,
    heapObjects: null,
    stackInuse: null,
    stackSys: null,
    mSpanInuse: null,
    mSpanSys: null,
    mCacheInuse: null,
    mCacheSys: null,
    buckHashSys: null,
    gcSys: null,
    otherSys,
    nextGC: null,
    lastGC: t.lastGCNs,
    pauseTotalNs: t.pauseTotalNs,
    pauseNs: t.pauseNs(),
    pauseEnd: t.pauseEnd(),
    numGC: t.numGC,
    numForcedGC: t.numForcedGC,
    gcCPUFraction: fr.ofAvailable,
    enableGC: true,
    debugGC: false,
    bySize: null,
    rss,
    external: mu.external,
    arrayBuffers: mu.arrayBuffers,
    heapSizeLimit: h.heap_size_limit,
    heapPhysical: f.heapPhysical,
    heapAvailable: h.total_available_size,
    heapExecutable: h.total_heap_size_executable,
    mallocedMemory: h.malloced_memory,
    peakMallocedMemory: h.peak_malloced_memory,
    nativeContexts: h.number_of_native_contexts,
    detachedContexts: h.number_of_detached_contexts,
    globalHandlesUsed: (h as v8.HeapInfo & { used_global_handles_size?: number }).used_global_handles_size ?? 0,
    globalHandlesSize: (h as v8.HeapInfo & { total_global_handles_size?: number }).total_global_handles_size ?? 0,
    heapSpaces: rawSpaces.map((s) => ({
      name: s.space_name,
      sizeBytes: s.space_size,
      usedBytes: s.space_used_size,
      availableBytes: s.space_available_size,
      physicalBytes: s.physical_space_size,
    })),
    numMinorGC: t.numMinorGC,
    numMajorGC: t.numMajorGC,
    numIncrementalMarking: t.numIncrementalMarking,
    numWeakCallbacks: t.numWeakCallbacks,
    gcCPUFractionOfProcess: fr.ofProcess,
    trackedMs: t.trackedMs(),
    totalAllocEstimated: t.allocEstimatedBytes,
    totalAllocEstimateError: t.allocEstimateError,
  };
}

/** The Go field names of MemStats, in Go's order, with their camelCase keys here. */
export const GO_MEMSTATS_FIELDS: ReadonlyArray<readonly [go: string, key: keyof MemStats]> = [
  ['Alloc', 'alloc'], ['TotalAlloc', 'totalAlloc'], ['Sys', 'sys'], ['Lookups', 'lookups'], ['Mallocs', 'mallocs'],
  ['Frees', 'frees'], ['HeapAlloc', 'heapAlloc'], ['HeapSys', 'heapSys'], ['HeapIdle', 'heapIdle'],
  ['HeapInuse', 'heapInuse'], ['HeapReleased', 'heapReleased'], ['HeapObjects', 'heapObjects'],
  ['StackInuse', 'stackInuse'], ['StackSys', 'stackSys'], ['MSpanInuse', 'mSpanInuse'], ['MSpanSys', 'mSpanSys'],
  ['MCacheInuse', 'mCacheInuse'], ['MCacheSys', 'mCacheSys'], ['BuckHashSys', 'buckHashSys'], ['GCSys', 'gcSys'],
  ['OtherSys', 'otherSys'], ['NextGC', 'nextGC'], ['LastGC', 'lastGC'], ['PauseTotalNs', 'pauseTotalNs'],
  ['PauseNs', 'pauseNs'], ['PauseEnd', 'pauseEnd'], ['NumGC', 'numGC'], ['NumForcedGC', 'numForcedGC'],
  ['GCCPUFraction', 'gcCPUFraction'], ['EnableGC', 'enableGC'], ['DebugGC', 'debugGC'], ['BySize', 'bySize'],
];

/** toGoMemStats renames the Go fields of `m` to Go's names (PascalCase), for `memstats stats --go` and /debug/vars. */
export function toGoMemStats(m: MemStats): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [go, key] of GO_MEMSTATS_FIELDS) out[go] = m[key];
  return out;
}
