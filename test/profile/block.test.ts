import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileBlock, startBlockProfile } from '../../src/profile/index.js';
import { stallAttributor, stallsToPprof } from '../../src/profile/block.js';
import { needTool } from '../helpers/tools.js';
import { describe, goPprof, readProfile, runFixture, topRows } from './pprof-tool.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memstats-block-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

suite('block profile of a fixture, read by go tool pprof', () => {
  test('blockFor200ms is named, with ≈200 ms of delay per stall', needTool('go', ['/usr/lib/go/bin/go']), async () => {
    const out = join(dir, 'block.pb.gz');
    await runFixture('block-spin', [out, '4']);
    const text = await goPprof(['-top', '-lines', out]);
    assert.match(text, /Type: delay/);
    const rows = topRows(text);
    assert.match(rows[0].name, /^blockFor200ms .*test\/fixtures\/profile\/block-spin\.ts:\d+$/, text);
    const contentions = await goPprof(['-top', '-sample_index=contentions', out]);
    assert.match(contentions, /Type: contentions/);

    // Per stall: delay attributed to blockFor200ms ÷ stalls that spanned it.
    const d = describe(readProfile(out));
    assert.deepEqual(d.types, ['contentions/count', 'delay/nanoseconds']);
    const inBlock = d.samples.filter((s) => s.frames.some((f) => f.name === 'blockFor200ms'));
    const stalls = inBlock.reduce((a, s) => a + s.values[0], 0);
    const totalStalls = d.samples.reduce((a, s) => a + s.values[0], 0);
    const delayMs = inBlock.reduce((a, s) => a + s.values[1], 0) / 1e6;
    // One contention per stall: the fixture's 4, plus any hiccup of a loaded machine.
    assert.ok(totalStalls >= 4 && totalStalls <= 6, `stalls: ${totalStalls}`);
    assert.ok(stalls >= 3 && stalls <= 4, `stalls inside blockFor200ms: ${stalls}`);
    const perStall = delayMs / stalls;
    // Lateness undercounts a stall by at most the 10 ms timer period; GC inside
    // the stall is attributed to (garbage collector).
    assert.ok(perStall > 150 && perStall < 260, `delay per stall ${perStall.toFixed(1)} ms`);
  });
});

suite('block profile in process', () => {
  test('short stalls under the threshold are not recorded; one over it is', async () => {
    const h = startBlockProfile({ thresholdMs: 80 });
    const spin = (ms: number): void => {
      const end = Date.now() + ms;
      while (Date.now() < end);
    };
    await new Promise((r) => setTimeout(r, 30));
    spin(20);
    await new Promise((r) => setTimeout(r, 30));
    spin(150);
    await new Promise((r) => setTimeout(r, 30));
    const d = describe(await h.stop());
    const stalls = d.samples.reduce((a, s) => a + s.values[0], 0);
    const delayMs = d.samples.reduce((a, s) => a + s.values[1], 0) / 1e6;
    assert.equal(stalls, 1);
    assert.ok(delayMs > 120 && delayMs < 200, `delay ${delayMs} ms`);
    assert.ok(d.samples.some((s) => s.frames.some((f) => f.name === 'spin' && /block\.test\.ts$/.test(f.file))));
  });

  test('two block profiles at once share the monitor, each with its threshold', async () => {
    const low = startBlockProfile({ thresholdMs: 30 });
    const high = startBlockProfile({ thresholdMs: 100 });
    const spin = (ms: number): void => {
      const end = Date.now() + ms;
      while (Date.now() < end);
    };
    await new Promise((r) => setTimeout(r, 30));
    spin(60);
    await new Promise((r) => setTimeout(r, 30));
    const a = describe(await low.stop());
    const b = describe(await high.stop());
    assert.ok(a.samples.reduce((x, s) => x + s.values[0], 0) >= 1, 'the 60 ms stall is over 30 ms');
    assert.equal(b.samples.reduce((x, s) => x + s.values[0], 0), 0, 'and under 100 ms');
  });

  test('abort and bad options', async () => {
    const ac = new AbortController();
    const pending = profileBlock({ seconds: 30, signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(pending, { name: 'AbortError' });
    await assert.rejects(profileBlock({ seconds: -1 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"seconds"/ });
    await assert.rejects(profileBlock({ seconds: 1, thresholdMs: 0 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"thresholdMs"/ });
    assert.throws(() => startBlockProfile({ thresholdMs: Number.NaN }), RangeError);
  });

  test('stallsToPprof: delay shared by samples, one contention where most samples agree', () => {
    const f = (name: string) => ({ name, url: '/nonexistent/app.js', line: 1, column: 1 });
    const p = describe(
      stallsToPprof([
        // Two leaves share the stall evenly: the contention goes to their caller.
        { endedAtMs: 0, delayNs: 300e6, stacks: [{ frames: [f('leafA'), f('outer')], samples: 2 }, { frames: [f('leafB'), f('outer')], samples: 2 }] },
        // One leaf holds most samples; a sample of the next task at the window's edge does not move it.
        { endedAtMs: 0, delayNs: 100e6, stacks: [{ frames: [f('leafA'), f('outer')], samples: 3 }, { frames: [f('nextTask')], samples: 1 }] },
        { endedAtMs: 0, delayNs: 70e6, stacks: [] },
      ]),
    );
    const at = (...names: string[]) =>
      p.samples
        .filter((s) => s.frames.map((x) => x.name).join('<') === names.join('<'))
        .reduce((a, s) => [a[0] + s.values[0], a[1] + s.values[1]], [0, 0]);
    assert.deepEqual(at('leafA', 'outer'), [1, 150e6 + 75e6]);
    assert.deepEqual(at('leafB', 'outer'), [0, 150e6]);
    assert.deepEqual(at('outer'), [1, 0]);
    assert.deepEqual(at('nextTask'), [0, 25e6]);
    assert.deepEqual(at('(no samples)'), [1, 70e6]);
  });
});

test("a stall's stacks leave out the monitor's own rotation that ran into its window", () => {
  const own = new URL('../../src/profile/block.js', import.meta.url).href;
  const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
    id,
    callFrame: { functionName, scriptId: 1, url, lineNumber: 1, columnNumber: 1 },
    children,
  });
  const profile = {
    nodes: [frame(1, '(root)', '', [2, 4]), frame(2, 'handler', 'file:///app.js', [3]), frame(3, 'blockHere', 'file:///app.js'), frame(4, 'flush', own, [5]), frame(5, '#rotate', own)],
    startTime: 1000,
    endTime: 2000,
    // Four samples in the app, then six in the monitor's rotation, all inside the window.
    samples: [3, 3, 3, 3, 5, 5, 5, 5, 5, 5],
    timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
  };
  const stall = stallAttributor(profile)({ startUs: 1000, endUs: 1200, delayNs: 200_000, endedAtMs: 0 });
  assert.deepEqual(
    stall.stacks.map((st) => [st.frames.map((f) => f.name), st.samples]),
    [[['blockHere', 'handler'], 4]],
  );
});
