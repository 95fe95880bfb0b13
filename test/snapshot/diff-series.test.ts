// diffSnapshots and leakDiff on three snapshots of a process with a known
// story (test/fixtures/leak/snapshot-series.ts): Widgets leak steadily, a
// Config cache warms up once, Temps come and go. And `memstats diff` on bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffSnapshots, leakDiff, formatLeakDiff, formatSnapshotDiff } from '../../src/snapshot/index.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/capture-io.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('../fixtures/leak/snapshot-series.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'memstats-series-test-'));
let plain: string[] = [];
let tracked: string[] = [];

before(async () => {
  const [a, b] = await Promise.all([
    run(process.execPath, [fixture, dir], { timeout: 30_000 }),
    run(process.execPath, [fixture, dir, 'track'], { timeout: 30_000 }),
  ]);
  plain = JSON.parse(a.stdout).paths;
  tracked = JSON.parse(b.stdout).paths;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('diffSnapshots: the leaking constructor first, with counts, new objects and its retainer path', async () => {
  const d = await diffSnapshots(plain[0], plain[1], { top: 5 });
  assert.equal(d.sameProcess, true);
  assert.deepEqual(d.warnings, []);
  const w = d.groups[0];
  assert.equal(w.name, 'Widget');
  assert.equal(w.countBefore, 200);
  assert.equal(w.countAfter, 1200);
  assert.equal(w.countDelta, 1000);
  assert.equal(w.newCount, 1000);
  assert.ok(w.retainedSizeDelta > 0 && w.newRetainedSize > 0);
  assert.match(w.retainerPath, /^Widget\[\d+\] ← Array in `widgets`/);
  // Config and Temp grew too in this interval.
  assert.ok(d.groups.some((g) => g.name === 'Config' && g.countDelta === 500 && g.retainerPath.includes('`configCache`')));
  assert.ok(d.groups.some((g) => g.name === 'Temp' && g.countDelta === 500));
  // V8 plumbing is left out unless asked for.
  assert.ok(d.groups.every((g) => !g.name.startsWith('system / ')));
  assert.ok(d.internalGroupsHidden > 0);
  const all = await diffSnapshots(plain[0], plain[1], { top: 0, internals: true });
  assert.ok(all.groups.length > d.groups.length && all.groups.some((g) => g.name.startsWith('system / ')));
  const text = formatSnapshotDiff(d);
  assert.match(text, /Grew most, by the retained size of new objects, then of the group \(top 5 of \d+\)/);
  assert.match(text, /\+1,000\s+1,000\s+Widget/);
});

test('diffSnapshots: allocation sites when the snapshots were taken with allocation tracking', async () => {
  const d = await diffSnapshots(tracked[0], tracked[1], { top: 5 });
  assert.equal(d.after.hasAllocationSites, true);
  const w = d.groups.find((g) => g.name === 'Widget')!;
  assert.ok(w.allocationSites && w.allocationSites.length > 0);
  assert.match(w.allocationSites[0].site, /^makeWidgets \(.*snapshot-series\.js:\d+:\d+\)$/);
  assert.equal(w.allocationSites[0].count, 1000);
  assert.match(formatSnapshotDiff(d), /allocated at makeWidgets/);
});

test('leakDiff: what was allocated between baseline and target, survives in final and grew twice', async () => {
  const r = await leakDiff(plain[0], plain[1], plain[2], { top: 10 });
  assert.equal(r.sameProcess, true);
  const names = r.groups.map((g) => g.name);
  assert.equal(names[0], 'Widget');
  assert.deepEqual(r.groups[0].counts, [200, 1200, 2200]);
  assert.equal(r.groups[0].leakedCount, 1000);
  assert.match(r.groups[0].retainerPath, /`widgets`/);
  // The cache that warmed once and the temporaries that went are not leaks.
  assert.ok(!names.includes('Config'), names.join(', '));
  assert.ok(!names.includes('Temp'), names.join(', '));
  assert.match(formatLeakDiff(r), /200 → 1,200 → 2,200\s+Widget/);
});

test('bad options are rejected with the option named', async () => {
  await assert.rejects(diffSnapshots(plain[0], plain[1], { top: -1 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"top"/ });
  await assert.rejects(diffSnapshots(plain[0], '' as string), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"after"/ });
  await assert.rejects(leakDiff(plain[0], plain[1], 3 as unknown as string), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"final"/ });
});


test('memstats diff: usage errors exit 2, unreadable snapshots exit 1 with the file and byte offset', async () => {
  const one = captureIO();
  assert.equal(await main(['diff', plain[0]], one.io), 2);
  assert.match(one.err(), /expected two snapshot files/);
  assert.match(one.err(), /Usage: memstats diff/);

  const flag = captureIO();
  assert.equal(await main(['diff', plain[0], plain[1], '--top', 'many'], flag.io), 2);
  assert.match(flag.err(), /--top must be an integer/);

  const cut = join(dir, 'cut.heapsnapshot');
  const bytes = readFileSync(plain[1]);
  writeFileSync(cut, bytes.subarray(0, 123_456));
  const trunc = captureIO();
  assert.equal(await main(['diff', plain[0], cut], trunc.io), 1);
  assert.ok(trunc.err().startsWith(`memstats diff: ${cut}: truncated heap snapshot: unexpected end of file while reading "nodes" (`), trunc.err());
  assert.match(trunc.err(), /\([\d,]+ of [\d,]+ nodes\) at byte 123456\n$/);

  const missing = captureIO();
  assert.equal(await main(['diff', plain[0], join(dir, 'nope.heapsnapshot')], missing.io), 1);
  assert.match(missing.err(), /nope\.heapsnapshot: no such file/);

  const tooBig = captureIO();
  assert.equal(await main(['diff', plain[0], plain[1], '--max-memory', '1M'], tooBig.io), 1);
  assert.match(tooBig.err(), /too large to analyse here: .* need about [\d,]+ MiB; 1 MiB available/);
});

test('leakDiff counts alive objects in all three snapshots: weakly held ones in target do not hide a leak', async () => {
  // Hand-made snapshots: Leak objects reachable 1 → 2 → 3, the one new in target still alive in final; target
  // also holds five Leak objects reachable only through weak edges (counted, they made it read 1 → 7 → 3).
  const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/snapshots/weak-${name}.heapsnapshot`, import.meta.url));
  const r = await leakDiff(fixture('baseline'), fixture('target'), fixture('final'));
  const leak = r.groups.find((g) => g.name === 'Leak');
  assert.ok(leak, `groups: ${r.groups.map((g) => g.name).join(', ')}`);
  assert.deepEqual(leak.counts, [1, 2, 3]);
  assert.equal(r.leakedCount, 1);
});
