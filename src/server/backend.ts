/**
 * @module server/backend
 * The DebugBackend: every operation the debug server performs on a Node
 * process, as async calls returning plain data (JSON-able objects, Buffers,
 * strings, a file path). HTTP handlers call a backend and never the runtime,
 * so the same server serves this process (`localBackend()`) or another one
 * reached through the inspector (`memstats attach <pid>`, which implements
 * this interface over the Chrome DevTools Protocol).
 *
 * Conventions for implementers:
 * - Profiles come back encoded: gzipped pprof bytes (`Buffer`), or text.
 * - `signal` aborts a capture (the HTTP client went away): reject with an
 *   AbortError and leave nothing behind.
 * - Refusals carry a `code`: `ERR_MEMSTATS_PROFILE_IN_USE` (served as 409),
 *   `ERR_MEMSTATS_INSUFFICIENT_MEMORY` (503), `ERR_MEMSTATS_INVALID_OPTION` (400).
 * - `heapSnapshot()` returns a temporary file that the caller owns: it streams
 *   it and deletes it.
 */
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readMemStats, type MemStats } from '../stats/mem-stats.js';
import { readGCStats, type GCStats, type ReadGCStatsOptions } from '../stats/gc-stats.js';
import { settleGC } from '../stats/gc-tracker.js';
import { getSampler } from '../sampler/sampler.js';
import type { Sample } from '../sampler/sample.js';
import { timedGC } from '../runtime/gc.js';
import { createMetricsReader, type MetricsReader, type MetricsSnapshot } from '../export/metrics-snapshot.js';
import { readVars } from '../export/expvar.js';
import { isProcFigures } from '../export/process-stats.js';
import { harvestEventLoop, recordNativeDelays } from '../stats/event-loop.js';
import { loadProfiles, type ProfileApi } from './profile-api.js';
import { runCapture, throwIfAborted } from '../profile/errors.js';
import { booleanOption, optionsObject, optionNames } from '../internal/validate.js';
const LOCAL_BACKEND_OPTIONS_NAMES = optionNames<LocalBackendOptions>({ keepAlive: true });

/** Result of a forced GC. */
export interface GCResult {
  /** Used V8 heap before and after, bytes. */
  heapUsedBeforeBytes: number;
  heapUsedAfterBytes: number;
  /** Wall time of the collection, ms. */
  durationMs: number;
}

/** A heap snapshot written to a temporary file owned by the caller. */
export interface HeapSnapshotFile {
  path: string;
  bytes: number;
  durationMs: number;
}

/** Options of DebugBackend.profileCpu. */
export interface CpuProfileRequest {
  /** Length of the capture, s. */
  seconds: number;
  /** Sampling interval, µs (default: the profiler's, 10,000 = 100 Hz like Go). */
  intervalUs?: number;
  /** `pprof` (gzipped protobuf, default) or `cpuprofile` (Chrome DevTools JSON). */
  format?: 'pprof' | 'cpuprofile';
  signal?: AbortSignal;
}

/** Options of DebugBackend.profileHeap. */
export interface HeapProfileRequest {
  /** Run a full GC first (Go's `gc=1`). */
  gc?: boolean;
  /**
   * true: an allocation profile, objects already collected included (Go's
   * `allocs`). Undefined: whatever the running sampler keeps (live objects by
   * default). V8 samples one way at a time: asking for the other while it runs
   * is refused with ERR_MEMSTATS_PROFILE_IN_USE.
   */
  includeCollected?: boolean;
  /** Only what is allocated during the next `seconds` (Go's delta profile); default: since sampling started. */
  seconds?: number;
  signal?: AbortSignal;
}

/** Options of DebugBackend.profileBlock. */
export interface BlockProfileRequest {
  seconds: number;
  /** Stalls shorter than this are not recorded, ms (default: the profiler's, 50). */
  thresholdMs?: number;
  signal?: AbortSignal;
}

/** Options of DebugBackend.profileGoroutine. */
export interface GoroutineProfileRequest {
  /** 0: pprof bytes; 1: text grouped by type and stack; 2: one entry per resource. */
  debug: 0 | 1 | 2;
  signal?: AbortSignal;
}

/** Receives samples as they are taken. */
export type BackendSampleListener = (sample: Sample) => void;

/** The operations of the debug server on one Node process. */
export interface DebugBackend {
  /** `local`, or a description of the remote target (e.g. `pid 1234`). */
  readonly description: string;
  /** Process id of the target. */
  readonly pid: number;
  /** The target's command line: executable, Node options, script and arguments. */
  cmdline(): Promise<string[]>;
  readMemStats(): Promise<MemStats>;
  readGCStats(options?: ReadGCStatsOptions): Promise<GCStats>;
  /**
   * One MetricsSnapshot; window figures cover the time since the previous
   * call. What a thread of the same process (the agent's server thread) read
   * already, so that this one does not: `proc`, the /proc figures;
   * `nativeDelays`, a read of the shared native event-loop delay histogram.
   * Each is ignored unless it is such a read.
   */
  readMetrics(request?: { proc?: unknown; nativeDelays?: unknown }): Promise<MetricsSnapshot>;
  /** The recent samples (1 s apart), oldest first: the sampler's ring, which fills while anyone subscribes. */
  readSamples(): Promise<Sample[]>;
  /** Calls `listener` with each new sample (every second) until the returned function is called. */
  subscribeSamples(listener: BackendSampleListener): () => void;
  /** What /debug/vars serves: `cmdline`, `memstats` (Go field names) and published variables. */
  readVars(): Promise<Record<string, unknown>>;
  /** Runs a full GC. */
  gc(): Promise<GCResult>;
  profileCpu(request: CpuProfileRequest): Promise<Buffer>;
  profileHeap(request: HeapProfileRequest): Promise<Buffer>;
  profileBlock(request: BlockProfileRequest): Promise<Buffer>;
  profileGoroutine(request: GoroutineProfileRequest): Promise<Buffer | string>;
  heapSnapshot(request: { signal?: AbortSignal }): Promise<HeapSnapshotFile>;
  /** Releases what the backend holds. Calling it twice is harmless. */
  close(): Promise<void>;
}

let snapshotSeq = 0;

/** Options of localBackend. */
export interface LocalBackendOptions {
  /**
   * Whether a capture in progress keeps the process alive until it ends
   * (default true, as `await profileCpu()` does). The agent passes false: a
   * program that finishes ends even while someone is profiling it.
   */
  keepAlive?: boolean;
}

/** Resolves in the check phase of a later turn of the event loop, after its I/O. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * localBackend returns a DebugBackend for this process. It holds a metrics
 * reader (an event-loop window on the shared unref'd timer) until close().
 * Profiles come from memstats' profile module, loaded on first use.
 */
export function localBackend(options?: LocalBackendOptions): DebugBackend {
  const o = optionsObject<LocalBackendOptions>('options', options, LOCAL_BACKEND_OPTIONS_NAMES);
  const keepAlive = booleanOption('keepAlive', o.keepAlive, true);
  // Opened now, not at the first scrape: the first /metrics of a process then
  // covers the time since the server started (event-loop lag, utilization)
  // instead of an empty window. Busy, the window's timer hands its ticks to
  // Node's native one; idle, it backs off to 160 ms.
  let metrics: MetricsReader | undefined = createMetricsReader();
  // The shared 1 s sampler: it runs only while someone subscribes (a dashboard,
  // MEMSTATS_GC_LOG, a recording) — no client, no sampling.
  const sampler = getSampler(1000);
  let closed = false;
  // When the first heap profile started V8's sampler, this backend owns it and stops it at close()
  // (the start time tells it from one started since by someone else).
  let ownHeapSamplingSince: number | undefined;

  return {
    description: 'local',
    pid: process.pid,
    async cmdline() {
      return [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
    },
    async readMemStats() {
      return readMemStats();
    },
    async readGCStats(options) {
      return readGCStats(options);
    },
    async readMetrics(request) {
      // Held here: a close() between the turns below ends the reader, not this read.
      const reader = metrics;
      if (!reader) throw new Error('memstats: this debug backend is closed');
      if (request?.nativeDelays !== undefined) recordNativeDelays(request.nativeDelays);
      // In two turns of the event loop, with the program's own callbacks in
      // between: merging the native delay histogram is the largest piece of a
      // snapshot (~1 ms in a busy process), and one piece at a time delays
      // the program's requests less (docs/benchmarks.md, --latency).
      await nextTurn();
      harvestEventLoop();
      await nextTurn();
      const proc = request?.proc;
      return reader.read(isProcFigures(proc) ? { proc } : undefined);
    },
    async readSamples() {
      return sampler.history();
    },
    subscribeSamples(listener) {
      return sampler.subscribe(listener);
    },
    async readVars() {
      return readVars();
    },
    async gc() {
      const r = timedGC();
      await settleGC();
      return r;
    },
    async profileCpu(r) {
      const profiles = await loadProfiles();
      throwIfAborted(r.signal);
      const handle = profiles.startCpuProfile(r.intervalUs !== undefined ? { intervalUs: r.intervalUs } : {});
      const p = await runCapture(handle, r.seconds * 1000, r.signal, keepAlive);
      if (r.format === 'cpuprofile') return Buffer.from(JSON.stringify(profiles.toCpuprofile(p)));
      return profiles.encodeProfile(p);
    },
    async profileHeap(r) {
      const profiles = await loadProfiles();
      const sampling = profiles.heapSamplingState() !== null;
      try {
        const p = await profiles.profileHeap({
          gc: r.gc === true,
          ...(r.includeCollected ? { includeCollected: true } : {}),
          ...(r.seconds !== undefined ? { seconds: r.seconds } : {}),
          signal: r.signal,
          keepAlive,
        });
        return profiles.encodeProfile(p);
      } finally {
        if (!sampling) ownHeapSamplingSince ??= profiles.heapSamplingState()?.startedAtMs;
        if (closed) stopOwnHeapSampling(profiles);
      }
    },
    async profileBlock(r) {
      const profiles = await loadProfiles();
      throwIfAborted(r.signal);
      const handle = profiles.startBlockProfile(r.thresholdMs !== undefined ? { thresholdMs: r.thresholdMs } : {});
      const p = await runCapture(handle, r.seconds * 1000, r.signal, keepAlive);
      return profiles.encodeProfile(p);
    },
    async profileGoroutine(r) {
      const profiles = await loadProfiles();
      if (r.debug === 0) return profiles.encodeProfile(await profiles.profileResources());
      return profiles.formatResources({ debug: r.debug });
    },
    async heapSnapshot(r) {
      const profiles = await loadProfiles();
      const file = path.join(os.tmpdir(), `memstats-${process.pid}-${Date.now()}-${++snapshotSeq}.heapsnapshot`);
      try {
        return await profiles.writeHeapSnapshot(file, { signal: r.signal });
      } catch (err) {
        await unlink(file).catch(() => {});
        throw err;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      metrics?.close();
      metrics = undefined;
      if (ownHeapSamplingSince !== undefined) stopOwnHeapSampling(await loadProfiles());
    },
  };

  function stopOwnHeapSampling(profiles: ProfileApi): void {
    if (ownHeapSamplingSince !== undefined && profiles.heapSamplingState()?.startedAtMs === ownHeapSamplingSince) profiles.stopHeapSampling();
    ownHeapSamplingSince = undefined;
  }
}
