/**
 * @module snapshot/read-snapshot
 * `readHeapSnapshot(file)`: a streaming parser of V8 `.heapsnapshot` files.
 * The file is read in 4 MiB chunks and scanned byte by byte: the small header
 * (`snapshot.meta`) is the only part handed to `JSON.parse`; the `nodes` and
 * `edges` number arrays go straight into preallocated typed arrays (their sizes
 * are in the header), and the `strings` into one Buffer (snapshot/string-table).
 * Nothing proportional to the file is ever a JS string or a JS array.
 *
 * Before allocating, the memory the analysis will need is estimated from the
 * header's node and edge counts and compared with the memory available; a
 * snapshot too large is refused with the figure. A truncated or corrupt file
 * fails with the file name and the byte offset where reading stopped.
 */
import { open } from 'node:fs/promises';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { HeapSnapshot, typeCodes } from './heap-snapshot.js';
import { StringTable } from './string-table.js';
import { SnapshotError, invalidSnapshot } from './errors.js';
import { numberOption, optionsObject, optionNames } from '../internal/validate.js';
const READ_HEAP_SNAPSHOT_OPTIONS_NAMES = optionNames<ReadHeapSnapshotOptions>({ maxMemoryBytes: true });

/** Options of readHeapSnapshot. */
export interface ReadHeapSnapshotOptions {
  /**
   * Refuse a snapshot whose analysis is estimated to need more than this many
   * bytes. Default: the memory available now (Linux MemAvailable, bounded by a
   * cgroup limit). 0 disables the check.
   */
  maxMemoryBytes?: number;
}

/** What the header of a snapshot says, read without parsing the rest. */
export interface SnapshotHeader {
  nodeCount: number;
  edgeCount: number;
  traceFunctionCount: number;
  nodeFields: string[];
  edgeFields: string[];
  nodeTypes: string[];
  edgeTypes: string[];
  traceFunctionInfoFields: string[];
  traceNodeFields: string[];
}

const CHUNK = 4 << 20;
const HEADER_LIMIT = 1 << 20;

// Modes of the top-level state machine.
const M_START = 0;
const M_KEY = 1;
const M_KEYSTR = 2;
const M_COLON = 3;
const M_VALUE = 4;
const M_HEADER = 5;
const M_NODES = 6;
const M_EDGES = 7;
const M_NUMS = 8;
const M_NESTED = 9;
const M_STRINGS = 10;
const M_SKIP = 11;
const M_AFTER = 12;
const M_DONE = 13;

const C_QUOTE = 0x22;
const C_BACKSLASH = 0x5c;
const C_LBRACE = 0x7b;
const C_RBRACE = 0x7d;
const C_LBRACKET = 0x5b;
const C_RBRACKET = 0x5d;
const C_COMMA = 0x2c;
const C_COLON = 0x3a;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * estimateAnalysisBytes: memory a snapshot with these counts needs to be read
 * and analysed (dominators, retained sizes, retainer paths), bytes. Per node:
 * 21 bytes of columns + 45 of dominator-tree arrays; per edge: 9 bytes + 4 of
 * predecessor index; strings ≈ what the file holds besides the numbers; 64 MiB
 * of slack. Measured peaks were 0.9–1.0× of it (bench/snapshot-diff.ts: 1.83 M
 * nodes / 5.05 M edges, and 13.6 M / 37 M).
 */
export function estimateAnalysisBytes(nodeCount: number, edgeCount: number, fileSizeBytes: number): number {
  const numbersText = nodeCount * 16 + edgeCount * 9;
  const strings = Math.max(fileSizeBytes * 0.03, fileSizeBytes - numbersText);
  return Math.round(nodeCount * (21 + 45) + edgeCount * (9 + 4) + strings + 64 * 1024 * 1024);
}

/**
 * availableMemoryBytes: memory this process may still use, bytes — Linux
 * MemAvailable (page cache that can be dropped counts as available), bounded
 * by the cgroup limit minus what the process holds. Elsewhere `os.freemem()`.
 */
export function availableMemoryBytes(): number {
  let avail = os.freemem();
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) avail = Number(m[1]) * 1024;
  } catch {
    // not Linux: os.freemem()
  }
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  if (constrained && constrained > 0 && constrained < Number.MAX_SAFE_INTEGER / 2) {
    const left = constrained - process.memoryUsage.rss();
    if (left < avail) avail = Math.max(0, left);
  }
  return avail;
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / (1 << 20)).toLocaleString('en-US')} MiB`;
}

/** The parser: a push state machine fed chunk by chunk. */
class Parser {
  mode = M_START;
  offset = 0; // file offset of the chunk being fed
  key = '';
  private keyBytes: number[] = [];
  header: SnapshotHeader | undefined;
  private headerBytes: Buffer[] = [];
  private headerLen = 0;
  private depth = 0;
  private inStr = false;
  private esc = false;
  private cur = 0;
  private inNum = false;
  // nodes
  private nf = 0;
  private nodeRole: Uint8Array = new Uint8Array(0);
  private nodeK = 0;
  private nodeI = 0;
  nodeType!: Uint8Array;
  nodeName!: Uint32Array;
  nodeId!: Uint32Array;
  nodeSelfSize!: Float64Array;
  nodeEdgeCount!: Uint32Array;
  nodeTraceId: Uint32Array | null = null;
  private nodeCountH = 0;
  private edgeCountH = 0;
  // edges
  private ef = 0;
  private edgeRole: Uint8Array = new Uint8Array(0);
  private edgeK = 0;
  private edgeI = 0;
  edgeType!: Uint8Array;
  edgeName!: Uint32Array;
  edgeTo!: Uint32Array;
  // other number sections
  private nums: number[] = [];
  private keepNums = false;
  functionInfos: Float64Array | null = null;
  traceTree: number[] | null = null;
  strings: StringTable | undefined;
  private strIn = false;
  private strEsc = false;
  private bsPos = -1;
  seen = new Set<string>();
  /** Set once the header is parsed when only the header was asked for. */
  stopped = false;

  constructor(
    readonly file: string,
    readonly fileSize: number,
    readonly maxMemoryBytes: number,
    readonly headerOnly = false,
  ) {}

  fail(pos: number, what: string): never {
    throw invalidSnapshot(this.file, this.offset + pos, what);
  }

  feed(buf: Buffer): void {
    let p = 0;
    // Positions cached by the string scanner belong to the previous chunk.
    this.bsPos = -1;
    const end = buf.length;
    while (p < end && !this.stopped) {
      switch (this.mode) {
        case M_START: {
          const c = buf[p];
          if (isWs(c)) { p++; break; }
          if (c !== C_LBRACE) this.fail(p, 'not a V8 heap snapshot (expected a JSON object starting with {"snapshot":...})');
          this.mode = M_KEY;
          p++;
          break;
        }
        case M_KEY: {
          const c = buf[p];
          if (isWs(c) || c === C_COMMA) { p++; break; }
          if (c === C_RBRACE) { this.mode = M_DONE; p++; break; }
          if (c !== C_QUOTE) this.fail(p, `not a V8 heap snapshot (unexpected ${describeByte(c)} where a key was expected)`);
          this.keyBytes = [];
          this.mode = M_KEYSTR;
          p++;
          break;
        }
        case M_KEYSTR: {
          const c = buf[p++];
          if (c === C_QUOTE) {
            this.key = Buffer.from(this.keyBytes).toString('utf8');
            this.mode = M_COLON;
          } else {
            if (this.keyBytes.length > 256) this.fail(p, 'not a V8 heap snapshot (a key longer than 256 bytes)');
            this.keyBytes.push(c);
          }
          break;
        }
        case M_COLON: {
          const c = buf[p];
          if (isWs(c)) { p++; break; }
          if (c !== C_COLON) this.fail(p, `not a V8 heap snapshot (expected ":" after "${this.key}")`);
          this.mode = M_VALUE;
          p++;
          break;
        }
        case M_VALUE:
          p = this.startValue(buf, p);
          break;
        case M_HEADER:
          p = this.scanHeader(buf, p);
          break;
        case M_NODES:
          p = this.scanTable(buf, p, false);
          break;
        case M_EDGES:
          p = this.scanTable(buf, p, true);
          break;
        case M_NUMS:
          p = this.scanNums(buf, p, false);
          break;
        case M_NESTED:
          p = this.scanNums(buf, p, true);
          break;
        case M_STRINGS:
          p = this.scanStrings(buf, p);
          break;
        case M_SKIP:
          p = this.scanSkip(buf, p);
          break;
        case M_AFTER: {
          const c = buf[p];
          if (isWs(c)) { p++; break; }
          if (c === C_COMMA) { this.mode = M_KEY; p++; break; }
          if (c === C_RBRACE) { this.mode = M_DONE; p++; break; }
          this.fail(p, `corrupt snapshot (unexpected ${describeByte(c)} after "${this.key}")`);
          break;
        }
        case M_DONE: {
          const c = buf[p];
          if (!isWs(c) && c !== 0) this.fail(p, `corrupt snapshot (unexpected ${describeByte(c)} after the end of the JSON object)`);
          p++;
          break;
        }
      }
    }
    this.offset += end;
  }

  private startValue(buf: Buffer, p: number): number {
    const c = buf[p];
    if (isWs(c)) return p + 1;
    const key = this.key;
    if (this.seen.has(key)) this.fail(p, `corrupt snapshot (key "${key}" appears twice)`);
    this.seen.add(key);
    if (key === 'snapshot') {
      if (c !== C_LBRACE) this.fail(p, 'not a V8 heap snapshot ("snapshot" is not an object)');
      this.depth = 0;
      this.inStr = false;
      this.esc = false;
      this.headerBytes = [];
      this.headerLen = 0;
      this.mode = M_HEADER;
      return p; // the header scanner consumes the brace
    }
    const numeric = key === 'nodes' || key === 'edges' || key === 'trace_function_infos' || key === 'trace_tree' || key === 'samples' || key === 'locations';
    if (numeric || key === 'strings') {
      if (c !== C_LBRACKET) this.fail(p, `corrupt snapshot ("${key}" is not an array)`);
      if (!this.header) this.fail(p, `not a V8 heap snapshot ("${key}" comes before the "snapshot" header)`);
      this.cur = 0;
      this.inNum = false;
      this.depth = 0;
      if (key === 'nodes') {
        this.mode = M_NODES;
      } else if (key === 'edges') {
        if (!this.seen.has('nodes')) this.fail(p, 'corrupt snapshot ("edges" comes before "nodes")');
        this.mode = M_EDGES;
      } else if (key === 'strings') {
        this.strings = new StringTable(Math.max(1024, this.fileSize - (this.offset + p)), 1 << 16);
        this.strIn = false;
        this.strEsc = false;
        this.bsPos = -1;
        this.mode = M_STRINGS;
      } else {
        this.nums = [];
        this.keepNums = key === 'trace_tree' || key === 'trace_function_infos';
        this.mode = key === 'trace_tree' ? M_NESTED : M_NUMS;
        if (key === 'trace_tree') this.depth = 0;
      }
      return p + 1;
    }
    // Anything else (a field a future V8 adds): skipped whole.
    this.depth = 0;
    this.inStr = false;
    this.esc = false;
    this.mode = M_SKIP;
    return p;
  }

  private scanHeader(buf: Buffer, p: number): number {
    const start = p;
    const end = buf.length;
    for (; p < end; p++) {
      const c = buf[p];
      if (this.inStr) {
        if (this.esc) this.esc = false;
        else if (c === C_BACKSLASH) this.esc = true;
        else if (c === C_QUOTE) this.inStr = false;
        continue;
      }
      if (c === C_QUOTE) this.inStr = true;
      else if (c === C_LBRACE || c === C_LBRACKET) this.depth++;
      else if (c === C_RBRACE || c === C_RBRACKET) {
        this.depth--;
        if (this.depth === 0) {
          p++;
          this.headerBytes.push(Buffer.from(buf.subarray(start, p)));
          this.headerLen += p - start;
          this.parseHeader(p);
          this.mode = M_AFTER;
          return p;
        }
      }
    }
    this.headerBytes.push(Buffer.from(buf.subarray(start, p)));
    this.headerLen += p - start;
    if (this.headerLen > HEADER_LIMIT) this.fail(p, `not a V8 heap snapshot (the "snapshot" header is longer than ${HEADER_LIMIT} bytes)`);
    return p;
  }

  private parseHeader(p: number): void {
    let h: { meta?: Record<string, unknown>; node_count?: unknown; edge_count?: unknown; trace_function_count?: unknown };
    try {
      h = JSON.parse(Buffer.concat(this.headerBytes).toString('utf8'));
    } catch (err) {
      this.fail(p, `not a V8 heap snapshot (the "snapshot" header is not valid JSON: ${(err as Error).message})`);
    }
    this.headerBytes = [];
    const meta = h.meta;
    const arr = (v: unknown): v is unknown[] => Array.isArray(v);
    if (!meta || !arr(meta.node_fields) || !arr(meta.edge_fields) || !arr(meta.node_types) || !arr(meta.edge_types)) {
      this.fail(p, 'not a V8 heap snapshot (the header has no meta.node_fields/edge_fields/node_types/edge_types)');
    }
    const nodeTypes = (meta.node_types as unknown[])[0];
    const edgeTypes = (meta.edge_types as unknown[])[0];
    const nodeCount = h.node_count;
    const edgeCount = h.edge_count;
    if (!arr(nodeTypes) || !arr(edgeTypes) || typeof nodeCount !== 'number' || typeof edgeCount !== 'number' || !(nodeCount >= 1) || !(edgeCount >= 0)) {
      this.fail(p, 'not a V8 heap snapshot (the header has no node_count/edge_count or type lists)');
    }
    const header: SnapshotHeader = {
      nodeCount,
      edgeCount,
      traceFunctionCount: typeof h.trace_function_count === 'number' ? h.trace_function_count : 0,
      nodeFields: (meta.node_fields as unknown[]).map(String),
      edgeFields: (meta.edge_fields as unknown[]).map(String),
      nodeTypes: nodeTypes.map(String),
      edgeTypes: edgeTypes.map(String),
      traceFunctionInfoFields: arr(meta.trace_function_info_fields) ? meta.trace_function_info_fields.map(String) : [],
      traceNodeFields: arr(meta.trace_node_fields) ? meta.trace_node_fields.map(String) : [],
    };
    for (const f of ['type', 'name', 'id', 'self_size', 'edge_count']) {
      if (!header.nodeFields.includes(f)) this.fail(p, `not a V8 heap snapshot (node_fields lacks "${f}")`);
    }
    for (const f of ['type', 'name_or_index', 'to_node']) {
      if (!header.edgeFields.includes(f)) this.fail(p, `not a V8 heap snapshot (edge_fields lacks "${f}")`);
    }
    if (nodeCount > 0xfffffffe || edgeCount > 0xfffffffe) this.fail(p, 'snapshot has more than 2^32 nodes or edges');
    this.header = header;
    if (this.headerOnly) {
      this.stopped = true;
      return;
    }

    if (this.maxMemoryBytes > 0) {
      const needed = estimateAnalysisBytes(nodeCount, edgeCount, this.fileSize);
      if (needed > this.maxMemoryBytes) {
        throw new SnapshotError(
          'ERR_MEMSTATS_SNAPSHOT_TOO_LARGE',
          this.file,
          -1,
          `${this.file}: too large to analyse here: ${nodeCount.toLocaleString('en-US')} objects and ${edgeCount.toLocaleString('en-US')} references need about ${formatMiB(needed)}; ${formatMiB(this.maxMemoryBytes)} available. Free memory or run on a larger machine (the check can be raised with maxMemoryBytes / --max-memory).`,
          { neededBytes: needed, availableBytes: this.maxMemoryBytes },
        );
      }
    }

    this.nodeCountH = nodeCount;
    this.edgeCountH = edgeCount;
    this.nf = header.nodeFields.length;
    this.nodeRole = new Uint8Array(this.nf).fill(9);
    const roles = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id'];
    roles.forEach((r, i) => {
      const k = header.nodeFields.indexOf(r);
      if (k >= 0) this.nodeRole[k] = i;
    });
    this.ef = header.edgeFields.length;
    this.edgeRole = new Uint8Array(this.ef).fill(9);
    ['type', 'name_or_index', 'to_node'].forEach((r, i) => {
      this.edgeRole[header.edgeFields.indexOf(r)] = i;
    });
    this.nodeType = new Uint8Array(nodeCount);
    this.nodeName = new Uint32Array(nodeCount);
    this.nodeId = new Uint32Array(nodeCount);
    this.nodeSelfSize = new Float64Array(nodeCount);
    this.nodeEdgeCount = new Uint32Array(nodeCount + 1);
    if (header.traceFunctionCount > 0 && header.nodeFields.includes('trace_node_id')) this.nodeTraceId = new Uint32Array(nodeCount);
    this.edgeType = new Uint8Array(edgeCount);
    this.edgeName = new Uint32Array(edgeCount);
    this.edgeTo = new Uint32Array(edgeCount);
  }

  private storeNode(v: number, p: number): void {
    const i = this.nodeI;
    if (i >= this.nodeCountH) this.fail(p, `corrupt snapshot ("nodes" holds more than node_count = ${this.nodeCountH} nodes)`);
    switch (this.nodeRole[this.nodeK]) {
      case 0:
        if (v > 255) this.fail(p, `corrupt snapshot (node type ${v} out of range)`);
        this.nodeType[i] = v;
        break;
      case 1: this.nodeName[i] = v; break;
      case 2: this.nodeId[i] = v; break;
      case 3: this.nodeSelfSize[i] = v; break;
      case 4: this.nodeEdgeCount[i] = v; break;
      case 5: if (this.nodeTraceId) this.nodeTraceId[i] = v; break;
    }
    if (++this.nodeK === this.nf) {
      this.nodeK = 0;
      this.nodeI++;
    }
  }

  private storeEdge(v: number, p: number): void {
    const i = this.edgeI;
    if (i >= this.edgeCountH) this.fail(p, `corrupt snapshot ("edges" holds more than edge_count = ${this.edgeCountH} edges)`);
    const role = this.edgeRole[this.edgeK];
    if (role === 2) {
      const to = v / this.nf;
      if (to !== Math.floor(to) || to >= this.nodeCountH) this.fail(p, `corrupt snapshot (edge ${i} points to ${v}, not a node)`);
      this.edgeTo[i] = to;
    } else if (role === 1) {
      this.edgeName[i] = v;
    } else if (role === 0) {
      if (v > 255) this.fail(p, `corrupt snapshot (edge type ${v} out of range)`);
      this.edgeType[i] = v;
    }
    if (++this.edgeK === this.ef) {
      this.edgeK = 0;
      this.edgeI++;
    }
  }

  /**
   * The `nodes` (edges false) or `edges` (edges true) array: numbers go straight
   * into the typed columns; at its end, as many rows as the header says.
   */
  private scanTable(buf: Buffer, p: number, edges: boolean): number {
    const end = buf.length;
    let cur = this.cur;
    let inNum = this.inNum;
    for (; p < end; p++) {
      const c = buf[p];
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        cur = cur * 10 + d;
        inNum = true;
      } else if (c === C_COMMA || isWs(c)) {
        if (inNum) {
          if (edges) this.storeEdge(cur, p);
          else this.storeNode(cur, p);
          cur = 0;
          inNum = false;
        }
      } else if (c === C_RBRACKET) {
        if (inNum) {
          if (edges) this.storeEdge(cur, p);
          else this.storeNode(cur, p);
        }
        this.cur = 0;
        this.inNum = false;
        const what = edges ? 'edges' : 'nodes';
        const rows = edges ? this.edgeI : this.nodeI;
        const partial = edges ? this.edgeK : this.nodeK;
        const expected = edges ? this.header!.edgeCount : this.header!.nodeCount;
        if (rows !== expected || partial !== 0) {
          this.fail(p, `corrupt snapshot ("${what}" holds ${rows} ${what}, the header says ${expected})`);
        }
        this.mode = M_AFTER;
        return p + 1;
      } else {
        this.fail(p, `corrupt snapshot (unexpected ${describeByte(c)} in "${edges ? 'edges' : 'nodes'}")`);
      }
    }
    this.cur = cur;
    this.inNum = inNum;
    return p;
  }

  /** Numbers of the small sections; `nested` allows inner arrays (trace_tree). */
  private scanNums(buf: Buffer, p: number, nested: boolean): number {
    const end = buf.length;
    for (; p < end; p++) {
      const c = buf[p];
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        this.cur = this.cur * 10 + d;
        this.inNum = true;
        continue;
      }
      if (this.inNum) {
        // Only the allocation-trace sections are kept; samples and locations are read past.
        if (this.keepNums) this.nums.push(this.cur);
        this.cur = 0;
        this.inNum = false;
      }
      if (c === C_COMMA || isWs(c)) continue;
      if (c === C_LBRACKET && nested) {
        this.depth++;
        continue;
      }
      if (c === C_RBRACKET) {
        if (nested && this.depth > 0) {
          this.depth--;
          continue;
        }
        this.endNums();
        this.mode = M_AFTER;
        return p + 1;
      }
      this.fail(p, `corrupt snapshot (unexpected ${describeByte(c)} in "${this.key}")`);
    }
    return p;
  }

  private endNums(): void {
    if (this.key === 'trace_function_infos') this.functionInfos = Float64Array.from(this.nums);
    else if (this.key === 'trace_tree') this.traceTree = this.nums;
    this.nums = [];
  }

  private scanStrings(buf: Buffer, p: number): number {
    const end = buf.length;
    const st = this.strings!;
    while (p < end) {
      if (!this.strIn) {
        const c = buf[p];
        if (c === C_QUOTE) {
          st.begin();
          this.strIn = true;
          this.strEsc = false;
          p++;
          continue;
        }
        if (c === C_COMMA || isWs(c)) { p++; continue; }
        if (c === C_RBRACKET) {
          st.trim();
          this.mode = M_AFTER;
          return p + 1;
        }
        this.fail(p, `corrupt snapshot (unexpected ${describeByte(c)} in "strings")`);
      }
      // Inside a string.
      let seg = p;
      if (this.strEsc) {
        // The byte after a backslash that ended the previous chunk.
        this.strEsc = false;
        p++;
      }
      for (;;) {
        const q = buf.indexOf(C_QUOTE, p);
        if (this.bsPos !== -2 && this.bsPos < p) {
          this.bsPos = buf.indexOf(C_BACKSLASH, p);
          if (this.bsPos === -1) this.bsPos = -2; // none left in this chunk
        }
        const bs = this.bsPos;
        const stop = q === -1 ? end : q;
        if (bs >= 0 && bs < stop) {
          st.markEscaped();
          if (bs + 1 < end) {
            p = bs + 2;
            continue;
          }
          st.append(buf, seg, end);
          this.strEsc = true;
          p = end;
          break;
        }
        if (q === -1) {
          st.append(buf, seg, end);
          p = end;
          break;
        }
        st.append(buf, seg, q);
        st.end();
        this.strIn = false;
        p = q + 1;
        break;
      }
      seg = p;
    }
    return p;
  }

  private scanSkip(buf: Buffer, p: number): number {
    const end = buf.length;
    for (; p < end; p++) {
      const c = buf[p];
      if (this.inStr) {
        if (this.esc) this.esc = false;
        else if (c === C_BACKSLASH) this.esc = true;
        else if (c === C_QUOTE) {
          this.inStr = false;
          if (this.depth === 0) { this.mode = M_AFTER; return p + 1; }
        }
        continue;
      }
      if (c === C_QUOTE) this.inStr = true;
      else if (c === C_LBRACE || c === C_LBRACKET) this.depth++;
      else if (c === C_RBRACE || c === C_RBRACKET) {
        if (this.depth === 0) { this.mode = M_AFTER; return p; }
        this.depth--;
        if (this.depth === 0) { this.mode = M_AFTER; return p + 1; }
      } else if (c === C_COMMA && this.depth === 0) {
        this.mode = M_AFTER;
        return p;
      }
    }
    return p;
  }

  /** Called at end of file: everything must be there. */
  finish(): HeapSnapshot {
    const at = this.offset;
    if (this.mode !== M_DONE) {
      if (!this.header) {
        throw invalidSnapshot(this.file, at, this.offset === 0 ? 'empty file, not a V8 heap snapshot' : 'not a V8 heap snapshot (no complete "snapshot" header before the end of the file)');
      }
      const where =
        this.mode === M_NODES ? ` while reading "nodes" (${this.nodeI.toLocaleString('en-US')} of ${this.header.nodeCount.toLocaleString('en-US')} nodes)`
        : this.mode === M_EDGES ? ` while reading "edges" (${this.edgeI.toLocaleString('en-US')} of ${this.header.edgeCount.toLocaleString('en-US')} edges)`
        : this.mode === M_STRINGS ? ` while reading "strings" (${this.strings?.length.toLocaleString('en-US')} read)`
        : this.key ? ` after "${this.key}"` : '';
      throw invalidSnapshot(this.file, at, `truncated heap snapshot: unexpected end of file${where}`);
    }
    if (!this.header) throw invalidSnapshot(this.file, at, 'not a V8 heap snapshot (no "snapshot" header)');
    for (const k of ['nodes', 'edges', 'strings']) {
      if (!this.seen.has(k)) throw invalidSnapshot(this.file, at, `corrupt snapshot (no "${k}" array)`);
    }
    const h = this.header;
    // Edge offsets: a prefix sum of edge counts, checked against the edges read.
    const first = this.nodeEdgeCount; // reused in place: count[i] → first edge of i
    let sum = 0;
    for (let i = 0; i < h.nodeCount; i++) {
      const c = first[i];
      first[i] = sum;
      sum += c;
    }
    first[h.nodeCount] = sum;
    if (sum !== h.edgeCount) throw invalidSnapshot(this.file, -1, `corrupt snapshot (node edge counts add up to ${sum}, the header says ${h.edgeCount} edges)`);
    const strings = this.strings!;
    for (let i = 0; i < h.nodeCount; i++) {
      if (this.nodeName[i] >= strings.length) throw invalidSnapshot(this.file, -1, `corrupt snapshot (node ${i} names string ${this.nodeName[i]}, there are ${strings.length})`);
    }

    let traceSites: Map<number, number> | null = null;
    if (this.traceTree && this.traceTree.length > 0) {
      // Preorder of (id, function_info_index, count, size, [children]): every
      // node contributes its scalar fields before its children's.
      const width = Math.max(1, h.traceNodeFields.filter((f) => f !== 'children').length);
      const idK = Math.max(0, h.traceNodeFields.indexOf('id'));
      const fiK = Math.max(0, h.traceNodeFields.indexOf('function_info_index'));
      traceSites = new Map();
      const t = this.traceTree;
      for (let k = 0; k + width <= t.length; k += width) traceSites.set(t[k + idK], t[k + fiK]);
      this.traceTree = null;
    }
    return new HeapSnapshot({
      file: this.file,
      fileSizeBytes: this.fileSize,
      types: typeCodes(h.nodeTypes, h.edgeTypes),
      nodeType: this.nodeType,
      nodeName: this.nodeName,
      nodeId: this.nodeId,
      nodeSelfSize: this.nodeSelfSize,
      firstEdge: first,
      nodeTraceId: this.nodeTraceId,
      edgeType: this.edgeType,
      edgeName: this.edgeName,
      edgeTo: this.edgeTo,
      strings,
      traceSites,
      functionInfos: this.functionInfos,
      functionInfoFields: Math.max(1, h.traceFunctionInfoFields.length),
    });
  }
}

function describeByte(c: number): string {
  if (c >= 0x20 && c < 0x7f) return JSON.stringify(String.fromCharCode(c));
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/**
 * readHeapSnapshot reads and parses a `.heapsnapshot` file into typed arrays,
 * streaming (the file is never held whole). Rejects with a SnapshotError naming
 * the file and byte offset for a file that is not a heap snapshot, truncated or
 * corrupt, and with `ERR_MEMSTATS_SNAPSHOT_TOO_LARGE` (and the figure needed)
 * when the analysis would not fit in `maxMemoryBytes`. Reads yield to the event
 * loop between 4 MiB chunks.
 */
export async function readHeapSnapshot(file: string, options?: ReadHeapSnapshotOptions): Promise<HeapSnapshot> {
  const o = optionsObject<ReadHeapSnapshotOptions>('options', options, READ_HEAP_SNAPSHOT_OPTIONS_NAMES);
  const limitOpt = numberOption('maxMemoryBytes', o.maxMemoryBytes, -1, { min: 0 });
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw invalidSnapshot(file, -1, 'not a regular file');
    const limit = limitOpt >= 0 ? limitOpt : availableMemoryBytes();
    const parser = new Parser(file, st.size, limit);
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(4096, st.size)));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      parser.feed(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    }
    return parser.finish();
  } finally {
    await fh.close();
  }
}

/**
 * parseHeapSnapshotChunks parses a snapshot handed over in pieces (any sizes),
 * as readHeapSnapshot does with a file's chunks; `file` names it in errors.
 * For tests and for snapshots that arrive in chunks (the inspector's
 * `HeapProfiler.addHeapSnapshotChunk`). `maxMemoryBytes` defaults to 0 (no
 * check: the chunks are in memory already). Throws a SnapshotError like
 * readHeapSnapshot.
 */
export function parseHeapSnapshotChunks(chunks: Iterable<Buffer>, file: string, options?: ReadHeapSnapshotOptions): HeapSnapshot {
  const o = optionsObject<ReadHeapSnapshotOptions>('options', options, READ_HEAP_SNAPSHOT_OPTIONS_NAMES);
  const limit = numberOption('maxMemoryBytes', o.maxMemoryBytes, 0, { min: 0 });
  const list = [...chunks];
  const size = list.reduce((a, c) => a + c.length, 0);
  const parser = new Parser(file, size, limit);
  for (const c of list) if (c.length > 0) parser.feed(c);
  return parser.finish();
}

/**
 * readSnapshotHeader reads only the header of a `.heapsnapshot` file (node and
 * edge counts, field layout), from its first bytes. Rejects like
 * readHeapSnapshot for a file that is not a heap snapshot.
 */
export async function readSnapshotHeader(file: string): Promise<SnapshotHeader> {
  const fh = await open(file, 'r');
  try {
    const parser = new Parser(file, (await fh.stat()).size, 0, true);
    const buf = Buffer.allocUnsafe(64 * 1024);
    let read = 0;
    while (!parser.header && read <= HEADER_LIMIT) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      read += bytesRead;
      parser.feed(buf.subarray(0, bytesRead));
    }
    if (!parser.header) {
      throw invalidSnapshot(file, read, read === 0 ? 'empty file, not a V8 heap snapshot' : 'not a V8 heap snapshot (no complete "snapshot" header)');
    }
    return parser.header;
  } finally {
    await fh.close();
  }
}
