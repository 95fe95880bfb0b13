/**
 * @module snapshot/heap-snapshot
 * A parsed V8 heap snapshot held in typed arrays: one entry per node (object)
 * and per edge (reference), node-indexed (node i, not i × fields as in the
 * file), with the strings kept encoded (snapshot/string-table). About 21 bytes
 * per node and 9 per edge, where `JSON.parse` of the file costs 8 bytes per
 * number (7 per node, 3 per edge) plus the text itself.
 */
import type { StringTable } from './string-table.js';

/** Node types of V8's heap snapshot format (`snapshot.meta.node_types[0]`). */
export type HeapNodeType =
  | 'hidden'
  | 'array'
  | 'string'
  | 'object'
  | 'code'
  | 'closure'
  | 'regexp'
  | 'number'
  | 'native'
  | 'synthetic'
  | 'concatenated string'
  | 'sliced string'
  | 'symbol'
  | 'bigint'
  | 'object shape'
  | 'wasm object';

/** Edge types of V8's heap snapshot format (`snapshot.meta.edge_types[0]`). */
export type HeapEdgeType = 'context' | 'element' | 'property' | 'internal' | 'hidden' | 'shortcut' | 'weak';

/** An allocation site from a snapshot taken with allocation tracking. */
export interface AllocationSite {
  functionName: string;
  scriptName: string;
  /** 1-based, as editors show (the file stores 0-based). */
  line: number;
  column: number;
}

/** Type indices looked up once from the snapshot's meta (never assumed). */
export interface TypeCodes {
  nodeTypes: string[];
  edgeTypes: string[];
  // Node types (-1 if the snapshot has no such type).
  hidden: number;
  array: number;
  string: number;
  object: number;
  code: number;
  closure: number;
  regexp: number;
  number: number;
  native: number;
  synthetic: number;
  consString: number;
  slicedString: number;
  symbol: number;
  bigint: number;
  objectShape: number;
  // Edge types.
  eContext: number;
  eElement: number;
  eProperty: number;
  eInternal: number;
  eHidden: number;
  eShortcut: number;
  eWeak: number;
}

/** typeCodes finds the type indices in the meta's type lists. */
export function typeCodes(nodeTypes: string[], edgeTypes: string[]): TypeCodes {
  const n = (t: string) => nodeTypes.indexOf(t);
  const e = (t: string) => edgeTypes.indexOf(t);
  return {
    nodeTypes,
    edgeTypes,
    hidden: n('hidden'),
    array: n('array'),
    string: n('string'),
    object: n('object'),
    code: n('code'),
    closure: n('closure'),
    regexp: n('regexp'),
    number: n('number'),
    native: n('native'),
    synthetic: n('synthetic'),
    consString: n('concatenated string'),
    slicedString: n('sliced string'),
    symbol: n('symbol'),
    bigint: n('bigint'),
    objectShape: n('object shape'),
    eContext: e('context'),
    eElement: e('element'),
    eProperty: e('property'),
    eInternal: e('internal'),
    eHidden: e('hidden'),
    eShortcut: e('shortcut'),
    eWeak: e('weak'),
  };
}

/**
 * HeapSnapshot: the nodes, edges and strings of one `.heapsnapshot` file, as
 * typed arrays. Node 0 is the synthetic root. Built by readHeapSnapshot.
 */
export class HeapSnapshot {
  /** Path of the file it was read from. */
  readonly file: string;
  /** Size of that file, bytes. */
  readonly fileSizeBytes: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly types: TypeCodes;
  readonly nodeType: Uint8Array;
  /** String index of each node's name. */
  readonly nodeName: Uint32Array;
  /** V8's object id: stable for an object across snapshots of one process. */
  readonly nodeId: Uint32Array;
  readonly nodeSelfSize: Float64Array;
  /** Edges of node i are firstEdge[i] … firstEdge[i+1]-1. */
  readonly firstEdge: Uint32Array;
  /** Allocation trace node of each node (0: none); null without allocation tracking. */
  readonly nodeTraceId: Uint32Array | null;
  readonly edgeType: Uint8Array;
  /** String index for named edges; the element/hidden index for element and hidden edges. */
  readonly edgeName: Uint32Array;
  /** Target node index (not the file's node offset). */
  readonly edgeTo: Uint32Array;
  readonly strings: StringTable;
  /** trace node id → allocation site, when the snapshot was taken with allocation tracking. */
  private readonly traceSites: Map<number, number> | null;
  private readonly functionInfos: Float64Array | null;
  private readonly functionInfoFields: number;

  constructor(init: {
    file: string;
    fileSizeBytes: number;
    types: TypeCodes;
    nodeType: Uint8Array;
    nodeName: Uint32Array;
    nodeId: Uint32Array;
    nodeSelfSize: Float64Array;
    firstEdge: Uint32Array;
    nodeTraceId: Uint32Array | null;
    edgeType: Uint8Array;
    edgeName: Uint32Array;
    edgeTo: Uint32Array;
    strings: StringTable;
    traceSites: Map<number, number> | null;
    functionInfos: Float64Array | null;
    functionInfoFields: number;
  }) {
    this.file = init.file;
    this.fileSizeBytes = init.fileSizeBytes;
    this.types = init.types;
    this.nodeType = init.nodeType;
    this.nodeName = init.nodeName;
    this.nodeId = init.nodeId;
    this.nodeSelfSize = init.nodeSelfSize;
    this.firstEdge = init.firstEdge;
    this.nodeTraceId = init.nodeTraceId;
    this.edgeType = init.edgeType;
    this.edgeName = init.edgeName;
    this.edgeTo = init.edgeTo;
    this.strings = init.strings;
    this.nodeCount = init.nodeType.length;
    this.edgeCount = init.edgeType.length;
    this.traceSites = init.traceSites;
    this.functionInfos = init.functionInfos;
    this.functionInfoFields = init.functionInfoFields;
  }

  /** True when the snapshot was taken with allocation tracking (nodes carry allocation sites). */
  get hasAllocationSites(): boolean {
    return this.traceSites !== null && this.traceSites.size > 0;
  }

  /** Name of node i (constructor name for objects, function name for closures, contents for strings). */
  name(i: number): string {
    return this.strings.get(this.nodeName[i]);
  }

  /** Type name of node i. */
  typeName(i: number): HeapNodeType {
    return this.types.nodeTypes[this.nodeType[i]] as HeapNodeType;
  }

  /** Type name of edge e. */
  edgeTypeName(e: number): HeapEdgeType {
    return this.types.edgeTypes[this.edgeType[e]] as HeapEdgeType;
  }

  /** Name of edge e: a property/variable name, or the index (as text) for element and hidden edges. */
  edgeNameText(e: number): string {
    const t = this.edgeType[e];
    if (t === this.types.eElement || t === this.types.eHidden) return String(this.edgeName[e]);
    return this.strings.get(this.edgeName[e]);
  }

  /** Sum of every node's self size, bytes (the snapshot's heap size). */
  totalSelfSize(): number {
    let s = 0;
    const a = this.nodeSelfSize;
    for (let i = 0; i < a.length; i++) s += a[i];
    return s;
  }

  /** allocationSite of node i, or null when the snapshot has none for it. */
  allocationSite(i: number): AllocationSite | null {
    if (!this.nodeTraceId || !this.traceSites || !this.functionInfos) return null;
    const t = this.nodeTraceId[i];
    if (t === 0) return null;
    const fi = this.traceSites.get(t);
    if (fi === undefined) return null;
    const base = fi * this.functionInfoFields;
    if (base + 5 >= this.functionInfos.length) return null;
    const f = this.functionInfos;
    return {
      functionName: this.strings.get(f[base + 1]) || '(anonymous)',
      scriptName: this.strings.get(f[base + 2]),
      line: f[base + 4] + 1,
      column: f[base + 5] + 1,
    };
  }

  /** Bytes held by the typed arrays and strings of this snapshot (what analysis keeps in memory). */
  byteSize(): number {
    return (
      this.nodeType.byteLength +
      this.nodeName.byteLength +
      this.nodeId.byteLength +
      this.nodeSelfSize.byteLength +
      this.firstEdge.byteLength +
      (this.nodeTraceId?.byteLength ?? 0) +
      this.edgeType.byteLength +
      this.edgeName.byteLength +
      this.edgeTo.byteLength +
      this.strings.byteSize
    );
  }
}
