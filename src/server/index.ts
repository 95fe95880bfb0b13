/**
 * @module memstats/server
 * The debug HTTP server — Go's net/http/pprof, expvar and a Prometheus
 * endpoint for Node: `startDebugServer()` on its own port, or
 * `createDebugHandler()` mounted in your server. docs/server.md is the manual.
 *
 * @example
 * import { startDebugServer } from 'memstats/server';
 * const debug = await startDebugServer();   // http://127.0.0.1:6060/debug/pprof/
 */
export { startDebugServer, type DebugServer, type DebugServerOptions, type DebugEndpoint } from './server.js';
export { startDebugServerThread, type DebugServerThread, type DebugServerThreadOptions, type ThreadPriority } from './thread-server.js';
export { createDebugHandler, type DebugHandler, type DebugHandlerOptions } from './handler.js';
export {
  localBackend,
  type LocalBackendOptions,
  type DebugBackend,
  type BackendSampleListener,
  type GCResult,
  type HeapSnapshotFile,
  type CpuProfileRequest,
  type HeapProfileRequest,
  type BlockProfileRequest,
  type GoroutineProfileRequest,
} from './backend.js';
export { defaultRoutes, ROUTE_PROVIDERS, RouteTable, type Route, type RouteContext, type RouteMethod, type RouteProvider, type RouteMatch } from './routes.js';
export { serveError, send, sendJson, sendAttachment, setSafetyHeaders, HttpError, intParam, boolParam } from './http.js';
export { publish, unpublish, readVars, type VarFunction } from '../export/expvar.js';
export { registerPrometheusMetrics, type PrometheusMetrics, type PrometheusMetricsOptions } from '../export/prometheus.js';
export { createMetricsReader, type MetricsSnapshot, type MetricsReader, type SnapshotEventLoop } from '../export/metrics-snapshot.js';
export { dashboardRoutes } from '../dashboard/routes.js';
export { DashboardStream, dashboardStreamFor, type DashboardStreamOptions, type DashboardStreamStats } from '../dashboard/stream.js';
