/**
 * @module sampler/sample
 * The Sample: one flat reading of every figure, taken once per sampler tick and
 * shared by every consumer (console lines, dashboard, recordings, /metrics).
 * Window figures cover the time since the previous sample of the same sampler.
 */
import v8 from 'node:v8';
import { getGCTracker, type GCEvent, type GCKind } from '../stats/gc-tracker.js';
import { gcFractions, heapFigures } from '../stats/mem-stats.js';
import { openEventLoopWindow, type EventLoopWindow } from '../stats/event-loop.js';
import { availableParallelism, readRss } from '../stats/system.js';
import { readSampleSources } from './sources.js';

/** A GC cycle inside a sample's window: [end ms since epoch, pause ns, kind]. */
export type SampleGC = [endMs: number, pauseNs: number, kind: GCKind];

/** One reading. Bytes, ns, µs and ms as the names say; fractions are 0…1. */
export interface Sample {
  /** When the sample was taken, ms since the Unix epoch. */
  timeMs: number;
  /** Length of the window this sample's rates cover, ms. */
  windowMs: number;
  /** Process uptime, ms. */
  uptimeMs: number;

  // Memory (bytes)
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  heapPhysicalBytes: number;
  heapInuseBytes: number;
  heapLimitBytes: number;
  /** External memory V8 knows about (Buffers and ArrayBuffers included). */
  externalBytes: number;
  /** Used bytes of V8's code spaces (compiled code). */
  codeBytes: number;
  mallocedBytes: number;
  nativeContexts: number;
  detachedContexts: number;
  /** Used bytes by V8 heap space name. */
  spaceUsedBytes: Record<string, number>;
  /** Committed bytes by V8 heap space name. */
  spaceSizeBytes: Record<string, number>;

  // GC
  numGC: number;
  numMinorGC: number;
  numMajorGC: number;
  numIncrementalMarking: number;
  numWeakCallbacks: number;
  numForcedGC: number;
  gcPauseTotalNs: number;
  /** GC cycles in the window, and their pause total and maximum (ns). */
  gcCount: number;
  gcPauseNs: number;
  gcPauseMaxNs: number;
  /** Each cycle in the window (at most 256): [end ms, pause ns, kind]. */
  gcPauses: SampleGC[];
  /** GC main-thread time over available CPU in the window (Go's definition, windowed). */
  gcCpuFraction: number;
  /** Same since tracking began (Go's GCCPUFraction). */
  gcCpuFractionTotal: number;
  /** Cumulative bytes allocated on the V8 heap (Go's TotalAlloc; estimated). */
  totalAllocBytes: number;
  /** Of totalAllocBytes, the bytes extrapolated rather than measured (between measured windows; 0 with MEMSTATS_ALLOC=exact): MemStats.totalAllocEstimated. */
  totalAllocEstimatedBytes: number;
  /** Allocation rate in the window, bytes/s. */
  allocRateBytesPerSec: number;

  // Event loop (ns, net of the timer resolution)
  loopDelayP50Ns: number;
  loopDelayP99Ns: number;
  loopDelayMaxNs: number;
  loopDelayMeanNs: number;
  loopUtilization: number;

  // CPU (µs since start; fractions of one core over the window)
  cpuUserUs: number;
  cpuSystemUs: number;
  cpuUserFraction: number;
  cpuSystemFraction: number;

  // Live resources (Go's NumGoroutine analog)
  resourcesTotal: number;
  resources: Record<string, number>;

  /** Counters contributed by other parts (e.g. `recycler`), see addSampleSource. */
  sources?: Record<string, Record<string, number>>;
}

const MAX_GCS_PER_SAMPLE = 256;

/**
 * SampleReader builds consecutive Samples; window figures are the differences
 * from its previous read. Each reader owns an event-loop window — `close()` it.
 */
export class SampleReader {
  private loop: EventLoopWindow;
  private prevTimeMs: number;
  private prevCpuUser: number;
  private prevCpuSystem: number;
  private prevTotalAlloc: number;
  private prevGcSeq: number;
  private prevPauseTotalNs: number;
  private closed = false;

  constructor() {
    const t = getGCTracker();
    t.rotate(); // the baseline of the first window's allocation, exact like every read's
    this.loop = openEventLoopWindow();
    const cpu = process.cpuUsage();
    this.prevTimeMs = performance.now();
    this.prevCpuUser = cpu.user;
    this.prevCpuSystem = cpu.system;
    this.prevTotalAlloc = t.totalAlloc(v8.getHeapStatistics().used_heap_size);
    this.prevGcSeq = t.numGC;
    this.prevPauseTotalNs = t.pauseTotalNs;
  }

  /** read takes one Sample covering the time since the previous read. */
  read(): Sample {
    const t = getGCTracker();
    t.rotate(); // fold the GCs the profiler holds, so totalAlloc is exact
    const nowMs = performance.now();
    const windowMs = Math.max(1e-3, nowMs - this.prevTimeMs);
    const h = v8.getHeapStatistics();
    const spaces = v8.getHeapSpaceStatistics();
    const cpu = process.cpuUsage();
    const rss = readRss();
    const loop = this.loop.read();
    const f = heapFigures(h, spaces);
    const fr = gcFractions(t, cpu.user + cpu.system);

    const spaceUsedBytes: Record<string, number> = {};
    const spaceSizeBytes: Record<string, number> = {};
    let codeBytes = 0;
    for (const s of spaces) {
      spaceUsedBytes[s.space_name] = s.space_used_size;
      spaceSizeBytes[s.space_name] = s.space_size;
      if (s.space_name.startsWith('code')) codeBytes += s.space_used_size;
    }

    const events: GCEvent[] = t.numGC > this.prevGcSeq ? t.eventsSince(this.prevGcSeq, MAX_GCS_PER_SAMPLE) : [];
    let gcPauseNs = 0;
    let gcPauseMaxNs = 0;
    const gcPauses: SampleGC[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      gcPauseNs += e.pauseNs;
      if (e.pauseNs > gcPauseMaxNs) gcPauseMaxNs = e.pauseNs;
      gcPauses[i] = [e.endMs, e.pauseNs, e.kind];
    }
    const gcCount = t.numGC - this.prevGcSeq;
    const gcTimeNs = t.pauseTotalNs - this.prevPauseTotalNs;
    const totalAlloc = t.totalAlloc(h.used_heap_size);
    const resources = process.getActiveResourcesInfo();
    const byType: Record<string, number> = {};
    for (const r of resources) byType[r] = (byType[r] ?? 0) + 1;

    const sample: Sample = {
      timeMs: performance.timeOrigin + nowMs,
      windowMs,
      uptimeMs: process.uptime() * 1000,
      rssBytes: rss,
      heapUsedBytes: h.used_heap_size,
      heapTotalBytes: h.total_heap_size,
      heapPhysicalBytes: h.total_physical_size,
      heapInuseBytes: f.heapInuse,
      heapLimitBytes: h.heap_size_limit,
      externalBytes: h.external_memory,
      codeBytes,
      mallocedBytes: h.malloced_memory,
      nativeContexts: h.number_of_native_contexts,
      detachedContexts: h.number_of_detached_contexts,
      spaceUsedBytes,
      spaceSizeBytes,
      numGC: t.numGC,
      numMinorGC: t.numMinorGC,
      numMajorGC: t.numMajorGC,
      numIncrementalMarking: t.numIncrementalMarking,
      numWeakCallbacks: t.numWeakCallbacks,
      numForcedGC: t.numForcedGC,
      gcPauseTotalNs: t.pauseTotalNs,
      gcCount,
      gcPauseNs,
      gcPauseMaxNs,
      gcPauses,
      gcCpuFraction: Math.min(1, gcTimeNs / (windowMs * 1e6 * availableParallelism())),
      gcCpuFractionTotal: fr.ofAvailable,
      totalAllocBytes: totalAlloc,
      totalAllocEstimatedBytes: t.allocEstimatedBytes,
      allocRateBytesPerSec: ((totalAlloc - this.prevTotalAlloc) * 1000) / windowMs,
      loopDelayP50Ns: loop.delayP50Ns,
      loopDelayP99Ns: loop.delayP99Ns,
      loopDelayMaxNs: loop.delayMaxNs,
      loopDelayMeanNs: loop.delayMeanNs,
      loopUtilization: loop.utilization,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      cpuUserFraction: (cpu.user - this.prevCpuUser) / 1000 / windowMs,
      cpuSystemFraction: (cpu.system - this.prevCpuSystem) / 1000 / windowMs,
      resourcesTotal: resources.length,
      resources: byType,
    };
    const sources = readSampleSources();
    if (sources) sample.sources = sources;

    this.prevTimeMs = nowMs;
    this.prevCpuUser = cpu.user;
    this.prevCpuSystem = cpu.system;
    this.prevTotalAlloc = totalAlloc;
    this.prevGcSeq = t.numGC;
    this.prevPauseTotalNs = t.pauseTotalNs;
    return sample;
  }

  /** close releases the reader's event-loop window. Calling it twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.loop.close();
  }
}
