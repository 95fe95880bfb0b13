/**
 * @module report/diagnose
 * `diagnose(samples)`: a short diagnosis of a recording, like clinic doctor's —
 * each finding a title, the evidence in numbers, and what to do next. Pure
 * functions of Sample[] (a recording, or a sampler's ring), one per rule:
 *
 * | rule | fires when |
 * |---|---|
 * | `gc-overhead` | GC paused the main thread more than 10% of the time, overall or over any 30 s |
 * | `event-loop-stalls` | some window's event-loop delay maximum was over 100 ms |
 * | `heap-growth` | the heap used after major GCs trends up (Theil–Sen slope, Mann–Kendall confidence ≥ 0.9) by ≥ 10% and ≥ 4 MiB |
 * | `heap-near-limit` | heap used reached 85% of V8's limit |
 * | `rss-above-heap` | RSS is more than twice the resident V8 heap and more than 128 MiB above it |
 *
 * Thresholds are options; defaults follow clinic doctor's spirit and Go's
 * guidance (GC above ~10% of CPU is worth a look).
 */
import type { Sample } from '../sampler/sample.js';
import { pauseSinceNs } from '../dashboard/plots.js';
import { judgeTrend, type TrendPoint } from '../leak/trend.js';
import { formatBytes, formatDuration, formatPercent } from './format.js';
import { numberOption, optionsObject, optionNames } from '../internal/validate.js';
const DIAGNOSE_OPTIONS_NAMES = optionNames<DiagnoseOptions>({ gcOverheadFraction: true, stallMs: true, heapLimitFraction: true, rssAboveHeapBytes: true });

/** Identifies a rule. */
export type FindingId = 'gc-overhead' | 'event-loop-stalls' | 'heap-growth' | 'heap-near-limit' | 'rss-above-heap';

/** One finding of the diagnosis. */
export interface Finding {
  id: FindingId;
  /** `critical`: likely hurting now; `warning`: worth a look. */
  severity: 'warning' | 'critical';
  /** One line: what is wrong. */
  title: string;
  /** The numbers that show it, one line each. */
  evidence: string[];
  /** What to do next, one step per line, most useful first. */
  next: string[];
  /** The figures behind the evidence (units in the names), for tools and tests. */
  figures: Record<string, number>;
}

/** Options of diagnose (and of each rule). */
export interface DiagnoseOptions {
  /** GC share of the main thread's time that is too much (0…1, default 0.1). */
  gcOverheadFraction?: number;
  /** Event-loop delay that counts as a stall, ms (default 100). */
  stallMs?: number;
  /** Share of V8's heap limit that is too close (0…1, default 0.85). */
  heapLimitFraction?: number;
  /** RSS above the V8 heap that is worth explaining, bytes (default 128 MiB); RSS must also be over twice the heap. */
  rssAboveHeapBytes?: number;
}

interface Resolved {
  gcOverheadFraction: number;
  stallMs: number;
  heapLimitFraction: number;
  rssAboveHeapBytes: number;
}

const MiB = 1024 * 1024;
/** The span over which a sustained GC overhead is judged, ms. */
const SUSTAINED_MS = 30_000;

function resolve(options: DiagnoseOptions | undefined): Resolved {
  const o = optionsObject<DiagnoseOptions>('options', options, DIAGNOSE_OPTIONS_NAMES);
  return {
    gcOverheadFraction: numberOption('gcOverheadFraction', o.gcOverheadFraction, 0.1, { min: 0, max: 1 }),
    stallMs: numberOption('stallMs', o.stallMs, 100, { min: 1, max: 3_600_000 }),
    heapLimitFraction: numberOption('heapLimitFraction', o.heapLimitFraction, 0.85, { min: 0, max: 1 }),
    rssAboveHeapBytes: numberOption('rssAboveHeapBytes', o.rssAboveHeapBytes, 128 * MiB, { min: 0 }),
  };
}

/** Samples in time order (a copy). */
function ordered(samples: readonly Sample[]): Sample[] {
  return [...samples].sort((a, b) => a.timeMs - b.timeMs);
}

/** Largest finite value (a loop: spreading a day of samples into Math.max overflows the stack); -Infinity when none. */
function maxOf(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (Number.isFinite(v) && v > m) m = v;
  return m;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `+1m23s` from the recording's start: unambiguous in any time zone. */
export function formatOffset(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `+${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s`;
  if (m > 0) return `+${m}m${String(sec).padStart(2, '0')}s`;
  return `+${sec}s`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * checkGcOverhead: GC's share of the main thread's time, overall and over the
 * worst 30 s; fires above `gcOverheadFraction` (10%) either way.
 */
export function checkGcOverhead(samples: readonly Sample[], options?: DiagnoseOptions): Finding | undefined {
  const o = resolve(options);
  const s = ordered(samples);
  if (s.length === 0) return undefined;
  const pause = s.map((x, i) => pauseSinceNs(x, s[i - 1]));
  const windowNs = s.map((x) => x.windowMs * 1e6);
  const totalPause = pause.reduce((a, b) => a + b, 0);
  const totalTime = windowNs.reduce((a, b) => a + b, 0);
  if (!(totalTime > 0)) return undefined;
  const overall = totalPause / totalTime;
  // Worst sustained share: the smallest run of consecutive samples covering ≥ 30 s ending at each sample.
  let worst = overall;
  let worstEnd = s.length - 1;
  let start = 0;
  let p = 0;
  let t = 0;
  for (let i = 0; i < s.length; i++) {
    p += pause[i];
    t += windowNs[i];
    while (start < i && t - windowNs[start] >= SUSTAINED_MS * 1e6) {
      p -= pause[start];
      t -= windowNs[start];
      start++;
    }
    if (t >= SUSTAINED_MS * 1e6 && p / t > worst) {
      worst = p / t;
      worstEnd = i;
    }
  }
  if (overall <= o.gcOverheadFraction && worst <= o.gcOverheadFraction) return undefined;

  const first = s[0];
  const last = s[s.length - 1];
  const cycles = last.numGC - first.numGC + first.gcCount;
  const minor = last.numMinorGC - first.numMinorGC + first.gcPauses.filter((g) => g[2] === 'minor').length;
  const major = Math.max(0, cycles - minor);
  let minorNs = 0;
  let majorNs = 0;
  let longest = 0;
  for (const x of s) {
    for (const [, ns, kind] of x.gcPauses) {
      if (kind === 'minor') minorNs += ns;
      else majorNs += ns;
      if (ns > longest) longest = ns;
    }
  }
  const alloc = s.map((x) => x.allocRateBytesPerSec).filter((v) => Number.isFinite(v));
  const heapPeak = Math.max(0, maxOf(s.map((x) => x.heapUsedBytes / x.heapLimitBytes)));
  const evidence = [
    `GC paused JavaScript ${formatPercent(overall)} of the time: ${formatDuration(totalPause)} of ${formatDuration(totalTime)}, in ${count(cycles, 'cycle')} (${count(minor, 'scavenge')}, ${count(major, 'mark-compact')}).`,
  ];
  if (worst > overall) evidence.push(`The worst 30 s, ending at ${formatOffset(s[worstEnd].timeMs - first.timeMs)}: ${formatPercent(worst)}.`);
  if (longest > 0) evidence.push(`Longest pause ${formatDuration(longest)}; scavenges took ${formatDuration(minorNs)}, mark-compacts ${formatDuration(majorNs)} of the pauses listed.`);
  if (alloc.length > 0) evidence.push(`Allocation rate: median ${formatBytes(median(alloc))}/s, peak ${formatBytes(maxOf(alloc))}/s.`);
  if (heapPeak > 0.7) evidence.push(`Heap used reached ${formatPercent(heapPeak)} of V8's limit: GC runs harder as the heap fills.`);

  const next: string[] = [];
  if (heapPeak > 0.7) next.push('The heap is near its limit: reduce what stays alive (see the heap findings), or raise it with `--max-old-space-size=<MiB>`.');
  if (minorNs >= majorNs) {
    next.push('Scavenges dominate: the program allocates many short-lived objects. Find where: `curl -o allocs.pb.gz "http://127.0.0.1:6060/debug/pprof/allocs?seconds=30" && go tool pprof -top allocs.pb.gz`, then reuse objects or buffers on the hot path (memstats/pool).');
    next.push('`--max-semi-space-size=<MiB>` (e.g. 32 or 64) makes scavenges rarer, at the cost of that much memory per semi-space.');
  } else {
    next.push('Mark-compacts dominate: the old generation churns or is large. `/debug/pprof/heap?gc=1` shows what stays alive and who allocated it; a heap snapshot shows who keeps it.');
  }
  return {
    id: 'gc-overhead',
    severity: overall > 2.5 * o.gcOverheadFraction ? 'critical' : 'warning',
    title: `GC takes ${formatPercent(Math.max(overall, worst))} of the main thread${worst > overall && overall <= o.gcOverheadFraction ? ' in bursts' : ''} (over ${formatPercent(o.gcOverheadFraction)})`,
    evidence,
    next,
    figures: { overallFraction: overall, worst30sFraction: worst, gcPauseTotalNs: totalPause, cycles, longestPauseNs: longest },
  };
}

/**
 * checkEventLoopStalls: windows whose event-loop delay maximum exceeded
 * `stallMs` (100 ms) — the loop could not run callbacks for that long.
 */
export function checkEventLoopStalls(samples: readonly Sample[], options?: DiagnoseOptions): Finding | undefined {
  const o = resolve(options);
  const s = ordered(samples);
  const limitNs = o.stallMs * 1e6;
  const stalls = s.filter((x) => x.loopDelayMaxNs > limitNs);
  if (stalls.length === 0) return undefined;
  const first = s[0];
  const worst = stalls.reduce((a, b) => (b.loopDelayMaxNs > a.loopDelayMaxNs ? b : a));
  const withGc = stalls.filter((x) => x.gcPauseMaxNs > limitNs / 2).length;
  const p99 = median(s.map((x) => x.loopDelayP99Ns));
  const totalStallNs = stalls.reduce((a, x) => a + x.loopDelayMaxNs, 0);
  const when = stalls.slice(0, 5).map((x) => `${formatOffset(x.timeMs - first.timeMs)} (${formatDuration(x.loopDelayMaxNs)})`);
  const evidence = [
    `${count(stalls.length, 'window')} of ${s.length} had an event-loop delay over ${o.stallMs} ms; the worst ${formatDuration(worst.loopDelayMaxNs)} at ${formatOffset(worst.timeMs - first.timeMs)}.`,
    `At: ${when.join(', ')}${stalls.length > 5 ? ', …' : ''}.`,
    `Median p99 delay over the recording: ${formatDuration(p99)}.`,
  ];
  if (withGc > 0) evidence.push(`${count(withGc, 'stall')} came with a GC pause over ${o.stallMs / 2} ms in the same window.`);
  const next = [
    'See the code that ran during each stall: `curl -o block.pb.gz "http://127.0.0.1:6060/debug/pprof/block?seconds=60" && go tool pprof -top block.pb.gz` (Node\'s blocking profile: stalls over 50 ms with their stacks).',
    'A CPU profile while it happens (dashboard → CPU profile, or `/debug/pprof/profile?seconds=10`) shows the hot synchronous code: JSON of large payloads, sync fs/crypto/zlib calls, regular expressions, long loops.',
    'Move CPU-heavy work to a worker_threads Worker, or split it into chunks that yield with setImmediate.',
  ];
  if (withGc > 0) next.push('Some stalls are GC pauses: see the GC and heap findings.');
  return {
    id: 'event-loop-stalls',
    severity: worst.loopDelayMaxNs > 1e9 || stalls.length >= Math.max(3, s.length * 0.1) ? 'critical' : 'warning',
    title: `Event-loop stalls over ${o.stallMs} ms: ${stalls.length}, the worst ${formatDuration(worst.loopDelayMaxNs)}`,
    evidence,
    next,
    figures: { stalls: stalls.length, worstStallNs: worst.loopDelayMaxNs, stallTotalNs: totalStallNs, stallsWithGc: withGc },
  };
}

/**
 * heapAfterGC returns the heap used just after each major GC: the lowest
 * reading from the sample whose window holds a mark-compact up to the next
 * one (later scavenges only lower it). With fewer than 4 mark-compacts, the
 * lowest reading of each of 12 equal slices of the recording that saw a GC.
 */
export function heapAfterGC(samples: readonly Sample[]): { points: TrendPoint[]; basis: 'major' | 'slices' } {
  const s = ordered(samples);
  const majors: number[] = [];
  s.forEach((x, i) => {
    if (x.gcPauses.some((g) => g[2] === 'major')) majors.push(i);
  });
  if (majors.length >= 4) {
    const points = majors.map((from, k) => {
      const to = k + 1 < majors.length ? majors[k + 1] : s.length;
      let low = s[from];
      for (let i = from; i < to; i++) if (s[i].heapUsedBytes < low.heapUsedBytes) low = s[i];
      return { timeMs: low.timeMs, value: low.heapUsedBytes };
    });
    return { points, basis: 'major' };
  }
  const points: TrendPoint[] = [];
  if (s.length < 2) return { points, basis: 'slices' };
  const t0 = s[0].timeMs;
  const span = s[s.length - 1].timeMs - t0 || 1;
  const slices = 12;
  for (let k = 0; k < slices; k++) {
    const inSlice = s.filter((x) => Math.min(slices - 1, Math.floor(((x.timeMs - t0) / span) * slices)) === k);
    if (!inSlice.some((x) => x.gcCount > 0)) continue;
    const low = inSlice.reduce((a, b) => (b.heapUsedBytes < a.heapUsedBytes ? b : a));
    points.push({ timeMs: low.timeMs, value: low.heapUsedBytes });
  }
  return { points, basis: 'slices' };
}

/**
 * checkHeapGrowth: the heap used after GC trends up — retained memory grows,
 * the signature of a leak. Needs ≥ 4 points (see heapAfterGC); fires when the
 * trend's confidence is ≥ 0.9, it is still rising, and the fitted growth is
 * ≥ 10% of the start and ≥ 4 MiB.
 */
export function checkHeapGrowth(samples: readonly Sample[], _options?: DiagnoseOptions): Finding | undefined {
  resolve(_options);
  const s = ordered(samples);
  const { points, basis } = heapAfterGC(s);
  if (points.length < 4) return undefined;
  const trend = judgeTrend(points);
  const growth = trend.fittedLast - trend.fittedFirst;
  if (!(trend.confidence >= 0.9 && trend.slopePerMin > 0 && trend.recentSlopePerMin > 0 && growth >= Math.max(4 * MiB, 0.1 * Math.max(0, trend.fittedFirst)))) return undefined;
  const last = s[s.length - 1];
  const spanMs = trend.spanMs;
  const evidence = [
    `Heap used after GC rose from ${formatBytes(trend.fittedFirst)} to ${formatBytes(trend.fittedLast)} (+${formatBytes(growth)}, ${formatBytes(trend.slopePerMin)}/min) over ${formatDuration(spanMs * 1e6)}, ${basis === 'major' ? `measured after ${count(points.length, 'mark-compact')}` : `the lowest reading of ${count(points.length, 'slice')} of the recording`}; confidence it rises ${formatPercent(trend.confidence)}.`,
    trend.recentSlopePerMin >= trend.earlySlopePerMin * 0.8
      ? `Still rising in the later half: ${formatBytes(trend.recentSlopePerMin)}/min (earlier ${formatBytes(trend.earlySlopePerMin)}/min).`
      : `Slowing: ${formatBytes(trend.recentSlopePerMin)}/min in the later half, ${formatBytes(trend.earlySlopePerMin)}/min before — it may level off (a cache warming up) or keep going.`,
  ];
  const headroom = last.heapLimitBytes - trend.fittedLast;
  const minutesToLimit = trend.recentSlopePerMin > 0 ? headroom / trend.recentSlopePerMin : Infinity;
  if (Number.isFinite(minutesToLimit) && minutesToLimit > 0) evidence.push(`At that rate the heap reaches V8's limit (${formatBytes(last.heapLimitBytes)}) in about ${formatDuration(minutesToLimit * 60e9)}, then the process dies with "heap out of memory".`);
  return {
    id: 'heap-growth',
    severity: minutesToLimit < 60 ? 'critical' : 'warning',
    title: `Heap after GC is growing: +${formatBytes(growth)} (${formatBytes(trend.slopePerMin)}/min), a likely leak`,
    evidence,
    next: [
      'Compare two heap snapshots taken minutes apart: `curl -o a.heapsnapshot http://127.0.0.1:6060/debug/pprof/heapsnapshot`, the same later into b.heapsnapshot, then `memstats diff a.heapsnapshot b.heapsnapshot`: it lists what grew and the path that keeps it alive.',
      '`curl -o heap.pb.gz "http://127.0.0.1:6060/debug/pprof/heap?gc=1" && go tool pprof -top heap.pb.gz` shows which code allocated what is still alive.',
      'Usual causes: a cache or Map without a bound, listeners added per request and never removed, closures held by timers, arrays of results kept for "later".',
    ],
    figures: { growthBytes: growth, slopeBytesPerMin: trend.slopePerMin, recentSlopeBytesPerMin: trend.recentSlopePerMin, confidence: trend.confidence, points: points.length, minutesToLimit },
  };
}

/** checkHeapNearLimit: heap used reached `heapLimitFraction` (85%) of V8's limit. */
export function checkHeapNearLimit(samples: readonly Sample[], options?: DiagnoseOptions): Finding | undefined {
  const o = resolve(options);
  const s = ordered(samples);
  let peak: Sample | undefined;
  for (const x of s) if (x.heapLimitBytes > 0 && (!peak || x.heapUsedBytes / x.heapLimitBytes > peak.heapUsedBytes / peak.heapLimitBytes)) peak = x;
  if (!peak) return undefined;
  const share = peak.heapUsedBytes / peak.heapLimitBytes;
  if (share < o.heapLimitFraction) return undefined;
  return {
    id: 'heap-near-limit',
    severity: 'critical',
    title: `Heap near V8's limit: ${formatPercent(share)} used`,
    evidence: [`Heap used peaked at ${formatBytes(peak.heapUsedBytes)} of a ${formatBytes(peak.heapLimitBytes)} limit at ${formatOffset(peak.timeMs - s[0].timeMs)}. Past the limit V8 aborts the process ("heap out of memory"); before it, GC runs back to back.`],
    next: [
      'If the heap holds what it should: raise the limit with `node --max-old-space-size=<MiB>` (and the container\'s memory with it).',
      'If not: find what stays alive with two heap snapshots and memstats diff (see the heap-growth advice).',
    ],
    figures: { peakFraction: share, peakHeapUsedBytes: peak.heapUsedBytes, heapLimitBytes: peak.heapLimitBytes },
  };
}

/**
 * checkRssAboveHeap: RSS far above the V8 heap — memory outside the JavaScript
 * heap: external (Buffers, ArrayBuffers) or other native memory (addons,
 * malloc's retention, thread stacks). Judged on medians of the later half of
 * the recording (the steady state).
 */
export function checkRssAboveHeap(samples: readonly Sample[], options?: DiagnoseOptions): Finding | undefined {
  const o = resolve(options);
  const all = ordered(samples);
  if (all.length === 0) return undefined;
  const s = all.length >= 10 ? all.slice(all.length >> 1) : all;
  const rss = median(s.map((x) => x.rssBytes));
  const heap = median(s.map((x) => x.heapPhysicalBytes));
  const external = median(s.map((x) => x.externalBytes));
  const outside = rss - heap;
  if (!(outside > o.rssAboveHeapBytes && rss > 2 * heap)) return undefined;
  const ext = Math.max(0, Math.min(external, outside));
  const native = outside - ext;
  const externalLed = ext >= native;
  const evidence = [
    `RSS ${formatBytes(rss)} is ${(rss / Math.max(1, heap)).toFixed(1)}× the resident V8 heap (${formatBytes(heap)}): ${formatBytes(outside)} is outside it (medians of the ${all.length >= 10 ? 'later half' : 'recording'}).`,
    `External memory (Buffers, ArrayBuffers, external strings): ${formatBytes(ext)}; other native memory (Node, libuv, addons, malloc's free lists, thread stacks): ${formatBytes(native)}.`,
  ];
  const next = externalLed
    ? [
        'Big Buffers live outside the V8 heap, and glibc keeps much of what they free. Reuse them instead of allocating one per request: memstats/pool `createRecycler()`, `get(size)`/`give(buf)` (docs/recycling.md).',
        'Check that Buffers are not kept alive: in a heap snapshot (DevTools → Memory), sort by retained size and look at ArrayBuffer / Buffer / Uint8Array holders.',
        '`explainMemory()` (memstats) splits RSS by mapping from /proc/<pid>/smaps, so you can tell live Buffers from malloc\'s retention.',
      ]
    : [
        'Memory neither V8 nor Node accounts for: native addons, thread stacks (worker_threads, libuv\'s pool), or glibc\'s malloc arenas keeping freed memory.',
        '`explainMemory()` (memstats) splits RSS by mapping from /proc/<pid>/smaps: a large [heap] or arena points at malloc retention (reuse big buffers, or `MALLOC_MMAP_THRESHOLD_`/jemalloc — `MALLOC_ARENA_MAX` helps only when many threads allocate: docs/recycling.md), large anonymous mappings at an addon.',
      ];
  return {
    id: 'rss-above-heap',
    severity: rss > 4 * heap && outside > 4 * o.rssAboveHeapBytes ? 'critical' : 'warning',
    title: `RSS far above the V8 heap: ${formatBytes(outside)} outside it, mostly ${externalLed ? 'external memory (Buffers)' : 'native memory'}`,
    evidence,
    next,
    figures: { rssBytes: rss, heapPhysicalBytes: heap, outsideHeapBytes: outside, externalBytes: ext, otherNativeBytes: native },
  };
}

/** The rules diagnose runs, in report order. */
export const DIAGNOSIS_RULES: ReadonlyArray<(samples: readonly Sample[], options?: DiagnoseOptions) => Finding | undefined> = [
  checkHeapNearLimit,
  checkHeapGrowth,
  checkGcOverhead,
  checkEventLoopStalls,
  checkRssAboveHeap,
];

/**
 * diagnose runs every rule over `samples` (any order) and returns the
 * findings, critical first. An empty list means nothing stood out. Throws
 * TypeError/RangeError (ERR_MEMSTATS_INVALID_OPTION) for bad options.
 */
export function diagnose(samples: readonly Sample[], options?: DiagnoseOptions): Finding[] {
  resolve(options);
  const out: Finding[] = [];
  for (const rule of DIAGNOSIS_RULES) {
    const f = rule(samples, options);
    if (f) out.push(f);
  }
  return out.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
}
