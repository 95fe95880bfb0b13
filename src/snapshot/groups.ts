/**
 * @module snapshot/groups
 * Sorting a snapshot's objects into groups the way a reader thinks of them:
 * objects by constructor (`Map`, `Session`), closures by function name, all
 * strings together, V8's internal objects by their `system / …` name. Groups
 * are keyed by text, so the same group can be found in two snapshots.
 */
import type { HeapSnapshot } from './heap-snapshot.js';
import type { Liveness } from './dominators.js';
import { nodeLabel } from './paths.js';

/** Not in any group (synthetic roots, unreachable objects). */
export const NO_GROUP = 0xffffffff;

/** The grouping of one snapshot's nodes. */
export interface GroupIndex {
  /** node → group id (NO_GROUP: none). */
  groupOf: Uint32Array;
  /** group id → key (stable across snapshots: type category + name). */
  keys: string[];
  /** group id → display name (`Map`, `closure onTick`, `(string)`). */
  names: string[];
  /** group id → node type (`object`, `closure`, `string`, …). */
  types: string[];
}

/**
 * groupNodes assigns every reachable, non-synthetic node of `s` a group. With
 * `tree`, nodes the tree does not reach are left out (weakly held garbage);
 * without, every node counts.
 */
export function groupNodes(s: HeapSnapshot, tree?: Liveness): GroupIndex {
  const n = s.nodeCount;
  const groupOf = new Uint32Array(n);
  const keys: string[] = [];
  const names: string[] = [];
  const types: string[] = [];
  const byKey = new Map<string, number>();
  // (name string index, type) → group, so each distinct name is decoded once.
  const byName = new Map<number, number>();
  const T = s.types;
  const fixed = new Map<number, number>();
  const intern = (key: string, name: string, type: string): number => {
    let g = byKey.get(key);
    if (g === undefined) {
      g = keys.length;
      keys.push(key);
      names.push(name);
      types.push(type);
      byKey.set(key, g);
    }
    return g;
  };
  const fixedGroup = (t: number): number => {
    let g = fixed.get(t);
    if (g === undefined) {
      const type = T.nodeTypes[t];
      const name =
        t === T.string || t === T.consString || t === T.slicedString ? '(string)'
        : t === T.number ? '(number)'
        : t === T.code ? '(compiled code)'
        : t === T.objectShape ? '(object shape)'
        : t === T.symbol ? '(symbol)'
        : t === T.bigint ? '(bigint)'
        : `(${type})`;
      const cat = t === T.consString || t === T.slicedString ? 'string' : type;
      g = intern(`${cat}\u0000${name}`, name, cat);
      fixed.set(t, g);
    }
    return g;
  };
  for (let i = 0; i < n; i++) {
    const t = s.nodeType[i];
    if (t === T.synthetic || (tree && tree.dfn[i] === 0)) {
      groupOf[i] = NO_GROUP;
      continue;
    }
    if (t === T.string || t === T.consString || t === T.slicedString || t === T.number || t === T.code || t === T.objectShape || t === T.symbol || t === T.bigint) {
      groupOf[i] = fixedGroup(t);
      continue;
    }
    const nameIdx = s.nodeName[i];
    const k = nameIdx * 32 + t;
    let g = byName.get(k);
    if (g === undefined) {
      const type = T.nodeTypes[t];
      const raw = s.strings.get(nameIdx);
      const label = type === 'closure' ? `closure ${raw || '(anonymous)'}` : nodeLabel(type, raw);
      g = intern(`${type}\u0000${raw}`, label, type);
      byName.set(k, g);
    }
    groupOf[i] = g;
  }
  return { groupOf, keys, names, types };
}

/** Count and self size per group. */
export function groupTotals(s: HeapSnapshot, gi: GroupIndex): { count: Float64Array; selfSize: Float64Array } {
  const G = gi.keys.length;
  const count = new Float64Array(G);
  const selfSize = new Float64Array(G);
  const { groupOf } = gi;
  const self = s.nodeSelfSize;
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    if (g === NO_GROUP) continue;
    count[g]++;
    selfSize[g] += self[i];
  }
  return { count, selfSize };
}
