/**
 * @module snapshot/leak-diff
 * `leakDiff(baseline, target, final)`: memlab's three-snapshot idea without a
 * browser. Objects allocated between `baseline` and `target` that are still
 * alive in `final` are leak candidates; a group is reported when it holds such
 * survivors AND its count grew in both intervals (baseline → target → final):
 * a cache that warms up once and then stays flat does not grow twice, a leak
 * does. Take the snapshots at equal intervals of the same workload.
 *
 * Peak memory is one snapshot's analysis: of `baseline` only the ids and group
 * counts stay, of `target` the ids of its new objects and its group counts.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { invalidOption } from '../internal/validate.js';
import { readHeapSnapshot } from './read-snapshot.js';
import { groupNodes, groupTotals, NO_GROUP } from './groups.js';
import { IdSet, signature } from './id-set.js';
import { groupRetainedSizes, reachability } from './dominators.js';
import { analyse, summarise, pickExamples, describePath, allocationSites, computeRetainerTree, type SnapshotSummary, type AllocationSiteCount } from './analysis.js';
import { sameProcessCheck, validateDiffOptions, isInternalGroup, type DiffSnapshotsOptions } from './diff.js';
import type { RetainerStep } from './paths.js';
import type { HeapSnapshot } from './heap-snapshot.js';

/** Options of leakDiff: those of diffSnapshots. */
export type LeakDiffOptions = DiffSnapshotsOptions;

/** A group of objects that leaked. */
export interface LeakGroup {
  name: string;
  type: string;
  /** Objects of the group in the baseline, target and final snapshots. */
  counts: [number, number, number];
  /** Objects allocated between baseline and target and still alive in final. */
  leakedCount: number;
  leakedSelfSizeBytes: number;
  /** Retained size (in final) of the leaked objects not dominated by another leaked object of the group. */
  leakedRetainedSizeBytes: number;
  /** Shortest path from the GC roots to the largest leaked object of the group, in final. */
  retainerPath: string;
  retainerSteps: RetainerStep[] | null;
  exampleObjectId: number;
  /** Top allocation sites of the leaked objects (final taken with allocation tracking). */
  allocationSites?: AllocationSiteCount[];
}

/** The result of leakDiff. */
export interface LeakDiffResult {
  baseline: SnapshotSummary;
  target: SnapshotSummary;
  final: SnapshotSummary;
  /** See SnapshotDiff.sameProcess (checked between each pair in turn; false if any pair differs). */
  sameProcess: boolean | null;
  warnings: string[];
  /** Groups that leaked and grew in both intervals, largest leaked retained size first. */
  groups: LeakGroup[];
  /** All leaked objects (every group) and their self size. */
  leakedCount: number;
  leakedSelfSizeBytes: number;
}

/** Counts per group of the objects alive (reachable: `alive`) in `s`: on the same basis as final's analysed groups. */
function countsByKey(s: HeapSnapshot, alive: Uint8Array): Map<string, number> {
  const gi = groupNodes(s, { dfn: alive });
  const { count } = groupTotals(s, gi);
  const m = new Map<string, number>();
  for (let g = 0; g < gi.keys.length; g++) m.set(gi.keys[g], count[g]);
  return m;
}

function mergeSame(a: boolean | null, b: boolean | null): boolean | null {
  if (a === false || b === false) return false;
  if (a === null || b === null) return a ?? b;
  return true;
}

/**
 * leakDiff finds what leaked across three snapshots of one process taken at
 * equal intervals: objects new in `target` (absent from `baseline`) still alive
 * in `final`, in groups whose count grew in both intervals. Rejects like
 * diffSnapshots for files that cannot be analysed; warns when the snapshots
 * look like different processes.
 */
export async function leakDiff(baseline: string, target: string, final: string, options?: LeakDiffOptions): Promise<LeakDiffResult> {
  for (const [name, v] of [['baseline', baseline], ['target', target], ['final', final]] as const) {
    if (typeof v !== 'string' || v === '') throw invalidOption('type', name, v, 'a file path');
  }
  const { top, maxHolders, internals, read } = validateDiffOptions(options);
  const warnings: string[] = [];

  // Baseline: ids and counts only.
  let s1: HeapSnapshot | null = await readHeapSnapshot(baseline, read);
  const alive1 = reachability(s1);
  const counts1 = countsByKey(s1, alive1);
  const ids1 = IdSet.from(s1);
  const sum1 = summarise(s1, { dfn: alive1 });
  s1 = null;
  await yieldLoop();

  // Target: the ids of its new objects, and counts.
  let s2: HeapSnapshot | null = await readHeapSnapshot(target, read);
  const alive2 = reachability(s2);
  const counts2 = countsByKey(s2, alive2);
  const check12 = sameProcessCheck(ids1, s2, baseline, target, warnings);
  const isNew2 = check12.isNew;
  const new2 = IdSet.from(s2, (i) => isNew2[i] === 1);
  const ids2 = IdSet.from(s2);
  const sum2 = summarise(s2, { dfn: alive2 });
  s2 = null;
  await yieldLoop();

  // Final: full analysis; leaked = new in target and still here (same id, same kind).
  const c = await analyse(final, read);
  const check23 = sameProcessCheck(ids2, c.snap, target, final, warnings);
  const same = mergeSame(check12.same, check23.same);
  const s = c.snap;
  const leaked = new Uint8Array(s.nodeCount);
  const G = c.groups.keys.length;
  const leakedGroupOf = new Uint32Array(s.nodeCount).fill(NO_GROUP);
  const leakedCount = new Float64Array(G);
  const leakedSelf = new Float64Array(G);
  let totalLeaked = 0;
  let totalLeakedSelf = 0;
  // Snapshots of different processes (or sessions: V8 numbers objects afresh) share ids by chance only:
  // nothing is "new in target and still in final" then, as diffSnapshots reports no new objects.
  for (let i = 0; same !== false && i < s.nodeCount; i++) {
    const g = c.groups.groupOf[i];
    if (g === NO_GROUP) continue;
    if (new2.find(s.nodeId[i], signature(s, i)) !== 1) continue;
    leaked[i] = 1;
    leakedGroupOf[i] = g;
    leakedCount[g]++;
    leakedSelf[g] += s.nodeSelfSize[i];
    totalLeaked++;
    totalLeakedSelf += s.nodeSelfSize[i];
  }
  const leakedRetained = groupRetainedSizes(c.tree, leakedGroupOf, G);

  const rows: { g: number; row: Omit<LeakGroup, 'retainerPath' | 'retainerSteps' | 'exampleObjectId'> }[] = [];
  for (let g = 0; g < G; g++) {
    if (leakedCount[g] === 0) continue;
    const key = c.groups.keys[g];
    const n1 = counts1.get(key) ?? 0;
    const n2 = counts2.get(key) ?? 0;
    const n3 = c.count[g];
    if (!(n2 > n1 && n3 > n2)) continue;
    if (!internals && isInternalGroup(c.groups.types[g], c.groups.names[g])) continue;
    rows.push({
      g,
      row: {
        name: c.groups.names[g],
        type: c.groups.types[g],
        counts: [n1, n2, n3],
        leakedCount: leakedCount[g],
        leakedSelfSizeBytes: leakedSelf[g],
        leakedRetainedSizeBytes: leakedRetained[g],
      },
    });
  }
  rows.sort((x, y) => y.row.leakedRetainedSizeBytes - x.row.leakedRetainedSizeBytes || y.row.leakedCount - x.row.leakedCount);
  const kept = top === 0 ? rows : rows.slice(0, top);
  // Always show a leaked object's path (growth = ∞ makes pickExamples prefer the marked ones).
  const wanted = new Map(kept.map((r) => [r.g, Infinity]));
  const isLeaked = (i: number): boolean => leaked[i] === 1;
  const examples = pickExamples(c, isLeaked, wanted);
  const sites = allocationSites(c, isLeaked, wanted);
  await yieldLoop();
  const rt = computeRetainerTree(s);
  const groups = kept.map(({ g, row }) => {
    const ex = examples.get(g);
    const path = ex !== undefined ? describePath(c, rt, ex, maxHolders) : null;
    const out: LeakGroup = { ...row, retainerPath: path?.text ?? '', retainerSteps: path?.steps ?? null, exampleObjectId: path?.objectId ?? 0 };
    const st = sites.get(g);
    if (st && st.length > 0) out.allocationSites = st;
    return out;
  });
  return {
    baseline: sum1,
    target: sum2,
    final: c.summary,
    sameProcess: same,
    warnings,
    groups,
    leakedCount: totalLeaked,
    leakedSelfSizeBytes: totalLeakedSelf,
  };
}
