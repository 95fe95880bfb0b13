/**
 * @module snapshot
 * Heap snapshot analysis: a streaming parser over typed arrays, dominators and
 * retained sizes, shortest retainer paths, `diffSnapshots` and `leakDiff`.
 */
export {
  readHeapSnapshot,
  readSnapshotHeader,
  parseHeapSnapshotChunks,
  estimateAnalysisBytes,
  availableMemoryBytes,
  type ReadHeapSnapshotOptions,
  type SnapshotHeader,
} from './read-snapshot.js';
export { HeapSnapshot, type HeapNodeType, type HeapEdgeType, type AllocationSite } from './heap-snapshot.js';
export { SnapshotError, type SnapshotErrorCode } from './errors.js';
export { computeDominators, retainedSizeOf, type DominatorTree } from './dominators.js';
export { computeRetainerTree, retainerPath, formatRetainerPath, type RetainerTree, type RetainerStep } from './paths.js';
export { diffSnapshots, type DiffSnapshotsOptions, type SnapshotDiff, type DiffGroup } from './diff.js';
export type { SnapshotSummary, AllocationSiteCount } from './analysis.js';
export { leakDiff, type LeakDiffOptions, type LeakDiffResult, type LeakGroup } from './leak-diff.js';
export { formatSnapshotDiff, formatLeakDiff } from './format.js';
