import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { explainMemory, formatExplanation, parseSmaps, splitSmaps, type MemoryExplanation, type ExplainMemStats } from '../../src/report/explain.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('../fixtures/leak/buffer-experiment.js', import.meta.url));
const MiB = 1024 * 1024;
const linux = process.platform === 'linux' ? {} : { skip: 'needs /proc' };

function mapping(start: number, size: number, perms: string, path: string, rssKb: number): string {
  const hex = (n: number) => n.toString(16).padStart(12, '0');
  return `${hex(start)}-${hex(start + size)} ${perms} 00000000 00:00 0 ${path}\nSize: ${size / 1024} kB\nRss: ${rssKb} kB\nPss: ${rssKb} kB\nAnonymous: ${path ? 0 : rssKb} kB\n`;
}

const A64 = 64 * MiB;
// A node-like map: the binary, [heap], a thread arena, a thread stack, V8 heap pages, one big mmap'd block.
const SMAPS = [
  mapping(0x400000, 8 * MiB, 'r-xp', '/usr/bin/node', 30 * 1024),
  mapping(0x10000000, 300 * MiB, 'rw-p', '[heap]', 250 * 1024),
  mapping(0x7f0000000000, 132 * 1024, 'rw-p', '', 100),
  mapping(0x7f0000000000 + 132 * 1024, A64 - 132 * 1024, '---p', '', 0),
  mapping(0x7f0010000000, 4096, '---p', '', 0),
  mapping(0x7f0010001000, 8 * MiB, 'rw-p', '', 64),
  mapping(0x7f0020000000, 20 * MiB, 'rw-p', '', 20 * 1024),
  mapping(0x7f0030000000, 12 * MiB, 'rw-p', '', 12 * 1024),
  mapping(0x7ffd00000000, 132 * 1024, 'rw-p', '[stack]', 100),
].join('');

const STATS: ExplainMemStats = {
  rss: 312 * MiB,
  heapAlloc: 15 * MiB,
  heapSys: 24 * MiB,
  heapPhysical: 20 * MiB,
  external: 150 * MiB + 2 * MiB,
  arrayBuffers: 150 * MiB,
  mallocedMemory: 1 * MiB,
  heapSpaces: [
    { name: 'old_space', sizeBytes: 16 * MiB, usedBytes: 12 * MiB, physicalBytes: 15 * MiB },
    { name: 'code_space', sizeBytes: 2 * MiB, usedBytes: 1 * MiB, physicalBytes: 1 * MiB },
    { name: 'new_space', sizeBytes: 6 * MiB, usedBytes: 2 * MiB, physicalBytes: 4 * MiB },
  ],
};

test('the memory map is split into libraries, stacks, malloc heaps and other anonymous memory', () => {
  const maps = parseSmaps(SMAPS);
  assert.equal(maps.length, 9);
  assert.equal(maps[1].path, '[heap]');
  assert.equal(maps[1].rssBytes, 250 * MiB);
  const s = splitSmaps(maps);
  assert.equal(s.fileBytes, 30 * MiB);
  assert.equal(s.mallocMainHeapBytes, 250 * MiB);
  assert.equal(s.arenas, 1);
  assert.equal(s.mallocArenaBytes, 100 * 1024);
  assert.equal(s.threadStacks, 1);
  assert.equal(s.stackBytes, 164 * 1024);
  assert.equal(s.otherAnonBytes, 32 * MiB);
  assert.equal(s.totalBytes, s.fileBytes + s.mallocMainHeapBytes + s.mallocArenaBytes + s.stackBytes + s.otherAnonBytes);
});

test('explainMemory from given figures: every byte placed, glibc retention found, a fix offered', () => {
  const e = explainMemory({ pid: 4242, memStats: STATS, smapsText: SMAPS });
  assert.equal(e.pid, 4242);
  assert.equal(e.source, 'smaps');
  const total = 30 * MiB + 250 * MiB + 100 * 1024 + 164 * 1024 + 32 * MiB;
  assert.equal(e.rssBytes, total);
  assert.equal(e.parts.reduce((a, p) => a + p.bytes, 0), total);
  const part = (n: string) => e.parts.find((p) => p.name === n)!;
  assert.equal(part('heap-used').bytes, 14 * MiB);
  assert.equal(part('heap-code').bytes, 1 * MiB);
  assert.equal(part('heap-free').bytes, 5 * MiB);
  // Known native (150 + 2 + 1 MiB): 12 MiB in the mmap'd block outside V8's 20, the rest in [heap].
  assert.equal(part('array-buffers').bytes, 150 * MiB);
  assert.equal(part('glibc-retained').bytes, 250 * MiB + 100 * 1024 - (153 * MiB - 12 * MiB));
  assert.equal(part('other-native').bytes, 0);
  assert.equal(part('code-and-libraries').bytes, 30 * MiB);
  assert.equal(part('thread-stacks').bytes, 164 * 1024);
  assert.equal(e.unaccountedBytes, part('glibc-retained').bytes);
  assert.equal(e.beyondHeapBytes, total - 20 * MiB);
  assert.deepEqual(e.findings.map((f) => f.part), ['array-buffers', 'glibc-retained']);
  assert.match(e.findings[1].text, /MALLOC_MMAP_THRESHOLD_=131072/);
  const text = formatExplanation(e);
  assert.match(text, /RSS of process 4242: /);
  assert.match(text, /glibc heap retention/);
  assert.match(text, /What to do:/);
});

test('without a memory map: V8 figures only, and said so', () => {
  const e = explainMemory({ pid: 4242, memStats: STATS, smapsText: '' });
  assert.equal(e.source, 'memstats');
  assert.equal(e.rssBytes, STATS.rss);
  assert.equal(e.parts.reduce((a, p) => a + p.bytes, 0), STATS.rss);
  assert.ok(!e.parts.some((p) => p.name === 'glibc-retained'));
  assert.ok(e.notes.some((n) => /memory map was empty/.test(n)));
});

test('options: another pid needs its figures; bad figures are named', () => {
  assert.throws(() => explainMemory({ pid: process.pid + 100000 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"memStats"/ });
  assert.throws(() => explainMemory({ pid: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"pid"/ });
  assert.throws(() => explainMemory({ memStats: { ...STATS, rss: 'big' } as never }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"memStats.rss"/ });
  assert.throws(() => explainMemory({ memStats: { ...STATS, heapSpaces: undefined } as never }), { message: /"memStats.heapSpaces"/ });
});

test('this process: the parts add up to RSS', linux, () => {
  const e = explainMemory();
  assert.equal(e.pid, process.pid);
  assert.equal(e.source, 'smaps');
  assert.equal(e.parts.reduce((a, p) => a + p.bytes, 0), e.rssBytes);
  assert.ok(e.parts.find((p) => p.name === 'code-and-libraries')!.bytes > 5 * MiB);
  assert.ok(e.parts.find((p) => p.name === 'heap-used')!.bytes > 1 * MiB);
  assert.ok(Math.abs(e.rssBytes - process.memoryUsage.rss()) < 0.2 * e.rssBytes);
});

async function experiment(mode: 'naive' | 'recycled'): Promise<{ liveBytes: number; explanation: MemoryExplanation }> {
  const { stdout } = await run(process.execPath, [fixture, mode, '300'], { timeout: 60_000 });
  return JSON.parse(stdout);
}

test("the seed's buffer experiment: naive allocation leaves RSS to glibc retention, recycling does not", linux, async () => {
  const [naive, recycled] = await Promise.all([experiment('naive'), experiment('recycled')]);
  const part = (e: MemoryExplanation, n: string) => e.parts.find((p) => p.name === n)!.bytes;

  const n = naive.explanation;
  const nGlibc = part(n, 'glibc-retained');
  const nBuffers = part(n, 'array-buffers');
  // Beyond the heap, most is native: live Buffers plus what glibc keeps of the freed ones.
  assert.ok(nGlibc + nBuffers > 0.6 * n.beyondHeapBytes, `${nGlibc} + ${nBuffers} of ${n.beyondHeapBytes}`);
  assert.ok(nGlibc > 0.2 * n.beyondHeapBytes && nGlibc > 40 * MiB, `glibc retention ${nGlibc} of ${n.beyondHeapBytes} beyond the heap`);
  assert.ok(n.findings.some((f) => f.part === 'glibc-retained'), JSON.stringify(n.findings));

  const r = recycled.explanation;
  const rGlibc = part(r, 'glibc-retained');
  assert.ok(rGlibc < 0.05 * r.beyondHeapBytes, `glibc retention ${rGlibc} of ${r.beyondHeapBytes} beyond the heap`);
  assert.ok(!r.findings.some((f) => f.part === 'glibc-retained'));
  // The recycler's RSS beyond the heap is its buffers.
  assert.ok(part(r, 'array-buffers') > 0.6 * r.beyondHeapBytes);
  assert.ok(r.rssBytes < n.rssBytes);
});
