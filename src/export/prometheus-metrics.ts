/**
 * @module export/prometheus-metrics
 * The table of every Prometheus metric memstats publishes: name, type, unit,
 * source and how its values are computed from a MetricsSnapshot. Two families:
 * `compatible` — every name prom-client's `collectDefaultMetrics()` produces
 * (prom-client 15, Linux), with the same labels, so existing Grafana Node.js
 * dashboards keep working, but with truthful values; and `memstats` — ours.
 * docs/metrics.md is this table in prose; a test keeps the two in step.
 */
import type { PauseHistogram } from '../stats/gc-tracker.js';
import type { MetricsSnapshot } from './metrics-snapshot.js';

/** A Prometheus metric type (the subset memstats publishes). */
export type PrometheusMetricType = 'gauge' | 'counter' | 'histogram';

/** One exposed value, in prom-client's `get()` shape. */
export interface PrometheusValue {
  value: number;
  labels: Record<string, string | number>;
  /** Set for histogram series (`_bucket`, `_sum`, `_count`). */
  metricName?: string;
}

/** Definition of one metric. */
export interface PrometheusMetricDef {
  name: string;
  type: PrometheusMetricType;
  /** `compatible`: a prom-client default metric name; `memstats`: ours. */
  family: 'compatible' | 'memstats';
  help: string;
  /** Unit, for docs (`bytes`, `seconds`, `1`, …). */
  unit: string;
  /** Where the value comes from, for docs. */
  source: string;
  labelNames: string[];
  /** prom-client cluster aggregation. */
  aggregator: 'sum' | 'average' | 'min' | 'max' | 'first' | 'omit';
  /** Appends the metric's values for one snapshot. */
  collect(s: MetricsSnapshot, out: PrometheusValue[]): void;
}

const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function one(v: number | null | undefined, out: PrometheusValue[]): void {
  if (v === null || v === undefined || !Number.isFinite(v)) return;
  out.push({ value: v, labels: NO_LABELS });
}

function byType(map: Record<string, number> | null | undefined, out: PrometheusValue[]): void {
  if (!map) return;
  for (const type of Object.keys(map)) out.push({ value: map[type], labels: { type } });
}

/** Appends a histogram's series (cumulative buckets, +Inf, sum, count) in prom-client's order. */
function histogram(name: string, h: PauseHistogram, labels: Record<string, string>, out: PrometheusValue[]): void {
  let acc = 0;
  const bucket = `${name}_bucket`;
  for (let i = 0; i < h.boundsSeconds.length; i++) {
    acc += h.counts[i];
    out.push({ value: acc, labels: { le: h.boundsSeconds[i], ...labels }, metricName: bucket });
  }
  out.push({ value: h.count, labels: { le: '+Inf', ...labels }, metricName: bucket });
  out.push({ value: h.sumNs / 1e9, labels, metricName: `${name}_sum` });
  out.push({ value: h.count, labels, metricName: `${name}_count` });
}

function gcHistogram(name: string) {
  return (s: MetricsSnapshot, out: PrometheusValue[]) => {
    histogram(name, s.gcHistograms.minor, { kind: 'minor' }, out);
    histogram(name, s.gcHistograms.major, { kind: 'major' }, out);
  };
}

function spaceLabel(name: string): string {
  // prom-client labels spaces without the `_space` suffix: `new`, `old`, `code`, `large_object`, …
  const i = name.indexOf('_space');
  return i >= 0 ? name.slice(0, i) : name;
}

const versionParts = (v: string) => {
  const [major, minor, patch] = v.split('.').map((x) => Number.parseInt(x, 10));
  return { major, minor, patch };
};

type Def = Omit<PrometheusMetricDef, 'labelNames' | 'aggregator'> & { labelNames?: string[]; aggregator?: PrometheusMetricDef['aggregator'] };

function def(d: Def): PrometheusMetricDef {
  return { labelNames: [], aggregator: 'sum', ...d };
}

const lag = (key: 'minNs' | 'maxNs' | 'meanNs' | 'stddevNs' | 'p50Ns' | 'p90Ns' | 'p99Ns') => (s: MetricsSnapshot, out: PrometheusValue[]) =>
  one(s.eventLoop.count > 0 ? s.eventLoop[key] / 1e9 : 0, out);

const recycler = (key: string) => (s: MetricsSnapshot, out: PrometheusValue[]) => one(s.sample.sources?.recycler?.[key], out);

/** Every metric memstats publishes, compatible names first, in exposition order. */
export const PROMETHEUS_METRICS: readonly PrometheusMetricDef[] = [
  // ── prom-client's default metric names (lib/metrics/*.js of prom-client 15) ──
  def({ name: 'process_cpu_user_seconds_total', type: 'counter', family: 'compatible', unit: 'seconds', source: 'process.cpuUsage().user, since the process started', help: 'Total user CPU time spent in seconds.', collect: (s, o) => one(s.sample.cpuUserUs / 1e6, o) }),
  def({ name: 'process_cpu_system_seconds_total', type: 'counter', family: 'compatible', unit: 'seconds', source: 'process.cpuUsage().system, since the process started', help: 'Total system CPU time spent in seconds.', collect: (s, o) => one(s.sample.cpuSystemUs / 1e6, o) }),
  def({ name: 'process_cpu_seconds_total', type: 'counter', family: 'compatible', unit: 'seconds', source: 'user + system CPU time, since the process started', help: 'Total user and system CPU time spent in seconds.', collect: (s, o) => one((s.sample.cpuUserUs + s.sample.cpuSystemUs) / 1e6, o) }),
  def({ name: 'process_start_time_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'performance.timeOrigin (process start, since the Unix epoch)', help: 'Start time of the process since unix epoch in seconds.', aggregator: 'omit', collect: (s, o) => one(s.process.startTimeSeconds, o) }),
  def({ name: 'process_resident_memory_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: '/proc/self/statm resident pages × page size (process.memoryUsage.rss() elsewhere)', help: 'Resident memory size in bytes.', collect: (s, o) => one(s.sample.rssBytes, o) }),
  def({ name: 'process_virtual_memory_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'VmSize of /proc/self/status (Linux)', help: 'Virtual memory size in bytes.', collect: (s, o) => one(s.process.virtualMemoryBytes, o) }),
  def({ name: 'process_heap_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'VmData of /proc/self/status (Linux): the data segment, not the V8 heap', help: 'Process heap size in bytes.', collect: (s, o) => one(s.process.dataBytes, o) }),
  def({ name: 'process_open_fds', type: 'gauge', family: 'compatible', unit: 'file descriptors', source: 'entries of /proc/self/fd (Linux)', help: 'Number of open file descriptors.', collect: (s, o) => one(s.process.openFds, o) }),
  def({ name: 'process_max_fds', type: 'gauge', family: 'compatible', unit: 'file descriptors', source: 'soft limit of "Max open files" in /proc/self/limits (Linux)', help: 'Maximum number of open file descriptors.', collect: (s, o) => one(s.process.maxFds, o) }),
  def({ name: 'nodejs_eventloop_lag_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'latest event-loop delay measurement, net of the 10 ms interval (while the loop is busy: the mean since the previous read)', help: 'Lag of event loop in seconds.', aggregator: 'average', collect: (s, o) => one(s.eventLoop.lastNs / 1e9, o) }),
  def({ name: 'nodejs_eventloop_lag_min_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'event-loop delay since the previous scrape, net of the timer resolution', help: 'The minimum recorded event loop delay.', aggregator: 'min', collect: lag('minNs') }),
  def({ name: 'nodejs_eventloop_lag_max_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'event-loop delay since the previous scrape, net of the timer resolution', help: 'The maximum recorded event loop delay.', aggregator: 'max', collect: lag('maxNs') }),
  def({ name: 'nodejs_eventloop_lag_mean_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'event-loop delay since the previous scrape, net of the timer resolution', help: 'The mean of the recorded event loop delays.', aggregator: 'average', collect: lag('meanNs') }),
  def({ name: 'nodejs_eventloop_lag_stddev_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'event-loop delay since the previous scrape', help: 'The standard deviation of the recorded event loop delays.', aggregator: 'average', collect: lag('stddevNs') }),
  def({ name: 'nodejs_eventloop_lag_p50_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'event-loop delay since the previous scrape, net of the timer resolution (±4.4%)', help: 'The 50th percentile of the recorded event loop delays.', aggregator: 'average', collect: lag('p50Ns') }),
  def({ name: 'nodejs_eventloop_lag_p90_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'event-loop delay since the previous scrape, net of the timer resolution (±4.4%)', help: 'The 90th percentile of the recorded event loop delays.', aggregator: 'average', collect: lag('p90Ns') }),
  def({ name: 'nodejs_eventloop_lag_p99_seconds', type: 'gauge', family: 'compatible', unit: 'seconds', source: 'event-loop delay since the previous scrape, net of the timer resolution (±4.4%)', help: 'The 99th percentile of the recorded event loop delays.', aggregator: 'average', collect: lag('p99Ns') }),
  def({ name: 'nodejs_active_resources', type: 'gauge', family: 'compatible', unit: 'resources', source: 'process.getActiveResourcesInfo() by type', help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.', labelNames: ['type'], collect: (s, o) => byType(s.sample.resources, o) }),
  def({ name: 'nodejs_active_resources_total', type: 'gauge', family: 'compatible', unit: 'resources', source: 'process.getActiveResourcesInfo().length (a gauge despite the _total suffix, kept for dashboards)', help: 'Total number of active resources.', collect: (s, o) => one(s.sample.resourcesTotal, o) }),
  def({ name: 'nodejs_active_handles', type: 'gauge', family: 'compatible', unit: 'handles', source: 'process._getActiveHandles() by class', help: 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.', labelNames: ['type'], collect: (s, o) => byType(s.process.handles, o) }),
  def({ name: 'nodejs_active_handles_total', type: 'gauge', family: 'compatible', unit: 'handles', source: 'process._getActiveHandles().length (a gauge despite the _total suffix)', help: 'Total number of active handles.', collect: (s, o) => one(s.process.handlesTotal, o) }),
  def({ name: 'nodejs_active_requests', type: 'gauge', family: 'compatible', unit: 'requests', source: 'process._getActiveRequests() by class', help: 'Number of active libuv requests grouped by request type. Every request type is C++ class name.', labelNames: ['type'], collect: (s, o) => byType(s.process.requests, o) }),
  def({ name: 'nodejs_active_requests_total', type: 'gauge', family: 'compatible', unit: 'requests', source: 'process._getActiveRequests().length (a gauge despite the _total suffix)', help: 'Total number of active requests.', collect: (s, o) => one(s.process.requestsTotal, o) }),
  def({ name: 'nodejs_heap_size_total_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'v8.getHeapStatistics().total_heap_size (= memoryUsage().heapTotal)', help: 'Process heap size from Node.js in bytes.', collect: (s, o) => one(s.sample.heapTotalBytes, o) }),
  def({ name: 'nodejs_heap_size_used_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'v8.getHeapStatistics().used_heap_size (= memoryUsage().heapUsed)', help: 'Process heap size used from Node.js in bytes.', collect: (s, o) => one(s.sample.heapUsedBytes, o) }),
  def({ name: 'nodejs_external_memory_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'v8.getHeapStatistics().external_memory (= memoryUsage().external)', help: 'Node.js external memory size in bytes.', collect: (s, o) => one(s.sample.externalBytes, o) }),
  def({ name: 'nodejs_heap_space_size_total_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'v8.getHeapSpaceStatistics() space_size, by space', help: 'Process heap space size total from Node.js in bytes.', labelNames: ['space'], collect: (s, o) => { for (const sp of s.heapSpaces) o.push({ value: sp.sizeBytes, labels: { space: spaceLabel(sp.name) } }); } }),
  def({ name: 'nodejs_heap_space_size_used_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'v8.getHeapSpaceStatistics() space_used_size, by space', help: 'Process heap space size used from Node.js in bytes.', labelNames: ['space'], collect: (s, o) => { for (const sp of s.heapSpaces) o.push({ value: sp.usedBytes, labels: { space: spaceLabel(sp.name) } }); } }),
  def({ name: 'nodejs_heap_space_size_available_bytes', type: 'gauge', family: 'compatible', unit: 'bytes', source: 'v8.getHeapSpaceStatistics() space_available_size, by space', help: 'Process heap space size available from Node.js in bytes.', labelNames: ['space'], collect: (s, o) => { for (const sp of s.heapSpaces) o.push({ value: sp.availableBytes, labels: { space: spaceLabel(sp.name) } }); } }),
  def({ name: 'nodejs_version_info', type: 'gauge', family: 'compatible', unit: '1', source: 'process.versions.node', help: 'Node.js version info.', labelNames: ['version', 'major', 'minor', 'patch'], aggregator: 'first', collect: (s, o) => { const p = versionParts(s.versions.node); o.push({ value: 1, labels: { version: `v${s.versions.node}`, major: p.major, minor: p.minor, patch: p.patch } }); } }),
  def({ name: 'nodejs_gc_duration_seconds', type: 'histogram', family: 'compatible', unit: 'seconds', source: 'every GC cycle (memstats GC tracker), pause including its incremental-marking and weak-callback phases; buckets from 10 µs', help: 'Garbage collection duration by kind, one of major or minor (cycle pause including its incremental and weak-callback phases).', labelNames: ['kind'], collect: gcHistogram('nodejs_gc_duration_seconds') }),

  // ── memstats: Go's MemStats and what Node adds ──
  def({ name: 'memstats_heap_alloc_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'MemStats.HeapAlloc: used_heap_size', help: 'Bytes of allocated V8 heap objects, reachable or not yet collected (Go HeapAlloc).', collect: (s, o) => one(s.sample.heapUsedBytes, o) }),
  def({ name: 'memstats_heap_sys_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'MemStats.HeapSys: total_heap_size', help: 'Bytes of V8 heap committed from the OS (Go HeapSys).', collect: (s, o) => one(s.sample.heapTotalBytes, o) }),
  def({ name: 'memstats_heap_inuse_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'MemStats.HeapInuse: heap pages holding objects (estimated, docs/memstats.md)', help: 'Bytes of V8 heap pages holding objects (Go HeapInuse).', collect: (s, o) => one(s.sample.heapInuseBytes, o) }),
  def({ name: 'memstats_heap_idle_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'MemStats.HeapIdle: HeapSys − HeapInuse', help: 'Bytes of committed V8 heap holding no objects (Go HeapIdle).', collect: (s, o) => one(Math.max(0, s.sample.heapTotalBytes - s.sample.heapInuseBytes), o) }),
  def({ name: 'memstats_heap_released_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'MemStats.HeapReleased: total_heap_size − total_physical_size', help: 'Bytes of committed V8 heap not backed by physical memory (Go HeapReleased).', collect: (s, o) => one(Math.max(0, s.sample.heapTotalBytes - s.sample.heapPhysicalBytes), o) }),
  def({ name: 'memstats_sys_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'MemStats.Sys: HeapSys + OtherSys', help: 'Bytes obtained from the OS: RSS plus committed heap not resident (Go Sys).', collect: (s, o) => one(s.sample.heapTotalBytes + Math.max(0, s.sample.rssBytes - s.sample.heapPhysicalBytes), o) }),
  def({ name: 'memstats_other_sys_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'MemStats.OtherSys: RSS − heap physical', help: 'Resident bytes outside the V8 heap: code, malloc, Buffers, stacks (Go OtherSys).', collect: (s, o) => one(Math.max(0, s.sample.rssBytes - s.sample.heapPhysicalBytes), o) }),
  def({ name: 'memstats_heap_limit_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'heap_size_limit', help: 'Hard limit of the V8 heap in bytes.', collect: (s, o) => one(s.sample.heapLimitBytes, o) }),
  def({ name: 'memstats_heap_physical_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'total_physical_size', help: 'Committed V8 heap backed by physical memory, in bytes.', collect: (s, o) => one(s.sample.heapPhysicalBytes, o) }),
  def({ name: 'memstats_array_buffers_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'process.memoryUsage().arrayBuffers', help: 'Bytes of ArrayBuffer and Buffer backing stores (part of external memory).', collect: (s, o) => one(s.arrayBuffersBytes, o) }),
  def({ name: 'memstats_malloced_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'malloced_memory', help: 'Bytes V8 itself allocated with malloc, outside its heap pages.', collect: (s, o) => one(s.sample.mallocedBytes, o) }),
  def({ name: 'memstats_code_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'space_used_size of the code spaces', help: 'Bytes of compiled code in the V8 heap.', collect: (s, o) => one(s.sample.codeBytes, o) }),
  def({ name: 'memstats_native_contexts', type: 'gauge', family: 'memstats', unit: 'contexts', source: 'number_of_native_contexts', help: 'Live V8 native contexts (one per realm or vm context); growth is a leak.', collect: (s, o) => one(s.sample.nativeContexts, o) }),
  def({ name: 'memstats_detached_contexts', type: 'gauge', family: 'memstats', unit: 'contexts', source: 'number_of_detached_contexts', help: 'V8 contexts detached but not yet collected; non-zero for long is a leak.', collect: (s, o) => one(s.sample.detachedContexts, o) }),
  def({ name: 'memstats_alloc_bytes_total', type: 'counter', family: 'memstats', unit: 'bytes', source: 'MemStats.TotalAlloc: Σ heap growth between GCs (v8.GCProfiler); estimated', help: 'Cumulative bytes allocated on the V8 heap (Go TotalAlloc, estimated).', collect: (s, o) => one(s.sample.totalAllocBytes, o) }),
  def({ name: 'memstats_alloc_estimated_bytes_total', type: 'counter', family: 'memstats', unit: 'bytes', source: 'MemStats.totalAllocEstimated: the part of memstats_alloc_bytes_total extrapolated between measured windows', help: 'Of memstats_alloc_bytes_total, the bytes extrapolated rather than measured (0 with MEMSTATS_ALLOC=exact).', collect: (s, o) => one(s.sample.totalAllocEstimatedBytes, o) }),
  def({ name: 'memstats_gc_cycles_total', type: 'counter', family: 'memstats', unit: 'cycles', source: 'every GC cycle (PerformanceObserver gc, all entries of every batch), by kind', help: 'Completed GC cycles by kind: minor (Scavenge) or major (Mark-Compact).', labelNames: ['kind'], collect: (s, o) => { o.push({ value: s.sample.numMinorGC, labels: { kind: 'minor' } }); o.push({ value: s.sample.numMajorGC, labels: { kind: 'major' } }); } }),
  def({ name: 'memstats_gc_forced_cycles_total', type: 'counter', family: 'memstats', unit: 'cycles', source: 'MemStats.NumForcedGC: cycles with the forced flag', help: 'GC cycles that were forced (gc(), heap snapshots, memory-pressure notifications).', collect: (s, o) => one(s.sample.numForcedGC, o) }),
  def({ name: 'memstats_gc_phases_total', type: 'counter', family: 'memstats', unit: 'phases', source: 'GC entries of kind incremental (8) and weakcb (16)', help: 'GC phases seen: incremental_marking steps and weak_callbacks runs.', labelNames: ['phase'], collect: (s, o) => { o.push({ value: s.sample.numIncrementalMarking, labels: { phase: 'incremental_marking' } }); o.push({ value: s.sample.numWeakCallbacks, labels: { phase: 'weak_callbacks' } }); } }),
  def({ name: 'memstats_gc_paused_seconds_total', type: 'counter', family: 'memstats', unit: 'seconds', source: 'MemStats.PauseTotalNs: Σ of every GC entry duration', help: 'Total main-thread GC pause time (Go PauseTotalNs).', collect: (s, o) => one(s.sample.gcPauseTotalNs / 1e9, o) }),
  def({ name: 'memstats_gc_pause_seconds', type: 'histogram', family: 'memstats', unit: 'seconds', source: 'every GC cycle\'s pause, by kind; buckets from 10 µs to 1 s', help: 'GC cycle pauses by kind (minor or major), buckets from 10 microseconds.', labelNames: ['kind'], collect: gcHistogram('memstats_gc_pause_seconds') }),
  def({ name: 'memstats_gc_cpu_fraction', type: 'gauge', family: 'memstats', unit: 'ratio', source: 'MemStats.GCCPUFraction: GC pause time over wall time × available CPUs, since tracking began', help: 'Fraction of available CPU time used by GC pauses since tracking began (Go GCCPUFraction).', aggregator: 'average', collect: (s, o) => one(s.sample.gcCpuFractionTotal, o) }),
  def({ name: 'memstats_gc_last_time_seconds', type: 'gauge', family: 'memstats', unit: 'seconds', source: 'MemStats.LastGC, seconds since the Unix epoch (0 before the first)', help: 'End time of the last GC cycle, seconds since the Unix epoch (Go LastGC).', aggregator: 'max', collect: (s, o) => one(s.lastGCNs / 1e9, o) }),
  def({ name: 'memstats_gc_entries_info', type: 'gauge', family: 'memstats', unit: '1', source: 'who makes the GC performance entries: shared (memstats\' callback, no per-entry deprecated accessors), node (Node\'s own: MEMSTATS_GC_ENTRIES=node, or an attached process), unsupported (Node\'s internals not as expected)', help: 'Always 1; the accessors label says whose callback makes the GC performance entries (shared: memstats, cheap to observe; node: Node\'s own).', labelNames: ['accessors'], aggregator: 'max', collect: (s, o) => { if (s.gcEntries) o.push({ value: 1, labels: { accessors: s.gcEntries } }); } }),
  def({ name: 'memstats_eventloop_utilization', type: 'gauge', family: 'memstats', unit: 'ratio', source: 'performance.eventLoopUtilization() since the previous scrape', help: 'Fraction of time the event loop ran callbacks since the previous scrape.', aggregator: 'average', collect: (s, o) => one(s.eventLoop.utilization, o) }),
  def({ name: 'memstats_eventloop_active_seconds_total', type: 'counter', family: 'memstats', unit: 'seconds', source: 'performance.eventLoopUtilization().active', help: 'Cumulative time the event loop ran callbacks (rate() of it is the utilization).', collect: (s, o) => one(s.eventLoop.activeMs / 1000, o) }),
  def({ name: 'memstats_recycler_makes_total', type: 'counter', family: 'memstats', unit: 'buffers', source: 'sample.sources.recycler.makes (when a recycler exists)', help: 'Buffers the recyclers allocated anew.', collect: recycler('makes') }),
  def({ name: 'memstats_recycler_hits_total', type: 'counter', family: 'memstats', unit: 'buffers', source: 'sample.sources.recycler.hits', help: 'Recycler get() calls served from an idle buffer.', collect: recycler('hits') }),
  def({ name: 'memstats_recycler_misses_total', type: 'counter', family: 'memstats', unit: 'buffers', source: 'sample.sources.recycler.misses', help: 'Recycler get() calls that allocated (no idle buffer fit).', collect: recycler('misses') }),
  def({ name: 'memstats_recycler_gives_total', type: 'counter', family: 'memstats', unit: 'buffers', source: 'sample.sources.recycler.gives', help: 'Buffers given back to the recyclers.', collect: recycler('gives') }),
  def({ name: 'memstats_recycler_drops_total', type: 'counter', family: 'memstats', unit: 'buffers', source: 'sample.sources.recycler.drops', help: 'Buffers given back and let go because a cap was full or the recycler closed.', collect: recycler('drops') }),
  def({ name: 'memstats_recycler_evictions_total', type: 'counter', family: 'memstats', unit: 'buffers', source: 'sample.sources.recycler.evictions', help: 'Idle buffers let go after maxAgeMs idle (or trim()).', collect: recycler('evictions') }),
  def({ name: 'memstats_recycler_idle_buffers', type: 'gauge', family: 'memstats', unit: 'buffers', source: 'sample.sources.recycler.idleCount', help: 'Buffers idle in the recyclers now.', collect: recycler('idleCount') }),
  def({ name: 'memstats_recycler_idle_bytes', type: 'gauge', family: 'memstats', unit: 'bytes', source: 'sample.sources.recycler.idleBytes', help: 'Bytes of buffers idle in the recyclers now.', collect: recycler('idleBytes') }),
];
