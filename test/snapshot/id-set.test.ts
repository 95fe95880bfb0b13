import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdSet, signature } from '../../src/snapshot/id-set.js';
import { parseHeapSnapshotChunks } from '../../src/snapshot/read-snapshot.js';
import { fakeSnapshot, type FakeNode } from './helpers.js';

test('ids up to 2^32 keep their signatures exact (a long-lived process has ids in the billions)', () => {
  const names = ['Session', 'User', 'Map', 'Object', 'Widget', 'CartItem', 'Timeout', 'Buffer'];
  const nodes: FakeNode[] = [{ type: 'synthetic', name: '', id: 1 }];
  const ids = [3, 2_097_153, 3_349_599, 16_777_217, 1_000_000_001, 4_294_967_281];
  for (const id of ids) for (const [k, name] of names.entries()) nodes.push({ name, id: id + 2 * k });
  const s = parseHeapSnapshotChunks([Buffer.from(fakeSnapshot(nodes, []))], 'fake');
  const set = IdSet.from(s);
  assert.equal(set.size, nodes.length - 1);
  assert.equal(set.maxId, 4_294_967_295);
  for (let i = 1; i < s.nodeCount; i++) {
    assert.equal(set.find(s.nodeId[i], signature(s, i)), 1, `id ${s.nodeId[i]} ${s.name(i)}`);
    // Another kind of object under the same id is told apart.
    const other = i + 1 < s.nodeCount && s.name(i + 1) !== s.name(i) ? i + 1 : i - 1;
    assert.equal(set.find(s.nodeId[i], signature(s, other)), 0, `id ${s.nodeId[i]}`);
    assert.ok(set.has(s.nodeId[i]));
  }
  assert.equal(set.find(19, 0), -1);
  assert.equal(set.has(4_294_967_279), false);
});
