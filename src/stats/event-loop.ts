/**
 * @module stats/event-loop
 * Event-loop delay and utilization. One unref'd interval timer (default every
 * 10 ms, like prom-client) measures how late it fires; the lateness *net of the
 * interval itself* is the delay (Node's `monitorEventLoopDelay` reports the
 * interval plus the lateness, which is why other tools read ~10 ms on an idle
 * process). Values go to a log-linear histogram that any number of windows read
 * by difference, so the sampler and `readEventLoop()` never reset each other.
 * While the loop is idle the timer backs off to 160 ms (an idle loop has no
 * delay to measure, and wake-ups cost CPU); it fires every `resolutionMs` again
 * as soon as the loop is busy or a tick is late.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { LogHistogram, windowQuantile } from './log-histogram.js';
import { booleanOption, numberOption, optionsObject } from '../internal/validate.js';

/** Event-loop figures over a window. Delays are in nanoseconds, net of the timer resolution. */
export interface EventLoopStats {
  /** Length of the window in ms. */
  windowMs: number;
  /** Interval of the measuring timer while the loop is busy, ms (it backs off to 160 ms while idle). */
  resolutionMs: number;
  /** Number of delay measurements in the window (about windowMs / resolutionMs). */
  delayCount: number;
  delayMinNs: number;
  delayMeanNs: number;
  delayP50Ns: number;
  delayP90Ns: number;
  delayP99Ns: number;
  delayMaxNs: number;
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
 * returns to `resolutionMs` as soon as it is busy or late. A busy loop pays no
 * extra wake-ups: the timer runs in iterations that happen anyway.
 */
const IDLE_INTERVAL_MS = 160;
/** Utilization above which the loop counts as busy. */
const BUSY_UTILIZATION = 0.02;

class DelayRecorder {
  readonly hist = new LogHistogram();
  readonly windows = new Set<EventLoopWindow>();
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private intervalMs: number;
  private elu: EventLoopUtilization | undefined;
  readonly resolutionMs: number;

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
      this.arm();
    }
  }

  detach(w: EventLoopWindow): void {
    this.windows.delete(w);
    if (this.windows.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(): void {
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    let lagNs = (now - this.last - this.intervalMs) * 1e6;
    // Backed off (the loop was idle): libuv keeps timer time in whole ms, so a
    // long timeout fires up to ~1 ms late with nothing in the way; that is the
    // timer's granularity, not a delay of the loop.
    if (this.intervalMs > this.resolutionMs) lagNs -= 1e6;
    this.last = now;
    const v = lagNs > 0 ? lagNs : 0;
    this.hist.record(v);
    for (const w of this.windows) w.observe(v);

    // One native read per tick; the utilization since the previous tick by difference.
    const cur = performance.eventLoopUtilization();
    const prev = this.elu!;
    const active = cur.active - prev.active;
    const total = active + cur.idle - prev.idle;
    const busy = v > 1e6 || (total > 0 && active / total > BUSY_UTILIZATION);
    this.elu = cur;
    const next = busy ? this.resolutionMs : Math.min(IDLE_INTERVAL_MS, this.intervalMs * 2);
    if (!this.timer) return; // detached during a listener
    if (next === this.intervalMs) {
      this.timer.refresh();
    } else {
      clearTimeout(this.timer);
      this.intervalMs = next;
      this.arm();
    }
  }
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
  private min = Infinity;
  private max = 0;
  private prevElu: EventLoopUtilization;
  private startMs: number;
  private readonly rec: DelayRecorder;
  private closed = false;

  /** @internal use openEventLoopWindow(). */
  constructor(rec: DelayRecorder) {
    this.rec = rec;
    rec.attach(this);
    const s = rec.hist.snapshot();
    this.prevCounts = s.counts;
    this.prevCount = s.count;
    this.prevSum = s.sum;
    this.prevElu = performance.eventLoopUtilization();
    this.startMs = performance.now();
  }

  /** @internal called by the recorder for each measurement. */
  observe(v: number): void {
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /**
   * read returns the figures since the window started; with `reset` (default
   * true) the next window starts now.
   */
  read(reset = true): EventLoopStats {
    const h = this.rec.hist;
    const count = h.count - this.prevCount;
    const nowMs = performance.now();
    const elu = performance.eventLoopUtilization(this.prevElu);
    const max = this.max;
    const stats: EventLoopStats = {
      windowMs: nowMs - this.startMs,
      resolutionMs: this.rec.resolutionMs,
      delayCount: count,
      delayMinNs: count > 0 ? this.min : 0,
      delayMeanNs: count > 0 ? (h.sum - this.prevSum) / count : 0,
      delayP50Ns: windowQuantile(h.counts, this.prevCounts, count, 0.5, max),
      delayP90Ns: windowQuantile(h.counts, this.prevCounts, count, 0.9, max),
      delayP99Ns: windowQuantile(h.counts, this.prevCounts, count, 0.99, max),
      delayMaxNs: count > 0 ? max : 0,
      utilization: Number.isFinite(elu.utilization) ? elu.utilization : 0,
    };
    if (reset) {
      this.prevCounts.set(h.counts);
      this.prevCount = h.count;
      this.prevSum = h.sum;
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
  const o = optionsObject<EventLoopOptions>('options', options);
  const resolutionMs = numberOption('resolutionMs', o.resolutionMs, 10, { integer: true, min: 1, max: 1000 });
  if (!recorder || recorder.windows.size === 0) recorder = new DelayRecorder(resolutionMs);
  return new EventLoopWindow(recorder);
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
  const o = optionsObject<ReadEventLoopOptions>('options', options);
  booleanOption('reset', o.reset, false);
  if (!shared) shared = openEventLoopWindow(o);
  return shared.read(o.reset === true);
}

/** stopEventLoopMonitor closes the window used by readEventLoop(). Calling it twice is harmless. */
export function stopEventLoopMonitor(): void {
  shared?.close();
  shared = undefined;
}
