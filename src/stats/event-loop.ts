/**
 * @module stats/event-loop
 * Event-loop delay and utilization, net of the measuring interval (Node's
 * `monitorEventLoopDelay` reports the interval plus the lateness, which is why
 * other tools read ~10 ms on an idle process). Values go to a log-linear
 * histogram that any number of windows read by difference, so the sampler and
 * `readEventLoop()` never reset each other.
 *
 * Two measuring modes, chosen by how busy the loop is:
 * - **timer** (idle or lightly loaded): one unref'd JS timer measures how late
 *   it fires every `resolutionMs`; while the loop is idle it backs off to
 *   160 ms (an idle loop has no delay to measure, and wake-ups cost CPU) and
 *   returns to `resolutionMs` as soon as the loop is busy or a tick is late.
 * - **native** (busy for ≥ 200 ms): Node's `monitorEventLoopDelay` timer, which
 *   runs no JavaScript per tick, measures at `resolutionMs`; its histogram is
 *   merged into ours before every read. A JS callback run
 *   from a timer in a busy process costs ~50 µs of cold caches per tick
 *   (docs/benchmarks.md), ~0.5 % of a saturated core at 10 ms. The loop goes
 *   back to timer mode after a second under 2 % utilization.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { LogHistogram, windowQuantile } from './log-histogram.js';
import { booleanOption, numberOption, optionsObject, optionNames } from '../internal/validate.js';
const EVENT_LOOP_OPTIONS_NAMES = optionNames<EventLoopOptions>({ resolutionMs: true });
const READ_EVENT_LOOP_OPTIONS_NAMES = optionNames<ReadEventLoopOptions>({ reset: true, resolutionMs: true });

/** Event-loop figures over a window. Delays are in nanoseconds, net of the timer resolution. */
export interface EventLoopStats {
  /** Length of the window in ms. */
  windowMs: number;
  /** Measuring interval while the loop is busy, ms (the timer backs off to 160 ms while idle). */
  resolutionMs: number;
  /** Number of delay measurements in the window (about windowMs / resolutionMs while busy). */
  delayCount: number;
  delayMinNs: number;
  delayMeanNs: number;
  /** Standard deviation of the measurements in the window. */
  delayStddevNs: number;
  delayP50Ns: number;
  delayP90Ns: number;
  delayP99Ns: number;
  delayMaxNs: number;
  /** The latest measurement (in native mode, the mean of the measurements since the previous read of any window). */
  delayLastNs: number;
  /** Fraction (0…1) of the window the loop spent running callbacks rather than waiting for I/O. */
  utilization: number;
}

/** Options of the event-loop monitor. */
export interface EventLoopOptions {
  /** Interval of the measuring timer, ms (integer 1…1000, default 10). Fixed by the first monitor started. */
  resolutionMs?: number;
}

/**
 * Longest interval of the measuring timer while the loop is idle, ms. Every
 * wake-up of an idle process costs CPU (~0.1–0.2 ms each on these VMs, so a
 * 10 ms timer alone took ~1.5% of a core — bench/dashboard-stream.ts); an idle
 * loop delays nothing, so the timer backs off while the loop is idle and
 * returns to `resolutionMs` as soon as it is busy or late.
 */
const IDLE_INTERVAL_MS = 160;
/** Utilization above which the loop counts as busy. */
const BUSY_UTILIZATION = 0.02;
/** Busy time (ms, at full resolution) after which the native histogram takes over. */
const NATIVE_AFTER_MS = 200;
/**
 * How often the mode is reconsidered while the native timer measures, ms. Its
 * histogram is merged into ours only when a window reads (and when the mode
 * changes): each merge resets Node's HdrHistogram (~440 KB of counters) and
 * walks it once per percentile, which evicts the application's data from the
 * caches (docs/benchmarks.md) — so not on a clock.
 */
const RECHECK_MS = 1000;
/**
 * Percentiles read from the native histogram at each merge; each stands for the
 * values between it and the previous one (HdrHistogram, 3 significant digits),
 * so p50/p90/p99/max of every window made of whole batches are exact.
 */
const HARVEST_PERCENTILES = [10, 25, 50, 75, 90, 95, 99, 99.9, 100];
/**
 * After another thread merged the native histogram, this thread does not merge
 * it for this long, ms: a snapshot that the other thread asked for right after
 * its merge reads without a walk of its own (a walk goes up to the largest
 * value, ≥ 10 ms at a 10 ms interval, however few the values).
 */
const MERGED_ELSEWHERE_MS = 500;

type Mode = 'timer' | 'native';

class DelayRecorder {
  readonly hist = new LogHistogram();
  readonly windows = new Set<EventLoopWindow>();
  readonly resolutionMs: number;
  /** The latest measurement, ns. */
  lastNs = 0;
  private mode: Mode = 'timer';
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private intervalMs: number;
  private busyMs = 0;
  private elu: EventLoopUtilization | undefined;
  private native: IntervalHistogram | undefined;
  /** When another thread last merged the native histogram (performance.now() ms). */
  private mergedElsewhereAtMs = -Infinity;
  /** The one-shot timer measuring the interval a native reset leaves unmeasured (coverReset). */
  private sentinel: NodeJS.Timeout | undefined;

  constructor(resolutionMs: number) {
    this.resolutionMs = resolutionMs;
    this.intervalMs = resolutionMs;
  }

  attach(w: EventLoopWindow): void {
    this.windows.add(w);
    if (!this.timer) {
      this.last = performance.now();
      this.elu = performance.eventLoopUtilization();
      this.intervalMs = this.resolutionMs;
      this.busyMs = 0;
      this.mode = 'timer';
      this.arm();
    }
  }

  detach(w: EventLoopWindow): void {
    this.windows.delete(w);
    if (this.windows.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (this.sentinel) clearTimeout(this.sentinel);
      this.sentinel = undefined;
      this.native?.disable();
      this.mode = 'timer';
    }
  }

  private arm(): void {
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private rearm(next: number): void {
    if (!this.timer) return; // detached during a listener
    if (next === this.intervalMs) {
      this.timer.refresh();
    } else {
      clearTimeout(this.timer);
      this.intervalMs = next;
      this.arm();
    }
  }

  /** Utilization since the previous call (one native read). */
  private utilizationSinceLast(): number {
    const cur = performance.eventLoopUtilization();
    const prev = this.elu!;
    const active = cur.active - prev.active;
    const total = active + cur.idle - prev.idle;
    this.elu = cur;
    return total > 0 ? active / total : 0;
  }

  private tick(): void {
    if (this.mode === 'native') {
      if (this.utilizationSinceLast() >= BUSY_UTILIZATION) return this.rearm(RECHECK_MS);
      // Idle again: merge what the native timer measured (all of it: the next
      // enable resets it), then back to the JS timer, which backs off from here.
      this.harvest(true);
      this.native!.disable();
      this.mode = 'timer';
      this.busyMs = 0;
      this.last = performance.now();
      return this.rearm(this.resolutionMs);
    }
    const now = performance.now();
    let lagNs = (now - this.last - this.intervalMs) * 1e6;
    // Backed off (the loop was idle): libuv keeps timer time in whole ms, so a
    // long timeout fires up to ~1 ms late with nothing in the way; that is the
    // timer's granularity, not a delay of the loop.
    if (this.intervalMs > this.resolutionMs) lagNs -= 1e6;
    this.last = now;
    const v = lagNs > 0 ? lagNs : 0;
    this.hist.record(v);
    this.lastNs = v;
    for (const w of this.windows) w.observe(v, v);

    const busy = v > 1e6 || this.utilizationSinceLast() > BUSY_UTILIZATION;
    if (!busy) {
      this.busyMs = 0;
      return this.rearm(Math.min(IDLE_INTERVAL_MS, this.intervalMs * 2));
    }
    if (this.intervalMs === this.resolutionMs) this.busyMs += this.resolutionMs;
    if (this.busyMs < NATIVE_AFTER_MS) return this.rearm(this.resolutionMs);
    // Busy for a while: hand the per-tick measuring to the native timer.
    const native = this.nativeHistogram();
    native.reset();
    native.enable();
    this.mode = 'native';
    this.coverReset();
    this.rearm(RECHECK_MS);
  }

  /**
   * coverReset measures, with one JS timer, the interval that a reset of the
   * native histogram leaves unmeasured: Node 20's reset forgets the time of the
   * last tick, so the next tick records nothing, and a stall that begins right
   * after a read (a scrape's render, a listener's work) would be lost whole. Its
   * lateness is recorded as that interval's measurement.
   */
  private coverReset(): void {
    if (this.sentinel || this.mode !== 'native') return;
    const from = performance.now();
    this.sentinel = setTimeout(() => {
      this.sentinel = undefined;
      if (this.mode !== 'native') return;
      const lag = (performance.now() - from - this.resolutionMs) * 1e6;
      const v = lag > 0 ? lag : 0;
      this.hist.record(v);
      for (const w of this.windows) w.observe(v, v);
    }, this.resolutionMs);
    this.sentinel.unref();
  }

  /**
   * Merges what the native histogram measured since the last merge into ours —
   * unless another thread merged it just now (recordNativeDelays): the few
   * measurements since wait for the next merge rather than cost this thread a
   * walk of the counters (`all`: merge anyway).
   */
  harvest(all = false): void {
    if (this.mode !== 'native' || !this.native) return;
    if (!all && performance.now() - this.mergedElsewhereAtMs < MERGED_ELSEWHERE_MS) return;
    const d = takeNativeDelays(this.native, this.resolutionMs);
    this.coverReset();
    if (d) this.record(d);
  }

  /** Records what a read of the native histogram gave (here, or on another thread: `elsewhere`). */
  record(d: NativeDelays, elsewhere = false): void {
    if (elsewhere) {
      this.mergedElsewhereAtMs = performance.now();
      this.coverReset(); // the other thread's read reset the histogram just now
    }
    this.hist.recordBatch(d.points, d.count, d.mean * d.count, d.count * (d.stddev * d.stddev + d.mean * d.mean), d.min, d.max);
    this.lastNs = d.mean;
    for (const w of this.windows) w.observe(d.min, d.max);
  }

  /** The native histogram, created on first need; the sharers are told (see shareNativeDelayHistogram). */
  private nativeHistogram(): IntervalHistogram {
    if (!this.native) {
      this.native = monitorEventLoopDelay({ resolution: this.resolutionMs });
      for (const l of nativeSharers) tell(l, this.native, this.resolutionMs);
    }
    return this.native;
  }

  /** The native histogram if it was created. */
  get existingNative(): IntervalHistogram | undefined {
    return this.native;
  }
}

/**
 * What one read of Node's native delay histogram gives, net of the interval
 * (ns): plain data, so that a worker thread that reads the histogram (it can
 * be posted to one) can hand it back.
 */
export interface NativeDelays {
  /** [value, how many measurements it stands for] at each of HARVEST_PERCENTILES. */
  points: Array<[number, number]>;
  count: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
}

/** The part of a native histogram (or its clone in a worker) that takeNativeDelays reads. */
type NativeHistogramReader = Pick<IntervalHistogram, 'count' | 'mean' | 'stddev' | 'min' | 'max' | 'percentile' | 'reset'>;

/**
 * takeNativeDelays reads a native delay histogram and resets it; undefined
 * when it holds nothing. Its mean and deviation each walk the HdrHistogram's
 * counters up to the largest value (0.4–0.8 ms for the two in a busy process,
 * docs/benchmarks.md): the agent does this on its server thread.
 */
export function takeNativeDelays(h: NativeHistogramReader, resolutionMs: number): NativeDelays | undefined {
  const n = h.count;
  if (n === 0) return undefined;
  const res = resolutionMs * 1e6;
  const net = (x: number): number => (x > res ? x - res : 0);
  const points: Array<[number, number]> = [];
  let seen = 0;
  for (const p of HARVEST_PERCENTILES) {
    const upTo = p === 100 ? n : Math.round((p / 100) * n);
    if (upTo > seen) {
      points.push([net(h.percentile(p)), upTo - seen]);
      seen = upTo;
    }
  }
  const mean = net(h.mean);
  const stddev = Number.isFinite(h.stddev) ? h.stddev : 0;
  const min = net(h.min);
  const max = net(h.max);
  h.reset();
  return { points, count: n, mean, stddev, min, max };
}

/** Told of the native delay histogram (see shareNativeDelayHistogram). */
export type NativeDelaySharer = (histogram: IntervalHistogram, resolutionMs: number) => void;
const nativeSharers = new Set<NativeDelaySharer>();

function tell(sharer: NativeDelaySharer, h: IntervalHistogram, resolutionMs: number): void {
  try {
    sharer(h, resolutionMs);
  } catch {
    // a sharer's failure (its thread gone) is its own
  }
}

/**
 * shareNativeDelayHistogram calls `sharer` with Node's native event-loop delay
 * histogram once the monitor has created it (at once if it exists, again if a
 * new monitor makes a new one). A worker thread given it (histograms can be
 * posted; both ends see the same counters) reads it with takeNativeDelays
 * and hands the result to recordNativeDelays here, so that the walks of its
 * counters run on that thread instead of the program's. Returns the function
 * that stops telling.
 */
export function shareNativeDelayHistogram(sharer: NativeDelaySharer): () => void {
  nativeSharers.add(sharer);
  const h = recorder?.existingNative;
  if (h && recorder) tell(sharer, h, recorder.resolutionMs);
  return () => {
    nativeSharers.delete(sharer);
  };
}

function isDelays(d: unknown): d is NativeDelays {
  const x = d as NativeDelays | null;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray(x.points) &&
    x.points.every((p) => Array.isArray(p) && p.length === 2 && num(p[0]) && num(p[1])) &&
    [x.count, x.mean, x.stddev, x.min, x.max].every(num)
  );
}

/**
 * recordNativeDelays records what another thread read from the shared native
 * histogram (takeNativeDelays) into the monitor; false (nothing recorded) when
 * no monitor runs or `delays` is not such a read.
 */
export function recordNativeDelays(delays: unknown): boolean {
  if (!recorder || !isDelays(delays) || delays.count === 0) return false;
  recorder.record(delays, true);
  return true;
}

let recorder: DelayRecorder | undefined;

/**
 * A reader of event-loop figures over consecutive windows: each `read()` covers
 * the time since the previous `read()` (or since the window was opened).
 */
export class EventLoopWindow {
  private prevCounts: Float64Array;
  private prevCount: number;
  private prevSum: number;
  private prevSumSq: number;
  private min = Infinity;
  private max = 0;
  private prevElu: EventLoopUtilization;
  private startMs: number;
  private readonly rec: DelayRecorder;
  private closed = false;

  /** @internal use openEventLoopWindow(). */
  constructor(rec: DelayRecorder) {
    this.rec = rec;
    // What the native timer measured before this window opened goes to the windows already open.
    rec.harvest(true);
    rec.attach(this);
    const s = rec.hist.snapshot();
    this.prevCounts = s.counts;
    this.prevCount = s.count;
    this.prevSum = s.sum;
    this.prevSumSq = s.sumSq;
    this.prevElu = performance.eventLoopUtilization();
    this.startMs = performance.now();
  }

  /** @internal called by the recorder for each measurement or merged batch, with its min and max. */
  observe(min: number, max: number): void {
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  /**
   * read returns the figures since the window started; with `reset` (default
   * true) the next window starts now.
   */
  read(reset = true): EventLoopStats {
    this.rec.harvest();
    const h = this.rec.hist;
    const count = h.count - this.prevCount;
    const mean = count > 0 ? (h.sum - this.prevSum) / count : 0;
    const variance = count > 1 ? (h.sumSq - this.prevSumSq) / count - mean * mean : 0;
    const nowMs = performance.now();
    const elu = performance.eventLoopUtilization(this.prevElu);
    const max = this.max;
    const min = count > 0 ? this.min : 0;
    const stats: EventLoopStats = {
      windowMs: nowMs - this.startMs,
      resolutionMs: this.rec.resolutionMs,
      delayCount: count,
      delayMinNs: min,
      delayMeanNs: mean,
      delayStddevNs: variance > 0 ? Math.sqrt(variance) : 0,
      delayP50Ns: windowQuantile(h.counts, this.prevCounts, count, 0.5, max, min),
      delayP90Ns: windowQuantile(h.counts, this.prevCounts, count, 0.9, max, min),
      delayP99Ns: windowQuantile(h.counts, this.prevCounts, count, 0.99, max, min),
      delayMaxNs: count > 0 ? max : 0,
      delayLastNs: this.rec.lastNs,
      utilization: Number.isFinite(elu.utilization) ? elu.utilization : 0,
    };
    if (reset) {
      this.prevCounts.set(h.counts);
      this.prevCount = h.count;
      this.prevSum = h.sum;
      this.prevSumSq = h.sumSq;
      this.min = Infinity;
      this.max = 0;
      this.prevElu = performance.eventLoopUtilization();
      this.startMs = nowMs;
    }
    return stats;
  }

  /** close stops this window; the timer stops when no window is open. Calling it twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rec.detach(this);
  }
}

/**
 * openEventLoopWindow starts the event-loop monitor if needed and returns a
 * window reader. `resolutionMs` (integer 1…1000, default 10) only applies when
 * no monitor is running yet. Close the window when done.
 */
export function openEventLoopWindow(options?: EventLoopOptions): EventLoopWindow {
  const o = optionsObject<EventLoopOptions>('options', options, EVENT_LOOP_OPTIONS_NAMES);
  const resolutionMs = numberOption('resolutionMs', o.resolutionMs, 10, { integer: true, min: 1, max: 1000 });
  if (!recorder || recorder.windows.size === 0) recorder = new DelayRecorder(resolutionMs);
  return new EventLoopWindow(recorder);
}

/**
 * harvestEventLoop merges what Node's native delay timer measured since the
 * last read into the monitor now (nothing to do in timer mode or with no
 * monitor running). A read right after it finds little to merge: a reader that
 * cannot afford one ~1 ms piece of work (the debug server's backend) splits
 * a snapshot this way across turns of the event loop.
 */
export function harvestEventLoop(): void {
  recorder?.harvest();
}

let shared: EventLoopWindow | undefined;

/** Options of readEventLoop. */
export interface ReadEventLoopOptions extends EventLoopOptions {
  /** Start a new window after this read (default false: figures accumulate since the first call). */
  reset?: boolean;
}

/**
 * readEventLoop returns event-loop delay percentiles (ns, net of the timer
 * resolution: an idle process reads ≈ 0) and utilization since the first call,
 * or since the last call with `reset: true`. The first call starts the monitor
 * (an unref'd 10 ms timer) and so returns an empty window; `stopEventLoopMonitor()`
 * stops it.
 */
export function readEventLoop(options?: ReadEventLoopOptions): EventLoopStats {
  const o = optionsObject<ReadEventLoopOptions>('options', options, READ_EVENT_LOOP_OPTIONS_NAMES);
  booleanOption('reset', o.reset, false);
  if (!shared) shared = openEventLoopWindow(o.resolutionMs !== undefined ? { resolutionMs: o.resolutionMs } : {});
  return shared.read(o.reset === true);
}

/** stopEventLoopMonitor closes the window used by readEventLoop(). Calling it twice is harmless. */
export function stopEventLoopMonitor(): void {
  shared?.close();
  shared = undefined;
}
