import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMemoryHeadroom, writeHeapSnapshot } from '../../src/profile/index.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memstats-snap-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('the snapshot parses as JSON with the snapshot.meta DevTools reads', async () => {
  const path = join(dir, 'a.heapsnapshot');
  const r = await writeHeapSnapshot(path);
  assert.equal(r.path, path);
  assert.ok(r.bytes > 100_000 && r.durationMs > 0);
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const meta = snap.snapshot.meta;
  for (const key of ['node_fields', 'node_types', 'edge_fields', 'edge_types']) assert.ok(Array.isArray(meta[key]), key);
  assert.deepEqual(meta.node_fields.slice(0, 3), ['type', 'name', 'id']);
  assert.equal(snap.nodes.length, snap.snapshot.node_count * meta.node_fields.length);
  assert.equal(snap.edges.length, snap.snapshot.edge_count * meta.edge_fields.length);
  assert.ok(Array.isArray(snap.strings));
  assert.deepEqual(readdirSync(dir), ['a.heapsnapshot'], 'no temporary file left');
  assert.equal(statSync(path).mode & 0o077, 0, 'owner-only: a snapshot holds the program\'s data');
});

test('default name heap-<pid>-<n>.heapsnapshot in the current directory, numbered', async () => {
  const cwd = process.cwd();
  const sub = join(dir, 'cwd');
  mkdirSync(sub);
  process.chdir(sub);
  try {
    const a = await writeHeapSnapshot();
    const b = await writeHeapSnapshot({ headroomFactor: 0 });
    assert.match(a.path, new RegExp(`heap-${process.pid}-(\\d+)\\.heapsnapshot$`));
    const na = Number(/-(\d+)\.heapsnapshot$/.exec(a.path)![1]);
    const nb = Number(/-(\d+)\.heapsnapshot$/.exec(b.path)![1]);
    assert.ok(nb > na);
    assert.deepEqual(readdirSync(sub).sort(), [a.path, b.path].map((p) => p.slice(sub.length + 1)).sort());
  } finally {
    process.chdir(cwd);
  }
});

test('refused with figures when headroom is too small; no file', async () => {
  const path = join(dir, 'refused.heapsnapshot');
  // A million times the heap in use is more memory than any machine running this has.
  await assert.rejects(writeHeapSnapshot(path, { headroomFactor: 1_000_000 }), (e: Error & { code?: string; requiredBytes?: number; availableBytes?: number }) => {
    assert.equal(e.code, 'ERR_MEMSTATS_INSUFFICIENT_MEMORY');
    assert.match(e.message, /may need about [\d.]+ MiB \(1000000 × [\d.]+ MiB of heap in use\) but only [\d.]+ MiB is available \(.+\)/);
    assert.ok(e.requiredBytes! > e.availableBytes!);
    return true;
  });
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('refused')), []);
  const h = readMemoryHeadroom();
  assert.ok(h.availableBytes > 0 && h.source.length > 0);
});

test('one at a time: a concurrent snapshot is refused with ERR_MEMSTATS_PROFILE_IN_USE', async () => {
  const first = writeHeapSnapshot(join(dir, 'one.heapsnapshot'));
  await assert.rejects(writeHeapSnapshot(join(dir, 'two.heapsnapshot')), { code: 'ERR_MEMSTATS_PROFILE_IN_USE' });
  await first;
  assert.equal(existsSync(join(dir, 'two.heapsnapshot')), false);
});

test('aborted: AbortError and no file', async () => {
  const ac = new AbortController();
  ac.abort();
  const path = join(dir, 'aborted.heapsnapshot');
  await assert.rejects(writeHeapSnapshot(path, { signal: ac.signal }), { name: 'AbortError' });
  // Aborted while the (synchronous) snapshot runs: honoured when it ends.
  const ac2 = new AbortController();
  const pending = writeHeapSnapshot(path, { signal: ac2.signal });
  ac2.abort();
  await assert.rejects(pending, { name: 'AbortError' });
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('aborted')), []);
});

test('unwritable path: a coded error naming the option, no file', async () => {
  await assert.rejects(writeHeapSnapshot(join(dir, 'missing', 'x.heapsnapshot')), {
    code: 'ERR_MEMSTATS_INVALID_OPTION',
    message: /option "path" must be a writable file path.*ENOENT/,
  });
  if (process.getuid?.() !== 0) {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    await assert.rejects(writeHeapSnapshot(join(ro, 'x.heapsnapshot')), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  }
  await assert.rejects(writeHeapSnapshot(''), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  await assert.rejects(writeHeapSnapshot(join(dir, 'x'), { headroomFactor: -1 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"headroomFactor"/ });
});
