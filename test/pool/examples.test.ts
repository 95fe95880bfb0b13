import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

for (const [name, maxMakes] of [['naive', 30], ['bounded-pool', 25], ['recycler', 25]] as const) {
  test(`examples/recycle/${name} prints the seed's CSV columns`, async () => {
    const file = fileURLToPath(new URL(`../../examples/recycle/${name}.js`, import.meta.url));
    const { stdout } = await run(process.execPath, [file, '--iterations', '30', '--period-ms', '1', '--every', '10'], { timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    const header = lines.find((l) => !l.startsWith('#'));
    assert.equal(header, 'iteration,rss,live,arrayBuffers,heapAlloc,heapIdle,heapReleased,makes,frees');
    const rows = lines.filter((l) => /^\d/.test(l)).map((l) => l.split(',').map(Number));
    assert.deepEqual(rows.map((r) => r[0]), [10, 20, 30]);
    const last = rows[2];
    assert.ok(last[1] > last[2], 'RSS holds at least the live bytes');
    assert.ok(last[2] >= 5_000_000 * 10, 'live bytes: the filled slots');
    if (name === 'naive') assert.equal(last[7], 30, 'a buffer made every iteration');
    else assert.ok(last[7] <= maxMakes && last[7] >= 10, `makes ${last[7]}`);
  });
}
