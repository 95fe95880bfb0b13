import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeDominators, computeRetainerTree, retainerPath, formatRetainerPath, retainedSizeOf } from '../../src/snapshot/index.js';
import { groupRetainedSizes } from '../../src/snapshot/dominators.js';
import { parseHeapSnapshotChunks } from '../../src/snapshot/read-snapshot.js';
import { fakeSnapshot, type FakeEdge, type FakeNode } from './helpers.js';
import { rng } from '../helpers/rng.js';

function build(nodes: FakeNode[], edges: FakeEdge[]) {
  return parseHeapSnapshotChunks([Buffer.from(fakeSnapshot(nodes, edges))], 'fake');
}

/** Dominators by the textbook fixpoint (dom(n) = {n} ∪ ⋂ dom(preds)), on strong edges. */
function naiveIdom(n: number, edges: FakeEdge[]): number[] {
  const strong = edges.filter((e) => e.type !== 'weak' && (e.type !== 'shortcut' || e.from === 0));
  const reach = new Set([0]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const e of strong) if (reach.has(e.from) && !reach.has(e.to)) (reach.add(e.to), (changed = true));
  }
  const all = [...reach];
  const dom = new Map<number, Set<number>>();
  for (const v of all) dom.set(v, v === 0 ? new Set([0]) : new Set(all));
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of all) {
      if (v === 0) continue;
      const preds = strong.filter((e) => e.to === v && reach.has(e.from)).map((e) => e.from);
      const inter = new Set<number>(all);
      for (const p of preds) for (const x of [...inter]) if (!dom.get(p)!.has(x)) inter.delete(x);
      inter.add(v);
      if (inter.size !== dom.get(v)!.size) (dom.set(v, inter), (changed = true));
    }
  }
  const idom = new Array(n).fill(-1);
  for (const v of all) {
    if (v === 0) continue;
    // The strict dominator with the largest dominator set is the immediate one.
    let best = -1;
    for (const d of dom.get(v)!) if (d !== v && (best === -1 || dom.get(d)!.size > dom.get(best)!.size)) best = d;
    idom[v] = best;
  }
  return idom;
}


test('Lengauer–Tarjan matches the textbook dominators on 200 random graphs (weak and shortcut edges included)', () => {
  const r = rng(42);
  for (let round = 0; round < 200; round++) {
    const n = 2 + Math.floor(r() * 30);
    const nodes: FakeNode[] = Array.from({ length: n }, (_, i) => ({ type: i === 0 ? 'synthetic' : 'object', name: `N${i}`, self: 1 + Math.floor(r() * 100) }));
    const edges: FakeEdge[] = [];
    const m = Math.floor(r() * n * 3);
    for (let k = 0; k < m; k++) {
      const from = Math.floor(r() * n);
      const to = 1 + Math.floor(r() * (n - 1));
      const p = r();
      edges.push({ from, to, type: p < 0.1 ? 'weak' : p < 0.15 ? 'shortcut' : p < 0.5 ? 'element' : 'property', name: p < 0.5 && p >= 0.15 ? k : `e${k}` });
    }
    const s = build(nodes, edges);
    const t = computeDominators(s);
    const want = naiveIdom(n, edges);
    for (let v = 1; v < n; v++) {
      const d = t.dfn[v];
      const got = d === 0 ? -1 : t.vertex[t.idom[d]];
      assert.equal(got, want[v], `round ${round}, node ${v}`);
    }
    // Retained size of the root = every reachable object's self size.
    let reachable = 0;
    for (let v = 0; v < n; v++) if (t.dfn[v] !== 0) reachable += nodes[v].self ?? 0;
    assert.equal(t.retained[1], reachable);
  }
});

test('retained sizes, group sums that count nested objects once, and unreachable objects', () => {
  // root → A(Map) → B(Map) → C ; root → D ; D -weak→ E (E unreachable)
  const s = build(
    [
      { type: 'synthetic', name: '', self: 0 },
      { name: 'Map', self: 10 },
      { name: 'Map', self: 20 },
      { name: 'Leaf', self: 30 },
      { name: 'Other', self: 5 },
      { name: 'Lost', self: 7 },
    ],
    [
      { from: 0, to: 1, type: 'element', name: 1 },
      { from: 1, to: 2, name: 'inner' },
      { from: 2, to: 3, name: 'leaf' },
      { from: 0, to: 4, type: 'element', name: 2 },
      { from: 4, to: 5, type: 'weak', name: 'w' },
    ],
  );
  const t = computeDominators(s);
  assert.equal(retainedSizeOf(s, t, 1), 60);
  assert.equal(retainedSizeOf(s, t, 2), 50);
  assert.equal(retainedSizeOf(s, t, 4), 5);
  assert.equal(t.dfn[5], 0, 'only weakly held: unreachable');
  assert.equal(retainedSizeOf(s, t, 5), 7);
  const groupOf = new Uint32Array([0xffffffff, 0, 0, 1, 2, 0xffffffff]);
  const g = groupRetainedSizes(t, groupOf, 3);
  // The inner Map is inside the outer one: the group counts 60, not 110.
  assert.deepEqual([...g], [60, 30, 5]);
});

test('shortest retainer paths prefer named references and render without V8 plumbing', () => {
  // root -shortcut→ global -property "app"→ App -property "cache"→ Map -internal "table"→ (hidden) -element 3→ Item
  // and a same-length alternative through an element edge: global -element 0→ Arr -element 5→ Map
  const s = build(
    [
      { type: 'synthetic', name: '' },
      { name: 'global' },
      { name: 'App' },
      { name: 'Map' },
      { type: 'array', name: '' },
      { name: 'Item', self: 64 },
      { name: 'Array' },
      { type: 'synthetic', name: '(GC roots)' },
    ],
    [
      { from: 0, to: 1, type: 'shortcut', name: 'global' },
      { from: 0, to: 7, type: 'element', name: 1 },
      { from: 1, to: 6, type: 'element', name: 0 },
      { from: 1, to: 2, name: 'app' },
      { from: 6, to: 3, type: 'element', name: 5 },
      { from: 2, to: 3, name: 'cache' },
      { from: 3, to: 4, type: 'internal', name: 'table' },
      { from: 4, to: 5, type: 'element', name: 3 },
      { from: 7, to: 5, type: 'weak', name: 'w' },
    ],
  );
  const rt = computeRetainerTree(s);
  const steps = retainerPath(s, rt, 5)!;
  assert.deepEqual(
    steps.map((st) => `${st.nodeName || st.nodeType}/${st.edgeType}:${st.edgeName}`),
    ['array/element:3', 'Map/internal:table', 'App/property:cache', 'global/property:app', 'synthetic/shortcut:global'],
  );
  assert.equal(formatRetainerPath('Item', 'Item', steps), 'Item[3] ← Map in `cache` ← App in `app` ← global');
  assert.equal(formatRetainerPath('Lost', 'Lost', null), 'Lost (no strong path from the GC roots: weakly held)');
});

test('a long linked list reads as one collapsed step', () => {
  const n = 500;
  const nodes: FakeNode[] = [{ type: 'synthetic', name: '' }, { name: 'List' }];
  const edges: FakeEdge[] = [{ from: 0, to: 1, type: 'element', name: 1 }];
  for (let i = 0; i < n; i++) {
    nodes.push({ name: 'Link' });
    edges.push({ from: i === 0 ? 1 : i + 1, to: i + 2, name: 'next' });
  }
  const s = build(nodes, edges);
  const steps = retainerPath(s, computeRetainerTree(s), n + 1)!;
  // The n−1 links before it collapse into one step; then the list, then the snapshot's root.
  assert.deepEqual(steps.map((st) => [st.nodeName, st.repeat ?? 1]), [['Link', n - 1], ['List', 1], ['', 1]]);
  assert.equal(formatRetainerPath('Link', 'Link', steps), `Link in \`next\` ← Link in \`next\` ×${(n - 1).toLocaleString('en-US')} ← List`);
});
