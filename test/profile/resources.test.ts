import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatResources,
  isTrackingResources,
  listResources,
  profileResources,
  startResourceTracking,
  stopResourceTracking,
  writeProfile,
} from '../../src/profile/index.js';
import { needTool } from '../helpers/tools.js';
import { makeTimers } from '../fixtures/profile/resources-timers.js';
import { goPprof, topRows } from './pprof-tool.js';

afterEach(() => stopResourceTracking());

function groupCount(text: string, fn: string): number | null {
  // debug=1 entries: "N @ Type" then "#\tfunction\tfile:line:col" lines.
  for (const block of text.split('\n\n')) {
    const m = /^(\d+) @ (\S+)/m.exec(block);
    if (m && block.split('\n').some((l) => l.startsWith(`#\t${fn}\t`))) return Number(m[1]);
  }
  return null;
}

test('the dump shows N intervals created in makeTimers while N are live', needTool('go', ['/usr/lib/go/bin/go']), async () => {
  startResourceTracking();
  const timers = makeTimers(7);
  const dir = mkdtempSync(join(tmpdir(), 'memstats-res-'));
  try {
    let text = formatResources();
    assert.match(text, /^resources profile: total \d+/);
    assert.equal(groupCount(text, 'makeTimers'), 7, text);
    assert.match(text, /#\tmakeTimers\t.*test\/fixtures\/profile\/resources-timers\.ts:\d+:\d+/);
    assert.match(text, /7 @ Timeout/);

    clearInterval(timers[0]);
    clearInterval(timers[1]);
    timers[2].unref(); // unref'd timers do not keep the loop alive: not listed, like Node's own count
    text = formatResources();
    assert.equal(groupCount(text, 'makeTimers'), 4, text);

    const out = join(dir, 'resources.pb.gz');
    await writeProfile(await profileResources(), out);
    const top = await goPprof(['-top', out]);
    assert.match(top, /Type: resources/);
    const row = topRows(top).find((r) => r.name === 'makeTimers');
    assert.ok(row, top);
    assert.equal(row.cum, '4');

    const two = formatResources({ debug: 2 });
    assert.equal(two.split('\n').filter((l) => /^Timeout \d+ \[[\d.]+ s\]:$/.test(l)).length >= 4, true, two);
    assert.match(two, /^makeTimers\(\)\n\t.*resources-timers\.ts:\d+:\d+$/m);
    assert.throws(() => formatResources({ debug: '1' } as never), (e: Error) => e instanceof TypeError && /"debug" must be 1 or 2; received "1"/.test(e.message));
    assert.throws(() => formatResources({ debug: 3 } as never), (e: Error) => e instanceof RangeError && /received 3$/.test(e.message));
  } finally {
    timers.forEach((t) => clearInterval(t));
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(groupCount(formatResources(), 'makeTimers'), null);
});

test('handles are tracked until closed; untracked ones are counted by type', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memstats-res-'));
  const before = watch(dir);
  startResourceTracking({ stackDepth: 4 });
  assert.equal(isTrackingResources(), true);
  const watcher = watch(dir);
  try {
    const groups = listResources().filter((g) => g.type === 'FSEventWrap');
    const tracked = groups.filter((g) => g.stack !== null);
    const untracked = groups.filter((g) => g.stack === null);
    assert.equal(tracked.reduce((a, g) => a + g.count, 0), 1, JSON.stringify(groups));
    assert.ok(tracked[0].stack!.length <= 4);
    // Node's own frames are folded into the API the test called, then the test's frame.
    assert.equal(tracked[0].stack![0].name, 'watch');
    assert.match(tracked[0].stack![1].file, /resources\.test\.ts$/);
    assert.equal(untracked.reduce((a, g) => a + g.count, 0), 1, 'the watcher made before tracking');
  } finally {
    watcher.close();
    before.close();
    rmSync(dir, { recursive: true, force: true });
  }
  // A handle closes on the next turn of the loop.
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(listResources().filter((g) => g.type === 'FSEventWrap').length, 0);
});

test('without tracking: counts by type from getActiveResourcesInfo, and bad options', async () => {
  assert.equal(isTrackingResources(), false);
  const t = setInterval(() => undefined, 60_000);
  try {
    const text = formatResources();
    assert.match(text, /\d+ @ Timeout\n#\t\(creation stack not tracked; call startResourceTracking\(\)\)/);
    const total = Number(/total (\d+)/.exec(text)![1]);
    assert.equal(total, process.getActiveResourcesInfo().length);
  } finally {
    clearInterval(t);
  }
  assert.throws(() => formatResources({ debug: 3 as never }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"debug"/ });
  assert.throws(() => startResourceTracking({ stackDepth: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"stackDepth"/ });
  stopResourceTracking();
  stopResourceTracking();
});
