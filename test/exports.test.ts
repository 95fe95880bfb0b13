// Pins the public API: a change to what memstats exports must be deliberate
// (update this list, the docs and the changelog together).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const EXPECTED: Record<string, string[]> = {
  'memstats': [
    'ATTACH_LOOP_RESOLUTION_MS', 'AttachError', 'DASHBOARD_PLOTS', 'DASHBOARD_STATS', 'DEFAULT_BLOCK_SECONDS',
    'DEFAULT_BLOCK_THRESHOLD_MS', 'DEFAULT_CPU_INTERVAL_US', 'DEFAULT_CPU_SECONDS', 'DEFAULT_HEADROOM_FACTOR',
    'DEFAULT_HEAP_INTERVAL_BYTES', 'ERR_INSPECTOR_UNAVAILABLE', 'ERR_INSUFFICIENT_MEMORY',
    'ERR_INVALID_OPTION', 'ERR_METRIC_EXISTS', 'ERR_PROFILE_IN_USE', 'ERR_VAR_EXISTS',
    'GC_PAUSE_BUCKETS_SECONDS', 'GO_MEMSTATS_FIELDS', 'LEAK_KINDS', 'LeakWatcher', 'MISUSE_CODES',
    'OTEL_INSTRUMENTS', 'PROMETHEUS_CONTENT_TYPE', 'PROMETHEUS_METRICS', 'Profile', 'RESIZABLE_MIN_BYTES',
    'RecordingError', 'SampleReader', 'Sampler', 'SnapshotError', 'addSampleSource', 'attachToPid',
    'checkEventLoopStalls', 'checkGcOverhead', 'checkHeapGrowth', 'checkHeapNearLimit', 'checkRssAboveHeap',
    'cpuProfileToPprof', 'createDebugHandler', 'createMetricsReader', 'createPool', 'createProjector',
    'createRecycler', 'createSampler', 'dashboardConfig', 'defaultProfileName', 'diagnose', 'diffSnapshots',
    'encodeProfile', 'explainMemory', 'formatBytes', 'formatDuration', 'formatExplanation', 'formatLeakDiff',
    'formatPercent', 'formatResources', 'formatSnapshotDiff', 'getSampler', 'heapAfterGC',
    'heapProfileToPprof', 'heapSamplingState', 'isAttachError', 'isCpuProfiling', 'isTrackingResources',
    'leakDiff', 'listResources', 'localBackend', 'nextHeapSnapshotPath', 'openEventLoopWindow', 'openTarget',
    'parseTargetSpec', 'printGCSummary', 'profileBlock', 'profileCpu', 'profileHeap', 'profileResources',
    'publish', 'readEventLoop', 'readGCStats', 'readHeapSnapshot', 'readMemStats', 'readMemoryHeadroom',
    'readProcessStats', 'readRecording', 'readResources', 'readSnapshotHeader', 'readSystem', 'readVars',
    'registerOtelMetrics', 'registerPrometheusMetrics', 'renderReport', 'settleGC', 'startAgent',
    'startBlockProfile', 'startCpuProfile', 'startDebugServer', 'startHeapSampling', 'startRecording',
    'startResourceTracking', 'stopEventLoopMonitor', 'stopGCTracker', 'stopHeapSampling',
    'stopResourceTracking', 'toCpuprofile', 'toGoMemStats', 'unpublish', 'watchGC', 'watchLeaks',
    'watchSystem', 'writeHeapSnapshot', 'writeProfile',
  ],
  'memstats/runtime': [
    'breakpoint', 'caller', 'callers', 'formatFrames', 'gc', 'gcAsync', 'goarch', 'goos', 'gosched',
    'nodeRoot', 'numCPU', 'numResources', 'readMemStats', 'setFinalizer', 'stack', 'version',
  ],
  'memstats/pool': [
    'MISUSE_CODES', 'RESIZABLE_MIN_BYTES', 'createPool', 'createRecycler',
  ],
  'memstats/server': [
    'DashboardStream', 'HttpError', 'ROUTE_PROVIDERS', 'RouteTable', 'boolParam', 'createDebugHandler',
    'createMetricsReader', 'dashboardRoutes', 'dashboardStreamFor', 'defaultRoutes', 'intParam',
    'localBackend', 'publish', 'readVars', 'registerPrometheusMetrics', 'send', 'sendAttachment', 'sendJson',
    'serveError', 'setSafetyHeaders', 'startDebugServer', 'startDebugServerThread', 'unpublish',
  ],
};

for (const [specifier, names] of Object.entries(EXPECTED)) {
  test(`${specifier} exports exactly its public API`, async () => {
    const mod = await import(specifier);
    assert.deepEqual(Object.keys(mod).sort(), names);
  });
}

test('importing memstats starts nothing: no timer, no handle, the process exits at once', async () => {
  // async_hooks sees every timer, immediate, observer or handle created during the imports,
  // including unref'd ones that getActiveResourcesInfo() does not list.
  const script = `
    import { createHook } from 'node:async_hooks';
    const created = [];
    // The module loader reads files (FSREQ*, FILEHANDLE*), and loading node:dns makes its default
    // (unref'd) resolver channel: neither is memstats starting anything.
    const loader = /^(PROMISE|FSREQ|FILEHANDLE|DNSCHANNEL)/;
    const hook = createHook({ init(id, type) { if (!loader.test(type)) created.push(type); } });
    hook.enable();
    await import('memstats'); await import('memstats/runtime'); await import('memstats/pool'); await import('memstats/server');
    hook.disable();
    await new Promise((r) => setImmediate(r)); // the module loader's own file closes finish
    console.log(JSON.stringify({ created, live: process.getActiveResourcesInfo() }));`;
  const started = Date.now();
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 });
  const r = JSON.parse(stdout);
  assert.deepEqual(r.created, [], 'resources created by importing memstats');
  assert.deepEqual(r.live.filter((x: string) => x !== 'CloseReq'), []);
  assert.ok(Date.now() - started < 10_000, 'the process exited by itself');
});
