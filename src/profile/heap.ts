/**
 * @module profile/heap
 * The sampled heap profile (Go's heap profile and `runtime.MemProfileRate`) from
 * V8's sampling heap profiler, converted to pprof with source-mapped frames.
 *
 * What the numbers are, measured on Node 20 / V8 11.3: each V8 sample stands for
 * about `intervalBytes` of allocation (its `size` is the bytes allocated since the
 * previous sample, not the size of one object), so the sum of sample sizes per
 * stack estimates the bytes allocated there — within a few % of the real retained
 * bytes for 32 KiB–512 KiB intervals on 9–85 MB workloads. The number of objects
 * cannot be estimated from that, so memstats reports `samples/count` (how many
 * samples) instead of Go's `inuse_objects`, rather than a made-up figure.
 */
import { Profile } from 'pprof-format';
import { booleanOption, invalidOption, optionsObject, stateError, optionNames } from '../internal/validate.js';
import { inUseError, sleep, throwIfAborted } from './errors.js';
import { intOption, secondsOption, signalOption } from './options.js';
import { ProfileBuilder, frameOf } from './pprof.js';
import { preloadSourceMaps } from '../internal/source-map.js';
import { InspectorSession } from './session.js';
import type { V8SamplingHeapProfile, V8SamplingHeapProfileNode } from './v8-types.js';
const HEAP_SAMPLING_OPTIONS_NAMES = optionNames<HeapSamplingOptions>({ intervalBytes: true, includeCollected: true });
const HEAP_PROFILE_OPTIONS_NAMES = optionNames<HeapProfileOptions>({ gc: true, seconds: true, signal: true, mapSources: true, keepAlive: true, intervalBytes: true, includeCollected: true });
const HEAP_PROFILE_TO_PPROF_OPTIONS_NAMES = optionNames<HeapProfileToPprofOptions>({ intervalBytes: true, includeCollected: true, mapSources: true, minOrdinal: true, timeNanos: true, durationNanos: true });

/** Default sampling interval: 512 KiB, Go's MemProfileRate and V8's own default. */
export const DEFAULT_HEAP_INTERVAL_BYTES = 512 * 1024;

/** Options of startHeapSampling. */
export interface HeapSamplingOptions {
  /** Average bytes allocated between two samples, an integer from 1 to 2^30 (default 524,288 = 512 KiB). */
  intervalBytes?: number;
  /**
   * Keep samples of objects the GC has already collected (default false). The profile
   * then reports alloc_space (everything allocated since sampling started) instead
   * of inuse_space (what is still live): V8 cannot give both from one sampler.
   */
  includeCollected?: boolean;
}

/** Options of profileHeap. */
export interface HeapProfileOptions extends HeapSamplingOptions {
  /** Run a full GC first so inuse_space counts only reachable objects, like Go's `gc=1` (default false). */
  gc?: boolean;
  /**
   * Profile only what is allocated during the next `seconds` (> 0, ≤ 3600): the
   * samples taken in that window that are still live (or, with includeCollected,
   * all of them). Default: everything since sampling started.
   */
  seconds?: number;
  /** Aborts the capture (the wait and the GC); rejects with an AbortError. Sampling keeps running. */
  signal?: AbortSignal;
  /** Map compiled frames to their `.ts` source (default true). */
  mapSources?: boolean;
  /** Whether the wait of `seconds` keeps the process alive (default true); false lets a program that is done exit meanwhile. */
  keepAlive?: boolean;
}

/** Options of heapProfileToPprof. */
export interface HeapProfileToPprofOptions {
  /** The interval the profile was sampled with, bytes (default 524,288); sets the pprof period. */
  intervalBytes?: number;
  /** Whether the profile kept collected objects: names the space sample type alloc_space instead of inuse_space (default false). */
  includeCollected?: boolean;
  /** Map compiled frames to their original source (default true). */
  mapSources?: boolean;
  /** Count only samples whose ordinal is greater than this (a window), default 0 (all). */
  minOrdinal?: number;
  /** Wall-clock start, ns since the epoch (default: now). */
  timeNanos?: number | bigint;
  /** Length of the profiled window, ns (default 0). */
  durationNanos?: number | bigint;
}

interface SamplingState {
  session: InspectorSession;
  intervalBytes: number;
  includeCollected: boolean;
  startedAtMs: number;
}

let sampling: SamplingState | null = null;

/** The settings of the running heap sampler, or null when memstats is not sampling. */
export function heapSamplingState(): { intervalBytes: number; includeCollected: boolean; startedAtMs: number } | null {
  return sampling ? { intervalBytes: sampling.intervalBytes, includeCollected: sampling.includeCollected, startedAtMs: sampling.startedAtMs } : null;
}

/**
 * startHeapSampling starts V8's sampling heap profiler for this isolate and leaves
 * it running (Go's MemProfileRate): default one sample per 512 KiB allocated.
 * Measured overhead on an HTTP server: see docs/benchmarks.md (Profiling overhead).
 *
 * Calling it again with the same options is harmless; with other options it throws
 * an Error with code ERR_MEMSTATS_PROFILE_IN_USE (call stopHeapSampling first), as
 * it does when another inspector client (DevTools) is already sampling: V8 has one
 * heap sampler per isolate. Throws RangeError/TypeError (code
 * ERR_MEMSTATS_INVALID_OPTION) for bad options.
 */
export function startHeapSampling(options?: HeapSamplingOptions): void {
  const o = optionsObject<HeapSamplingOptions>('options', options, HEAP_SAMPLING_OPTIONS_NAMES);
  const intervalBytes = intOption('intervalBytes', o.intervalBytes, DEFAULT_HEAP_INTERVAL_BYTES, 1, 2 ** 30);
  const includeCollected = booleanOption('includeCollected', o.includeCollected, false);
  if (sampling) {
    if (sampling.intervalBytes === intervalBytes && sampling.includeCollected === includeCollected) return;
    throw inUseError(
      `heap sampling already running with intervalBytes=${sampling.intervalBytes}, includeCollected=${sampling.includeCollected}; call stopHeapSampling() first`,
    );
  }
  const session = InspectorSession.open();
  try {
    // V8 silently ignores a second startSampling and lets any client stop the
    // one sampler; a profile that can be read means someone else is sampling.
    let foreign = false;
    try {
      session.postSync('HeapProfiler.getSamplingProfile');
      foreign = true;
    } catch {
      foreign = false;
    }
    if (foreign) throw inUseError('heap sampling already in use by another inspector client');
    session.postSync('HeapProfiler.startSampling', {
      samplingInterval: intervalBytes,
      includeObjectsCollectedByMajorGC: includeCollected,
      includeObjectsCollectedByMinorGC: includeCollected,
    });
  } catch (err) {
    session.close();
    throw err;
  }
  sampling = { session, intervalBytes, includeCollected, startedAtMs: Date.now() };
}

/**
 * stopHeapSampling stops the sampler started by startHeapSampling (or by
 * profileHeap) and drops its samples. Calling it when not sampling is harmless.
 */
export function stopHeapSampling(): void {
  const s = sampling;
  if (!s) return;
  sampling = null;
  try {
    s.session.postSync('HeapProfiler.stopSampling');
  } catch {
    // Already stopped by another inspector client: nothing left to stop.
  }
  s.session.close();
}

/** The ordinal of the last sample of a profile (0 when none). */
function lastOrdinal(p: V8SamplingHeapProfile): number {
  let max = 0;
  for (const x of p.samples ?? []) if (x.ordinal > max) max = x.ordinal;
  return max;
}

/** The scripts of a sampling heap profile's call tree. */
function scriptsOf(head: V8SamplingHeapProfileNode): Set<string> {
  const out = new Set<string>();
  const stack = [head];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.callFrame.url) out.add(n.callFrame.url);
    for (const c of n.children ?? []) stack.push(c);
  }
  return out;
}

function readProfile(s: SamplingState): V8SamplingHeapProfile {
  try {
    return s.session.postSync<{ profile: V8SamplingHeapProfile }>('HeapProfiler.getSamplingProfile').profile;
  } catch (err) {
    if (sampling === s) stopHeapSampling();
    const e = stateError('ERR_MEMSTATS_PROFILE_STOPPED', 'memstats: heap sampling was stopped (by stopHeapSampling() or another inspector client) during the capture');
    (e as Error).cause = err;
    throw e;
  }
}

/**
 * profileHeap returns the sampled heap profile: sample types `samples/count` and
 * `inuse_space/bytes` (or `alloc_space/bytes` with includeCollected), for
 * everything sampled since sampling started, or for the last `seconds` only.
 * Starts sampling when it is not running, with the given (or default) options,
 * and leaves it running; stopHeapSampling() stops it. The first call therefore
 * returns only what was allocated since that call: start sampling early
 * (startHeapSampling) for a useful first profile, or pass `seconds`.
 *
 * With `gc: true` a full GC runs first (synchronous, a pause). Rejects with an
 * Error code ERR_MEMSTATS_PROFILE_IN_USE when the running sampler has other
 * options than those given, with an AbortError when `signal` aborts, and with
 * code ERR_MEMSTATS_PROFILE_STOPPED when sampling is stopped meanwhile.
 */
export async function profileHeap(options?: HeapProfileOptions): Promise<Profile> {
  const o = optionsObject<HeapProfileOptions>('options', options, HEAP_PROFILE_OPTIONS_NAMES);
  const gc = booleanOption('gc', o.gc, false);
  const seconds = o.seconds === undefined ? undefined : secondsOption(o.seconds, 0);
  const signal = signalOption(o.signal);
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  const keepAlive = booleanOption('keepAlive', o.keepAlive, true);
  if (o.intervalBytes !== undefined) intOption('intervalBytes', o.intervalBytes, DEFAULT_HEAP_INTERVAL_BYTES, 1, 2 ** 30);
  if (o.includeCollected !== undefined) booleanOption('includeCollected', o.includeCollected, false);
  throwIfAborted(signal);
  if (!sampling) {
    startHeapSampling({ intervalBytes: o.intervalBytes, includeCollected: o.includeCollected });
  } else if (
    (o.intervalBytes !== undefined && o.intervalBytes !== sampling.intervalBytes) ||
    (o.includeCollected !== undefined && o.includeCollected !== sampling.includeCollected)
  ) {
    const err = inUseError(
      `heap sampling already running with intervalBytes=${sampling.intervalBytes}, includeCollected=${sampling.includeCollected}; call stopHeapSampling() first`,
    );
    throw err;
  }
  const s = sampling!;
  let minOrdinal = 0;
  let fromMs = s.startedAtMs;
  if (seconds !== undefined) {
    // Only the number is kept over the wait: the profile read for it, kept alive, would show in the window.
    minOrdinal = lastOrdinal(readProfile(s));
    fromMs = Date.now();
    await sleep(seconds * 1000, signal, keepAlive);
  }
  if (gc) {
    if (sampling !== s) throw stateError('ERR_MEMSTATS_PROFILE_STOPPED', 'memstats: heap sampling was stopped during the capture');
    await s.session.post('HeapProfiler.collectGarbage');
    throwIfAborted(signal);
  }
  if (sampling !== s) throw stateError('ERR_MEMSTATS_PROFILE_STOPPED', 'memstats: heap sampling was stopped during the capture');
  const raw = readProfile(s);
  const now = Date.now();
  if (mapSources) await preloadSourceMaps(scriptsOf(raw.head));
  return heapProfileToPprof(raw, {
    intervalBytes: s.intervalBytes,
    includeCollected: s.includeCollected,
    mapSources,
    minOrdinal,
    timeNanos: BigInt(fromMs) * 1_000_000n,
    durationNanos: BigInt(Math.max(0, now - fromMs)) * 1_000_000n,
  });
}

/**
 * heapProfileToPprof converts a V8 sampling heap profile (the JSON of
 * `HeapProfiler.getSamplingProfile` / `stopSampling`, from this process or another
 * one) to a pprof Profile: sample types `samples/count` and `inuse_space/bytes`
 * (`alloc_space/bytes` with includeCollected), period type space/bytes, period
 * `intervalBytes`. Frames carry their function's first line (V8 records no
 * allocation lines). Throws a TypeError (code ERR_MEMSTATS_INVALID_OPTION) when
 * `profile` is not a sampling heap profile.
 */
export function heapProfileToPprof(profile: V8SamplingHeapProfile, options?: HeapProfileToPprofOptions): Profile {
  const p = profile as V8SamplingHeapProfile;
  if (!p || typeof p !== 'object' || !p.head || typeof p.head !== 'object' || !p.head.callFrame) {
    throw invalidOption('type', 'profile', profile, 'a V8 sampling heap profile ({ head, samples })');
  }
  const o = optionsObject<HeapProfileToPprofOptions>('options', options, HEAP_PROFILE_TO_PPROF_OPTIONS_NAMES);
  const intervalBytes = intOption('intervalBytes', o.intervalBytes, DEFAULT_HEAP_INTERVAL_BYTES, 1, 2 ** 30);
  const includeCollected = booleanOption('includeCollected', o.includeCollected, false);
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  const minOrdinal = o.minOrdinal ?? 0;
  if (typeof minOrdinal !== 'number' || !Number.isFinite(minOrdinal)) throw invalidOption('type', 'minOrdinal', o.minOrdinal, 'a finite number');
  const space = includeCollected ? 'alloc_space' : 'inuse_space';
  const b = new ProfileBuilder({
    sampleTypes: [
      ['samples', 'count'],
      [space, 'bytes'],
    ],
    periodType: ['space', 'bytes'],
    period: intervalBytes,
    defaultSampleType: space,
    timeNanos: o.timeNanos ?? BigInt(Date.now()) * 1_000_000n,
    durationNanos: o.durationNanos ?? 0,
    mapSources,
  });

  // Walk the allocation tree once (iteratively: deep recursion in user code makes
  // deep trees), remembering each node's location and parent; a stack is made only
  // for a node that has samples, by walking up (a copy of the stack at every node
  // of a 10,000-deep chain took seconds and hundreds of MB).
  const nodes = new Map<number, V8SamplingHeapProfileNode>();
  const parentOf = new Map<number, number>();
  const locOf = new Map<number, number>();
  const work: Array<[V8SamplingHeapProfileNode, number]> = [[p.head, -1]];
  while (work.length > 0) {
    const [node, parent] = work.pop()!;
    nodes.set(node.id, node);
    if (parent >= 0) parentOf.set(node.id, parent);
    const isRoot = node === p.head || node.callFrame.functionName === '(root)';
    if (!isRoot) {
      const frame = frameOf(node.callFrame);
      locOf.set(node.id, frame.url ? b.location(frame) : b.syntheticLocation(frame.name));
    }
    for (const child of node.children ?? []) work.push([child, node.id]);
  }
  const stackOf = (id: number): number[] => {
    const out: number[] = [];
    for (let n: number | undefined = id; n !== undefined; n = parentOf.get(n)) {
      const loc = locOf.get(n);
      if (loc !== undefined) out.push(loc);
    }
    return out;
  };

  if (Array.isArray(p.samples)) {
    const count = new Map<number, number>();
    const bytes = new Map<number, number>();
    for (const s of p.samples) {
      if (s.ordinal <= minOrdinal) continue;
      count.set(s.nodeId, (count.get(s.nodeId) ?? 0) + 1);
      bytes.set(s.nodeId, (bytes.get(s.nodeId) ?? 0) + s.size);
    }
    for (const [id, n] of count) {
      const stack = stackOf(id);
      if (stack.length === 0) continue;
      b.addSample(stack, [n, bytes.get(id) ?? 0]);
    }
  } else {
    // No per-sample list (older producers): selfSize only, no sample counts.
    for (const [id, node] of nodes) {
      if (node.selfSize <= 0) continue;
      const stack = stackOf(id);
      if (stack.length > 0) b.addSample(stack, [0, node.selfSize]);
    }
  }
  return b.build();
}

