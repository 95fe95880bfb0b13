/**
 * @module profile/v8-types
 * The JSON shapes V8's inspector returns (Profiler and HeapProfiler domains), as
 * fetched in-process or over the Chrome DevTools Protocol from another process.
 */

/** A stack frame as the inspector reports it: 0-based line and column of the function's start. */
export interface V8CallFrame {
  functionName: string;
  scriptId: string | number;
  url: string;
  lineNumber: number;
  columnNumber: number;
  codeType?: string;
}

/** One node of a CPU profile's call tree. */
export interface V8CpuProfileNode {
  id: number;
  callFrame: V8CallFrame;
  hitCount?: number;
  children?: number[];
  deoptReason?: string;
  /** Samples per source line (1-based) of this node's function, when V8 recorded them. */
  positionTicks?: Array<{ line: number; ticks: number }>;
}

/** A CPU profile (`Profiler.stop`, a `.cpuprofile` file): times in µs of V8's monotonic clock. */
export interface V8CpuProfile {
  nodes: V8CpuProfileNode[];
  startTime: number;
  endTime: number;
  /** Node id of each sample, in time order. */
  samples?: number[];
  /** µs since the previous sample (the first: since startTime). */
  timeDeltas?: number[];
}

/** One node of a sampling heap profile's allocation tree. */
export interface V8SamplingHeapProfileNode {
  callFrame: V8CallFrame;
  /** Bytes sampled at this node, children excluded. */
  selfSize: number;
  id: number;
  children: V8SamplingHeapProfileNode[];
}

/** One sampled allocation. */
export interface V8SamplingHeapProfileSample {
  size: number;
  nodeId: number;
  ordinal: number;
}

/** A sampling heap profile (`HeapProfiler.getSamplingProfile` / `stopSampling`). */
export interface V8SamplingHeapProfile {
  head: V8SamplingHeapProfileNode;
  samples?: V8SamplingHeapProfileSample[];
}
