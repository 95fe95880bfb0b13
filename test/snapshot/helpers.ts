// Builds small .heapsnapshot texts for the snapshot tests: nodes and edges by
// hand, in V8's format (node 0 is the root).
export interface FakeNode {
  type?: string;
  name: string;
  self?: number;
  id?: number;
  trace?: number;
}
export interface FakeEdge {
  from: number;
  to: number;
  type?: string;
  /** A string for named edges, a number for element/hidden edges. */
  name?: string | number;
}

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

/** fakeSnapshot renders nodes and edges as the JSON text V8 writes (with its line breaks). */
export function fakeSnapshot(
  nodes: FakeNode[],
  edges: FakeEdge[],
  extra: { strings?: string[]; traceFunctionInfos?: number[]; traceTree?: unknown[] } = {},
): string {
  const strings: string[] = ['', ...(extra.strings ?? [])];
  const str = (s: string): number => {
    let i = strings.indexOf(s);
    if (i < 0) i = strings.push(s) - 1;
    return i;
  };
  const byFrom = nodes.map(() => [] as FakeEdge[]);
  for (const e of edges) byFrom[e.from].push(e);
  const nodeRows = nodes.map((n, i) =>
    [NODE_TYPES.indexOf(n.type ?? 'object'), str(n.name), n.id ?? i * 2 + 1, n.self ?? 0, byFrom[i].length, n.trace ?? 0, 0].join(','),
  );
  const edgeRows: string[] = [];
  for (const list of byFrom) {
    for (const e of list) {
      const t = e.type ?? 'property';
      const nm = t === 'element' || t === 'hidden' ? Number(e.name ?? 0) : str(String(e.name ?? ''));
      edgeRows.push([EDGE_TYPES.indexOf(t), nm, e.to * 7].join(','));
    }
  }
  const tfi = extra.traceFunctionInfos ?? [];
  const meta = {
    node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
    node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
    edge_fields: ['type', 'name_or_index', 'to_node'],
    edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
    trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
    trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
    sample_fields: ['timestamp_us', 'last_assigned_id'],
    location_fields: ['object_index', 'script_id', 'line', 'column'],
  };
  const header = { meta, node_count: nodes.length, edge_count: edgeRows.length, trace_function_count: tfi.length / 6 };
  return (
    `{"snapshot":${JSON.stringify(header)},\n` +
    `"nodes":[${nodeRows.join('\n,')}],\n` +
    `"edges":[${edgeRows.join('\n,')}],\n` +
    `"trace_function_infos":[${tfi.join(',')}],\n` +
    `"trace_tree":${JSON.stringify(extra.traceTree ?? [])},\n` +
    `"samples":[],\n"locations":[],\n` +
    `"strings":[${strings.map((s) => JSON.stringify(s)).join(',\n')}]}`
  );
}

/** splitEvery cuts a buffer into chunks of `size` bytes. */
export function splitEvery(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, Math.min(buf.length, i + size)));
  return out;
}
