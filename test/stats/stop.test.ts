import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('../fixtures/stats/stop-all.js', import.meta.url));

test('every stop() returns live resources and timers to where they were, and the process exits on its own', async () => {
  const started = Date.now();
  const { stdout } = await run(process.execPath, [fixture], { timeout: 10_000 });
  const r = JSON.parse(stdout);
  assert.deepEqual(r.resourcesAfter, r.resourcesBefore);
  assert.equal(r.timersLeft, 0, 'a timer started by memstats is still alive');
  assert.ok(Date.now() - started < 9000, 'the process exited by itself');
});
