/**
 * @module profile
 * Profiles in pprof format — CPU, sampled heap, heap snapshot, event-loop stalls
 * (Go's block profile), live resources (Go's goroutine dump) — from pure
 * JavaScript on `node:inspector`, mapped back to TypeScript through source maps.
 * This file only re-exports; docs/profiles.md is the manual.
 */
export { Profile } from 'pprof-format';
export {
  profileCpu,
  startCpuProfile,
  cpuProfileToPprof,
  toCpuprofile,
  isCpuProfiling,
  DEFAULT_CPU_INTERVAL_US,
  DEFAULT_CPU_SECONDS,
  type CpuProfileOptions,
  type StartCpuProfileOptions,
  type CpuProfileHandle,
  type CpuProfileToPprofOptions,
  type ToCpuprofileOptions,
} from './cpu.js';
export {
  startHeapSampling,
  stopHeapSampling,
  profileHeap,
  heapProfileToPprof,
  heapSamplingState,
  DEFAULT_HEAP_INTERVAL_BYTES,
  type HeapSamplingOptions,
  type HeapProfileOptions,
  type HeapProfileToPprofOptions,
} from './heap.js';
export {
  writeHeapSnapshot,
  readMemoryHeadroom,
  nextHeapSnapshotPath,
  DEFAULT_HEADROOM_FACTOR,
  type HeapSnapshotOptions,
  type HeapSnapshotResult,
  type MemoryHeadroom,
} from './heap-snapshot.js';
export {
  profileBlock,
  startBlockProfile,
  DEFAULT_BLOCK_THRESHOLD_MS,
  DEFAULT_BLOCK_SECONDS,
  type BlockProfileOptions,
  type ProfileBlockOptions,
  type BlockProfileHandle,
} from './block.js';
export {
  profileResources,
  formatResources,
  listResources,
  startResourceTracking,
  stopResourceTracking,
  isTrackingResources,
  type ResourceTrackingOptions,
  type ResourceProfileOptions,
  type FormatResourcesOptions,
  type ResourceGroup,
  type ResourceFrame,
} from './resources.js';
export { encodeProfile, writeProfile, type WriteProfileOptions, type WrittenFile } from './pprof.js';
export { ERR_PROFILE_IN_USE, ERR_INSUFFICIENT_MEMORY, ERR_INSPECTOR_UNAVAILABLE } from './errors.js';
export type { V8CpuProfile, V8CpuProfileNode, V8CallFrame, V8SamplingHeapProfile, V8SamplingHeapProfileNode, V8SamplingHeapProfileSample } from './v8-types.js';
