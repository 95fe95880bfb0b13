/**
 * @module snapshot/diff
 * `diffSnapshots(before, after)`: what grew between two heap snapshots of one
 * process, grouped by constructor (closures by function name), sorted by growth
 * in retained size and then in count, each group with the shortest retainer
 * path of an example object from the GC roots — the answer to "what is holding
 * the memory?".
 *
 * The snapshots are read one after the other: of `before`, only its per-group
 * totals and its object ids (8 bytes per object) outlive the reading, so the
 * peak is one snapshot's analysis, not two.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { booleanOption, numberOption, optionsObject, invalidOption, optionNames } from '../internal/validate.js';
import { analyse, totalsByKey, pickExamples, describePath, allocationSites, computeRetainerTree, type SnapshotSummary, type AllocationSiteCount, type AnalysedSnapshot } from './analysis.js';
import { IdSet, signature } from './id-set.js';
import { NO_GROUP } from './groups.js';
import { groupRetainedSizes } from './dominators.js';
import type { RetainerStep } from './paths.js';
import type { HeapSnapshot } from './heap-snapshot.js';
const DIFF_SNAPSHOTS_OPTIONS_NAMES = optionNames<DiffSnapshotsOptions>({ top: true, pathMaxHolders: true, internals: true, maxMemoryBytes: true });

/** Options of diffSnapshots. */
export interface DiffSnapshotsOptions {
  /** Groups returned, largest growth first (integer ≥ 0; 0 = every group that grew). Default 20. */
  top?: number;
  /** Holders shown in each rendered retainer path before "…" (integer 1…64). Default 8. */
  pathMaxHolders?: number;
  /**
   * List V8's internal groups too (contexts, backing arrays, hidden objects,
   * code). Default false: their growth shows in the retained size of the
   * objects that own them, and they would crowd the top of the list.
   */
  internals?: boolean;
  /** Refuse a snapshot whose analysis needs more than this, bytes (0: no check). Default: memory available. */
  maxMemoryBytes?: number;
}

/** One group of objects in the diff. */
export interface DiffGroup {
  /** Display name: constructor (`Map`, `Session`), `closure onTick`, `(string)`, `system / Context`… */
  name: string;
  /** Node type of the group (`object`, `closure`, `string`, `native`, …). */
  type: string;
  countBefore: number;
  countAfter: number;
  countDelta: number;
  /** Objects of the group in `after` whose id was not in `before` (allocated in between and still alive). */
  newCount: number;
  selfSizeBefore: number;
  selfSizeAfter: number;
  selfSizeDelta: number;
  /** Retained size of the group (objects not dominated by another of the group), bytes. */
  retainedSizeBefore: number;
  retainedSizeAfter: number;
  retainedSizeDelta: number;
  /** Retained size (in `after`) of the group's new objects not dominated by another new one of the group: the growth they bring, bytes. */
  newRetainedSize: number;
  /** Shortest path from the GC roots to an example object of the group in `after`, rendered on one line. */
  retainerPath: string;
  /** The same path, step by step from the object to the roots (null: only weakly held). */
  retainerSteps: RetainerStep[] | null;
  /** Id (V8's `@id`) of the example object, as DevTools shows it. */
  exampleObjectId: number;
  /** Top allocation sites of the new objects, when `after` was taken with allocation tracking. */
  allocationSites?: AllocationSiteCount[];
}

/** The result of diffSnapshots. */
export interface SnapshotDiff {
  before: SnapshotSummary;
  after: SnapshotSummary;
  /** after − before: reachable self size, bytes; and object count. */
  sizeDeltaBytes: number;
  countDelta: number;
  /**
   * true when the ids say both snapshots come from one process (objects keep
   * their ids); false when they do not (growth is then compared by totals only,
   * and "new" counts mean nothing); null when too few objects to tell.
   */
  sameProcess: boolean | null;
  /** Things the reader should know (different processes, swapped order, …). */
  warnings: string[];
  /**
   * Groups that grew (in retained size or in count), largest growth first: by
   * the retained size of their new objects (what was allocated between the
   * snapshots and kept), then by retained-size growth, then by count growth.
   * Snapshots of different processes: by retained-size growth.
   */
  groups: DiffGroup[];
  /** Groups that grew, before the `top` cut (internal groups left out unless `internals`). */
  grownGroupCount: number;
  /** V8-internal groups that grew but are not listed (`internals: false`). */
  internalGroupsHidden: number;
}

/** sameProcessCheck compares ids: in one process the same id names the same kind of object. */
export function sameProcessCheck(ids: IdSet, s: HeapSnapshot, beforeName: string, afterName: string, warnings: string[]): { same: boolean | null; isNew: Uint8Array } {
  let afterMaxId = 0;
  const isNew = new Uint8Array(s.nodeCount);
  let candidates = 0;
  let matches = 0;
  const SYN = s.types.synthetic;
  for (let i = 0; i < s.nodeCount; i++) {
    if (s.nodeType[i] === SYN) continue;
    const id = s.nodeId[i];
    if (id & 1 && id > afterMaxId) afterMaxId = id;
    const r = ids.find(id, signature(s, i));
    if (r === -1) isNew[i] = 1;
    if (id & 1 && id <= ids.maxId) {
      candidates++;
      if (r === 1) matches++;
    }
  }
  let same: boolean | null = null;
  if (candidates >= 200) {
    const frac = matches / candidates;
    same = frac >= 0.8;
    if (!same) {
      warnings.push(
        `${beforeName} and ${afterName} look like snapshots of different processes: only ${(frac * 100).toFixed(1)}% of the objects of ${afterName} with old ids match an object of ${beforeName}; groups are compared by totals, and "new" counts are meaningless. (Two \`memstats snapshot <pid>\` runs are two inspector sessions, and V8 numbers objects afresh in each: take both through one session — the agent's URL, one \`memstats attach\` — or use \`memstats leak\`.)`,
      );
    }
  }
  if (same !== false && afterMaxId < ids.maxId) {
    warnings.push(`${afterName} has lower object ids than ${beforeName}: it was probably taken first (swap the arguments?).`);
  }
  return { same, isNew };
}

/** validateDiffOptions checks the options shared by diffSnapshots and leakDiff. */
export function validateDiffOptions(options: DiffSnapshotsOptions | undefined): { top: number; maxHolders: number; internals: boolean; read: { maxMemoryBytes?: number } } {
  const o = optionsObject<DiffSnapshotsOptions>('options', options, DIFF_SNAPSHOTS_OPTIONS_NAMES);
  const internals = booleanOption('internals', o.internals, false);
  const top = numberOption('top', o.top, 20, { integer: true, min: 0 });
  const maxHolders = numberOption('pathMaxHolders', o.pathMaxHolders, 8, { integer: true, min: 1, max: 64 });
  const read = o.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: numberOption('maxMemoryBytes', o.maxMemoryBytes, 0, { min: 0 }) };
  return { top, maxHolders, internals, read };
}

/** isInternalGroup: V8 plumbing — hidden objects, internal arrays, code, shapes, `system / …` objects. */
export function isInternalGroup(type: string, name: string): boolean {
  return type === 'hidden' || type === 'array' || type === 'code' || type === 'object shape' || type === 'synthetic' || name.startsWith('system / ');
}

/**
 * diffSnapshots compares two `.heapsnapshot` files of one process, `before`
 * then `after`, and lists the groups of objects that grew. Rejects with a
 * SnapshotError for a file that is not a heap snapshot, truncated or too large
 * for the memory available; warns (in `warnings`) when the files look like
 * snapshots of different processes. CPU-bound for seconds on large snapshots
 * (reads yield to the event loop; the graph analysis does not): run it away
 * from a latency-sensitive process, e.g. with `memstats diff`.
 */
export async function diffSnapshots(before: string, after: string, options?: DiffSnapshotsOptions): Promise<SnapshotDiff> {
  if (typeof before !== 'string' || before === '') throw invalidOption('type', 'before', before, 'a file path');
  if (typeof after !== 'string' || after === '') throw invalidOption('type', 'after', after, 'a file path');
  const { top, maxHolders, internals, read } = validateDiffOptions(options);
  const warnings: string[] = [];

  let a: AnalysedSnapshot | null = await analyse(before, read);
  const totalsA = totalsByKey(a);
  const ids = IdSet.from(a.snap);
  const summaryA = a.summary;
  a = null; // only the totals and ids are kept: the peak is one snapshot
  await yieldLoop();

  const b = await analyse(after, read);
  const { same, isNew } = sameProcessCheck(ids, b.snap, before, after, warnings);
  const G = b.groups.keys.length;
  const newCount = new Float64Array(G);
  const { groupOf } = b.groups;
  const newGroupOf = new Uint32Array(groupOf.length).fill(NO_GROUP);
  for (let i = 0; i < groupOf.length; i++) {
    const g = groupOf[i];
    if (g !== NO_GROUP && isNew[i]) {
      newCount[g]++;
      newGroupOf[i] = g;
    }
  }
  const newRetained = same === false ? new Float64Array(G) : groupRetainedSizes(b.tree, newGroupOf, G);

  const rows: Omit<DiffGroup, 'retainerPath' | 'retainerSteps' | 'exampleObjectId'>[] = [];
  const gidOf: number[] = [];
  let internalHidden = 0;
  for (let g = 0; g < G; g++) {
    const key = b.groups.keys[g];
    const was = totalsA.get(key);
    const row = {
      name: b.groups.names[g],
      type: b.groups.types[g],
      countBefore: was?.count ?? 0,
      countAfter: b.count[g],
      countDelta: b.count[g] - (was?.count ?? 0),
      newCount: same === false ? 0 : newCount[g],
      selfSizeBefore: was?.selfSizeBytes ?? 0,
      selfSizeAfter: b.selfSize[g],
      selfSizeDelta: b.selfSize[g] - (was?.selfSizeBytes ?? 0),
      retainedSizeBefore: was?.retainedSizeBytes ?? 0,
      retainedSizeAfter: b.retained[g],
      retainedSizeDelta: b.retained[g] - (was?.retainedSizeBytes ?? 0),
      newRetainedSize: newRetained[g],
    };
    if (row.retainedSizeDelta > 0 || row.countDelta > 0) {
      if (!internals && isInternalGroup(row.type, row.name)) {
        internalHidden++;
        continue;
      }
      rows.push(row);
      gidOf.push(g);
    }
  }
  // New objects first: a chain of containers (bus → _events → listeners array)
  // all grow by the same retained size; the objects being accumulated are the
  // answer, and their retainer path names the containers.
  const order = rows
    .map((_, k) => k)
    .sort(
      (x, y) =>
        rows[y].newRetainedSize - rows[x].newRetainedSize ||
        rows[y].retainedSizeDelta - rows[x].retainedSizeDelta ||
        rows[y].countDelta - rows[x].countDelta,
    );
  const kept = top === 0 ? order : order.slice(0, top);
  const wanted = new Map(kept.map((k) => [gidOf[k], Math.max(rows[k].retainedSizeDelta, 0)]));
  // The example object: a new one when the group grew by new objects, else the largest.
  const preferNew = (node: number): boolean => isNew[node] === 1;
  // Groups that grew by new objects — they retain half the growth, or make half the added count.
  const byNew = new Set(
    kept
      .filter((k) => rows[k].newRetainedSize >= 0.5 * rows[k].retainedSizeDelta || (rows[k].countDelta > 0 && rows[k].newCount >= 0.5 * rows[k].countDelta))
      .map((k) => gidOf[k]),
  );
  const examples = pickExamples(b, same === false ? null : preferNew, wanted, byNew);
  const sites = allocationSites(b, preferNew, wanted);
  await yieldLoop();
  const rt = computeRetainerTree(b.snap);
  const groups: DiffGroup[] = kept.map((k) => {
    const g = gidOf[k];
    const ex = examples.get(g);
    const path = ex !== undefined ? describePath(b, rt, ex, maxHolders) : null;
    const out: DiffGroup = {
      ...rows[k],
      retainerPath: path?.text ?? '',
      retainerSteps: path?.steps ?? null,
      exampleObjectId: path?.objectId ?? 0,
    };
    const s = sites.get(g);
    if (s && s.length > 0) out.allocationSites = s;
    return out;
  });
  return {
    before: summaryA,
    after: b.summary,
    sizeDeltaBytes: b.summary.reachableSizeBytes - summaryA.reachableSizeBytes,
    countDelta: b.summary.reachableCount - summaryA.reachableCount,
    sameProcess: same,
    warnings,
    groups,
    grownGroupCount: rows.length,
    internalGroupsHidden: internalHidden,
  };
}
