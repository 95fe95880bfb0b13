/**
 * @module report/console
 * The seed's console kit: a GC line whenever GCs happened (ShowGCStat), a GC
 * summary on demand (PrintGCSummary), and a CPU/memory line per interval
 * (ShowSystemStat). The watchers are sampler subscribers: one reading per tick,
 * shared with every other consumer; they never throw into the host.
 */
import { getGCTracker } from '../stats/gc-tracker.js';
import { readMemStats } from '../stats/mem-stats.js';
import { pauseQuantiles } from '../stats/gc-stats.js';
import { readSystem } from '../stats/system.js';
import { getSampler } from '../sampler/sampler.js';
import type { Sample } from '../sampler/sample.js';
import { formatBytes, formatDuration } from './format.js';
import { functionOption, numberOption, optionsObject, optionNames } from '../internal/validate.js';
const WATCH_OPTIONS_NAMES = optionNames<WatchOptions>({ intervalMs: true, write: true });
const PRINT_OPTIONS_NAMES = optionNames<PrintOptions>({ write: true });

/** Where console lines go: a function given one line without its newline. */
export type LineWriter = (line: string) => void;

/** Options of watchGC and watchSystem. */
export interface WatchOptions {
  /** Interval between checks, ms (integer 10…3,600,000; default 1000). */
  intervalMs?: number;
  /** Receives each line (default: written to stderr with a newline). */
  write?: LineWriter;
}

/** Handle of a console watcher. */
export interface Watcher {
  /** stop ends the watcher; calling it twice is harmless. */
  stop(): void;
}

const stderrWriter: LineWriter = (line) => {
  process.stderr.write(line + '\n');
};

function safeWriter(write: LineWriter): LineWriter {
  return (line) => {
    try {
      write(line);
    } catch {
      // A broken writer must not break the host.
    }
  };
}

function watchOptions(options: WatchOptions | undefined): { intervalMs: number; write: LineWriter } {
  const o = optionsObject<WatchOptions>('options', options, WATCH_OPTIONS_NAMES);
  return {
    intervalMs: numberOption('intervalMs', o.intervalMs, 1000, { integer: true, min: 10, max: 3_600_000 }),
    write: safeWriter(functionOption<LineWriter>('write', o.write, stderrWriter)),
  };
}

/** Figures of a GC line, shared by watchGC and printGCSummary. */
interface GCLine {
  numGC: number;
  lastPauseNs: number;
  avgPauseNs: number;
  overhead: number;
  allocBytes: number;
  sysBytes: number;
  allocRateBytesPerSec: number;
  quantiles: number[]; // p95, p99, max
}

function gcLineText(l: GCLine): string {
  if (l.numGC === 0) {
    return `Alloc:${formatBytes(l.allocBytes)} Sys:${formatBytes(l.sysBytes)} Alloc(Rate):${formatBytes(l.allocRateBytesPerSec)}/s`;
  }
  const [p95, p99, max] = l.quantiles;
  return (
    `NumGC:${l.numGC} Pause:${formatDuration(l.lastPauseNs)} Pause(Avg):${formatDuration(l.avgPauseNs)} ` +
    `Overhead:${(l.overhead * 100).toFixed(2)}% Alloc:${formatBytes(l.allocBytes)} Sys:${formatBytes(l.sysBytes)} ` +
    `Alloc(Rate):${formatBytes(l.allocRateBytesPerSec)}/s Histogram:${formatDuration(p95)} ${formatDuration(p99)} ${formatDuration(max)}`
  );
}

function recentPauseFigures(): { last: number; avg: number; quantiles: number[] } {
  const { pauseNs } = getGCTracker().recentPauses();
  if (pauseNs.length === 0) return { last: 0, avg: 0, quantiles: [0, 0, 0] };
  const q = pauseQuantiles(pauseNs, 101); // q[i] = i-th percentile; q[100] = max
  let sum = 0;
  for (const p of pauseNs) sum += p;
  return { last: pauseNs[0], avg: sum / pauseNs.length, quantiles: [q[95], q[99], q[100]] };
}

/**
 * watchGC writes one line per interval in which GCs happened, like the seed's
 * ShowGCStat: `NumGC:… Pause:… Pause(Avg):… Overhead:…% Alloc:… Sys:… Alloc(Rate):…/s Histogram:p95 p99 max`.
 * Pause figures are over the last 256 cycles; Overhead is GC pause time over wall
 * time in the interval; Alloc(Rate) is the allocation rate in the interval.
 * Default interval 1000 ms, lines to stderr. Returns a handle with stop().
 */
export function watchGC(options?: WatchOptions): Watcher {
  const { intervalMs, write } = watchOptions(options);
  const sampler = getSampler(intervalMs);
  const unsubscribe = sampler.subscribe((s: Sample) => {
    if (s.gcCount === 0) return;
    const p = recentPauseFigures();
    write(
      gcLineText({
        numGC: s.numGC,
        lastPauseNs: p.last,
        avgPauseNs: p.avg,
        overhead: s.gcPauseNs / (s.windowMs * 1e6),
        allocBytes: s.heapUsedBytes,
        sysBytes: s.heapTotalBytes + Math.max(0, s.rssBytes - s.heapPhysicalBytes),
        allocRateBytesPerSec: s.allocRateBytesPerSec,
        quantiles: p.quantiles,
      }),
    );
  });
  return { stop: unsubscribe };
}

/** Options of printGCSummary. */
export interface PrintOptions {
  /** Receives the line (default: stderr). */
  write?: LineWriter;
}

/**
 * printGCSummary writes one GC line now, like the seed's PrintGCSummary, with
 * Overhead and Alloc(Rate) averaged over the whole time GCs were tracked.
 * Returns the line.
 */
export function printGCSummary(options?: PrintOptions): string {
  const o = optionsObject<PrintOptions>('options', options, PRINT_OPTIONS_NAMES);
  const write = safeWriter(functionOption<LineWriter>('write', o.write, stderrWriter));
  const m = readMemStats();
  const p = recentPauseFigures();
  const seconds = m.trackedMs / 1000;
  // The heap alive when tracking began was allocated before it: not part of the rate.
  const allocatedWhileTracked = Math.max(0, m.totalAlloc - getGCTracker().allocAtStartBytes);
  const line = gcLineText({
    numGC: m.numGC,
    lastPauseNs: p.last,
    avgPauseNs: p.avg,
    overhead: m.trackedMs > 0 ? m.pauseTotalNs / (m.trackedMs * 1e6) : 0,
    allocBytes: m.alloc,
    sysBytes: m.sys,
    allocRateBytesPerSec: seconds > 0 ? allocatedWhileTracked / seconds : 0,
    quantiles: p.quantiles,
  });
  write(line);
  return line;
}

function systemLine(s: { user: number; sys: number; rss: number; maxRss: number }): string {
  return `cpu: ${(s.user * 100).toFixed(2)}% us  ${(s.sys * 100).toFixed(2)}% sy, rss: ${formatBytes(s.rss)}, maxrss: ${formatBytes(s.maxRss)}`;
}

/**
 * watchSystem writes a line per interval, like the seed's ShowSystemStat:
 * `cpu: 12.34% us  1.20% sy, rss: 80.00M, maxrss: 95.00M` (CPU as a share of one
 * core over the interval). Default 1000 ms, lines to stderr. Returns a handle with stop().
 */
export function watchSystem(options?: WatchOptions): Watcher {
  const { intervalMs, write } = watchOptions(options);
  let maxRss = readSystem().maxRssBytes;
  const unsubscribe = getSampler(intervalMs).subscribe((s: Sample) => {
    // ru_maxrss only grows; reading it costs a resourceUsage call, so track it from RSS between reads.
    if (s.rssBytes > maxRss) maxRss = s.rssBytes;
    write(systemLine({ user: s.cpuUserFraction, sys: s.cpuSystemFraction, rss: s.rssBytes, maxRss }));
  });
  return { stop: unsubscribe };
}
