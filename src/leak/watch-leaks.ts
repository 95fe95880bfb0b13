/**
 * @module leak/watch-leaks
 * `watchLeaks()`: watches the memory a process keeps *after full GCs* — the
 * only honest baseline: between full GCs the heap holds garbage not yet
 * collected, so a sawtooth says nothing — and fires a `leak` event when it
 * grows with a trend and a confidence over a window, not after a fixed "N GCs
 * in a row" (memwatch's rule, which fires on a warming cache and misses a leak
 * that one GC happens to interrupt).
 *
 * Four signals, each judged on its own series of post-full-GC readings:
 * - `heap`: the V8 old generation in use (used heap minus the young
 *   generation, which a full GC leaves empty and the next allocations refill);
 * - `external`: memory outside the heap that V8 is told about — Buffers,
 *   ArrayBuffers (their backing stores are swept right after the GC; the
 *   reading is taken ~10 ms after it, once they are);
 * - `native`: anonymous RSS (RSS without file-backed pages: code of node and
 *   its libraries pages in as new paths run, which is not a leak) minus the
 *   heap's resident pages, external memory and V8's own malloc — what grows
 *   when an addon or the allocator keeps memory that nothing reports; judged
 *   on readings after the process's first `nativeWarmupMs` (30 s), when a
 *   fresh process's own native memory has settled;
 * - `detached-contexts`: V8 contexts detached but still alive after every full
 *   GC of the window.
 *
 * The trend is the Theil–Sen slope (median of pairwise slopes: robust to the
 * odd GC that lands mid-burst), the confidence Mann–Kendall's (the share of
 * pairs of readings that go up versus down, against chance). A signal fires
 * when, over the readings of the last `windowMs` (at least `minSamples` of
 * them, spanning at least half the window): slope ≥ `minSlopeBytesPerMin`,
 * confidence ≥ `minConfidence`, and each half of the window grew at ≥ half
 * that slope on its own — memlab's "grew in both intervals": a cache that
 * warmed up and stopped grew in the first half only, a one-off step (a heap
 * snapshot's own memory, a big request) sits in one half only; a leak grows
 * in both.
 *
 * Where full GCs come from: a `'gc'` PerformanceObserver of its own, not the
 * GC tracker (stats/gc-tracker). The tracker counts every GC and keeps them
 * for `eventsSince(seq)`, but has no way to be told when one happens: polling
 * it would either lag (a reading seconds after the GC, with promotions mixed
 * in) or wake the process for nothing. The observer's callback comes one or two
 * loop turns after the GC; the reading is taken 10 ms later (after the
 * ArrayBuffer sweep). The old generation is read then, not the GC's own
 * after-figure (v8.GCProfiler): a second profiler would cost ~25 µs per GC,
 * scavenges included; the difference is the objects promoted in those few ms.
 *
 * Cost: a `'gc'` PerformanceObserver (its callback runs once per batch of GC
 * entries; only full GCs schedule a reading) and, per full GC, one reading
 * (~25 µs) plus a judgement of each signal over at most 64 points (~0.5 ms for
 * all four with 300 readings in the window). No timer runs
 * unless `gcIntervalMs` asks for forced GCs. Everything is unref'd; `stop()`
 * disconnects it all.
 */
import { EventEmitter } from 'node:events';
import { PerformanceObserver, constants as perfConstants, performance, type PerformanceEntry } from 'node:perf_hooks';
import os from 'node:os';
import v8 from 'node:v8';
import {
  booleanOption,
  enumOption,
  invalidOption,
  numberOption,
  optionsObject,
  stringOption,
  optionNames,
} from '../internal/validate.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { gc as forceGC } from '../runtime/gc.js';
import { systemPageSize } from '../stats/system.js';
import { judgeTrend, type Trend, type TrendPoint } from './trend.js';
import { captureHeap, type CaptureKind, type CaptureResult } from './capture.js';
const WATCH_LEAKS_OPTIONS_NAMES = optionNames<WatchLeaksOptions>({ windowMs: true, minSlopeBytesPerMin: true, minConfidence: true, minSamples: true, signals: true, gcIntervalMs: true, capture: true, captureDir: true, captureMinIntervalMs: true, maxCaptures: true, captureDurationMs: true, emitReadings: true, nativeWarmupMs: true });

/** The signals watchLeaks judges. */
export type LeakKind = 'heap' | 'external' | 'native' | 'detached-contexts';

/** Every signal, in the order they are judged. */
export const LEAK_KINDS: readonly LeakKind[] = ['heap', 'external', 'native', 'detached-contexts'];

/** Options of watchLeaks. */
export interface WatchLeaksOptions {
  /** The window judged, ms: readings older than this are dropped (integer 1,000…86,400,000). Default 300,000 (5 min). */
  windowMs?: number;
  /** Smallest growth that counts as a leak, bytes per minute (≥ 0). Default 1,048,576 (1 MiB/min). */
  minSlopeBytesPerMin?: number;
  /** Mann–Kendall confidence needed, 0.5…0.999999. Default 0.95. */
  minConfidence?: number;
  /** Post-full-GC readings needed in the window (integer 4…10,000). Default 6. */
  minSamples?: number;
  /** Signals to judge. Default all: `['heap', 'external', 'native', 'detached-contexts']`. */
  signals?: LeakKind[];
  /**
   * Force a full GC when none happened for this long, ms (0 = never; else integer
   * 100…86,400,000). Default 0: a process that allocates has full GCs of its own;
   * an idle one gives no readings (and does not leak). A forced GC pauses the
   * process for the length of a full GC.
   */
  gcIntervalMs?: number;
  /** What to capture when a leak fires: `none`, `heap-snapshot` or `heap-profile`. Default `none`. */
  capture?: 'none' | CaptureKind;
  /** Directory captures are written to. Default `os.tmpdir()`. */
  captureDir?: string;
  /** Least time between two captures, ms (integer ≥ 0). Default 3,600,000 (1 h). */
  captureMinIntervalMs?: number;
  /** Most captures in the watcher's life (integer ≥ 0). Default 3. */
  maxCaptures?: number;
  /** Length of a `heap-profile` capture, ms (integer 100…3,600,000). Default 30,000. */
  captureDurationMs?: number;
  /** Also emit a `reading` event for every post-full-GC reading (for plots and tests). Default false. */
  emitReadings?: boolean;
  /**
   * `native` is judged only on readings taken once the process has run this long, ms (integer
   * 0…86,400,000). Default 30,000: a fresh process's native memory grows for its first ~10 s
   * (malloc arenas, libuv and node's lazily made structures), ~1–2 MB, which a short window would
   * read as a leak. Readings fed by `addReading()` to a watcher that is not running are not filtered.
   */
  nativeWarmupMs?: number;
}

/** One post-full-GC reading of every signal. */
export interface LeakReading {
  /** End of the full GC, ms since the Unix epoch. */
  timeMs: number;
  /** V8 old generation in use, bytes. */
  heapUsedBytes: number;
  /** External memory (Buffers, ArrayBuffers, addons) V8 knows of, bytes. */
  externalBytes: number;
  /** Anonymous RSS − V8 heap resident − external − V8's own malloc, bytes (from RSS where /proc is missing). */
  nativeBytes: number;
  rssBytes: number;
  detachedContexts: number;
  /** The GC was forced (by gcIntervalMs or anyone else). */
  forced: boolean;
}

/** The evidence a `leak` event carries. */
export interface LeakEvent {
  /** Which signal fired. */
  kind: LeakKind;
  /** One line for a log: what grew, how fast, how sure. */
  message: string;
  /** Unit of `series` values and slopes: bytes, or contexts for `detached-contexts`. */
  unit: 'bytes' | 'contexts';
  /** Theil–Sen slope over the window, in `unit` per minute. */
  slopePerMin: number;
  /** The same slope in bytes per minute (0 for `detached-contexts`). */
  slopeBytesPerMin: number;
  /** Slope of the later half of the window, `unit` per minute. */
  recentSlopePerMin: number;
  /** Mann–Kendall confidence that the series increases (for detached contexts: share of full GCs that left some). */
  confidence: number;
  /** Growth of the fitted line over the series, in `unit`. */
  growth: number;
  /** The post-full-GC readings judged (time in ms since the epoch, value in `unit`). */
  series: TrendPoint[];
  /** Full GCs in the series that were forced. */
  forcedGCs: number;
  windowMs: number;
  /** When it fired (the time of the reading that decided), ms since the epoch. */
  timeMs: number;
  /** A capture was started for this event (a `capture` event follows). */
  capturing: boolean;
}

/** A `capture` event: the file written for a leak, or why it could not be. */
export interface LeakCapture {
  leak: LeakEvent;
  result?: CaptureResult;
  error?: Error;
}

/** The current judgement of one signal (status()). */
export interface LeakSignalStatus extends Trend {
  kind: LeakKind;
  /** Would fire now (ignoring the once-per-window limit). */
  leaking: boolean;
  /** Last time it fired, ms since the epoch (0: never). */
  lastFiredMs: number;
}

/** Events of a LeakWatcher. */
export interface LeakWatcherEvents {
  leak: [LeakEvent];
  capture: [LeakCapture];
  reading: [LeakReading];
}

const MAJOR = perfConstants.NODE_PERFORMANCE_GC_MAJOR;
const FLAG_FORCED = perfConstants.NODE_PERFORMANCE_GC_FLAGS_FORCED;
/** Delay between a full GC's report and the reading: ArrayBuffer backing stores are swept just after the GC. */
const SETTLE_MS = 10;

/**
 * Anonymous resident memory (RSS minus file-backed pages) from /proc/self/statm
 * read through a kept descriptor (~2 µs; opening the file each time cost ~40 µs),
 * or null off Linux.
 */
class AnonRssReader {
  private fd: number | null | undefined;
  private readonly buf = Buffer.alloc(128);

  read(): number | null {
    if (this.fd === undefined) {
      this.fd = null;
      if (process.platform === 'linux') {
        try {
          this.fd = openSync('/proc/self/statm', 'r');
        } catch {
          this.fd = null;
        }
      }
    }
    if (this.fd === null) return null;
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      // "size resident shared text lib data dt", in pages; shared = file-backed + shmem resident.
      const f = this.buf.toString('latin1', 0, n).split(' ');
      const resident = Number(f[1]);
      const shared = Number(f[2]);
      if (!Number.isFinite(resident) || !Number.isFinite(shared)) return null;
      return (resident - shared) * systemPageSize();
    } catch {
      return null;
    }
  }

  close(): void {
    if (typeof this.fd === 'number') {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = undefined;
  }
}

const MAX_READINGS = 4096;

function fmtBytes(n: number): string {
  const a = Math.abs(n);
  if (a >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (a >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (a >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

const WHAT: Record<LeakKind, string> = {
  heap: 'V8 heap after full GCs',
  external: 'external memory (Buffers/ArrayBuffers) after full GCs',
  native: 'native memory (anonymous RSS beyond the heap and external memory)',
  'detached-contexts': 'detached V8 contexts after full GCs',
};

/**
 * LeakWatcher: the handle watchLeaks returns — an EventEmitter of `leak`,
 * `capture` and (with `emitReadings`) `reading` events, with `stop()` and
 * `status()`. A listener that throws is reported once as a process warning,
 * never to the host.
 */
export class LeakWatcher extends EventEmitter<LeakWatcherEvents> {
  readonly windowMs: number;
  readonly minSlopeBytesPerMin: number;
  readonly minConfidence: number;
  readonly minSamples: number;
  readonly signals: readonly LeakKind[];
  readonly gcIntervalMs: number;
  readonly capture: 'none' | CaptureKind;
  readonly captureDir: string;
  readonly captureMinIntervalMs: number;
  readonly maxCaptures: number;
  readonly captureDurationMs: number;
  readonly nativeWarmupMs: number;
  private readonly emitReadings: boolean;

  private observer: PerformanceObserver | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private gcTimer: NodeJS.Timeout | undefined;
  private pending: { timeMs: number; forced: boolean } | undefined;
  private readonly readings: LeakReading[] = [];
  private readonly lastFired = new Map<LeakKind, number>();
  private lastMajorMs = Date.now();
  private captures = 0;
  private lastCaptureMs = -Infinity;
  private captureAbort: AbortController | undefined;
  /** Native readings before this time are ignored: the process's first seconds (nativeWarmupMs), and a heap snapshot leaves malloc'd memory behind. */
  private nativeSinceMs = -Infinity;
  private warned = false;
  private running_ = false;
  private readonly anonRss = new AnonRssReader();

  /** Use watchLeaks(); the constructor validates the options and starts nothing. */
  constructor(options?: WatchLeaksOptions) {
    super();
    const o = optionsObject<WatchLeaksOptions>('options', options, WATCH_LEAKS_OPTIONS_NAMES);
    this.windowMs = numberOption('windowMs', o.windowMs, 300_000, { integer: true, min: 1000, max: 86_400_000 });
    this.minSlopeBytesPerMin = numberOption('minSlopeBytesPerMin', o.minSlopeBytesPerMin, 1 << 20, { min: 0 });
    this.minConfidence = numberOption('minConfidence', o.minConfidence, 0.95, { min: 0.5, max: 0.999999 });
    this.minSamples = numberOption('minSamples', o.minSamples, 6, { integer: true, min: 4, max: 10_000 });
    if (o.signals === undefined) this.signals = LEAK_KINDS;
    else {
      if (!Array.isArray(o.signals) || o.signals.length === 0) {
        throw invalidOption('type', 'signals', o.signals, `a non-empty array of ${LEAK_KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
      }
      this.signals = o.signals.map((k, i) => enumOption(`signals[${i}]`, k, LEAK_KINDS, 'heap'));
    }
    const gcInterval = numberOption('gcIntervalMs', o.gcIntervalMs, 0, { integer: true, min: 0, max: 86_400_000 });
    if (gcInterval !== 0 && gcInterval < 100) throw invalidOption('range', 'gcIntervalMs', gcInterval, '0 (never) or an integer from 100 to 86400000');
    this.gcIntervalMs = gcInterval;
    this.capture = enumOption('capture', o.capture, ['none', 'heap-snapshot', 'heap-profile'] as const, 'none');
    this.captureDir = stringOption('captureDir', o.captureDir, os.tmpdir(), { nonEmpty: true });
    this.captureMinIntervalMs = numberOption('captureMinIntervalMs', o.captureMinIntervalMs, 3_600_000, { integer: true, min: 0 });
    this.maxCaptures = numberOption('maxCaptures', o.maxCaptures, 3, { integer: true, min: 0 });
    this.captureDurationMs = numberOption('captureDurationMs', o.captureDurationMs, 30_000, { integer: true, min: 100, max: 3_600_000 });
    this.emitReadings = booleanOption('emitReadings', o.emitReadings, false);
    this.nativeWarmupMs = numberOption('nativeWarmupMs', o.nativeWarmupMs, 30_000, { integer: true, min: 0, max: 86_400_000 });
  }

  /** True between start and stop. */
  get running(): boolean {
    return this.running_;
  }

  /** start begins watching (watchLeaks calls it). Calling it while running is harmless. */
  start(): this {
    if (this.running_) return this;
    this.running_ = true;
    this.lastMajorMs = Date.now();
    this.nativeSinceMs = Math.max(this.nativeSinceMs, performance.timeOrigin + this.nativeWarmupMs);
    this.observer = new PerformanceObserver((list) => this.onEntries(list.getEntries()));
    this.observer.observe({ entryTypes: ['gc'] });
    if (this.gcIntervalMs > 0) {
      this.gcTimer = setInterval(() => this.maybeForceGC(), Math.max(50, Math.floor(this.gcIntervalMs / 2)));
      this.gcTimer.unref();
    }
    return this;
  }

  /** stop disconnects the observer, clears every timer and abandons a heap profile in progress. Calling it twice is harmless. */
  stop(): void {
    if (!this.running_) return;
    this.running_ = false;
    this.observer?.disconnect();
    this.observer = undefined;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    if (this.gcTimer) clearInterval(this.gcTimer);
    this.gcTimer = undefined;
    this.pending = undefined;
    this.captureAbort?.abort();
    this.captureAbort = undefined;
    this.anonRss.close();
  }

  /** readingsInWindow returns a copy of the post-full-GC readings of the current window (ending at the last reading), oldest first. */
  readingsInWindow(): LeakReading[] {
    const last = this.readings[this.readings.length - 1];
    if (!last) return [];
    const from = Math.max(last.timeMs, this.running_ ? Date.now() : 0) - this.windowMs;
    return this.readings.filter((r) => r.timeMs >= from);
  }

  /** status judges every watched signal now, without firing. */
  status(): LeakSignalStatus[] {
    const rs = this.readingsInWindow();
    return this.signals.map((kind) => ({ kind, ...this.judge(kind, rs), lastFiredMs: this.lastFired.get(kind) ?? 0 }));
  }

  private onEntries(entries: PerformanceEntry[]): void {
    let major: { timeMs: number; forced: boolean } | undefined;
    for (const e of entries) {
      const d = (e as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail;
      if (d?.kind !== MAJOR) continue;
      major = { timeMs: performance.timeOrigin + e.startTime + e.duration, forced: ((d.flags ?? 0) & FLAG_FORCED) !== 0 };
    }
    if (!major || !this.running_) return;
    this.lastMajorMs = Date.now();
    // One reading per batch: GCs reported together happened moments apart.
    this.pending = major;
    if (!this.settleTimer) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.takeReading();
      }, SETTLE_MS);
      this.settleTimer.unref();
    }
  }

  private maybeForceGC(): void {
    if (!this.running_) return;
    if (Date.now() - this.lastMajorMs < this.gcIntervalMs) return;
    this.lastMajorMs = Date.now();
    try {
      forceGC();
    } catch (err) {
      this.warnOnce(`memstats watchLeaks: could not force a GC (${(err as Error).message})`);
    }
  }

  private takeReading(): void {
    const p = this.pending;
    this.pending = undefined;
    if (!p || !this.running_) return;
    const mu = process.memoryUsage();
    const hs = v8.getHeapStatistics();
    let young = 0;
    for (const s of v8.getHeapSpaceStatistics()) {
      if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') young += s.space_used_size;
    }
    const anon = this.anonRss.read();
    const reading: LeakReading = {
      timeMs: p.timeMs,
      heapUsedBytes: Math.max(0, hs.used_heap_size - young),
      externalBytes: mu.external,
      nativeBytes: (anon ?? mu.rss) - hs.total_physical_size - mu.external - hs.malloced_memory,
      rssBytes: mu.rss,
      detachedContexts: hs.number_of_detached_contexts,
      forced: p.forced,
    };
    this.addReading(reading);
  }

  /**
   * addReading feeds one post-full-GC reading and judges the window, as the
   * watcher does after each full GC: for replaying recorded readings (and
   * tests). Readings must come in time order; works stopped or running.
   */
  addReading(reading: LeakReading): void {
    this.readings.push(reading);
    const cutoff = reading.timeMs - this.windowMs;
    let drop = 0;
    while (drop < this.readings.length && (this.readings[drop].timeMs < cutoff || this.readings.length - drop > MAX_READINGS)) drop++;
    if (drop > 0) this.readings.splice(0, drop);
    if (this.emitReadings) this.safeEmit('reading', reading);
    this.evaluate(reading.timeMs);
  }

  private series(kind: LeakKind, rs: readonly LeakReading[]): TrendPoint[] {
    const pick =
      kind === 'heap' ? (r: LeakReading) => r.heapUsedBytes
      : kind === 'external' ? (r: LeakReading) => r.externalBytes
      : kind === 'native' ? (r: LeakReading) => r.nativeBytes
      : (r: LeakReading) => r.detachedContexts;
    return rs.map((r) => ({ timeMs: r.timeMs, value: pick(r) }));
  }

  /** The readings a signal is judged on (native: none from the process's warm-up or before the watcher's own last heap snapshot). */
  private readingsFor(kind: LeakKind, all: readonly LeakReading[]): readonly LeakReading[] {
    return kind === 'native' && this.nativeSinceMs > -Infinity ? all.filter((r) => r.timeMs >= this.nativeSinceMs) : all;
  }

  private judge(kind: LeakKind, all: readonly LeakReading[]): Trend & { leaking: boolean } {
    const points = this.series(kind, this.readingsFor(kind, all));
    const t = judgeTrend(points);
    const enough = t.n >= this.minSamples && t.spanMs >= this.windowMs / 2;
    if (kind === 'detached-contexts') {
      const withSome = points.filter((p) => p.value > 0).length;
      const share = t.n > 0 ? withSome / t.n : 0;
      return { ...t, confidence: share, leaking: enough && share === 1 };
    }
    const min = this.minSlopeBytesPerMin;
    const leaking =
      enough &&
      t.slopePerMin >= min &&
      t.slopePerMin > 0 &&
      t.confidence >= this.minConfidence &&
      t.earlySlopePerMin >= min / 2 &&
      t.earlySlopePerMin > 0 &&
      t.recentSlopePerMin >= min / 2 &&
      t.recentSlopePerMin > 0;
    return { ...t, leaking };
  }

  private evaluate(nowMs: number): void {
    const rs = this.readings;
    for (const kind of this.signals) {
      const last = this.lastFired.get(kind) ?? -Infinity;
      // Once per window per signal: the evidence of the next one must be new.
      if (nowMs - last < this.windowMs) continue;
      const j = this.judge(kind, rs);
      if (!j.leaking) continue;
      this.lastFired.set(kind, nowMs);
      this.fire(kind, j, rs, nowMs);
    }
  }

  private fire(kind: LeakKind, j: Trend, rs: readonly LeakReading[], nowMs: number): void {
    const unit = kind === 'detached-contexts' ? 'contexts' : 'bytes';
    rs = this.readingsFor(kind, rs);
    const series = this.series(kind, rs);
    const growth = j.fittedLast - j.fittedFirst;
    const minutes = (j.spanMs / 60_000).toFixed(1);
    const message =
      unit === 'bytes'
        ? `memstats: possible leak: ${WHAT[kind]} grew ${fmtBytes(growth)} in ${minutes} min (${fmtBytes(j.slopePerMin)}/min over ${j.n} full GCs, confidence ${(j.confidence * 100).toFixed(1)}%)`
        : `memstats: possible leak: ${series[series.length - 1]?.value ?? 0} ${WHAT[kind]} survived all ${j.n} full GCs in ${minutes} min`;
    const canCapture =
      this.capture !== 'none' && this.captures < this.maxCaptures && Date.now() - this.lastCaptureMs >= this.captureMinIntervalMs;
    const event: LeakEvent = {
      kind,
      message,
      unit,
      slopePerMin: j.slopePerMin,
      slopeBytesPerMin: unit === 'bytes' ? j.slopePerMin : 0,
      recentSlopePerMin: j.recentSlopePerMin,
      confidence: j.confidence,
      growth,
      series,
      forcedGCs: rs.filter((r) => r.forced).length,
      windowMs: this.windowMs,
      timeMs: nowMs,
      capturing: canCapture,
    };
    this.safeEmit('leak', event);
    if (canCapture) this.startCapture(event);
  }

  private startCapture(event: LeakEvent): void {
    this.captures++;
    this.lastCaptureMs = Date.now();
    const abort = new AbortController();
    this.captureAbort = abort;
    // After the listeners have seen the event: a snapshot stops the loop for seconds.
    setImmediate(() => {
      if (abort.signal.aborted) return;
      captureHeap(this.capture as CaptureKind, this.captureDir, this.captureDurationMs, abort.signal).then(
        (result) => {
          // V8's snapshot generator mallocs about the heap's size and glibc keeps
          // much of it: a native "leak" the watcher itself caused. Start over.
          if (result.kind === 'heap-snapshot') this.nativeSinceMs = Date.now();
          if (!abort.signal.aborted) this.safeEmit('capture', { leak: event, result });
        },
        (error: unknown) => {
          if (!abort.signal.aborted) this.safeEmit('capture', { leak: event, error: error instanceof Error ? error : new Error(String(error)) });
        },
      );
    }).unref();
  }

  private safeEmit<K extends keyof LeakWatcherEvents>(name: K, ...args: LeakWatcherEvents[K]): void {
    try {
      (this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args);
    } catch (err) {
      this.warnOnce(`memstats watchLeaks: a '${name}' listener threw: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(message, { code: 'MEMSTATS_LEAK_WATCHER' });
  }
}

/**
 * watchLeaks starts watching this process for memory leaks and returns the
 * watcher: `.on('leak', (e) => …)` receives the evidence (signal, slope in
 * bytes/min, confidence, the post-full-GC series) at most once per window per
 * signal; `.stop()` ends it (calling it twice is harmless). Defaults: a 5-minute
 * window, 1 MiB/min, 95% confidence, 6 full GCs. Throws a TypeError/RangeError
 * (code ERR_MEMSTATS_INVALID_OPTION) for an invalid option. Each call makes an
 * independent watcher.
 *
 * @example
 * const w = watchLeaks({ capture: 'heap-snapshot' });
 * w.on('leak', (e) => console.warn(e.message));
 * w.on('capture', (c) => c.result && console.warn('snapshot:', c.result.path));
 */
export function watchLeaks(options?: WatchLeaksOptions): LeakWatcher {
  return new LeakWatcher(options).start();
}
