/**
 * @module profile/cpu
 * CPU profiles (Go's `pprof.StartCPUProfile` / `/debug/pprof/profile`) from V8's
 * sampling CPU profiler, through an in-process inspector session, converted to
 * pprof with source-mapped frames. Also the pure converter for profiles fetched
 * from another process, and `toCpuprofile` for Chrome DevTools and speedscope.
 */
import { pathToFileURL } from 'node:url';
import { Profile } from 'pprof-format';
import { mapLocation, preloadSourceMaps } from '../internal/source-map.js';
import { booleanOption, invalidOption, optionsObject, optionNames } from '../internal/validate.js';
import { inUseError, runCapture, throwIfAborted } from './errors.js';
import { intOption, secondsOption, signalOption } from './options.js';
import { ProfileBuilder, apportion, frameOf } from './pprof.js';
import { InspectorSession } from './session.js';
import type { V8CpuProfile, V8CpuProfileNode } from './v8-types.js';
const START_CPU_PROFILE_OPTIONS_NAMES = optionNames<StartCpuProfileOptions>({ intervalUs: true, mapSources: true });
const CPU_PROFILE_OPTIONS_NAMES = optionNames<CpuProfileOptions>({ seconds: true, signal: true, intervalUs: true, mapSources: true });
const CPU_PROFILE_TO_PPROF_OPTIONS_NAMES = optionNames<CpuProfileToPprofOptions>({ intervalUs: true, mapSources: true, timeNanos: true });
const TO_CPUPROFILE_OPTIONS_NAMES = optionNames<ToCpuprofileOptions>({ mapSources: true });

/** Default sampling interval: 10,000 µs, i.e. 100 Hz like Go's CPU profiler. */
export const DEFAULT_CPU_INTERVAL_US = 10_000;
/** Default length of profileCpu: 30 s, like Go's `/debug/pprof/profile`. */
export const DEFAULT_CPU_SECONDS = 30;

/** Options of startCpuProfile. */
export interface StartCpuProfileOptions {
  /** Sampling interval in µs, an integer from 50 to 1,000,000 (default 10,000 = 100 Hz). */
  intervalUs?: number;
  /** Map compiled frames to their `.ts` source through source maps (default true). */
  mapSources?: boolean;
}

/** Options of profileCpu. */
export interface CpuProfileOptions extends StartCpuProfileOptions {
  /** How long to profile, seconds: > 0 and ≤ 3600 (default 30). */
  seconds?: number;
  /** Aborts the capture: the profile is discarded and the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

/** A running CPU profile, from startCpuProfile. */
export interface CpuProfileHandle {
  /** stop ends the profile and resolves with it. Calling it again returns the same promise. */
  stop(): Promise<Profile>;
}

/** Options of cpuProfileToPprof. */
export interface CpuProfileToPprofOptions {
  /** The sampling interval the profile was taken with, µs (default: the median gap between samples). Sets the pprof period. */
  intervalUs?: number;
  /** Map compiled frames to their original source, reading source maps from this machine's disk (default true). */
  mapSources?: boolean;
  /** Wall-clock start of the profile, ns since the epoch (default: now minus the profile's length). */
  timeNanos?: number | bigint;
}

/** Options of toCpuprofile. */
export interface ToCpuprofileOptions {
  /** Rewrite frames to their original source positions (`.ts` file URLs, lines, columns) (default true). */
  mapSources?: boolean;
}

// Raw V8 profiles behind the pprof Profiles memstats returned, for toCpuprofile.
const rawProfiles = new WeakMap<Profile, V8CpuProfile>();

// Go refuses a second StartCPUProfile ("cpu profiling already in use"); so do we.
// V8 could run two, but two samplers double the cost and the second one's numbers
// would be skewed by the first.
let cpuInUse = false;

/** True while a memstats CPU profile is running (startCpuProfile or profileCpu). */
export function isCpuProfiling(): boolean {
  return cpuInUse;
}

/**
 * startCpuProfile starts V8's sampling CPU profiler and returns a handle whose
 * `stop()` resolves with the pprof Profile. Default interval 10,000 µs (100 Hz).
 *
 * Starting costs one synchronous pause while V8 records the code already compiled:
 * measured 16 ms with a 6 MB heap and up to 250–650 ms with 160–800 MB heaps.
 * Throws synchronously: RangeError/TypeError (code ERR_MEMSTATS_INVALID_OPTION) for
 * bad options, an Error with code ERR_MEMSTATS_PROFILE_IN_USE ("cpu profiling
 * already in use") while another memstats CPU profile runs, and code
 * ERR_MEMSTATS_INSPECTOR_UNAVAILABLE without an inspector.
 */
export function startCpuProfile(options?: StartCpuProfileOptions): CpuProfileHandle {
  const o = optionsObject<StartCpuProfileOptions>('options', options, START_CPU_PROFILE_OPTIONS_NAMES);
  const intervalUs = intOption('intervalUs', o.intervalUs, DEFAULT_CPU_INTERVAL_US, 50, 1_000_000);
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  if (cpuInUse) throw inUseError('cpu profiling already in use');
  const session = InspectorSession.open();
  cpuInUse = true;
  const timeNanos = BigInt(Date.now()) * 1_000_000n;
  try {
    // Issued back to back in one tick: nothing (e.g. the block profile's console
    // profiles) can run between enable and start and make this session's agent
    // create a profiler twice.
    session.postSync('Profiler.enable');
    session.postSync('Profiler.setSamplingInterval', { interval: intervalUs });
    session.postSync('Profiler.start');
  } catch (err) {
    session.close();
    cpuInUse = false;
    throw err;
  }
  let stopping: Promise<Profile> | null = null;
  return {
    stop(): Promise<Profile> {
      if (!stopping) {
        stopping = (async () => {
          try {
            const { profile } = session.postSync<{ profile: V8CpuProfile }>('Profiler.stop');
            if (mapSources) await preloadSourceMaps(profile.nodes.map((n) => n.callFrame.url));
            const pprof = cpuProfileToPprof(profile, { intervalUs, mapSources, timeNanos });
            rawProfiles.set(pprof, profile);
            return pprof;
          } finally {
            session.close();
            cpuInUse = false;
          }
        })();
      }
      return stopping;
    },
  };
}

/**
 * profileCpu profiles the CPU for `seconds` (default 30) at `intervalUs` (default
 * 10,000 µs = 100 Hz) and resolves with the pprof Profile (sample types
 * samples/count, wall/nanoseconds, cpu/nanoseconds; cpu excludes `(idle)`).
 * Rejects like startCpuProfile, and with an AbortError when `signal` aborts (the
 * profiler is stopped, nothing is kept).
 */
export async function profileCpu(options?: CpuProfileOptions): Promise<Profile> {
  const o = optionsObject<CpuProfileOptions>('options', options, CPU_PROFILE_OPTIONS_NAMES);
  const seconds = secondsOption(o.seconds, DEFAULT_CPU_SECONDS);
  const signal = signalOption(o.signal);
  throwIfAborted(signal);
  return runCapture(startCpuProfile({ intervalUs: o.intervalUs, mapSources: o.mapSources }), seconds * 1000, signal);
}

function isV8CpuProfile(value: unknown): value is V8CpuProfile {
  const v = value as V8CpuProfile;
  return !!v && typeof v === 'object' && Array.isArray(v.nodes) && typeof v.startTime === 'number' && typeof v.endTime === 'number';
}

function median(values: number[]): number {
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return DEFAULT_CPU_INTERVAL_US;
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * cpuProfileToPprof converts a V8 CPU profile (the JSON of `Profiler.stop`, or a
 * `.cpuprofile` file), taken in this process or fetched over the DevTools
 * protocol from another one, to a pprof Profile.
 *
 * Sample types: `samples/count`, `wall/nanoseconds` (time between samples,
 * attributed as Chrome DevTools does) and `cpu/nanoseconds` (the same without
 * `(idle)`, the default in `go tool pprof`); period type cpu/nanoseconds. The
 * leaf frame carries the sampled line when V8 recorded line ticks; callers carry
 * their function's first line (V8 does not record call-site lines). Throws a
 * TypeError (code ERR_MEMSTATS_INVALID_OPTION) when `profile` is not a CPU profile.
 */
export function cpuProfileToPprof(profile: V8CpuProfile, options?: CpuProfileToPprofOptions): Profile {
  if (!isV8CpuProfile(profile)) {
    throw invalidOption('type', 'profile', profile, 'a V8 CPU profile ({ nodes, startTime, endTime, samples, timeDeltas })');
  }
  const o = optionsObject<CpuProfileToPprofOptions>('options', options, CPU_PROFILE_TO_PPROF_OPTIONS_NAMES);
  const samples = Array.isArray(profile.samples) ? profile.samples : [];
  const deltas = Array.isArray(profile.timeDeltas) ? profile.timeDeltas : [];
  const intervalUs = o.intervalUs === undefined ? median(deltas) : intOption('intervalUs', o.intervalUs, DEFAULT_CPU_INTERVAL_US, 1, 60_000_000);
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  const durationUs = Math.max(0, profile.endTime - profile.startTime);
  let timeNanos: bigint;
  if (o.timeNanos === undefined) timeNanos = BigInt(Math.round((Date.now() - durationUs / 1000) * 1e6));
  else if (typeof o.timeNanos === 'bigint') timeNanos = o.timeNanos;
  else timeNanos = BigInt(Math.round(o.timeNanos));

  const byId = new Map<number, V8CpuProfileNode>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }

  // Per-node sample count and wall time. A sample's time is the gap to the next
  // sample (the last one: to endTime), as Chrome DevTools computes self time.
  const count = new Map<number, number>();
  const wallUs = new Map<number, number>();
  if (samples.length > 0) {
    const ts: number[] = new Array(samples.length);
    let t = profile.startTime;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      ts[i] = t;
    }
    for (let i = 0; i < samples.length; i++) {
      const next = i + 1 < samples.length ? ts[i + 1] : profile.endTime;
      const dur = Math.max(0, next - ts[i]);
      const id = samples[i];
      count.set(id, (count.get(id) ?? 0) + 1);
      wallUs.set(id, (wallUs.get(id) ?? 0) + dur);
    }
  } else {
    // A profile without the samples array (some tools strip it): hit counts only.
    for (const node of profile.nodes) {
      if (node.hitCount) {
        count.set(node.id, node.hitCount);
        wallUs.set(node.id, node.hitCount * intervalUs);
      }
    }
  }

  const b = new ProfileBuilder({
    sampleTypes: [
      ['samples', 'count'],
      ['wall', 'nanoseconds'],
      ['cpu', 'nanoseconds'],
    ],
    periodType: ['cpu', 'nanoseconds'],
    period: intervalUs * 1000,
    defaultSampleType: 'cpu',
    timeNanos,
    durationNanos: Math.round(durationUs * 1000),
    mapSources,
  });

  // Location ids of a node's callers (leaf-most first), memoized per node.
  const callerStacks = new Map<number, number[]>();
  const callersOf = (id: number): number[] => {
    const cached = callerStacks.get(id);
    if (cached) return cached;
    const out: number[] = [];
    let p = parentOf.get(id);
    while (p !== undefined) {
      const node = byId.get(p);
      if (!node || node.callFrame.functionName === '(root)') break;
      const known = callerStacks.get(p);
      if (known) {
        out.push(b.location(frameOf(node.callFrame)), ...known);
        break;
      }
      out.push(b.location(frameOf(node.callFrame)));
      p = parentOf.get(p);
    }
    callerStacks.set(id, out);
    return out;
  };

  for (const [id, n] of count) {
    const node = byId.get(id);
    if (!node || n <= 0) continue;
    const frame = frameOf(node.callFrame);
    const callers = callersOf(id);
    const wallNs = (wallUs.get(id) ?? 0) * 1000;
    const idle = frame.name === '(idle)';
    const ticks = (node.positionTicks ?? []).filter((t) => t.ticks > 0 && t.line > 0);
    if (frame.url && ticks.length > 0) {
      // V8 keeps line ticks per node, not per sample: split the node's samples
      // and time across its lines in proportion.
      const weights = ticks.map((t) => t.ticks);
      const tickTotal = weights.reduce((a, c) => a + c, 0);
      // Samples V8 gave no line (its line ticks can add up to less than the hit count, e.g. a thread
      // blocked in a native call) stay on the function itself rather than on the lines that have ticks.
      if (tickTotal < n) weights.push(n - tickTotal);
      const counts = apportion(n, weights);
      const total = weights.reduce((a, c) => a + c, 0);
      weights.forEach((wt, i) => {
        const w = (wallNs * wt) / total;
        const loc = i < ticks.length ? b.location(frame, ticks[i]!.line, 0) : b.location(frame);
        b.addSample([loc, ...callers], [counts[i]!, w, idle ? 0 : w]);
      });
    } else {
      const leaf = frame.url ? b.location(frame) : b.syntheticLocation(frame.name);
      b.addSample([leaf, ...callers], [n, wallNs, idle ? 0 : wallNs]);
    }
  }
  return b.build();
}

/**
 * toCpuprofile returns a `.cpuprofile` object (Chrome DevTools, speedscope, VS Code)
 * for a CPU profile: the V8 profile behind a Profile that memstats returned, a V8
 * profile passed as is, or — for any other pprof Profile (e.g. one decoded from a
 * file) — one rebuilt from its samples (one synthetic sample per count, spaced by
 * the period). With `mapSources` (default true) frames point at the original
 * `.ts` files, lines and columns. Returns a new object; the input is not changed.
 * Throws a TypeError (code ERR_MEMSTATS_INVALID_OPTION) for other input.
 */
export function toCpuprofile(profile: Profile | V8CpuProfile, options?: ToCpuprofileOptions): V8CpuProfile {
  const o = optionsObject<ToCpuprofileOptions>('options', options, TO_CPUPROFILE_OPTIONS_NAMES);
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  let raw: V8CpuProfile;
  if (profile instanceof Profile) raw = rawProfiles.get(profile) ?? fromPprof(profile);
  else if (isV8CpuProfile(profile)) raw = profile;
  else throw invalidOption('type', 'profile', profile, 'a Profile or a V8 CPU profile');
  const nodes = raw.nodes.map((n) => {
    const copy: V8CpuProfileNode = { ...n, callFrame: { ...n.callFrame } };
    if (n.children) copy.children = [...n.children];
    if (n.positionTicks) copy.positionTicks = n.positionTicks.map((t) => ({ ...t }));
    if (mapSources && n.callFrame.url && n.callFrame.lineNumber >= 0) {
      const cf = n.callFrame;
      const m = mapLocation(cf.url, cf.lineNumber + 1, cf.columnNumber + 1);
      if (m) {
        copy.callFrame.url = m.file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(m.file) ? pathToFileURL(m.file).href : m.file;
        copy.callFrame.lineNumber = m.line - 1;
        copy.callFrame.columnNumber = m.column - 1;
        if (copy.positionTicks) {
          copy.positionTicks = copy.positionTicks.map((t) => {
            const pm = mapLocation(cf.url, t.line, 0);
            return { line: pm && pm.file === m.file ? pm.line : m.line, ticks: t.ticks };
          });
        }
      }
    }
    return copy;
  });
  const out: V8CpuProfile = { nodes, startTime: raw.startTime, endTime: raw.endTime };
  if (raw.samples) out.samples = [...raw.samples];
  if (raw.timeDeltas) out.timeDeltas = [...raw.timeDeltas];
  return out;
}

/** Rebuilds a V8 CPU profile from pprof samples (one synthetic sample per count). */
function fromPprof(p: Profile): V8CpuProfile {
  const strings = p.stringTable.strings;
  const str = (i: number | bigint): string => strings[Number(i)] ?? '';
  const types = p.sampleType.map((t) => str(t.type));
  const countIndex = Math.max(0, types.indexOf('samples'));
  const fns = new Map(p.function.map((f) => [Number(f.id), f]));
  const locs = new Map(p.location.map((l) => [Number(l.id), l]));
  const periodUs = Math.max(1, Math.round(Number(p.period || DEFAULT_CPU_INTERVAL_US * 1000) / 1000));
  const root: V8CpuProfileNode = { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 0, children: [] };
  const nodes: V8CpuProfileNode[] = [root];
  const childIndex = new Map<string, number>();
  const samples: number[] = [];
  for (const s of p.sample) {
    const n = Math.max(0, Math.round(Number(s.value[countIndex] ?? 0)));
    if (n === 0) continue;
    let parent = root;
    // pprof stacks are leaf first; the call tree goes root first.
    for (let k = s.locationId.length - 1; k >= 0; k--) {
      const loc = locs.get(Number(s.locationId[k]));
      const line = loc?.line[loc.line.length - 1];
      const fn = line ? fns.get(Number(line.functionId)) : undefined;
      const file = fn ? str(fn.filename) : '';
      const name = fn ? str(fn.name) : '(unknown)';
      const lineNo = line ? Number(line.line) : 0;
      const key = `${parent.id}\0${name}\0${file}\0${lineNo}`;
      let id = childIndex.get(key);
      if (id === undefined) {
        id = nodes.length + 1;
        const url = file.startsWith('/') ? pathToFileURL(file).href : file;
        nodes.push({ id, callFrame: { functionName: name, scriptId: '0', url, lineNumber: lineNo - 1, columnNumber: 0 }, hitCount: 0, children: [] });
        parent.children!.push(id);
        childIndex.set(key, id);
      }
      parent = nodes[id - 1];
    }
    parent.hitCount = (parent.hitCount ?? 0) + n;
    for (let i = 0; i < n; i++) samples.push(parent.id);
  }
  const startTime = 0;
  return { nodes, startTime, endTime: startTime + samples.length * periodUs, samples, timeDeltas: samples.map(() => periodUs) };
}
