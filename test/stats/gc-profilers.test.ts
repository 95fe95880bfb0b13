// The GC tracker's allocation accounting must not leave v8.GCProfiler objects
// behind: Node detaches a GCProfiler's GC callbacks only when the object is
// collected, and until then it writes ~3 KB of statistics inside every GC pause
// (measured: ~70 µs more per scavenge for each one). A profiler kept until it
// has been promoted waits for a full GC — before this was known, a profiler
// rotated once a second piled up by the dozen and every scavenge grew longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/stats/gc-profilers.js', import.meta.url));

for (const mode of ['auto', 'exact']) {
  test(`MEMSTATS_ALLOC=${mode}: GC profilers are dropped young, and never more than two promoted ones wait for a full GC`, (t) => {
    const r = spawnSync(process.execPath, [fixture, '3000'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MEMSTATS_ALLOC: mode } });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { created: number; stopped: number; promoted: number; maxHeld: number; numGC: number; numMajorGC: number };
    t.diagnostic(JSON.stringify(s));
    assert.ok(s.numGC >= 30 && s.stopped >= 10, `the workload must cause GCs and rotations (${s.numGC} GCs, ${s.stopped} profilers stopped)`);
    // Readings every 50 ms and a batch of GC entries after every GC: each profiler sees one GC, rarely two.
    assert.ok(s.promoted <= Math.max(2, 0.1 * s.stopped), `${s.promoted} of ${s.stopped} profilers ran through two scavenges or a full GC`);
    assert.ok(s.maxHeld <= 2, `${s.maxHeld} promoted profilers were left to V8 at once`);
  });
}
