import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openEventLoopWindow, readEventLoop, stopEventLoopMonitor } from '../../src/index.js';

const run = promisify(execFile);
const idle = fileURLToPath(new URL('../fixtures/stats/idle-loop.js', import.meta.url));
const busyLoop = fileURLToPath(new URL('../fixtures/stats/busy-loop.js', import.meta.url));

for (const resolutionMs of [1, 10, 100]) {
  // Net of the resolution, an idle loop reads ≈ 0 where Node's histogram reads the resolution itself
  // (10 or 100 ms). The bound leaves room for a loaded machine's scheduling (1.27 ms seen once in CI,
  // with every core busy) and stays 4× under the 10 ms it guards against.
  test(`an idle process reads event-loop delay p50 < 2.5 ms at ${resolutionMs} ms resolution`, async (t) => {
    const { stdout } = await run(process.execPath, [idle, String(resolutionMs), resolutionMs === 100 ? '3000' : '1500']);
    const s = JSON.parse(stdout);
    t.diagnostic(`p50 ${(s.delayP50Ns / 1e6).toFixed(3)} ms, p99 ${(s.delayP99Ns / 1e6).toFixed(3)} ms over ${s.delayCount} readings`);
    assert.equal(s.resolutionMs, resolutionMs);
    assert.ok(s.delayCount >= 10, `only ${s.delayCount} readings`);
    assert.ok(s.delayP50Ns < 2.5e6, `p50 ${s.delayP50Ns} ns`);
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

test('a stall in a long-busy loop is measured in full, and the monitor backs off once the loop is idle', async (t) => {
  // After 200 ms busy, Node's native delay timer measures instead of the JS
  // timer; the 120 ms stall comes 1.5 s into the busy period. The bounds are
  // about the monitor, but a machine loaded by other processes moves them all
  // (a 290 ms stall of the idle fixture itself, 109 measurements in 2.5 s busy,
  // seen with the whole suite running beside it): a run that misses one is
  // repeated, up to three in all, and the test fails only if every run misses —
  // which a monitor that never backs off, or misses the stall, does every time.
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  const misses: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const { stdout } = await run(process.execPath, [busyLoop, '2500', '1500', '4500']);
    const { busy, idle } = JSON.parse(stdout);
    t.diagnostic(`run ${attempt}, busy: n ${busy.delayCount}, p50 ${ms(busy.delayP50Ns)} ms, p99 ${ms(busy.delayP99Ns)} ms, max ${ms(busy.delayMaxNs)} ms, stddev ${ms(busy.delayStddevNs)} ms`);
    t.diagnostic(`run ${attempt}, idle: n ${idle.delayCount} over ${idle.windowMs.toFixed(0)} ms, max ${ms(idle.delayMaxNs)} ms`);
    const missed = [
      // A timer due 10 ms after its last firing reads a 122 ms stall as 112–122 ms late.
      busy.delayMaxNs >= 105e6 && busy.delayMaxNs < 250e6 ? '' : `max ${busy.delayMaxNs} ns for a 122 ms stall`,
      busy.delayP50Ns < 5e6 ? '' : `p50 ${busy.delayP50Ns} ns with 2 ms callbacks`,
      busy.delayCount >= 150 ? '' : `${busy.delayCount} measurements in 2.5 s at 10 ms`,
      busy.delayStddevNs > 1e6 && busy.delayStddevNs < busy.delayMaxNs ? '' : `stddev ${busy.delayStddevNs} ns`,
      busy.utilization > 0.8 ? '' : `utilization ${busy.utilization}`,
      // Idle: at 10 ms the window would hold ~300 measurements; backed off, ~35. A late tick (> 1 ms)
      // counts as busy and brings the timer back to 10 ms for a while, so the bound is a third of 300.
      idle.delayCount < 100 ? '' : `${idle.delayCount} measurements in ${idle.windowMs} ms of idle`,
      // Nothing of the busy period's 122 ms stall leaks into the idle window (an idle timer can still be
      // a few ms late when other processes load the machine: 7.6 ms seen under the parallel test run).
      idle.delayMaxNs < 25e6 ? '' : `idle max ${idle.delayMaxNs} ns`,
    ].filter(Boolean);
    if (missed.length === 0) return;
    misses.push(`run ${attempt}: ${missed.join('; ')}`);
  }
  assert.fail(misses.join('\n'));
});

test('in a busy loop, a stall that begins right after a read is measured (the native reset loses no interval)', async () => {
  // Node 20's native histogram forgets its last tick on reset: the interval after every read went unmeasured.
  readEventLoop({ reset: true });
  const busyUntil = Date.now() + 600; // busy ≥ 200 ms: the native timer measures
  while (Date.now() < busyUntil) {
    const s = Date.now();
    while (Date.now() - s < 2);
    await new Promise((r) => setImmediate(r));
  }
  readEventLoop({ reset: true });
  const end = Date.now() + 120;
  while (Date.now() < end); // the stall, right after the read
  await new Promise((r) => setTimeout(r, 40));
  const after = readEventLoop({ reset: true });
  assert.ok(after.delayMaxNs >= 100e6, `max ${(after.delayMaxNs / 1e6).toFixed(2)} ms after a 120 ms stall`);
  stopEventLoopMonitor();
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
