import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printGCSummary, watchGC, watchSystem } from '../../src/index.js';
import { gc } from '../../src/runtime/gc.js';

const GC_LINE = /^NumGC:\d+ Pause:\S+ Pause\(Avg\):\S+ Overhead:\d+\.\d\d% Alloc:\S+ Sys:\S+ Alloc\(Rate\):\S+\/s Histogram:\S+ \S+ \S+$/;

test('watchGC writes a line per interval in which GCs happened, and none otherwise', async () => {
  const lines: string[] = [];
  const w = watchGC({ intervalMs: 50, write: (l) => lines.push(l) });
  try {
    await new Promise((r) => setTimeout(r, 60));
    gc();
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(lines.length >= 1, 'a line after a GC');
    for (const l of lines) assert.match(l, GC_LINE);
    const n = lines.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(lines.length, n, 'no GC, no line');
  } finally {
    w.stop();
  }
});

test('printGCSummary writes one line in the seed\'s format and returns it', () => {
  gc();
  const lines: string[] = [];
  const line = printGCSummary({ write: (l) => lines.push(l) });
  assert.deepEqual(lines, [line]);
  assert.match(line, /^(NumGC:\d+ .*Histogram:\S+ \S+ \S+|Alloc:\S+ Sys:\S+ Alloc\(Rate\):\S+\/s)$/);
});

test('watchSystem writes cpu/rss lines; a throwing writer never reaches the host', async () => {
  const lines: string[] = [];
  const w = watchSystem({ intervalMs: 30, write: (l) => lines.push(l) });
  const bad = watchSystem({ intervalMs: 30, write: () => { throw new Error('disk full'); } });
  await new Promise((r) => setTimeout(r, 120));
  w.stop();
  bad.stop();
  assert.ok(lines.length >= 2);
  assert.match(lines[0], /^cpu: \d+\.\d\d% us  \d+\.\d\d% sy, rss: \d+\.\d\dM, maxrss: \d+\.\d\dM$/);
});

test('watchers validate their options', () => {
  assert.throws(() => watchGC({ intervalMs: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', name: 'RangeError' });
  assert.throws(() => watchGC({ write: 'stdout' as never }), /write.*"stdout"/);
  assert.throws(() => watchSystem({ intervalMs: Infinity }), RangeError);
  assert.throws(() => printGCSummary({ write: 1 as never }), TypeError);
});
