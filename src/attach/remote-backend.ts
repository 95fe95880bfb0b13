/**
 * @module attach/remote-backend
 * `attachToPid(pid)`: a DebugBackend for another Node process, reached through
 * its inspector — what `memstats attach` serves and every pid command uses.
 *
 * Steps: check that the pid is a Node process of this user; open its
 * inspector (SIGUSR1; the port is found, not guessed) or use the one already
 * open; connect over loopback with chrome-remote-interface; install memstats'
 * readers with one `Runtime.evaluate` (attach/injected, bundled at build
 * time: nothing has to exist in the target's file tree). Then:
 * - samples, MemStats, GC stats, metrics, vars, resources and forced GCs run
 *   inside the target (the installed agent), returned as JSON;
 * - CPU profiles, heap sampling and heap snapshots use the Profiler and
 *   HeapProfiler domains directly, converted to pprof here (source maps are
 *   read from this machine's disk, which is the target's);
 * - block profiles combine both: stall windows recorded in the target and a
 *   CPU profile taken over the protocol.
 *
 * `close()` stops what this client started in the target, leaves the agent
 * (removing it when no other memstats client remains), and closes the
 * inspector port if memstats opened it — never one the target had open
 * before. The target prints "Debugger attached." on its stderr when we connect.
 */
import { randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BlockProfileRequest, CpuProfileRequest, DebugBackend, GCResult, GoroutineProfileRequest, HeapProfileRequest, HeapSnapshotFile, BackendSampleListener } from '../server/backend.js';
import type { Sample } from '../sampler/sample.js';
import type { MemStats } from '../stats/mem-stats.js';
import type { GCStats, ReadGCStatsOptions } from '../stats/gc-stats.js';
import type { MetricsSnapshot } from '../export/metrics-snapshot.js';
import { cpuProfileToPprof, toCpuprofile } from '../profile/cpu.js';
import { heapProfileToPprof, DEFAULT_HEAP_INTERVAL_BYTES } from '../profile/heap.js';
import { encodeProfile } from '../profile/pprof.js';
import { readMemoryHeadroom, DEFAULT_HEADROOM_FACTOR } from '../profile/heap-snapshot.js';
import { ERR_INSUFFICIENT_MEMORY, abortError, inUseError } from '../profile/errors.js';
import { DEFAULT_BLOCK_THRESHOLD_MS } from '../profile/block.js';
import type { V8CpuProfile, V8SamplingHeapProfile } from '../profile/v8-types.js';
import { stateError } from '../internal/validate.js';
import { AttachError } from './errors.js';
import { installExpression } from './bundle.js';
import { InspectorConnection } from './connection.js';
import { openInspector, type InspectorEndpoint } from './inspector-port.js';
import { requireNodeProcess, type ProcessInfo } from './proc.js';
import { blockProfileFrom, resourcesProfileFrom, resourcesTextFrom } from './remote-profiles.js';
import { ATTACH_SYMBOL, type AgentGCResult, type InstallInfo, type ReleaseInfo } from './injected/agent.js';
import type { StallWindow } from './injected/stalls.js';

/** Options of attachToPid. */
export interface AttachOptions {
  /** How long to wait for the target's inspector to open, ms (default 10,000). */
  timeoutMs?: number;
  /** Interval of the sampler installed in the target, ms (default 1000). */
  intervalMs?: number;
  /**
   * Interval of the event-loop delay timer installed in the target, ms
   * (default ATTACH_LOOP_RESOLUTION_MS). Delays are measured net of it; each
   * wake-up costs the target CPU.
   */
  loopResolutionMs?: number;
  /**
   * The installed agent removes itself (and closes the inspector port memstats
   * opened) after this long without a call from this client — a CLI that was
   * killed — ms (default 30,000).
   */
  watchdogMs?: number;
  /** Aborts the attachment while it is being made (what was done is undone). */
  signal?: AbortSignal;
  /** Told about waits a person should know of. */
  onStatus?: (line: string) => void;
}

/** Progress of a heap snapshot: V8 builds it (`snapshot`, objects done/total), then sends it (`write`, bytes). */
export interface SnapshotProgress {
  phase: 'snapshot' | 'write';
  done: number;
  total: number;
  /** Bytes received so far. */
  bytes: number;
}

/** Options of RemoteBackend.writeHeapSnapshot. */
export interface RemoteSnapshotOptions {
  /** Aborts: the snapshot in the target cannot be interrupted, but nothing is kept when it ends. */
  signal?: AbortSignal;
  onProgress?: (p: SnapshotProgress) => void;
  /** Memory the snapshot is assumed to need, × the target's heap in use (default 16; 0 disables the check). */
  headroomFactor?: number;
}

/** A DebugBackend for an attached process, with the extras the CLI uses. */
export interface RemoteBackend extends DebugBackend {
  /** Where the target's inspector answers, and whether memstats opened it. */
  readonly endpoint: InspectorEndpoint;
  /** What the installed agent reported (Node version, clients). */
  readonly info: InstallInfo;
  /** What /proc said about the target when attaching. */
  readonly process: ProcessInfo;
  /** Resolves with the reason when the target is lost (it exited, or closed its inspector). */
  readonly gone: Promise<AttachError>;
  /** Calls `fn` once if the target is lost (not on close()); returns an unsubscribe function. */
  onGone(fn: (err: AttachError) => void): () => void;
  /** A full GC in the target, with the GC counts before and after. */
  gcDetailed(): Promise<AgentGCResult>;
  /** Live resources by type. */
  readResources(): Promise<Record<string, number>>;
  /**
   * Writes a heap snapshot of the target to `file` (created or replaced; the
   * caller picks a temporary name and renames it). Rejects with code
   * ERR_MEMSTATS_INSUFFICIENT_MEMORY when memory is short, ERR_MEMSTATS_PROFILE_IN_USE
   * while another snapshot of this backend runs, an AttachError when the target goes away.
   */
  writeHeapSnapshot(file: string, options?: RemoteSnapshotOptions): Promise<{ bytes: number; durationMs: number }>;
}

let snapshotSeq = 0;

/**
 * ATTACH_LOOP_RESOLUTION_MS: the event-loop delay timer memstats installs in an
 * attached process wakes every 50 ms — a fifth of the wake-ups of the
 * in-process default (10 ms), so that being watched at 1 Hz stays within 1% of
 * a core (bench/attach.ts, docs/benchmarks.md "Attach"). Stalls longer than
 * 50 ms are always seen in full; shorter ones only when a tick falls in them.
 */
export const ATTACH_LOOP_RESOLUTION_MS = 50;

/**
 * Waits `ms`; rejects early with an AbortError when `signal` aborts, or with
 * the reason when `gone` settles first. The timer never outlives the wait.
 */
function sleep(ms: number, signal?: AbortSignal, gone?: Promise<Error>): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    let t: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(abortError(signal));
    };
    t = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    gone?.then((err) => {
      done();
      reject(err);
    });
  });
}

/** Resolves when `p` settles or after `ms`, whichever is first; the timer is unref'd and cleared. */
function upTo(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}

/**
 * attachToPid attaches to process `pid` and resolves with its RemoteBackend.
 * Rejects with AttachError: ERR_MEMSTATS_NO_SUCH_PROCESS, ERR_MEMSTATS_PERMISSION_DENIED,
 * ERR_MEMSTATS_NOT_NODE (nothing is sent to a process that is not Node.js),
 * ERR_MEMSTATS_INSPECTOR (the inspector did not open or memstats could not be
 * installed; the reason and what to do are in the message). Each call makes
 * a new attachment; close() it.
 */
export async function attachToPid(pid: number, options: AttachOptions = {}): Promise<RemoteBackend> {
  const proc = requireNodeProcess(pid);
  const endpoint = await openInspector(pid, { timeoutMs: options.timeoutMs, signal: options.signal, onStatus: options.onStatus });
  const conn = await InspectorConnection.connect(endpoint, pid);
  const clientId = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const intervalMs = options.intervalMs ?? 1000;
  const watchdogMs = options.watchdogMs ?? 30_000;
  const loopResolutionMs = options.loopResolutionMs ?? ATTACH_LOOP_RESOLUTION_MS;
  let info: InstallInfo;
  try {
    if (options.signal?.aborted) throw abortError(options.signal);
    info = (await conn.evaluate(installExpression({ clientId, openedInspector: endpoint.openedByUs, watchdogMs, intervalMs, loopResolutionMs }), { commandLineAPI: true, timeoutMs: 30_000 })) as InstallInfo;
  } catch (err) {
    if (endpoint.openedByUs && conn.alive) await closeInspectorDirectly(conn);
    await conn.close();
    if (err instanceof AttachError || (err as Error).name === 'AbortError') throw err;
    throw new AttachError('ERR_MEMSTATS_INSPECTOR', `cannot install memstats in process ${pid}: ${(err as Error).message}`, { cause: err });
  }
  return createRemoteBackend(conn, endpoint, proc, info, clientId, intervalMs, watchdogMs);
}

/** Closes the target's inspector from inside (when the agent is not there to do it), unless a memstats agent is installed and in use. */
async function closeInspectorDirectly(conn: InspectorConnection): Promise<void> {
  try {
    await conn.evaluate(
      `(function (r, a) { if (a) return false; setTimeout(function () { try { r('node:inspector').close(); } catch (e) {} }, 20).unref(); return true; })(require, globalThis[Symbol.for(${JSON.stringify(ATTACH_SYMBOL)})])`,
      { commandLineAPI: true, awaitPromise: false },
    );
    await upTo(conn.gone, 2000);
  } catch {
    // The target is gone already.
  }
}

function createRemoteBackend(
  conn: InspectorConnection,
  endpoint: InspectorEndpoint,
  proc: ProcessInfo,
  info: InstallInfo,
  clientId: string,
  intervalMs: number,
  watchdogMs: number,
): RemoteBackend {
  const pid = proc.pid;
  const listeners = new Set<BackendSampleListener>();
  const busy = new Set<string>();
  let pollTimer: NodeJS.Timeout | undefined;
  let lastSampleMs = Date.now() - intervalMs;
  let polling = false;
  let closing: Promise<void> | undefined;
  let profilerRunning = false;
  let heapSampling: { includeCollected: boolean; startedAtMs: number } | undefined;

  const call = async <T>(method: string, ...args: unknown[]): Promise<T> => {
    const expr =
      `(function (a) { if (!a) throw new Error('memstats-agent-missing'); a.touch(${JSON.stringify(clientId)}); ` +
      `return a[${JSON.stringify(method)}].apply(a, ${JSON.stringify(args)}); })(globalThis[Symbol.for(${JSON.stringify(ATTACH_SYMBOL)})])`;
    try {
      // A minute: a forced GC of a large heap takes seconds; a target paused in a debugger never answers.
      return (await conn.evaluate(expr, { timeoutMs: 60_000 })) as T;
    } catch (err) {
      if ((err as Error).message?.includes('memstats-agent-missing')) {
        throw new AttachError('ERR_MEMSTATS_TARGET_GONE', `memstats is no longer installed in process ${pid} (it removes itself when its CLI stops calling)`);
      }
      throw err;
    }
  };

  const exclusive = (name: string, what: string): (() => void) => {
    if (busy.has(name)) throw inUseError(`${what} of process ${pid} is already being taken`);
    busy.add(name);
    return () => busy.delete(name);
  };

  // Waits `ms`, failing early if the target goes away or `signal` aborts.
  const hold = (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, signal, conn.gone.then(() => conn.failure()));

  // Several heartbeats per watchdog period: a live CLI is never taken for a dead one.
  const heartbeat = setInterval(() => {
    if (!conn.alive || closing) return;
    call('touch', clientId).catch(() => undefined);
  }, Math.max(50, Math.min(5000, Math.floor(watchdogMs / 4))));
  heartbeat.unref();

  // Samples are fetched right after the target takes them: the next poll is
  // timed from the last sample's timestamp (same machine, same clock).
  const schedulePoll = (delayMs: number) => {
    if (pollTimer || listeners.size === 0 || closing || !conn.alive) return;
    pollTimer = setTimeout(poll, Math.max(20, delayMs));
    pollTimer.unref();
  };
  const poll = async () => {
    pollTimer = undefined;
    if (polling || listeners.size === 0 || closing || !conn.alive) return;
    polling = true;
    let next = Math.min(250, intervalMs);
    try {
      const fresh = await call<Sample[]>('since', lastSampleMs, 600);
      if (fresh.length > 0) {
        lastSampleMs = fresh[fresh.length - 1].timeMs;
        for (const s of fresh) {
          for (const l of [...listeners]) {
            try {
              l(s);
            } catch {
              // A listener's failure is its own.
            }
          }
        }
        next = lastSampleMs + intervalMs + 30 - Date.now();
        if (next < 20 || next > 2 * intervalMs) next = Math.min(250, intervalMs);
      }
    } catch {
      next = intervalMs;
    } finally {
      polling = false;
    }
    schedulePoll(next);
  };

  const stopCaptures = async () => {
    if (profilerRunning) {
      profilerRunning = false;
      await conn.send('Profiler.stop').catch(() => undefined);
    }
    if (heapSampling) {
      heapSampling = undefined;
      await conn.send('HeapProfiler.stopSampling').catch(() => undefined);
    }
  };

  const startProfiler = async (intervalUs: number) => {
    await conn.send('Profiler.enable');
    try {
      await conn.send('Profiler.setSamplingInterval', { interval: intervalUs });
    } catch (err) {
      throw inUseError(`the CPU profiler of process ${pid} is in use by another inspector client (${(err as Error).message})`);
    }
    await conn.send('Profiler.start');
    profilerRunning = true;
  };
  const stopProfiler = async (): Promise<V8CpuProfile> => {
    profilerRunning = false;
    const r = await conn.send<{ profile: V8CpuProfile }>('Profiler.stop');
    // Nothing of ours stays enabled in the target between captures.
    await conn.send('Profiler.disable').catch(() => undefined);
    return r.profile;
  };

  const backend: RemoteBackend = {
    description: `pid ${pid} (attached)`,
    pid,
    endpoint,
    info,
    process: proc,
    gone: conn.gone,
    onGone: (fn) => conn.onGone(fn),
    async cmdline() {
      return call<string[]>('cmdline');
    },
    async readMemStats() {
      return call<MemStats>('readMemStats');
    },
    async readGCStats(options?: ReadGCStatsOptions) {
      return call<GCStats>('readGCStats', options ?? {});
    },
    async readMetrics() {
      return call<MetricsSnapshot>('readMetrics');
    },
    async readSamples() {
      return call<Sample[]>('history');
    },
    subscribeSamples(listener) {
      listeners.add(listener);
      schedulePoll(0);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && pollTimer) {
          clearTimeout(pollTimer);
          pollTimer = undefined;
        }
      };
    },
    async readVars() {
      return call<Record<string, unknown>>('readVars');
    },
    async readResources() {
      return call<Record<string, number>>('resources');
    },
    async gcDetailed() {
      return call<AgentGCResult>('gc');
    },
    async gc(): Promise<GCResult> {
      const r = await call<AgentGCResult>('gc');
      return { heapUsedBeforeBytes: r.heapUsedBeforeBytes, heapUsedAfterBytes: r.heapUsedAfterBytes, durationMs: r.durationMs };
    },
    async profileCpu(r: CpuProfileRequest) {
      if (r.signal?.aborted) throw abortError(r.signal);
      const release = exclusive('profiler', 'a CPU or block profile');
      try {
        const intervalUs = r.intervalUs ?? 10_000;
        await startProfiler(intervalUs);
        try {
          await hold(r.seconds * 1000, r.signal);
        } catch (err) {
          await stopProfiler().catch(() => undefined);
          throw err;
        }
        const profile = await stopProfiler();
        if (r.format === 'cpuprofile') return Buffer.from(JSON.stringify(toCpuprofile(profile)));
        return encodeProfile(cpuProfileToPprof(profile, { intervalUs }));
      } finally {
        release();
      }
    },
    async profileHeap(r: HeapProfileRequest) {
      if (r.signal?.aborted) throw abortError(r.signal);
      if (!heapSampling) {
        // V8 has one heap sampler per process; another client's would be silently shared and stopped by us.
        let foreign = false;
        try {
          await conn.send('HeapProfiler.getSamplingProfile');
          foreign = true;
        } catch (err) {
          if (err instanceof AttachError) throw err;
        }
        if (foreign) throw inUseError(`heap sampling of process ${pid} is already in use by another inspector client (its own memstats or DevTools): use that client, e.g. its debug server URL`);
        const includeCollected = r.includeCollected === true;
        await conn.send('HeapProfiler.startSampling', {
          samplingInterval: DEFAULT_HEAP_INTERVAL_BYTES,
          includeObjectsCollectedByMajorGC: includeCollected,
          includeObjectsCollectedByMinorGC: includeCollected,
        });
        heapSampling = { includeCollected, startedAtMs: Date.now() };
      } else if (r.includeCollected !== undefined && r.includeCollected !== heapSampling.includeCollected) {
        throw inUseError(`heap sampling of process ${pid} is running with includeCollected=${heapSampling.includeCollected}; V8 samples one way at a time`);
      }
      const mode = heapSampling;
      let minOrdinal = 0;
      let fromMs = mode.startedAtMs;
      if (r.seconds !== undefined) {
        const before = await conn.send<{ profile: V8SamplingHeapProfile }>('HeapProfiler.getSamplingProfile');
        for (const s of before.profile.samples ?? []) if (s.ordinal > minOrdinal) minOrdinal = s.ordinal;
        fromMs = Date.now();
        await hold(r.seconds * 1000, r.signal);
      }
      if (r.gc) await call('gc');
      const { profile } = await conn.send<{ profile: V8SamplingHeapProfile }>('HeapProfiler.getSamplingProfile');
      return encodeProfile(
        heapProfileToPprof(profile, {
          intervalBytes: DEFAULT_HEAP_INTERVAL_BYTES,
          includeCollected: mode.includeCollected,
          minOrdinal,
          timeNanos: BigInt(Math.round(fromMs)) * 1_000_000n,
          durationNanos: BigInt(Math.max(0, Date.now() - fromMs)) * 1_000_000n,
        }),
      );
    },
    async profileBlock(r: BlockProfileRequest) {
      if (r.signal?.aborted) throw abortError(r.signal);
      const thresholdMs = r.thresholdMs ?? DEFAULT_BLOCK_THRESHOLD_MS;
      const release = exclusive('profiler', 'a CPU or block profile');
      try {
        const startedAtMs = Date.now();
        await startProfiler(10_000);
        let id = 0;
        let windows: { stalls: StallWindow[]; dropped: number };
        try {
          id = await call<number>('startStalls', thresholdMs);
          await hold(r.seconds * 1000, r.signal);
          windows = await call<{ stalls: StallWindow[]; dropped: number }>('stopStalls', id);
        } catch (err) {
          if (id && conn.alive) await call('stopStalls', id).catch(() => undefined);
          await stopProfiler().catch(() => undefined);
          throw err;
        }
        const cpu = await stopProfiler();
        return encodeProfile(blockProfileFrom(windows.stalls, windows.dropped, cpu, { thresholdMs, startedAtMs, endedAtMs: Date.now() }));
      } finally {
        release();
      }
    },
    async profileGoroutine(r: GoroutineProfileRequest) {
      const byType = await call<Record<string, number>>('resources');
      if (r.debug === 0) return encodeProfile(resourcesProfileFrom(byType));
      return resourcesTextFrom(byType, r.debug);
    },
    async writeHeapSnapshot(file, o = {}) {
      if (o.signal?.aborted) throw abortError(o.signal);
      const release = exclusive('snapshot', 'a heap snapshot');
      const client = conn.client as unknown as NodeJS.EventEmitter;
      let onChunk: ((p: { chunk: string }) => void) | undefined;
      let onProgress: ((p: { done: number; total: number }) => void) | undefined;
      try {
        const factor = o.headroomFactor ?? DEFAULT_HEADROOM_FACTOR;
        if (factor > 0) {
          const heapUsed = await call<number>('heapUsed');
          const required = Math.ceil(heapUsed * factor);
          const headroom = readMemoryHeadroom();
          if (required > headroom.availableBytes) {
            const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
            throw stateError(
              ERR_INSUFFICIENT_MEMORY,
              `memstats: heap snapshot refused: it may need about ${mib(required)} (${factor} × ${mib(heapUsed)} of heap in use in process ${pid}) but only ${mib(headroom.availableBytes)} is available (${headroom.source})`,
            );
          }
        }
        // Owner-only when created here: a snapshot holds the target's data.
        const fh = await open(file, 'w', 0o600);
        let bytes = 0;
        let writing: Promise<unknown> = Promise.resolve();
        let writeError: unknown;
        onChunk = (p) => {
          if (o.signal?.aborted || writeError) return;
          const buf = Buffer.from(p.chunk, 'utf8');
          bytes += buf.length;
          writing = writing.then(() => fh.write(buf)).catch((err: unknown) => {
            writeError ??= err;
          });
          o.onProgress?.({ phase: 'write', done: bytes, total: 0, bytes });
        };
        onProgress = (p) => o.onProgress?.({ phase: 'snapshot', done: p.done, total: p.total, bytes });
        client.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
        client.on('HeapProfiler.reportHeapSnapshotProgress', onProgress);
        const t0 = performance.now();
        try {
          await conn.send('HeapProfiler.takeHeapSnapshot', { reportProgress: true });
          await writing;
        } finally {
          await fh.close().catch(() => undefined);
        }
        if (writeError) throw writeError;
        if (o.signal?.aborted) throw abortError(o.signal);
        return { bytes, durationMs: performance.now() - t0 };
      } finally {
        if (onChunk) client.removeListener('HeapProfiler.addHeapSnapshotChunk', onChunk);
        if (onProgress) client.removeListener('HeapProfiler.reportHeapSnapshotProgress', onProgress);
        release();
      }
    },
    async heapSnapshot(r): Promise<HeapSnapshotFile> {
      const file = path.join(os.tmpdir(), `memstats-attach-${pid}-${Date.now()}-${++snapshotSeq}-${randomBytes(4).toString('hex')}.heapsnapshot`);
      try {
        // Created here, exclusively and owner-only, before anything is written: never through a file or
        // link someone else put at that name in the shared temporary directory.
        await (await open(file, 'wx', 0o600)).close();
        const w = await backend.writeHeapSnapshot(file, { signal: r.signal });
        return { path: file, bytes: w.bytes, durationMs: w.durationMs };
      } catch (err) {
        await unlink(file).catch(() => undefined);
        throw err;
      }
    },
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        if (pollTimer) clearTimeout(pollTimer);
        pollTimer = undefined;
        listeners.clear();
        if (conn.alive) {
          await stopCaptures();
          let closingInspector = false;
          try {
            const r = await call<ReleaseInfo>('release', clientId);
            closingInspector = r.closingInspector;
          } catch {
            // The agent is gone (or broken): close the port we opened ourselves, unless another client's agent uses it.
            if (endpoint.openedByUs && conn.alive) await closeInspectorDirectly(conn);
          }
          // The agent closes the port just after answering; wait for it so the port is closed when close() resolves.
          if (closingInspector) await upTo(conn.gone, 2000);
        }
        await conn.close();
      })();
      return closing;
    },
  };
  return backend;
}
