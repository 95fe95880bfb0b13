/**
 * @module snapshot/analysis
 * The steps diffSnapshots and leakDiff share: read a snapshot, build its
 * dominator tree and groups, summarise it, pick each group's example object and
 * render its retainer path.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { readHeapSnapshot, type ReadHeapSnapshotOptions } from './read-snapshot.js';
import type { HeapSnapshot } from './heap-snapshot.js';
import { computeDominators, groupRetainedSizes, retainedSizeOf, type DominatorTree, type Liveness } from './dominators.js';
import { groupNodes, groupTotals, NO_GROUP, type GroupIndex } from './groups.js';
import { computeRetainerTree, formatRetainerPath, retainerPath, nodeLabel, type RetainerStep, type RetainerTree } from './paths.js';

/** What a report says about one snapshot. */
export interface SnapshotSummary {
  /** The file, as given. */
  file: string;
  fileSizeBytes: number;
  /** Objects in the snapshot (nodes, synthetic roots excluded) and references (edges). */
  nodeCount: number;
  edgeCount: number;
  /** Objects reachable from the GC roots through strong references, and their total self size in bytes. */
  reachableCount: number;
  reachableSizeBytes: number;
  /** Objects only weakly reachable (garbage the snapshot still listed) and their size. */
  unreachableCount: number;
  unreachableSizeBytes: number;
  /** The snapshot was taken with allocation tracking (groups carry allocation sites). */
  hasAllocationSites: boolean;
  /** Highest object id (later snapshots of one process have higher ones). */
  maxObjectId: number;
}

/** Totals of one group in one snapshot. */
export interface GroupTotals {
  name: string;
  type: string;
  count: number;
  selfSizeBytes: number;
  /** Retained size of the group's objects not dominated by another of the group, bytes. */
  retainedSizeBytes: number;
}

/** An allocation site with the objects it allocated. */
export interface AllocationSiteCount {
  /** `functionName (script:line:column)`. */
  site: string;
  count: number;
  selfSizeBytes: number;
}

/** A snapshot read and analysed; `release()` drops the big arrays. */
export interface AnalysedSnapshot {
  snap: HeapSnapshot;
  tree: DominatorTree;
  groups: GroupIndex;
  count: Float64Array;
  selfSize: Float64Array;
  retained: Float64Array;
  summary: SnapshotSummary;
}

/** analyse reads `file` and computes its dominator tree, groups and per-group totals. */
export async function analyse(file: string, readOptions: ReadHeapSnapshotOptions): Promise<AnalysedSnapshot> {
  const snap = await readHeapSnapshot(file, readOptions);
  await yieldLoop();
  const tree = computeDominators(snap);
  await yieldLoop();
  const groups = groupNodes(snap, tree);
  const { count, selfSize } = groupTotals(snap, groups);
  const retained = groupRetainedSizes(tree, groups.groupOf, groups.keys.length);
  return { snap, tree, groups, count, selfSize, retained, summary: summarise(snap, tree) };
}

/** summarise counts a snapshot's objects, reachable and not. */
export function summarise(snap: HeapSnapshot, tree: Liveness | null): SnapshotSummary {
  let nodes = 0;
  let reach = 0;
  let reachSize = 0;
  let unreach = 0;
  let unreachSize = 0;
  let maxId = 0;
  const SYN = snap.types.synthetic;
  for (let i = 0; i < snap.nodeCount; i++) {
    if (snap.nodeType[i] === SYN) continue;
    nodes++;
    if (snap.nodeId[i] & 1 && snap.nodeId[i] > maxId) maxId = snap.nodeId[i];
    if (!tree || tree.dfn[i] !== 0) {
      reach++;
      reachSize += snap.nodeSelfSize[i];
    } else {
      unreach++;
      unreachSize += snap.nodeSelfSize[i];
    }
  }
  return {
    file: snap.file,
    fileSizeBytes: snap.fileSizeBytes,
    nodeCount: nodes,
    edgeCount: snap.edgeCount,
    reachableCount: reach,
    reachableSizeBytes: reachSize,
    unreachableCount: unreach,
    unreachableSizeBytes: unreachSize,
    hasAllocationSites: snap.hasAllocationSites,
    maxObjectId: maxId,
  };
}

/** totalsByKey: a group key → totals map of an analysed snapshot (what survives its release). */
export function totalsByKey(a: AnalysedSnapshot): Map<string, GroupTotals> {
  const m = new Map<string, GroupTotals>();
  for (let g = 0; g < a.groups.keys.length; g++) {
    m.set(a.groups.keys[g], {
      name: a.groups.names[g],
      type: a.groups.types[g],
      count: a.count[g],
      selfSizeBytes: a.selfSize[g],
      retainedSizeBytes: a.retained[g],
    });
  }
  return m;
}

/**
 * pickExamples chooses, per wanted group, the object whose retainer path is
 * shown: the largest of the objects `prefer` marks (the new ones) for the
 * groups in `markedFirst` (their growth is new objects); otherwise the group's
 * largest object (by retained size) when it alone holds at least half of
 * `growth` (one cache, one array of buffers grew); otherwise the largest
 * marked one, or the largest if none is.
 */
export function pickExamples(
  a: AnalysedSnapshot,
  prefer: ((node: number) => boolean) | null,
  wanted: Map<number, number>,
  markedFirst?: ReadonlySet<number>,
): Map<number, number> {
  const G = a.groups.keys.length;
  const bestAny = new Int32Array(G).fill(-1);
  const bestPref = new Int32Array(G).fill(-1);
  const sizeAny = new Float64Array(G).fill(-1);
  const sizePref = new Float64Array(G).fill(-1);
  const { groupOf } = a.groups;
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    if (g === NO_GROUP || !wanted.has(g)) continue;
    const r = retainedSizeOf(a.snap, a.tree, i);
    if (r > sizeAny[g]) {
      sizeAny[g] = r;
      bestAny[g] = i;
    }
    if (prefer && r > sizePref[g] && prefer(i)) {
      sizePref[g] = r;
      bestPref[g] = i;
    }
  }
  const out = new Map<number, number>();
  for (const [g, growth] of wanted) {
    // Growth made of marked (new) objects: one of them, whose path names the container gathering them —
    // the group's largest object may be an old one that neither grew nor holds them. Otherwise the
    // largest object when it alone could hold half the growth (one cache grew), else a marked one.
    const pick = bestPref[g] >= 0 && (markedFirst?.has(g) === true || sizeAny[g] < 0.5 * growth) ? bestPref[g] : bestAny[g];
    if (pick >= 0) out.set(g, pick);
  }
  return out;
}

/** The retainer path of one object, structured and rendered. */
export interface ExamplePath {
  objectId: number;
  retainedSizeBytes: number;
  steps: RetainerStep[] | null;
  text: string;
}

/** describePath renders the shortest retainer path of `node`. */
export function describePath(a: AnalysedSnapshot, rt: RetainerTree, node: number, maxHolders: number): ExamplePath {
  const s = a.snap;
  const steps = retainerPath(s, rt, node);
  const label = nodeLabel(s.typeName(node), s.name(node));
  return {
    objectId: s.nodeId[node],
    retainedSizeBytes: retainedSizeOf(s, a.tree, node),
    steps,
    text: formatRetainerPath(label, s.name(node), steps, maxHolders),
  };
}

/** allocationSites counts, for the wanted groups, the allocation sites of the nodes `select` marks (top 3 each). */
export function allocationSites(a: AnalysedSnapshot, select: (node: number) => boolean, wanted: ReadonlyMap<number, unknown>): Map<number, AllocationSiteCount[]> {
  const out = new Map<number, AllocationSiteCount[]>();
  const s = a.snap;
  if (!s.hasAllocationSites) return out;
  const per = new Map<number, Map<string, AllocationSiteCount>>();
  const { groupOf } = a.groups;
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    if (g === NO_GROUP || !wanted.has(g) || !select(i)) continue;
    const site = s.allocationSite(i);
    if (!site) continue;
    const text = `${site.functionName} (${site.scriptName || '?'}:${site.line}:${site.column})`;
    let m = per.get(g);
    if (!m) per.set(g, (m = new Map()));
    let c = m.get(text);
    if (!c) m.set(text, (c = { site: text, count: 0, selfSizeBytes: 0 }));
    c.count++;
    c.selfSizeBytes += s.nodeSelfSize[i];
  }
  for (const [g, m] of per) out.set(g, [...m.values()].sort((x, y) => y.selfSizeBytes - x.selfSizeBytes || y.count - x.count).slice(0, 3));
  return out;
}

export { computeRetainerTree };
