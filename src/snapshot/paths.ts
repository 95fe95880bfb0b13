/**
 * @module snapshot/paths
 * Shortest retainer paths from the GC roots: one breadth-first walk from the
 * snapshot's root over the edges that keep objects alive (no weak edges;
 * shortcuts only from the root), keeping for every object the holder that
 * reaches it in the fewest steps. Among holders at the same distance the path
 * prefers names a reader recognises: a variable (context edge) or property
 * over an array index, an index over V8-internal links.
 *
 * Rendering reads the path from the object back to the root and skips V8's
 * plumbing (contexts, property and element backing stores, hidden objects), so
 * a module-level `const sessionCache = new Map()` filled by `handleRequest`
 * reads "Session ← Map in `sessionCache` ← closure `handleRequest` ← …".
 */
import type { HeapSnapshot } from './heap-snapshot.js';

/** Unreached marker in the parent array. */
export const NO_PARENT = 0xffffffff;

/** The result of the walk: a parent per node, and its distance from the root. */
export interface RetainerTree {
  /** node → the node that holds it on a shortest path (root: itself; NO_PARENT: not reached). */
  parent: Uint32Array;
  /** node → steps from the root (0xffffffff: not reached). */
  distance: Uint32Array;
}

/** One step of a retainer path, from the object towards the root. */
export interface RetainerStep {
  /** The holder's kind and name, as the snapshot says (`object`/`Map`, `closure`/`handleRequest`, …). */
  nodeType: string;
  nodeName: string;
  /** V8's id of the holder. */
  nodeId: number;
  /** How the previous step (or the object) is held: edge type and name (`property`/`sessionCache`, `element`/`3`, …). */
  edgeType: string;
  edgeName: string;
  /** This many identical steps in a row (a linked list: `Timeout in _idleNext` × 2,000), collapsed into one; absent for 1. */
  repeat?: number;
}

function edgeRank(s: HeapSnapshot, e: number, from: number): number {
  const t = s.edgeType[e];
  const T = s.types;
  let r: number;
  if (t === T.eContext || t === T.eProperty) r = 0;
  else if (t === T.eShortcut || t === T.eElement) r = 2;
  else if (t === T.eInternal) r = 4;
  else r = 6;
  // A holder of V8's own (hidden objects, code, internal arrays) is a worse landmark than a JS object.
  const ft = s.nodeType[from];
  if (ft === T.hidden || ft === T.code || ft === T.objectShape) r += 1;
  return r;
}

/**
 * computeRetainerTree walks the snapshot breadth-first from its root. Memory:
 * 12 bytes per node while it runs, 8 kept.
 */
export function computeRetainerTree(s: HeapSnapshot): RetainerTree {
  const n = s.nodeCount;
  const parent = new Uint32Array(n).fill(NO_PARENT);
  const distance = new Uint32Array(n).fill(0xffffffff);
  // The rank of the edge that holds each node, to prefer better holders at equal distance.
  const rank = new Uint8Array(n).fill(255);
  const queue = new Uint32Array(n);
  const { firstEdge, edgeTo, edgeType } = s;
  const WEAK = s.types.eWeak;
  const SHORTCUT = s.types.eShortcut;
  let qh = 0;
  let qt = 0;
  parent[0] = 0;
  distance[0] = 0;
  // Two stages, as DevTools: first everything the global objects (the root's
  // shortcut edges) reach, so a path through `globalThis.x` wins over one through
  // a handle the current stack happens to hold; then the rest from the GC roots.
  for (let stage = 0; stage < 2; stage++) {
    for (let e = firstEdge[0], end = firstEdge[1]; e < end; e++) {
      const t = edgeType[e];
      if (t === WEAK || (stage === 0) !== (t === SHORTCUT)) continue;
      const w = edgeTo[e];
      if (distance[w] !== 0xffffffff) continue;
      distance[w] = 1;
      parent[w] = 0;
      rank[w] = edgeRank(s, e, 0);
      queue[qt++] = w;
    }
    while (qh < qt) {
      const v = queue[qh++];
      const dv = distance[v] + 1;
      for (let e = firstEdge[v], end = firstEdge[v + 1]; e < end; e++) {
        const t = edgeType[e];
        if (t === WEAK || t === SHORTCUT) continue;
        const w = edgeTo[e];
        const dw = distance[w];
        if (dw === 0xffffffff) {
          distance[w] = dv;
          parent[w] = v;
          rank[w] = edgeRank(s, e, v);
          queue[qt++] = w;
        } else if (dw === dv && parent[w] !== 0) {
          const r = edgeRank(s, e, v);
          if (r < rank[w]) {
            parent[w] = v;
            rank[w] = r;
          }
        }
      }
    }
  }
  return { parent, distance };
}

/** The best edge from `from` to `to` (the one the walk would prefer), or -1. */
function edgeBetween(s: HeapSnapshot, from: number, to: number): number {
  let best = -1;
  let bestRank = 1e9;
  for (let e = s.firstEdge[from], end = s.firstEdge[from + 1]; e < end; e++) {
    if (s.edgeTo[e] !== to) continue;
    const t = s.edgeType[e];
    if (t === s.types.eWeak || (t === s.types.eShortcut && from !== 0)) continue;
    const r = edgeRank(s, e, from);
    if (r < bestRank) {
      best = e;
      bestRank = r;
    }
  }
  return best;
}

/**
 * retainerPath lists the holders of `node` from the object back to the GC
 * roots, runs of identical steps (linked lists) collapsed into one with a
 * `repeat` count, at most `maxSteps` steps after collapsing; null when no
 * strong path reaches it.
 */
export function retainerPath(s: HeapSnapshot, tree: RetainerTree, node: number, maxSteps = 64): RetainerStep[] | null {
  if (tree.parent[node] === NO_PARENT) return null;
  const steps: RetainerStep[] = [];
  let cur = node;
  // The walk is bounded by the distance (a BFS tree has no cycles), even when collapsed steps are not counted.
  let guard = tree.distance[node] + 1;
  while (cur !== 0 && guard-- > 0) {
    const p = tree.parent[cur];
    if (p === NO_PARENT || p === cur) break;
    const e = edgeBetween(s, p, cur);
    const step: RetainerStep = {
      nodeType: s.typeName(p),
      nodeName: s.name(p),
      nodeId: s.nodeId[p],
      edgeType: e >= 0 ? s.edgeTypeName(e) : 'unknown',
      edgeName: e >= 0 ? s.edgeNameText(e) : '',
    };
    const last = steps[steps.length - 1];
    if (last && last.nodeType === step.nodeType && last.nodeName === step.nodeName && last.edgeType === step.edgeType && (last.edgeName === step.edgeName || step.edgeType === 'element')) {
      last.repeat = (last.repeat ?? 1) + 1;
      last.nodeId = step.nodeId; // the outermost of the run
    } else {
      if (steps.length >= maxSteps) break;
      steps.push(step);
    }
    cur = p;
  }
  return steps;
}

function shortText(t: string, max = 40): string {
  const one = t.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** nodeLabel: how a node reads in a report — `Map`, `closure \`handleRequest\``, `string "abc"`, `(Global handles)`. */
export function nodeLabel(type: string, name: string): string {
  switch (type) {
    case 'closure':
      return `closure \`${name || '(anonymous)'}\``;
    case 'concatenated string':
      // V8 names them all "(concatenated string)": the parts are its children.
      return 'string (concatenated)';
    case 'sliced string':
      return 'string (sliced)';
    case 'string':
      return `string ${JSON.stringify(shortText(name, 30))}`;
    case 'number':
      return 'heap number';
    case 'array':
      return name ? `${name}` : '(array)';
    case 'code':
      return `code ${name ? `\`${shortText(name)}\`` : ''}`.trim();
    case 'native':
      if (name === 'system / JSArrayBufferData') return 'ArrayBuffer backing store';
      return shortText(name, 60);
    default:
      return shortText(name || `(${type})`, 60);
  }
}

/** True for V8 plumbing that a rendered path skips (contexts, backing arrays, hidden objects, code). */
function isPlumbing(step: RetainerStep): boolean {
  const t = step.nodeType;
  if (t === 'hidden' || t === 'array' || t === 'code' || t === 'object shape') return true;
  if (t === 'object' && step.nodeName.startsWith('system / ')) return true;
  return false;
}

/** How a node is held, as a suffix: " in `name`" for variables and properties, "[i]" for elements. */
function heldAs(label: string, name: string, how: RetainerStep | undefined, repeat = 1): string {
  const times = repeat > 1 ? ` ×${repeat.toLocaleString('en-US')}` : '';
  return heldOnce(label, name, how) + times;
}

function heldOnce(label: string, name: string, how: RetainerStep | undefined): string {
  if (!how) return label;
  const t = how.edgeType;
  if (t === 'element') return how.nodeType === 'synthetic' ? label : `${label}[${how.edgeName}]`;
  if ((t === 'context' || t === 'property') && how.edgeName && how.edgeName !== name) {
    return `${label} in \`${shortText(how.edgeName)}\``;
  }
  return label;
}

/**
 * formatRetainerPath renders a path as one line from the object to the roots:
 * "Session ← Map in `sessionCache` ← closure `handleRequest` ← (GC roots)".
 * Each holder is named with the variable or property it is held under (the
 * name of the edge that leads to it), or its index in an array; V8 plumbing
 * (contexts, backing stores, hidden objects) is skipped. At most `maxHolders`
 * holders are shown, then "← …"; a run of identical holders (a linked list)
 * reads once, "Timeout in `_idleNext` ×2,000".
 */
export function formatRetainerPath(objectLabel: string, objectName: string, steps: RetainerStep[] | null, maxHolders = 8): string {
  if (steps === null) return `${objectLabel} (no strong path from the GC roots: weakly held)`;
  const parts: string[] = [heldAs(objectLabel, objectName, steps[0])];
  for (let k = 0; k < steps.length; k++) {
    const st = steps[k];
    if (st.nodeType === 'synthetic' && st.nodeName === '') continue; // the snapshot's own root
    if (isPlumbing(st)) continue;
    if (parts.length > maxHolders) {
      parts.push('…');
      break;
    }
    parts.push(heldAs(nodeLabel(st.nodeType, st.nodeName), st.nodeName, steps[k + 1], st.repeat));
  }
  return parts.join(' ← ');
}
