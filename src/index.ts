/**
 * @module memstats
 * Go's runtime memory toolkit for Node.js. This file only re-exports.
 *
 * @example
 * import { readMemStats, readGCStats, watchGC } from 'memstats';
 * const m = readMemStats();          // Go's runtime.ReadMemStats
 * watchGC();                         // a GC line per second with GCs, like the seed's ShowGCStat
 */
export { readMemStats, toGoMemStats, GO_MEMSTATS_FIELDS, type MemStats, type HeapSpace } from './stats/mem-stats.js';
export { readGCStats, type GCStats, type ReadGCStatsOptions } from './stats/gc-stats.js';
export {
  settleGC,
  stopGCTracker,
  GC_PAUSE_BUCKETS_SECONDS,
  type GCEvent,
  type GCKind,
  type PauseHistogram,
} from './stats/gc-tracker.js';
export {
  readEventLoop,
  openEventLoopWindow,
  stopEventLoopMonitor,
  type EventLoopStats,
  type EventLoopOptions,
  type ReadEventLoopOptions,
  type EventLoopWindow,
} from './stats/event-loop.js';
export { readSystem, type SystemStats } from './stats/system.js';
export { readResources, type ResourceStats } from './stats/resources.js';
export { getSampler, createSampler, Sampler, type SamplerOptions, type SampleListener } from './sampler/sampler.js';
export { SampleReader, type Sample, type SampleGC } from './sampler/sample.js';
export { addSampleSource, type SampleSourceReader } from './sampler/sources.js';
export { formatBytes, formatDuration, formatPercent } from './report/format.js';
export {
  watchGC,
  watchSystem,
  printGCSummary,
  type WatchOptions,
  type Watcher,
  type PrintOptions,
  type LineWriter,
} from './report/console.js';
export { ERR_INVALID_OPTION } from './internal/validate.js';
export {
  createRecycler,
  createPool,
  RESIZABLE_MIN_BYTES,
  MISUSE_CODES,
  type Recycler,
  type RecyclerOptions,
  type RecyclerStats,
  type RecyclerBacking,
  type Pool,
  type PoolOptions,
  type PoolStats,
  type MisuseAction,
  type MisuseKind,
} from './pool/index.js';
export * from './profile/index.js';
export {
  watchLeaks,
  LeakWatcher,
  LEAK_KINDS,
  type WatchLeaksOptions,
  type LeakKind,
  type LeakEvent,
  type LeakCapture,
  type LeakReading,
  type LeakSignalStatus,
  type LeakWatcherEvents,
} from './leak/index.js';
export {
  diffSnapshots,
  leakDiff,
  readHeapSnapshot,
  readSnapshotHeader,
  formatSnapshotDiff,
  formatLeakDiff,
  SnapshotError,
  type DiffSnapshotsOptions,
  type SnapshotDiff,
  type DiffGroup,
  type LeakDiffOptions,
  type LeakDiffResult,
  type LeakGroup,
  type SnapshotSummary,
  type RetainerStep,
  type AllocationSiteCount,
  type ReadHeapSnapshotOptions,
  type SnapshotErrorCode,
} from './snapshot/index.js';
export {
  explainMemory,
  formatExplanation,
  type ExplainMemoryOptions,
  type ExplainMemStats,
  type MemoryExplanation,
  type MemoryPart,
  type MemoryPartName,
  type MemoryFinding,
} from './report/explain.js';
export { startDebugServer, type DebugServer, type DebugServerOptions } from './server/server.js';
export { createDebugHandler, type DebugHandler, type DebugHandlerOptions } from './server/handler.js';
export {
  localBackend,
  type DebugBackend,
  type LocalBackendOptions,
  type GCResult,
  type HeapSnapshotFile,
  type CpuProfileRequest,
  type HeapProfileRequest,
  type BlockProfileRequest,
  type GoroutineProfileRequest,
  type BackendSampleListener,
} from './server/backend.js';
export {
  registerPrometheusMetrics,
  PROMETHEUS_CONTENT_TYPE,
  ERR_METRIC_EXISTS,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from './export/prometheus.js';
export { PROMETHEUS_METRICS, type PrometheusMetricDef, type PrometheusMetricType, type PrometheusValue } from './export/prometheus-metrics.js';
export { registerOtelMetrics, OTEL_INSTRUMENTS, type OtelMetrics, type OtelMetricsOptions, type OtelInstrumentDef } from './export/otel.js';
export { createMetricsReader, type MetricsSnapshot, type MetricsReader, type SnapshotEventLoop } from './export/metrics-snapshot.js';
export { readProcessStats, type ProcessStats } from './export/process-stats.js';
export { publish, unpublish, readVars, ERR_VAR_EXISTS, type VarFunction } from './export/expvar.js';
export { startRecording, type Recording, type RecordingOptions } from './export/recorder.js';
export { startAgent, type Agent, type AgentOptions } from './agent/agent.js';
export {
  DASHBOARD_PLOTS,
  DASHBOARD_STATS,
  type PlotDescription,
  type SeriesDescription,
  type StatDescription,
  type ProjectionState,
} from './dashboard/plots.js';
export { createProjector, dashboardConfig, type Projector } from './dashboard/projection.js';
export type { DashboardConfig, Frame as DashboardFrame, WirePlot, WireSeries, WireStat, PlotUnit, PlotType } from './dashboard/wire.js';
export {
  diagnose,
  checkGcOverhead,
  checkEventLoopStalls,
  checkHeapGrowth,
  checkHeapNearLimit,
  checkRssAboveHeap,
  heapAfterGC,
  type Finding,
  type FindingId,
  type DiagnoseOptions,
} from './report/diagnose.js';
export { renderReport, type ReportOptions, type RenderedReport } from './report/report-html.js';
export { readRecording, RecordingError, type RecordingContents } from './report/recording.js';
export {
  attachToPid,
  ATTACH_LOOP_RESOLUTION_MS,
  type AttachOptions,
  type RemoteBackend,
  type RemoteSnapshotOptions,
  type SnapshotProgress,
} from './attach/remote-backend.js';
export {
  openTarget,
  parseTargetSpec,
  defaultProfileName,
  type Target,
  type TargetSpec,
  type OpenTargetOptions,
  type TargetProfileRequest,
  type TargetProfile,
  type TargetMemStats,
  type TargetGCResult,
  type TargetWatcher,
  type ProfileKind,
} from './attach/target.js';
export { AttachError, isAttachError, type AttachErrorCode } from './attach/errors.js';
