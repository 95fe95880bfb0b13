/**
 * @module export/otel
 * `registerOtelMetrics(meter)`: memstats' figures as OpenTelemetry instruments
 * on a Meter from `@opentelemetry/api` (an optional peer dependency: this file
 * imports its types only, so nothing is loaded unless you pass a meter).
 * Semantic-convention names (`v8js.*`, `nodejs.eventloop.*`) plus `memstats.*`.
 *
 * Observable instruments share one batch callback: one MetricsSnapshot per
 * collection. `v8js.gc.duration` is a histogram recorded as GCs happen (every
 * cycle, from the GC tracker, once per second), with buckets from 10 µs — the
 * semantic conventions advise [0.01, 0.1, 1, 10] s, under which nearly every
 * V8 pause falls in the first bucket; a View can override the advice.
 *
 * @example
 * import { metrics } from '@opentelemetry/api';
 * import { registerOtelMetrics } from 'memstats';
 * const handle = registerOtelMetrics(metrics.getMeter('memstats'));
 */
import type { Attributes, BatchObservableResult, Histogram, Meter, Observable } from '@opentelemetry/api';
import { getGCTracker, GC_PAUSE_BUCKETS_SECONDS } from '../stats/gc-tracker.js';
import { getSampler } from '../sampler/sampler.js';
import { createMetricsReader, type MetricsSnapshot } from './metrics-snapshot.js';
import { invalidOption, optionsObject, functionOption, optionNames } from '../internal/validate.js';
const OTEL_METRICS_OPTIONS_NAMES = optionNames<OtelMetricsOptions>({ read: true });

/** Options of registerOtelMetrics. */
export interface OtelMetricsOptions {
  /**
   * Source of snapshots (default: this process). With another source (another
   * process), `v8js.gc.duration` is not recorded: its cycles come from this
   * process's GC tracker, which knows nothing of that process.
   */
  read?: () => MetricsSnapshot;
}

/** Handle of the registered instruments. */
export interface OtelMetrics {
  /** Names of the instruments created. */
  readonly names: readonly string[];
  /**
   * unregister stops observing: the batch callback is removed and GCs are no
   * longer recorded (a Meter cannot delete instruments). Calling it twice is harmless.
   */
  unregister(): void;
}

type Kind = 'gauge' | 'counter' | 'updowncounter';

/** One observable instrument: name, kind, unit, and its observations from a snapshot. */
export interface OtelInstrumentDef {
  name: string;
  kind: Kind | 'histogram';
  unit: string;
  description: string;
  /** Observations for a snapshot: [value, attributes?]. */
  observe?(s: MetricsSnapshot, emit: (value: number, attributes?: Attributes) => void): void;
}

const space = (s: MetricsSnapshot, key: 'sizeBytes' | 'usedBytes' | 'availableBytes' | 'physicalBytes', emit: (v: number, a?: Attributes) => void) => {
  for (const sp of s.heapSpaces) emit(sp[key], { 'v8js.heap.space.name': sp.name });
};
const delay = (key: 'minNs' | 'maxNs' | 'meanNs' | 'stddevNs' | 'p50Ns' | 'p90Ns' | 'p99Ns') => (s: MetricsSnapshot, emit: (v: number) => void) => {
  if (s.eventLoop.count > 0) emit(s.eventLoop[key] / 1e9);
};
const rec = (key: string) => (s: MetricsSnapshot, emit: (v: number) => void) => {
  const v = s.sample.sources?.recycler?.[key];
  if (typeof v === 'number') emit(v);
};

/** Every OpenTelemetry instrument registerOtelMetrics creates. */
export const OTEL_INSTRUMENTS: readonly OtelInstrumentDef[] = [
  { name: 'v8js.memory.heap.used', kind: 'updowncounter', unit: 'By', description: 'Heap memory size allocated, by V8 heap space.', observe: (s, e) => space(s, 'usedBytes', e) },
  { name: 'v8js.memory.heap.space.size', kind: 'updowncounter', unit: 'By', description: 'Heap memory size pre-allocated for a V8 heap space.', observe: (s, e) => space(s, 'sizeBytes', e) },
  { name: 'v8js.memory.heap.space.available_size', kind: 'updowncounter', unit: 'By', description: 'Heap space available size.', observe: (s, e) => space(s, 'availableBytes', e) },
  { name: 'v8js.memory.heap.space.physical_size', kind: 'updowncounter', unit: 'By', description: 'Committed size of a heap space.', observe: (s, e) => space(s, 'physicalBytes', e) },
  { name: 'v8js.gc.duration', kind: 'histogram', unit: 's', description: 'Garbage collection duration: every cycle (minor or major), including its incremental and weak-callback phases.' },
  { name: 'nodejs.eventloop.delay.min', kind: 'gauge', unit: 's', description: 'Event loop minimum delay, net of the timer resolution.', observe: delay('minNs') },
  { name: 'nodejs.eventloop.delay.max', kind: 'gauge', unit: 's', description: 'Event loop maximum delay, net of the timer resolution.', observe: delay('maxNs') },
  { name: 'nodejs.eventloop.delay.mean', kind: 'gauge', unit: 's', description: 'Event loop mean delay, net of the timer resolution.', observe: delay('meanNs') },
  { name: 'nodejs.eventloop.delay.stddev', kind: 'gauge', unit: 's', description: 'Event loop delay standard deviation.', observe: delay('stddevNs') },
  { name: 'nodejs.eventloop.delay.p50', kind: 'gauge', unit: 's', description: 'Event loop 50th percentile delay, net of the timer resolution.', observe: delay('p50Ns') },
  { name: 'nodejs.eventloop.delay.p90', kind: 'gauge', unit: 's', description: 'Event loop 90th percentile delay, net of the timer resolution.', observe: delay('p90Ns') },
  { name: 'nodejs.eventloop.delay.p99', kind: 'gauge', unit: 's', description: 'Event loop 99th percentile delay, net of the timer resolution.', observe: delay('p99Ns') },
  { name: 'nodejs.eventloop.utilization', kind: 'gauge', unit: '1', description: 'Event loop utilization since the previous collection.', observe: (s, e) => e(s.eventLoop.utilization) },
  { name: 'nodejs.eventloop.time', kind: 'counter', unit: 's', description: 'Cumulative duration of time the event loop has been in each state.', observe: (s, e) => { e(s.eventLoop.activeMs / 1000, { 'nodejs.eventloop.state': 'active' }); e(s.eventLoop.idleMs / 1000, { 'nodejs.eventloop.state': 'idle' }); } },
  { name: 'v8js.resource.active', kind: 'gauge', unit: '{resource}', description: 'Active resources keeping the event loop alive, by type.', observe: (s, e) => { for (const [type, n] of Object.entries(s.sample.resources)) e(n, { 'v8js.resource.type': type }); } },
  { name: 'memstats.heap.alloc', kind: 'updowncounter', unit: 'By', description: 'Bytes of allocated V8 heap objects (Go HeapAlloc).', observe: (s, e) => e(s.sample.heapUsedBytes) },
  { name: 'memstats.heap.sys', kind: 'updowncounter', unit: 'By', description: 'Bytes of V8 heap committed from the OS (Go HeapSys).', observe: (s, e) => e(s.sample.heapTotalBytes) },
  { name: 'memstats.heap.inuse', kind: 'updowncounter', unit: 'By', description: 'Bytes of V8 heap pages holding objects (Go HeapInuse).', observe: (s, e) => e(s.sample.heapInuseBytes) },
  { name: 'memstats.heap.idle', kind: 'updowncounter', unit: 'By', description: 'Committed V8 heap holding no objects (Go HeapIdle).', observe: (s, e) => e(Math.max(0, s.sample.heapTotalBytes - s.sample.heapInuseBytes)) },
  { name: 'memstats.heap.released', kind: 'updowncounter', unit: 'By', description: 'Committed V8 heap not backed by physical memory (Go HeapReleased).', observe: (s, e) => e(Math.max(0, s.sample.heapTotalBytes - s.sample.heapPhysicalBytes)) },
  { name: 'memstats.heap.limit', kind: 'updowncounter', unit: 'By', description: 'Hard limit of the V8 heap.', observe: (s, e) => e(s.sample.heapLimitBytes) },
  { name: 'memstats.sys', kind: 'updowncounter', unit: 'By', description: 'Bytes obtained from the OS: RSS plus committed heap not resident (Go Sys).', observe: (s, e) => e(s.sample.heapTotalBytes + Math.max(0, s.sample.rssBytes - s.sample.heapPhysicalBytes)) },
  { name: 'memstats.other_sys', kind: 'updowncounter', unit: 'By', description: 'Resident bytes outside the V8 heap (Go OtherSys).', observe: (s, e) => e(Math.max(0, s.sample.rssBytes - s.sample.heapPhysicalBytes)) },
  { name: 'memstats.rss', kind: 'updowncounter', unit: 'By', description: 'Resident set size of the process.', observe: (s, e) => e(s.sample.rssBytes) },
  { name: 'memstats.external', kind: 'updowncounter', unit: 'By', description: 'Memory outside the V8 heap that V8 is told about (Buffers included).', observe: (s, e) => e(s.sample.externalBytes) },
  { name: 'memstats.array_buffers', kind: 'updowncounter', unit: 'By', description: 'Bytes of ArrayBuffer and Buffer backing stores.', observe: (s, e) => e(s.arrayBuffersBytes) },
  { name: 'memstats.alloc.total', kind: 'counter', unit: 'By', description: 'Cumulative bytes allocated on the V8 heap (Go TotalAlloc, estimated).', observe: (s, e) => e(s.sample.totalAllocBytes) },
  { name: 'memstats.alloc.estimated', kind: 'counter', unit: 'By', description: 'Of memstats.alloc.total, the bytes extrapolated rather than measured (0 with MEMSTATS_ALLOC=exact).', observe: (s, e) => e(s.sample.totalAllocEstimatedBytes) },
  { name: 'memstats.gc.cycles', kind: 'counter', unit: '{cycle}', description: 'Completed GC cycles by kind.', observe: (s, e) => { e(s.sample.numMinorGC, { 'v8js.gc.type': 'minor' }); e(s.sample.numMajorGC, { 'v8js.gc.type': 'major' }); } },
  { name: 'memstats.gc.forced', kind: 'counter', unit: '{cycle}', description: 'Forced GC cycles (Go NumForcedGC).', observe: (s, e) => e(s.sample.numForcedGC) },
  { name: 'memstats.gc.pause.total', kind: 'counter', unit: 's', description: 'Total main-thread GC pause time (Go PauseTotalNs).', observe: (s, e) => e(s.sample.gcPauseTotalNs / 1e9) },
  { name: 'memstats.gc.cpu_fraction', kind: 'gauge', unit: '1', description: 'Fraction of available CPU used by GC pauses since tracking began (Go GCCPUFraction).', observe: (s, e) => e(s.sample.gcCpuFractionTotal) },
  { name: 'memstats.recycler.makes', kind: 'counter', unit: '{buffer}', description: 'Buffers the recyclers allocated anew.', observe: rec('makes') },
  { name: 'memstats.recycler.hits', kind: 'counter', unit: '{buffer}', description: 'Recycler get() calls served from an idle buffer.', observe: rec('hits') },
  { name: 'memstats.recycler.misses', kind: 'counter', unit: '{buffer}', description: 'Recycler get() calls that allocated.', observe: rec('misses') },
  { name: 'memstats.recycler.gives', kind: 'counter', unit: '{buffer}', description: 'Buffers given back to the recyclers.', observe: rec('gives') },
  { name: 'memstats.recycler.drops', kind: 'counter', unit: '{buffer}', description: 'Buffers given back and let go (cap full or recycler closed).', observe: rec('drops') },
  { name: 'memstats.recycler.evictions', kind: 'counter', unit: '{buffer}', description: 'Idle buffers let go as stale.', observe: rec('evictions') },
  { name: 'memstats.recycler.idle.count', kind: 'updowncounter', unit: '{buffer}', description: 'Buffers idle in the recyclers.', observe: rec('idleCount') },
  { name: 'memstats.recycler.idle.size', kind: 'updowncounter', unit: 'By', description: 'Bytes of buffers idle in the recyclers.', observe: rec('idleBytes') },
];

/**
 * registerOtelMetrics creates memstats' instruments on `meter` (from
 * `@opentelemetry/api`, e.g. `metrics.getMeter('memstats')`): the semantic
 * conventions' `v8js.*` and `nodejs.eventloop.*` plus `memstats.*` (list in
 * docs/metrics.md). Observables are read once per collection; GC cycles are
 * recorded into `v8js.gc.duration` every second through the shared sampler
 * (an unref'd timer). Throws TypeError (ERR_MEMSTATS_INVALID_OPTION) when
 * `meter` is not a Meter. Each call creates a new registration: calling it
 * twice with one meter records every GC twice.
 */
export function registerOtelMetrics(meter: Meter, options?: OtelMetricsOptions): OtelMetrics {
  const m = meter as Partial<Meter> | null | undefined;
  if (!m || typeof m !== 'object' || typeof m.createObservableGauge !== 'function' || typeof m.addBatchObservableCallback !== 'function' || typeof m.createHistogram !== 'function') {
    throw invalidOption('type', 'meter', meter, 'an OpenTelemetry Meter (from @opentelemetry/api metrics.getMeter())');
  }
  const o = optionsObject<OtelMetricsOptions>('options', options, OTEL_METRICS_OPTIONS_NAMES);
  let read = functionOption<() => MetricsSnapshot>('read', o.read);
  let reader: ReturnType<typeof createMetricsReader> | undefined;
  if (!read) {
    reader = createMetricsReader();
    const r = reader;
    read = () => r.read();
  }
  const readSnapshot = read;

  const observables: Array<[OtelInstrumentDef, Observable]> = [];
  let gcHistogram: Histogram | undefined;
  try {
    for (const d of OTEL_INSTRUMENTS) {
      const opts = { description: d.description, unit: d.unit };
      if (d.kind === 'histogram') {
        gcHistogram = meter.createHistogram(d.name, { ...opts, advice: { explicitBucketBoundaries: [...GC_PAUSE_BUCKETS_SECONDS] } });
        continue;
      }
      const inst =
        d.kind === 'gauge' ? meter.createObservableGauge(d.name, opts) : d.kind === 'counter' ? meter.createObservableCounter(d.name, opts) : meter.createObservableUpDownCounter(d.name, opts);
      observables.push([d, inst]);
    }
  } catch (err) {
    reader?.close(); // a Meter that throws leaves nothing running
    throw err;
  }

  let active = true;
  const callback = (result: BatchObservableResult) => {
    if (!active) return;
    let s: MetricsSnapshot;
    try {
      s = readSnapshot();
    } catch {
      return; // a failed read skips this collection; it must not break the SDK's
    }
    for (const [d, inst] of observables) {
      try {
        d.observe?.(s, (value, attributes) => result.observe(inst, value, attributes));
      } catch {
        // one figure missing must not drop the others
      }
    }
  };
  meter.addBatchObservableCallback(callback, observables.map(([, i]) => i));

  // GC cycles: recorded from the tracker's event ring (1024 cycles) once a second — of this process only.
  let unsubscribe = () => {};
  if (reader) {
    const tracker = getGCTracker();
    let lastSeq = tracker.numGC;
    unsubscribe = getSampler(1000).subscribe(() => {
      const events = tracker.eventsSince(lastSeq);
      lastSeq = tracker.numGC;
      for (const e of events) gcHistogram?.record(e.pauseNs / 1e9, { 'v8js.gc.type': e.kind });
    });
  }

  return {
    names: OTEL_INSTRUMENTS.map((d) => d.name),
    unregister() {
      if (!active) return;
      active = false;
      unsubscribe();
      try {
        meter.removeBatchObservableCallback(callback, observables.map(([, i]) => i));
      } catch {
        // a Meter without removal support: the reader is closed below anyway
      }
      reader?.close();
    },
  };
}
