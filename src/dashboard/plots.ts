/**
 * @module dashboard/plots
 * The dashboard's plots as data, statsviz-style: one description per plot —
 * title, help, unit, type and series, each series naming the Sample field or
 * the expression it is computed from — and one generic renderer in the page
 * (src/dashboard/browser/charts.ts). The stream, the page and `memstats
 * report` all draw from this list; adding a plot is adding an entry here.
 *
 * Series values are computed server-side by `value(sample, state)` (or read
 * from the field named by `source`), so the page never needs to know a
 * Sample's shape; `state` carries what a derived value needs from earlier
 * samples (the previous sample for rates, the last 256 GC pauses for p99).
 */
import type { Sample } from '../sampler/sample.js';
import type { PlotType, PlotUnit, WirePlot, WireSeries, WireStat } from './wire.js';

/** What derived series may read besides the current sample. */
export interface ProjectionState {
  /** The sample before this one, if any. */
  prev: Sample | undefined;
  /** Pauses of the last 256 GC cycles, ns (Go's PauseNs ring), oldest first. */
  recentPausesNs: readonly number[];
}

/** One series of a plot description. */
export interface SeriesDescription extends Omit<WireSeries, 'source' | 'points'> {
  /** The Sample field (`heapUsedBytes`) or, with `value`, the expression it implements (shown to users). */
  source: string;
  /** Computes the value; default: the numeric Sample field named `source`. null leaves a gap. */
  value?: (s: Sample, st: ProjectionState) => number | null | undefined;
  /** For event series: the events of this sample's window as [end ms since epoch, y]. */
  points?: (s: Sample, st: ProjectionState) => Array<[timeMs: number, y: number]>;
}

/** One plot description. */
export interface PlotDescription {
  id: string;
  title: string;
  help: string;
  unit: PlotUnit;
  type: PlotType;
  series: SeriesDescription[];
  /** One more series per key of the map `read` returns (spaces, resource types, …); `source` names the map. */
  keyed?: { source: string; read: (s: Sample, st: ProjectionState) => Record<string, number> | undefined };
  /** Shown only once a value arrived. */
  optional?: boolean;
}

/** One summary figure. */
export interface StatDescription extends WireStat {
  value?: (s: Sample) => number | null | undefined;
}

/** p-th quantile (0…1) of `values` by nearest rank; null when empty. */
export function quantile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

/**
 * GC main-thread pause time since `prev`, ns: the cumulative total's difference (all phases, no 256 cap), or
 * the sample's own window's without `prev` or when the total went down (a new process appending to the same
 * recording). A field a recording lacks (NaN) counts as no pause.
 */
export function pauseSinceNs(s: Sample, prev: Sample | undefined): number {
  const v = prev && s.gcPauseTotalNs >= prev.gcPauseTotalNs ? s.gcPauseTotalNs - prev.gcPauseTotalNs : s.gcPauseNs;
  return Number.isFinite(v) ? v : 0;
}

/** GC main-thread pause time in the sample's window, ns (pauseSinceNs of the sample just before). */
export function windowPauseNs(s: Sample, prev: Sample | undefined): number {
  // Only when `prev` is the sample just before: after a time nobody watched (the sampler stopped), the total's
  // difference holds the whole gap's pauses, which the sample's own window does not.
  const adjacent = prev !== undefined && s.timeMs > prev.timeMs && s.timeMs - prev.timeMs <= 1.5 * s.windowMs + 100;
  return pauseSinceNs(s, adjacent ? prev : undefined);
}

/** Per-second rate of a cumulative recycler counter between two samples; null without a previous reading. */
function recyclerRate(name: string): (s: Sample, st: ProjectionState) => number | null {
  return (s, st) => {
    const now = s.sources?.recycler?.[name];
    const before = st.prev?.sources?.recycler?.[name];
    if (now === undefined || before === undefined || !st.prev) return null;
    const dt = (s.timeMs - st.prev.timeMs) / 1000;
    // A decrease means the counters were reset (the source was removed and re-added).
    return dt > 0 && now >= before ? (now - before) / dt : null;
  };
}

function gcPoints(kind: 'minor' | 'major'): (s: Sample) => Array<[number, number]> {
  return (s) => {
    const out: Array<[number, number]> = [];
    for (const [endMs, pauseNs, k] of s.gcPauses) if (k === kind) out.push([endMs, pauseNs]);
    return out;
  };
}

/** Short names for V8's heap spaces: `new_large_object_space` → `new_large_object`. */
function spaces(s: Sample): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, used] of Object.entries(s.spaceUsedBytes)) out[name.replace(/_space$/, '')] = used;
  return out;
}

/**
 * DASHBOARD_PLOTS: every plot of the dashboard and of `memstats report`, in
 * page order. Each series' `source` is what users see as its definition.
 */
export const DASHBOARD_PLOTS: readonly PlotDescription[] = [
  {
    id: 'heap',
    title: 'V8 heap',
    help: 'Used: live objects and garbage not yet collected (the sawtooth). Committed: what V8 reserved for the heap; resident: the part in RAM. The limit (click it in the legend) is where V8 gives up with "heap out of memory".',
    unit: 'bytes',
    type: 'line',
    series: [
      { name: 'used', source: 'heapUsedBytes', color: '#0072B2' },
      { name: 'committed', source: 'heapTotalBytes', color: '#009E73' },
      { name: 'resident', source: 'heapPhysicalBytes', color: '#56B4E9', dash: true },
      { name: 'limit', source: 'heapLimitBytes', color: '#D55E00', hidden: true, dash: true },
    ],
  },
  {
    id: 'heap-spaces',
    title: 'Heap used by space',
    help: 'Used bytes of each V8 heap space, stacked. new: young objects (scavenged often); old: survivors; large_object: objects over ~128 KiB; code: compiled functions.',
    unit: 'bytes',
    type: 'stacked',
    series: [],
    keyed: { source: 'spaceUsedBytes', read: spaces },
  },
  {
    id: 'rss',
    title: 'RSS broken down',
    help: 'Resident memory of the process in parts, stacked: V8 heap (resident, code excluded), compiled code, external memory (Buffers, ArrayBuffers, strings V8 points to) and other native memory (Node, libuv, addons, malloc retention). External memory is counted when allocated, not when touched, so the stack can top RSS.',
    unit: 'bytes',
    type: 'stacked',
    series: [
      { name: 'V8 heap', source: 'max(0, heapPhysicalBytes − codeBytes)', value: (s) => Math.max(0, s.heapPhysicalBytes - s.codeBytes), color: '#0072B2' },
      { name: 'code', source: 'codeBytes', color: '#CC79A7' },
      { name: 'external', source: 'externalBytes', color: '#E69F00' },
      { name: 'other native', source: 'max(0, rssBytes − heapPhysicalBytes − externalBytes)', value: (s) => Math.max(0, s.rssBytes - s.heapPhysicalBytes - s.externalBytes), color: '#999999' },
      { name: 'RSS', source: 'rssBytes', color: '#000000', overlay: true },
    ],
  },
  {
    id: 'gc-pauses',
    title: 'GC pauses',
    help: 'Each dot is one GC cycle: when it ended and how long it paused JavaScript (all its phases). The line is the 99th percentile of the last 256 pauses, Go\'s PauseNs ring.',
    unit: 'ns',
    type: 'scatter',
    series: [
      { name: 'minor (scavenge)', source: 'gcPauses[kind=minor]', points: gcPoints('minor'), color: '#56B4E9' },
      { name: 'major (mark-compact)', source: 'gcPauses[kind=major]', points: gcPoints('major'), color: '#D55E00' },
      { name: 'p99 of last 256', source: 'p99(last 256 gcPauses)', value: (_s, st) => quantile(st.recentPausesNs, 0.99), color: '#000000' },
    ],
  },
  {
    id: 'gc-cpu',
    title: 'GC CPU fraction',
    help: 'Share of the main thread\'s time spent paused by GC in each window, and Go\'s GCCPUFraction (GC time over all available CPUs) in the window and since start.',
    unit: 'fraction',
    type: 'line',
    series: [
      { name: 'main thread paused', source: 'Δ gcPauseTotalNs / (windowMs × 1e6)', value: (s, st) => Math.min(1, windowPauseNs(s, st.prev) / (s.windowMs * 1e6)), color: '#D55E00' },
      { name: 'GCCPUFraction (window)', source: 'gcCpuFraction', color: '#0072B2' },
      { name: 'GCCPUFraction (since start)', source: 'gcCpuFractionTotal', color: '#009E73', dash: true },
    ],
  },
  {
    id: 'alloc',
    title: 'Allocation rate',
    help: 'Bytes allocated on the V8 heap per second (Go\'s TotalAlloc, differenced; estimated from the heap before and after each GC). High rates mean frequent scavenges.',
    unit: 'bytes/s',
    type: 'line',
    series: [{ name: 'allocated', source: 'allocRateBytesPerSec', color: '#CC79A7' }],
  },
  {
    id: 'loop-delay',
    title: 'Event-loop delay',
    help: 'How late timers ran in each window, net of the timer resolution: a stall (synchronous work, a long GC) shows as a spike of the maximum.',
    unit: 'ns',
    type: 'line',
    series: [
      { name: 'p50', source: 'loopDelayP50Ns', color: '#009E73' },
      { name: 'p99', source: 'loopDelayP99Ns', color: '#E69F00' },
      { name: 'max', source: 'loopDelayMaxNs', color: '#D55E00' },
    ],
  },
  {
    id: 'loop-util',
    title: 'Event-loop utilization',
    help: 'Share of the window the event loop spent running JavaScript and callbacks rather than waiting for I/O (1 = saturated).',
    unit: 'fraction',
    type: 'line',
    series: [{ name: 'utilization', source: 'loopUtilization', color: '#0072B2' }],
  },
  {
    id: 'resources',
    title: 'Live resources by type',
    help: 'Handles and requests keeping the event loop alive (process.getActiveResourcesInfo(); unref\'d timers are left out): Node\'s analog of goroutines. A count that only grows is a leak of sockets, timers or file handles.',
    unit: 'count',
    type: 'line',
    series: [{ name: 'total', source: 'resourcesTotal', color: '#000000' }],
    keyed: { source: 'resources', read: (s) => s.resources },
  },
  {
    id: 'cpu',
    title: 'CPU',
    help: 'CPU time of the whole process (all threads) per second of wall time, stacked: 1 = one core busy.',
    unit: 'fraction',
    type: 'stacked',
    series: [
      { name: 'user', source: 'cpuUserFraction', color: '#0072B2' },
      { name: 'system', source: 'cpuSystemFraction', color: '#D55E00' },
    ],
  },
  {
    id: 'recycler-ops',
    title: 'Recycler operations',
    help: 'Per second, over every recycler of the process (memstats/pool): gets served from idle buffers (hits), gets that made a new buffer (makes), buffers given back and dropped, idle buffers evicted as stale.',
    unit: 'count/s',
    type: 'line',
    optional: true,
    series: [
      { name: 'hits', source: 'Δ sources.recycler.hits / s', value: recyclerRate('hits'), color: '#009E73' },
      { name: 'makes', source: 'Δ sources.recycler.makes / s', value: recyclerRate('makes'), color: '#D55E00' },
      { name: 'gives', source: 'Δ sources.recycler.gives / s', value: recyclerRate('gives'), color: '#0072B2' },
      { name: 'drops', source: 'Δ sources.recycler.drops / s', value: recyclerRate('drops'), color: '#999999' },
      { name: 'evictions', source: 'Δ sources.recycler.evictions / s', value: recyclerRate('evictions'), color: '#CC79A7' },
    ],
  },
  {
    id: 'recycler-idle',
    title: 'Recycler idle memory',
    help: 'Bytes held in idle buffers by every recycler, ready for the next get: memory kept on purpose, capped by the recyclers\' idle limits.',
    unit: 'bytes',
    type: 'line',
    optional: true,
    series: [{ name: 'idle', source: 'sources.recycler.idleBytes', value: (s) => s.sources?.recycler?.idleBytes, color: '#56B4E9' }],
  },
];

/** DASHBOARD_STATS: the summary strip above the plots. */
export const DASHBOARD_STATS: readonly StatDescription[] = [
  { id: 'rss', label: 'RSS', unit: 'bytes', source: 'rssBytes' },
  { id: 'heap-used', label: 'Heap used', unit: 'bytes', source: 'heapUsedBytes' },
  { id: 'heap-limit', label: 'Heap limit', unit: 'bytes', source: 'heapLimitBytes' },
  { id: 'external', label: 'External', unit: 'bytes', source: 'externalBytes' },
  { id: 'num-gc', label: 'GCs', unit: 'count', source: 'numGC' },
  { id: 'num-major-gc', label: 'Major GCs', unit: 'count', source: 'numMajorGC' },
  { id: 'num-forced-gc', label: 'Forced GCs', unit: 'count', source: 'numForcedGC' },
  { id: 'gc-pause-total', label: 'GC pause total', unit: 'ns', source: 'gcPauseTotalNs' },
  { id: 'resources', label: 'Resources', unit: 'count', source: 'resourcesTotal' },
  { id: 'uptime', label: 'Uptime', unit: 'ms', source: 'uptimeMs' },
];

/** wirePlots strips the functions from plot descriptions: what `event: config` carries. */
export function wirePlots(plots: readonly PlotDescription[]): WirePlot[] {
  return plots.map((p) => {
    const w: WirePlot = {
      id: p.id,
      title: p.title,
      help: p.help,
      unit: p.unit,
      type: p.type,
      series: p.series.map((s) => {
        const ws: WireSeries = { name: s.name, source: s.source };
        if (s.color !== undefined) ws.color = s.color;
        if (s.hidden) ws.hidden = true;
        if (s.dash) ws.dash = true;
        if (s.points) ws.points = true;
        if (s.overlay) ws.overlay = true;
        return ws;
      }),
    };
    if (p.keyed) w.keyed = { source: p.keyed.source };
    if (p.optional) w.optional = true;
    return w;
  });
}

/** wireStats strips the functions from stat descriptions. */
export function wireStats(stats: readonly StatDescription[]): WireStat[] {
  return stats.map(({ id, label, unit, source }) => ({ id, label, unit, source }));
}
