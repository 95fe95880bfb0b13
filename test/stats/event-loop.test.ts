import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openEventLoopWindow, readEventLoop, stopEventLoopMonitor } from '../../src/index.js';

const run = promisify(execFile);
const idle = fileURLToPath(new URL('../fixtures/stats/idle-loop.js', import.meta.url));

for (const resolutionMs of [1, 10, 100]) {
  test(`an idle process reads event-loop delay p50 < 1 ms at ${resolutionMs} ms resolution`, async (t) => {
    const { stdout } = await run(process.execPath, [idle, String(resolutionMs), resolutionMs === 100 ? '3000' : '1500']);
    const s = JSON.parse(stdout);
    t.diagnostic(`p50 ${(s.delayP50Ns / 1e6).toFixed(3)} ms, p99 ${(s.delayP99Ns / 1e6).toFixed(3)} ms over ${s.delayCount} readings`);
    assert.equal(s.resolutionMs, resolutionMs);
    assert.ok(s.delayCount >= 10, `only ${s.delayCount} readings`);
    assert.ok(s.delayP50Ns < 1e6, `p50 ${s.delayP50Ns} ns`);
    assert.ok(s.utilization >= 0 && s.utilization < 0.5, `idle utilization ${s.utilization}`);
  });
}

test('a blocked loop shows up as delay and utilization in the window', async () => {
  const w = openEventLoopWindow({ resolutionMs: 10 });
  try {
    await new Promise((r) => setTimeout(r, 50));
    // The idle wait lets the timer back off (here to ≤ 40 ms), and a stall that
    // starts while it is backed off is measured from the timer's due time only
    // (known limitation, docs/memstats.md): 300 ms of block reads ≥ 100 ms late
    // whatever the phase.
    const end = Date.now() + 300;
    while (Date.now() < end); // block the loop for 300 ms
    await new Promise((r) => setTimeout(r, 30));
    const s = w.read();
    assert.ok(s.delayMaxNs >= 100e6, `max delay ${s.delayMaxNs} ns after a 300 ms block`);
    assert.ok(s.delayMaxNs < 1000e6);
    assert.ok(s.delayP99Ns <= s.delayMaxNs);
    assert.ok(s.utilization > 0.3, `utilization ${s.utilization}`);
    const next = w.read();
    assert.ok(next.delayMaxNs < 100e6, 'a new window starts after read()');
  } finally {
    w.close();
  }
});

test('readEventLoop accumulates until reset, and validates its options', async () => {
  try {
    readEventLoop();
    await new Promise((r) => setTimeout(r, 120));
    const a = readEventLoop();
    await new Promise((r) => setTimeout(r, 60));
    const b = readEventLoop({ reset: true });
    assert.ok(b.windowMs > a.windowMs && b.delayCount >= a.delayCount);
    const c = readEventLoop();
    assert.ok(c.windowMs < b.windowMs);
    assert.throws(() => readEventLoop({ reset: 'yes' as never }), { code: 'ERR_MEMSTATS_INVALID_OPTION', name: 'TypeError' });
    assert.throws(() => openEventLoopWindow({ resolutionMs: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', name: 'RangeError' });
    assert.throws(() => openEventLoopWindow({ resolutionMs: 2.5 }), /resolutionMs.*2\.5/);
  } finally {
    stopEventLoopMonitor();
  }
});
