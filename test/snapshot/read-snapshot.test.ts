import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { readHeapSnapshot, readSnapshotHeader, SnapshotError, estimateAnalysisBytes } from '../../src/snapshot/index.js';
import { parseHeapSnapshotChunks } from '../../src/snapshot/read-snapshot.js';
import { fakeSnapshot, splitEvery } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memstats-snap-test-'));
let real = '';
let realText = '';
let realJson: {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_types: [string[]] }; node_count: number; edge_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
};

before(() => {
  // A real snapshot of this test process (a few MB), and its JSON.parse as the reference.
  real = v8.writeHeapSnapshot(join(dir, 'self.heapsnapshot'));
  realText = readFileSync(real, 'utf8');
  realJson = JSON.parse(realText);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('readHeapSnapshot reads a real V8 snapshot exactly as JSON.parse does', async () => {
  const s = await readHeapSnapshot(real);
  const j = realJson;
  const NF = j.snapshot.meta.node_fields.length;
  assert.equal(s.nodeCount, j.snapshot.node_count);
  assert.equal(s.edgeCount, j.snapshot.edge_count);
  let e = 0;
  for (let i = 0; i < s.nodeCount; i++) {
    const base = i * NF;
    assert.equal(s.nodeType[i], j.nodes[base]);
    assert.equal(s.name(i), j.strings[j.nodes[base + 1]]);
    assert.equal(s.nodeId[i], j.nodes[base + 2]);
    assert.equal(s.nodeSelfSize[i], j.nodes[base + 3]);
    assert.equal(s.firstEdge[i + 1] - s.firstEdge[i], j.nodes[base + 4]);
    for (let k = 0; k < j.nodes[base + 4]; k++, e++) {
      assert.equal(s.edgeType[e], j.edges[e * 3]);
      assert.equal(s.edgeName[e], j.edges[e * 3 + 1]);
      assert.equal(s.edgeTo[e], j.edges[e * 3 + 2] / NF);
    }
  }
  // Every string decodes as JSON.parse decodes it (escapes and non-ASCII included).
  for (let i = 0; i < j.strings.length; i++) assert.equal(s.strings.get(i), j.strings[i]);
  // The typed arrays cost well under the JSON text.
  assert.ok(s.byteSize() < Buffer.byteLength(realText), `${s.byteSize()} bytes held for a ${Buffer.byteLength(realText)}-byte file`);
});

test('chunk boundaries anywhere (1, 2, 3, 7, 64 bytes) give the same result, escapes and UTF-8 included', () => {
  const strings = ['plain', 'quote " inside', 'back\\slash', 'tab\tnew\nline', 'unicode é ü 漢字 🙂', '\\"', 'end\\'];
  const text = fakeSnapshot(
    [
      { type: 'synthetic', name: '' },
      { name: 'quote " inside', self: 10 },
      { name: 'unicode é ü 漢字 🙂', self: 20 },
      { type: 'string', name: 'end\\', self: 30 },
    ],
    [
      { from: 0, to: 1, type: 'element', name: 1 },
      { from: 1, to: 2, name: 'back\\slash' },
      { from: 2, to: 3, name: 'tab\tnew\nline' },
    ],
    { strings },
  );
  const buf = Buffer.from(text, 'utf8');
  const whole = parseHeapSnapshotChunks([buf], 'fake');
  for (const size of [1, 2, 3, 7, 64]) {
    const s = parseHeapSnapshotChunks(splitEvery(buf, size), 'fake');
    assert.equal(s.nodeCount, 4);
    for (let i = 0; i < s.strings.length; i++) assert.equal(s.strings.get(i), whole.strings.get(i), `chunk ${size}, string ${i}`);
    assert.equal(s.name(1), 'quote " inside');
    assert.equal(s.name(2), 'unicode é ü 漢字 🙂');
    assert.equal(s.name(3), 'end\\');
    assert.equal(s.edgeNameText(1), 'back\\slash');
    assert.equal(s.edgeNameText(2), 'tab\tnew\nline');
    assert.deepEqual([...s.edgeTo], [1, 2, 3]);
  }
});

function expectInvalid(err: unknown, file: string, offset?: number): true {
  assert.ok(err instanceof SnapshotError, String(err));
  assert.equal(err.code, 'ERR_MEMSTATS_SNAPSHOT_INVALID');
  assert.equal(err.file, file);
  assert.ok(err.message.startsWith(`${file}: `), err.message);
  if (offset !== undefined) {
    assert.equal(err.offset, offset);
    assert.match(err.message, new RegExp(`at byte ${offset}$`));
  }
  return true;
}

test('a truncated snapshot fails with the file and the byte where it ends, wherever it is cut', async () => {
  const buf = Buffer.from(realText, 'utf8');
  const cuts = [
    ['in the header', 100],
    ['in "nodes"', realText.indexOf('"nodes"') + 5000],
    ['in "edges"', realText.indexOf('"edges"') + 5000],
    ['in "strings"', realText.indexOf('"strings"') + 5000],
    ['one byte short', buf.length - 1],
  ] as const;
  for (const [where, at] of cuts) {
    const file = join(dir, `cut-${at}.heapsnapshot`);
    writeFileSync(file, buf.subarray(0, at));
    await assert.rejects(readHeapSnapshot(file), (err) => {
      expectInvalid(err, file, at);
      assert.match((err as Error).message, where === 'in the header' ? /no complete "snapshot" header/ : /truncated heap snapshot: unexpected end of file/);
      return true;
    }, where);
  }
});

test('files that are not snapshots fail fast with a clear message', async () => {
  const cases: [string, string | Buffer, RegExp, number | undefined][] = [
    ['empty', '', /empty file/, 0],
    ['text', 'hello world\n', /not a V8 heap snapshot \(expected a JSON object/, 0],
    ['json', '{"a":[1,2,3],"b":{"c":"d"}}', /no "snapshot" header/, undefined],
    ['array', '[1,2,3]', /not a V8 heap snapshot/, 0],
    ['binary', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00]), /not a V8 heap snapshot/, 0],
    ['meta-less', '{"snapshot":{"node_count":1},"nodes":[]}', /no meta/, undefined],
    ['nodes-first', '{"nodes":[1,2]}', /comes before the "snapshot" header/, 9],
  ];
  for (const [name, content, re, offset] of cases) {
    const file = join(dir, `${name}.txt`);
    writeFileSync(file, content);
    await assert.rejects(readHeapSnapshot(file), (err) => {
      expectInvalid(err, file, offset);
      assert.match((err as Error).message, re);
      return true;
    }, name);
  }
  await assert.rejects(readHeapSnapshot(dir), (err) => expectInvalid(err, dir));
  await assert.rejects(readHeapSnapshot(join(dir, 'missing.heapsnapshot')), { code: 'ENOENT' });
});

test('corrupt numbers are caught where they are', () => {
  const good = fakeSnapshot([{ type: 'synthetic', name: '' }, { name: 'A' }], [{ from: 0, to: 1, type: 'element', name: 1 }]);
  // An edge pointing between nodes (to_node not a multiple of the node field count).
  const bad = good.replace('"edges":[1,1,7]', '"edges":[1,1,8]');
  assert.notEqual(bad, good);
  assert.throws(() => parseHeapSnapshotChunks([Buffer.from(bad)], 'bad'), (err) => {
    expectInvalid(err, 'bad', bad.indexOf('"edges":[1,1,8]') + 14);
    assert.match((err as Error).message, /edge 0 points to 8, not a node/);
    return true;
  });
  const letters = good.replace('"nodes":[9,', '"nodes":[9x,');
  assert.throws(() => parseHeapSnapshotChunks([Buffer.from(letters)], 'letters'), /unexpected "x" in "nodes"\) at byte \d+$/);
  const short = good.replace('"node_count":2', '"node_count":3');
  assert.throws(() => parseHeapSnapshotChunks([Buffer.from(short)], 'short'), /"nodes" holds 2 nodes, the header says 3/);
});

test('a snapshot too large for the memory available is refused with the figure needed', async () => {
  const h = await readSnapshotHeader(real);
  assert.equal(h.nodeCount, realJson.snapshot.node_count);
  const needed = estimateAnalysisBytes(h.nodeCount, h.edgeCount, Buffer.byteLength(realText));
  await assert.rejects(readHeapSnapshot(real, { maxMemoryBytes: 1024 * 1024 }), (err) => {
    assert.ok(err instanceof SnapshotError);
    assert.equal(err.code, 'ERR_MEMSTATS_SNAPSHOT_TOO_LARGE');
    assert.equal(err.neededBytes, needed);
    assert.equal(err.availableBytes, 1024 * 1024);
    assert.match(err.message, /too large to analyse here: .* need about [\d,]+ MiB; 1 MiB available/);
    return true;
  });
  // 0 turns the check off.
  assert.equal((await readHeapSnapshot(real, { maxMemoryBytes: 0 })).nodeCount, h.nodeCount);
  await assert.rejects(readHeapSnapshot(real, { maxMemoryBytes: -1 }), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
});
