/**
 * @module profile/block
 * Event-loop stalls, Go's block profile for Node: every time the loop could not
 * run a due timer for longer than a threshold, the JavaScript stacks that ran
 * meanwhile, in pprof (`contentions/count`, `delay/nanoseconds`).
 *
 * How, and why this way (measured on Node 20, see docs/profiles.md):
 * - Stalls are found by timer lateness: an unref'd interval timer (10 ms, finer
 *   for thresholds under 50 ms) notes how late it fires. A stall is the window
 *   [when the timer was due, when it ran]; its delay is that lateness, which
 *   undercounts the real blocking by at most the timer period.
 * - What ran during the window comes from V8's CPU profiler, kept running at
 *   100 Hz while a block profile is on: the samples whose timestamps fall in the
 *   window are the stall's stacks (about 5 for a 50 ms stall, 20 for 200 ms).
 *   At 5 ms the sampler cost twice as much (bench/profile-overhead.ts --micro:
 *   +7% vs +2.5% CPU on a loop of 1 µs tasks) for little more detail. async_hooks would give the callback
 *   boundaries exactly but costs 30–55× on promise-heavy code; this costs the
 *   sampler and 100 timer wake-ups a second.
 * - The profiler runs as console profiles inside one inspector session, rotated
 *   (new one started, previous one ended) after each stall and every 30 s. A
 *   rotation costs ~0.3 ms; starting a fresh V8 profiler instead costs a pause
 *   proportional to the heap (16 ms at 6 MB, 250+ ms at 160 MB), paid once when
 *   the first block profile starts.
 * Several block profiles (e.g. one started by the app and one by an HTTP request)
 * share the one monitor; each keeps the stalls above its own threshold.
 */
import * as inspector from 'node:inspector';
import { Profile } from 'pprof-format';
import { booleanOption, numberOption, optionsObject, optionNames } from '../internal/validate.js';
import { runCapture, throwIfAborted } from './errors.js';
import { secondsOption, signalOption } from './options.js';
import { ProfileBuilder, apportion, frameOf, type RawFrame } from './pprof.js';
import { preloadSourceMaps } from '../internal/source-map.js';
import { InspectorSession } from './session.js';
import type { V8CpuProfile, V8CpuProfileNode } from './v8-types.js';
const BLOCK_PROFILE_OPTIONS_NAMES = optionNames<BlockProfileOptions>({ thresholdMs: true, mapSources: true });
const PROFILE_BLOCK_OPTIONS_NAMES = optionNames<ProfileBlockOptions>({ seconds: true, signal: true, thresholdMs: true, mapSources: true });

/** Default stall threshold, ms (Go has no default block rate; 50 ms is a visible hiccup for a server). */
export const DEFAULT_BLOCK_THRESHOLD_MS = 50;
/** Default length of profileBlock, seconds. */
export const DEFAULT_BLOCK_SECONDS = 30;
/** Sampling interval of the CPU profiler behind block profiles, µs: 100 Hz, like a CPU profile (set once, when the monitor starts). */
export const BLOCK_SAMPLE_INTERVAL_US = 10_000;
// A chunk of CPU samples is rotated at least this often, so memory stays flat
// however long a block profile runs.
const MAX_CHUNK_MS = 30_000;
// Stalls kept per block profile; beyond that they are counted but not kept.
const MAX_STALLS = 10_000;

/** Options of startBlockProfile. */
export interface BlockProfileOptions {
  /** Smallest stall recorded, ms: a number from 1 to 60,000 (default 50). */
  thresholdMs?: number;
  /** Map compiled frames to their `.ts` source (default true). */
  mapSources?: boolean;
}

/** Options of profileBlock. */
export interface ProfileBlockOptions extends BlockProfileOptions {
  /** How long to watch, seconds: > 0 and ≤ 3600 (default 30). */
  seconds?: number;
  /** Aborts the capture; rejects with an AbortError, nothing is kept. */
  signal?: AbortSignal;
}

/** A running block profile, from startBlockProfile. */
export interface BlockProfileHandle {
  /** stop ends the profile and resolves with it. Calling it again returns the same promise. */
  stop(): Promise<Profile>;
}

/** One recorded stall: its delay and the stacks sampled during it (leaf first). */
export interface Stall {
  /** When the stall was found (the late timer ran), ms since the epoch. */
  endedAtMs: number;
  /** How late the timer ran, ns. */
  delayNs: number;
  /** Distinct stacks sampled in the stall window and how many samples each. */
  stacks: Array<{ frames: RawFrame[]; samples: number }>;
}

interface Subscriber {
  thresholdNs: number;
  resolutionMs: number;
  stalls: Stall[];
  dropped: number;
}

/** One stall found by a detector: its window in the CPU profiles' clock (µs of `process.hrtime`), its delay and when it was seen. */
export interface StallWindow {
  startUs: number;
  endUs: number;
  delayNs: number;
  endedAtMs: number;
}

function resolutionFor(thresholdMs: number): number {
  // The period bounds the undercount of each stall; a fifth of the threshold,
  // at most 10 ms (100 wake-ups a second) and at least 1 ms.
  return Math.min(10, Math.max(1, Math.floor(thresholdMs / 5)));
}

/** The one stall detector and sampler shared by all block profiles. */
class StallMonitor {
  readonly #session: InspectorSession;
  readonly #subs = new Set<Subscriber>();
  #timer: NodeJS.Timeout | null = null;
  #periodMs = 10;
  #lastNs = 0n;
  #pending: StallWindow[] = [];
  #chunk = '';
  #chunkStartMs = 0;
  #expecting = '';
  #seq = 0;
  #flushQueued = false;
  #stopped = false;
  /** Time spent in our own flushes since the last tick: not a stall of the application. */
  #selfNs = 0n;
  readonly #onFinished = (msg: { params: { title?: string; profile: V8CpuProfile } }): void => {
    // Other clients' console.profile() calls end here too: keep only ours.
    if (msg.params.title !== this.#expecting) return;
    this.#expecting = '';
    this.#resolve(msg.params.profile);
  };

  constructor() {
    this.#session = InspectorSession.open();
    try {
      this.#session.on('Profiler.consoleProfileFinished', this.#onFinished as never);
      this.#session.postSync('Profiler.enable');
      this.#session.postSync('Profiler.setSamplingInterval', { interval: BLOCK_SAMPLE_INTERVAL_US });
      // The first console profile creates this session's V8 profiler (the one
      // costly step); later rotations reuse it.
      this.#chunk = this.#nextTitle();
      inspector.console.profile(this.#chunk);
      this.#chunkStartMs = Date.now();
    } catch (err) {
      this.#session.close();
      throw err;
    }
  }

  #nextTitle(): string {
    return `memstats-block-${process.pid}-${++this.#seq}`;
  }

  get size(): number {
    return this.#subs.size;
  }

  add(sub: Subscriber): void {
    this.#subs.add(sub);
    this.#retime();
  }

  remove(sub: Subscriber): void {
    this.#subs.delete(sub);
    if (this.#subs.size > 0) this.#retime();
  }

  #minThresholdNs(): number {
    let min = Infinity;
    for (const s of this.#subs) min = Math.min(min, s.thresholdNs);
    return min;
  }

  #retime(): void {
    let period = 10;
    for (const s of this.#subs) period = Math.min(period, s.resolutionMs);
    if (this.#timer && period === this.#periodMs) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#periodMs = period;
    this.#lastNs = process.hrtime.bigint();
    this.#timer = setInterval(() => this.tick(), period);
    this.#timer.unref();
  }

  /** Measures how late the timer is; a late timer means the loop was blocked. */
  tick(): void {
    const now = process.hrtime.bigint();
    const due = this.#lastNs + BigInt(this.#periodMs) * 1_000_000n;
    this.#lastNs = now;
    // A flush (serializing and parsing the finished chunk) blocks the loop too;
    // without this it would be reported as a stall of the profiler's own code.
    const lateNs = Number(now - due - this.#selfNs);
    this.#selfNs = 0n;
    if (lateNs >= this.#minThresholdNs()) {
      this.#pending.push({ startUs: Number(due / 1000n), endUs: Number(now / 1000n), delayNs: lateNs, endedAtMs: Date.now() });
      this.#queueFlush();
    } else if (Date.now() - this.#chunkStartMs > MAX_CHUNK_MS) {
      this.flush();
    }
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // After the current phase, so back-to-back stalls share one rotation.
    setImmediate(() => {
      this.#flushQueued = false;
      this.flush();
    }).unref();
  }

  /** Rotates the sample chunk and resolves the pending stalls from the finished one. */
  flush(): void {
    if (this.#stopped) return;
    const began = process.hrtime.bigint();
    try {
      this.#rotate();
    } finally {
      this.#selfNs += process.hrtime.bigint() - began;
    }
  }

  #rotate(): void {
    const old = this.#chunk;
    // Start the next chunk before ending the old one, so there is no gap and the
    // agent keeps its V8 profiler (ending the last profile would dispose it).
    this.#chunk = this.#nextTitle();
    inspector.console.profile(this.#chunk);
    this.#chunkStartMs = Date.now();
    this.#expecting = old;
    inspector.console.profileEnd(old);
    // consoleProfileFinished is delivered synchronously by in-process sessions;
    // if it ever is not, the stalls stay pending until the next flush.
    this.#expecting = '';
  }

  #resolve(profile: V8CpuProfile): void {
    if (this.#pending.length === 0) return;
    const stallIn = stallAttributor(profile);
    const keep: StallWindow[] = [];
    for (const p of this.#pending) {
      if (p.endUs > profile.endTime + 1000) {
        keep.push(p);
        continue;
      }
      const stall = stallIn(p);
      for (const sub of this.#subs) {
        if (p.delayNs < sub.thresholdNs) continue;
        if (sub.stalls.length < MAX_STALLS) sub.stalls.push(stall);
        else sub.dropped++;
      }
    }
    this.#pending = keep;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#session.off('Profiler.consoleProfileFinished', this.#onFinished as never);
    try {
      inspector.console.profileEnd(this.#chunk);
    } catch {
      // closing the session below drops the profile anyway
    }
    this.#session.close();
  }
}

/** This module's URL as V8's profiler reports it: samples with a frame of it are the monitor's own work. */
const SELF_URL = import.meta.url;

/**
 * stallAttributor returns a function that turns a stall window (in `profile`'s
 * clock) into a Stall: the distinct stacks (leaf first) of the profile's
 * samples taken during the window, with how many samples each — samples in
 * this module's own code (a rotation that ran into the window) left out. Used
 * in-process and for attached processes (attach/remote-profiles).
 */
export function stallAttributor(profile: V8CpuProfile): (window: StallWindow) => Stall {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const ts = new Array<number>(samples.length);
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    ts[i] = t;
  }
  const byId = new Map<number, V8CpuProfileNode>();
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parentOf.set(c, n.id);
  }
  const stackCache = new Map<number, RawFrame[]>();
  const stackOf = (id: number): RawFrame[] => {
    let s = stackCache.get(id);
    if (s) return s;
    s = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const node = byId.get(cur);
      if (!node || node.callFrame.functionName === '(root)') break;
      s.push(frameOf(node.callFrame));
    }
    stackCache.set(id, s);
    return s;
  };
  const ownCache = new Map<number, boolean>();
  const isOwn = (id: number): boolean => {
    let own = ownCache.get(id);
    if (own !== undefined) return own;
    own = false;
    for (let cur: number | undefined = id; cur !== undefined && !own; cur = parentOf.get(cur)) own = byId.get(cur)?.callFrame.url === SELF_URL;
    ownCache.set(id, own);
    return own;
  };
  return (w) => {
    // Samples are in time order: binary search the window's first sample.
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] < w.startUs) lo = mid + 1;
      else hi = mid;
    }
    const counts = new Map<number, number>();
    for (let i = lo; i < ts.length && ts[i] <= w.endUs; i++) {
      // The monitor's own work (a rotation that ran into the window) is not the application's stall.
      if (isOwn(samples[i])) continue;
      counts.set(samples[i], (counts.get(samples[i]) ?? 0) + 1);
    }
    return {
      endedAtMs: w.endedAtMs,
      delayNs: w.delayNs,
      stacks: [...counts].map(([id, n]) => ({ frames: stackOf(id), samples: n })).filter((s) => s.frames.length > 0),
    };
  };
}

let monitor: StallMonitor | null = null;

function sameFrame(a: RawFrame, b: RawFrame): boolean {
  return a.name === b.name && a.url === b.url && a.line === b.line && a.column === b.column;
}

/**
 * The frames (leaf first) that ran during most of a stall: walking from the root,
 * the deepest chain shared by more than half of the stall's JavaScript samples.
 * Samples just before or after the blocking call (the window's edges) and V8's
 * one-frame GC/native stacks, which run inside whatever JavaScript held the loop,
 * do not move it.
 */
function majorityPrefix(stacks: Stall['stacks']): RawFrame[] {
  const js = stacks.filter((s) => s.frames.length > 1 || s.frames[0].url !== '');
  const pool = (js.length > 0 ? js : stacks).map((s) => ({ rootFirst: [...s.frames].reverse(), n: s.samples }));
  const total = pool.reduce((a, s) => a + s.n, 0);
  const out: RawFrame[] = [];
  let alive = pool;
  for (let d = 0; ; d++) {
    const votes = new Map<string, { frame: RawFrame; n: number }>();
    for (const s of alive) {
      const f = s.rootFirst[d];
      if (!f) continue;
      const key = `${f.name}\0${f.url}\0${f.line}\0${f.column}`;
      const v = votes.get(key);
      if (v) v.n += s.n;
      else votes.set(key, { frame: f, n: s.n });
    }
    let best: { frame: RawFrame; n: number } | undefined;
    for (const v of votes.values()) if (!best || v.n > best.n) best = v;
    if (!best || best.n * 2 <= total) break;
    out.push(best.frame);
    const f = best.frame;
    alive = alive.filter((s) => s.rootFirst[d] && sameFrame(s.rootFirst[d], f));
  }
  return out.reverse();
}

/** Builds the pprof block profile from recorded stalls. Exported for tests and tools. */
export function stallsToPprof(
  stalls: Stall[],
  opts: { mapSources?: boolean; timeNanos?: number | bigint; durationNanos?: number | bigint; comments?: string[] } = {},
): Profile {
  const b = new ProfileBuilder({
    sampleTypes: [
      ['contentions', 'count'],
      ['delay', 'nanoseconds'],
    ],
    periodType: ['contentions', 'count'],
    period: 1,
    defaultSampleType: 'delay',
    timeNanos: opts.timeNanos ?? BigInt(Date.now()) * 1_000_000n,
    durationNanos: opts.durationNanos ?? 0,
    mapSources: opts.mapSources !== false,
    comments: opts.comments,
  });
  const locs = (frames: RawFrame[]): number[] => frames.map((f) => (f.url ? b.location(f) : b.syntheticLocation(f.name)));
  for (const stall of stalls) {
    if (stall.stacks.length === 0) {
      // The loop was late but no JavaScript was sampled (the process was not
      // scheduled, or the stall fell between samples): say so rather than guess.
      b.addSample([b.syntheticLocation('(no samples)')], [1, stall.delayNs]);
      continue;
    }
    // The delay is shared among the sampled stacks in proportion to their
    // samples; the one contention goes to the frames that ran during most of
    // the stall (majorityPrefix).
    const parts = apportion(Math.round(stall.delayNs), stall.stacks.map((s) => s.samples));
    stall.stacks.forEach((s, i) => b.addSample(locs(s.frames), [0, parts[i]]));
    const common = majorityPrefix(stall.stacks);
    const at = common.length > 0 ? locs(common) : [b.syntheticLocation('(several tasks)')];
    b.addSample(at, [1, 0]);
  }
  return b.build();
}

/**
 * startBlockProfile starts recording event-loop stalls longer than `thresholdMs`
 * (default 50 ms) and returns a handle whose `stop()` resolves with the pprof
 * profile (sample types contentions/count and delay/nanoseconds). Safe in
 * production: no async_hooks; see docs/benchmarks.md for the measured overhead.
 *
 * The first block profile of the process starts V8's CPU profiler, a one-time
 * synchronous pause proportional to the heap (16 ms at 6 MB, 250+ ms at 160 MB);
 * block profiles running together share it. If an inspector client (DevTools) has
 * the Profiler enabled it sees memstats' console profiles come and go.
 * Throws RangeError/TypeError (code ERR_MEMSTATS_INVALID_OPTION) for bad options
 * and code ERR_MEMSTATS_INSPECTOR_UNAVAILABLE without an inspector.
 */
export function startBlockProfile(options?: BlockProfileOptions): BlockProfileHandle {
  const o = optionsObject<BlockProfileOptions>('options', options, BLOCK_PROFILE_OPTIONS_NAMES);
  const thresholdMs = numberOption('thresholdMs', o.thresholdMs, DEFAULT_BLOCK_THRESHOLD_MS, { min: 1, max: 60_000 });
  const mapSources = booleanOption('mapSources', o.mapSources, true);
  if (!monitor) monitor = new StallMonitor();
  const m = monitor;
  const sub: Subscriber = { thresholdNs: thresholdMs * 1e6, resolutionMs: resolutionFor(thresholdMs), stalls: [], dropped: 0 };
  m.add(sub);
  const startedMs = Date.now();
  let stopping: Promise<Profile> | null = null;
  return {
    stop(): Promise<Profile> {
      if (!stopping) {
        stopping = (async () => {
          try {
            // Catch a stall that just ended but whose timer tick has not run yet,
            // then resolve every pending stall from the current chunk.
            m.tick();
            m.flush();
          } finally {
            m.remove(sub);
            if (m.size === 0 && monitor === m) {
              m.stop();
              monitor = null;
            }
          }
          const comments = [`threshold ${thresholdMs} ms`];
          if (sub.dropped > 0) comments.push(`${sub.dropped} stalls not kept (more than ${MAX_STALLS})`);
          if (mapSources) await preloadSourceMaps(sub.stalls.flatMap((st) => st.stacks.flatMap((k) => k.frames.map((f) => f.url))));
          return stallsToPprof(sub.stalls, {
            mapSources,
            timeNanos: BigInt(startedMs) * 1_000_000n,
            durationNanos: BigInt(Date.now() - startedMs) * 1_000_000n,
            comments,
          });
        })();
      }
      return stopping;
    },
  };
}

/**
 * profileBlock records event-loop stalls longer than `thresholdMs` (default 50 ms)
 * for `seconds` (default 30) and resolves with the pprof block profile; see
 * startBlockProfile. Rejects with RangeError/TypeError (code
 * ERR_MEMSTATS_INVALID_OPTION) for bad options and with an AbortError when
 * `signal` aborts (nothing is kept).
 */
export async function profileBlock(options?: ProfileBlockOptions): Promise<Profile> {
  const o = optionsObject<ProfileBlockOptions>('options', options, PROFILE_BLOCK_OPTIONS_NAMES);
  const seconds = secondsOption(o.seconds, DEFAULT_BLOCK_SECONDS);
  const signal = signalOption(o.signal);
  throwIfAborted(signal);
  return runCapture(startBlockProfile({ thresholdMs: o.thresholdMs, mapSources: o.mapSources }), seconds * 1000, signal);
}
