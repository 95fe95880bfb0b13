import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as inspector from 'node:inspector';
import {
  cpuProfileToPprof,
  profileCpu,
  startCpuProfile,
  toCpuprofile,
  type V8CpuProfile,
} from '../../src/profile/index.js';
import { needTool } from '../helpers/tools.js';
import { describe, goPprof, runFixture, topRows } from './pprof-tool.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memstats-cpu-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

suite('CPU profile of a fixture, read by go tool pprof', () => {
  test('hotLoop is first by flat, with its .ts file and line', needTool('go', ['/usr/lib/go/bin/go']), async () => {
    const out = join(dir, 'cpu.pb.gz');
    const cpuprofile = join(dir, 'cpu.cpuprofile');
    await runFixture('cpu-hot', [out, cpuprofile, '1.5']);
    const text = await goPprof(['-top', '-lines', out]);
    const rows = topRows(text);
    assert.ok(rows.length > 0, text);
    assert.match(rows[0].name, /^hotLoop .*test\/fixtures\/profile\/cpu-hot\.ts:\d+$/, text);
    // The busy line is the while loop (line 13 of the fixture), not the compiled JS line.
    const src = readFileSync(new URL('../../../test/fixtures/profile/cpu-hot.ts', import.meta.url), 'utf8').split('\n');
    const line = Number(/:(\d+)$/.exec(rows[0].name)![1]);
    assert.match(src[line - 1], /while \(performance\.now\(\) < end\)/);
    assert.match(text, /Type: cpu/);

    // The .cpuprofile points at the .ts source too (speedscope reads it as is).
    const cp = JSON.parse(readFileSync(cpuprofile, 'utf8')) as V8CpuProfile;
    const hot = cp.nodes.find((n) => n.callFrame.functionName === 'hotLoop');
    assert.ok(hot, 'hotLoop node in the .cpuprofile');
    assert.match(hot.callFrame.url, /^file:\/\/.*\/test\/fixtures\/profile\/cpu-hot\.ts$/);
    assert.ok(Array.isArray(cp.samples) && Array.isArray(cp.timeDeltas) && cp.samples.length === cp.timeDeltas.length);
  });
});

suite('CPU profile in process', () => {
  test('a second concurrent CPU profile is refused with ERR_MEMSTATS_PROFILE_IN_USE', async () => {
    const h = startCpuProfile({ intervalUs: 5000 });
    try {
      assert.throws(() => startCpuProfile(), (e: Error & { code?: string }) => e.code === 'ERR_MEMSTATS_PROFILE_IN_USE' && /cpu profiling already in use/.test(e.message));
      await assert.rejects(profileCpu({ seconds: 0.1 }), { code: 'ERR_MEMSTATS_PROFILE_IN_USE' });
    } finally {
      await h.stop();
    }
    // Released after stop: a new one starts.
    const again = startCpuProfile();
    const p = await again.stop();
    assert.equal(await again.stop(), p, 'stop() twice returns the same profile');
  });

  test('profile has samples/wall/cpu sample types, a period and a duration', async () => {
    const p = await profileCpu({ seconds: 0.3, intervalUs: 2000 });
    const d = describe(p);
    assert.deepEqual(d.types, ['samples/count', 'wall/nanoseconds', 'cpu/nanoseconds']);
    assert.equal(Number(p.period), 2_000_000);
    assert.ok(Number(p.durationNanos) >= 250_000_000, `duration ${p.durationNanos}`);
    const total = d.samples.reduce((a, s) => a + s.values[0], 0);
    assert.ok(total > 0);
    // An idle process: (idle) has wall time but no CPU time.
    const idle = d.samples.filter((s) => s.frames[0].name === '(idle)');
    for (const s of idle) assert.equal(s.values[2], 0);
  });

  test('an aborted capture rejects with AbortError and releases the profiler', async () => {
    const ac = new AbortController();
    const pending = profileCpu({ seconds: 30, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(pending, { name: 'AbortError' });
    const h = startCpuProfile();
    await h.stop();
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(profileCpu({ seconds: 1, signal: pre.signal }), { name: 'AbortError' });
  });

  test('bad options are typed errors naming the option', async () => {
    for (const seconds of [0, -1, Number.NaN, 3601, Infinity]) {
      await assert.rejects(profileCpu({ seconds }), (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'ERR_MEMSTATS_INVALID_OPTION' && /"seconds"/.test(e.message));
    }
    await assert.rejects(profileCpu({ seconds: '1' as never }), TypeError);
    assert.throws(() => startCpuProfile({ intervalUs: 10 }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"intervalUs".*received 10/ });
    assert.throws(() => startCpuProfile({ intervalUs: 1.5 }), RangeError);
    await assert.rejects(profileCpu({ seconds: 1, signal: {} as never }), { code: 'ERR_MEMSTATS_INVALID_OPTION', message: /"signal"/ });
  });

  test('cpuProfileToPprof converts a profile taken by another inspector session', async () => {
    const s = new inspector.Session();
    s.connect();
    try {
      const post = <T>(m: string, p?: object) => new Promise<T>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r as T))));
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 1000 });
      await post('Profiler.start');
      const end = Date.now() + 150;
      let x = 0;
      while (Date.now() < end) x++;
      const { profile } = await post<{ profile: V8CpuProfile }>('Profiler.stop');
      const p = cpuProfileToPprof(profile, { intervalUs: 1000 });
      const d = describe(p);
      const total = d.samples.reduce((a, smp) => a + smp.values[0], 0);
      assert.equal(total, profile.samples!.length, 'every V8 sample is counted once');
      const wall = d.samples.reduce((a, smp) => a + smp.values[1], 0);
      // Each sample's time runs to the next sample (the last one: to endTime),
      // so wall time covers the profile from its first sample on.
      const covered = profile.endTime - profile.startTime - profile.timeDeltas![0];
      assert.ok(Math.abs(wall / 1000 - covered) < 1, `wall ${wall / 1000} µs vs ${covered} µs`);
      assert.ok(d.samples.some((smp) => smp.frames.some((f) => /cpu\.test\.ts$/.test(f.file))), 'frames of this test mapped to its .ts file');
      assert.ok(x > 0);
      // toCpuprofile of a plain V8 profile maps it; of a decoded pprof profile, rebuilds one.
      const mapped = toCpuprofile(profile);
      assert.ok(mapped.nodes.some((n) => /cpu\.test\.ts$/.test(n.callFrame.url)));
      assert.notEqual(mapped.nodes, profile.nodes);
      const rebuilt = toCpuprofile(p);
      assert.equal(rebuilt.samples!.length, total);
    } finally {
      s.disconnect();
    }
    assert.throws(() => cpuProfileToPprof({} as never), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  });
});

test('samples V8 gave no line stay on the function; a line seen as leaf and as caller is one location', () => {
  // work() (line 2) calls spin() (line 5): V8 gives spin 10 samples but line ticks for only 6 of them
  // (the rest, e.g. time blocked in a native call, have no line), and work 4 samples of its own on line 2.
  const cf = (name: string, line: number) => ({ functionName: name, scriptId: '1', url: 'file:///nowhere/app.js', lineNumber: line - 1, columnNumber: 0 });
  const profile: V8CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 0, children: [2] },
      { id: 2, callFrame: cf('work', 2), hitCount: 4, children: [3], positionTicks: [{ line: 2, ticks: 4 }] },
      { id: 3, callFrame: cf('spin', 5), hitCount: 10, positionTicks: [{ line: 7, ticks: 6 }] },
    ],
    startTime: 0,
    endTime: 140_000,
    samples: [...Array(4).fill(2), ...Array(10).fill(3)],
    timeDeltas: Array(14).fill(10_000),
  };
  const p = cpuProfileToPprof(profile, { intervalUs: 10_000, mapSources: false });
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
  const where = (locId: number | bigint) => {
    const loc = p.location.find((l) => Number(l.id) === Number(locId))!;
    const fn = p.function.find((f) => Number(f.id) === Number(loc.line[0]!.functionId))!;
    return `${str(fn.name)}:${loc.line[0]!.line}`;
  };
  const bySite = new Map<string, number>();
  for (const s of p.sample) {
    const k = s.locationId.map(where).join(' < ');
    bySite.set(k, (bySite.get(k) ?? 0) + Number(s.value[0]));
  }
  assert.deepEqual(Object.fromEntries(bySite), { 'work:2': 4, 'spin:7 < work:2': 6, 'spin:5 < work:2': 4 });
  const workLocations = p.location.filter((l) => where(l.id) === 'work:2');
  assert.equal(workLocations.length, 1, 'work:2 as leaf and as caller is one location');
});

test('a misspelt option is a TypeError naming the option meant, not a silent 30 s profile', async () => {
  await assert.rejects(profileCpu({ second: 0.1 } as never), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
    assert.match(err.message, /unknown option "second" \(did you mean "seconds"\?\)/);
    return err instanceof TypeError;
  });
});
