/**
 * @module export/metrics-snapshot
 * The MetricsSnapshot: everything /metrics and OpenTelemetry publish, as plain
 * data — one Sample plus the few figures a Sample does not carry (cumulative GC
 * pause histograms, per-space available bytes, event-loop min/p90/stddev,
 * process figures). Exporters compute their output from a snapshot only, so a
 * snapshot read in another process (through the inspector) feeds them as well
 * as one read here.
 *
 * Window figures (event-loop delay percentiles, utilization, rates) cover the
 * time since the previous read of the same reader: for /metrics, since the
 * previous scrape, as prom-client does.
 */
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import { getGCTracker, type PauseHistogram } from '../stats/gc-tracker.js';
import { gcEntriesMode, type GCEntriesMode } from '../stats/gc-entries.js';
import type { HeapSpace } from '../stats/mem-stats.js';
import { openEventLoopWindow, type EventLoopWindow } from '../stats/event-loop.js';
import { SampleReader, type Sample } from '../sampler/sample.js';
import { readProcessStats, type ProcFigures, type ProcessStats } from './process-stats.js';

/** Event-loop delay over the window (ns, net of the timer resolution) and cumulative loop time. */
export interface SnapshotEventLoop {
  /** Delay measurements in the window. */
  count: number;
  minNs: number;
  maxNs: number;
  meanNs: number;
  stddevNs: number;
  p50Ns: number;
  p90Ns: number;
  p99Ns: number;
  /** The most recent measurement (at most one timer interval old). */
  lastNs: number;
  /** Interval of the measuring timer, ms. */
  resolutionMs: number;
  /** Utilization over the window, 0…1. */
  utilization: number;
  /** Cumulative time the loop ran callbacks / waited, ms since the process started. */
  activeMs: number;
  idleMs: number;
}

/** Every figure the exporters publish, as plain JSON-able data. */
export interface MetricsSnapshot {
  /** One reading; window figures cover the time since the previous snapshot. */
  sample: Sample;
  /** Per V8 heap space figures, bytes. */
  heapSpaces: HeapSpace[];
  /** Cumulative GC pause histograms by cycle kind (buckets from 10 µs), every cycle since tracking began. */
  gcHistograms: { minor: PauseHistogram; major: PauseHistogram };
  /** End of the last GC cycle, ns since the Unix epoch (0 before the first). */
  lastGCNs: number;
  /** Bytes of ArrayBuffer/Buffer backing stores (part of externalBytes). */
  arrayBuffersBytes: number;
  /** Event-loop delay over the window and cumulative loop time. */
  eventLoop: SnapshotEventLoop;
  process: ProcessStats;
  /** Runtime versions (`process.versions.node`, `v8`). */
  versions: { node: string; v8: string };
  /** Whose callback makes the GC performance entries (stats/gc-entries: memstats' cheap ones, or Node's). */
  gcEntries: GCEntriesMode;
}

/** Reads consecutive MetricsSnapshots of this process. */
export interface MetricsReader {
  /**
   * read takes a snapshot; window figures cover the time since the previous
   * read. `proc`: the /proc figures, read already by another thread of this
   * process (the agent's server thread), so that this one does not.
   */
  read(options?: { proc?: ProcFigures }): MetricsSnapshot;
  /** close releases the reader's event-loop windows. Calling it twice is harmless. */
  close(): void;
}

function copyHistogram(h: PauseHistogram): PauseHistogram {
  return { boundsSeconds: h.boundsSeconds, counts: h.counts.slice(), count: h.count, sumNs: h.sumNs };
}

/**
 * createMetricsReader returns a reader of this process's MetricsSnapshots. It
 * starts the GC tracker and an event-loop window (the shared unref'd 10 ms
 * timer); close() releases the window. A read costs ~100 µs on Linux, most of
 * it in /proc (open file descriptors, VmSize).
 */
export function createMetricsReader(): MetricsReader {
  const sampleReader = new SampleReader();
  const loop: EventLoopWindow = openEventLoopWindow();
  let closed = false;

  return {
    read(options?: { proc?: ProcFigures }): MetricsSnapshot {
      const sample = sampleReader.read();
      const t = getGCTracker();
      const l = loop.read();
      const elu = performance.eventLoopUtilization();
      const spaces = v8.getHeapSpaceStatistics();
      const mu = process.memoryUsage();
      return {
        sample,
        heapSpaces: spaces.map((s) => ({
          name: s.space_name,
          sizeBytes: s.space_size,
          usedBytes: s.space_used_size,
          availableBytes: s.space_available_size,
          physicalBytes: s.physical_space_size,
        })),
        gcHistograms: { minor: copyHistogram(t.histogramMinor), major: copyHistogram(t.histogramMajor) },
        lastGCNs: t.lastGCNs,
        arrayBuffersBytes: mu.arrayBuffers,
        eventLoop: {
          count: l.delayCount,
          minNs: l.delayMinNs,
          maxNs: l.delayMaxNs,
          meanNs: l.delayMeanNs,
          stddevNs: l.delayStddevNs,
          p50Ns: l.delayP50Ns,
          p90Ns: l.delayP90Ns,
          p99Ns: l.delayP99Ns,
          lastNs: l.delayLastNs,
          resolutionMs: l.resolutionMs,
          utilization: l.utilization,
          activeMs: elu.active,
          idleMs: elu.idle,
        },
        process: readProcessStats(options?.proc),
        versions: { node: process.versions.node, v8: process.versions.v8 },
        gcEntries: gcEntriesMode(),
      };
    },
    close(): void {
      if (closed) return;
      closed = true;
      sampleReader.close();
      loop.close();
    },
  };
}
