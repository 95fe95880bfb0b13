/**
 * The pure parts of the target layer and the CLI: argument parsing, /proc
 * decoding, the progress line, top's reading of dashboard frames, stall
 * matching and the HTTP target's MemStats rebuilding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetSpec } from '../../src/attach/target.js';
import { decodeProcAddress, isNodeExecutable, parseListening, reachableOverLoopback } from '../../src/attach/proc.js';
import { memStatsFromEndpoints, mountPrefix, parsePrometheusText } from '../../src/attach/http-target.js';
import { stallsFromCpuProfile, resourcesTextFrom } from '../../src/attach/remote-profiles.js';
import { bytesLine, countdownLine, formatSeconds, renderBar, Progress } from '../../src/cli/progress.js';
import { TopModel, plainLine, renderScreen, truncateVisible } from '../../src/cli/commands/top.js';
import { createProjector, dashboardConfig } from '../../src/dashboard/projection.js';
import { SampleReader } from '../../src/sampler/sample.js';
import type { V8CpuProfile } from '../../src/profile/v8-types.js';

test('parseTargetSpec: a pid, a URL, host:port; anything else is refused', () => {
  assert.deepEqual(parseTargetSpec('1234'), { kind: 'pid', pid: 1234 });
  assert.equal(parseTargetSpec('0'), undefined);
  assert.equal(parseTargetSpec('99999999999'), undefined);
  const u = parseTargetSpec('http://127.0.0.1:6060/debug/pprof/');
  assert.equal(u?.kind, 'url');
  assert.equal(u?.kind === 'url' && u.url.origin, 'http://127.0.0.1:6060');
  const hp = parseTargetSpec('localhost:7070');
  assert.equal(hp?.kind === 'url' && hp.url.href, 'http://localhost:7070/');
  const bare = parseTargetSpec(':7070');
  assert.equal(bare?.kind === 'url' && bare.url.href, 'http://127.0.0.1:7070/');
  const v6 = parseTargetSpec('[::1]:6060');
  assert.equal(v6?.kind === 'url' && v6.url.hostname, '[::1]');
  for (const bad of ['abc', '12ab', 'ftp://x:1', 'http://', '', '-5', 'host']) assert.equal(parseTargetSpec(bad), undefined, bad);
});

test('/proc/net/tcp addresses and LISTEN entries decode as the kernel wrote them', () => {
  assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
  assert.equal(decodeProcAddress('00000000'), '0.0.0.0');
  assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
  assert.equal(decodeProcAddress('00000000000000000000000000000000'), '::');
  assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '127.0.0.1');
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:240D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:D431 0100007F:240D 01 00000000:00000000 00:00000000 00000000     0        0 223456 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');
  assert.deepEqual(parseListening(text, 4), [{ address: '127.0.0.1', port: 9229, family: 4, inode: 123456 }]);
  assert.ok(reachableOverLoopback('127.0.0.1') && reachableOverLoopback('::') && !reachableOverLoopback('10.1.2.3'));
  assert.ok(isNodeExecutable('/usr/bin/node') && isNodeExecutable('/opt/node20') && isNodeExecutable('nodejs'));
  assert.ok(!isNodeExecutable('/usr/bin/python3') && !isNodeExecutable('/usr/bin/nodemon'));
});

test('progress: bars, countdowns and byte counts; nothing drawn off a terminal', () => {
  assert.equal(renderBar(0.5, 10), '[#####-----]');
  assert.equal(renderBar(2, 4), '[####]');
  assert.equal(renderBar(Number.NaN, 4), '[----]');
  assert.equal(formatSeconds(0.2), '1s');
  assert.equal(formatSeconds(125), '2m05s');
  assert.match(countdownLine('cpu profile', 10_000, 30_000, 80), /^cpu profile \[#+-+\] 20s left$/);
  assert.match(bytesLine('snap', 3 * 1048576, 8 * 1048576), /^snap \[#+-+\] 3\.00M of 8\.00M$/);
  assert.equal(bytesLine('snap', 1024, 0), 'snap 1.00K');
  let written = '';
  const off = new Progress({ write: (s: string) => (written += s), isTTY: false }, {}, 0);
  off.draw('x');
  off.countdown('y', 5)();
  assert.equal(written, '');
  const on = new Progress({ write: (s: string) => (written += s), isTTY: true, columns: 40 }, {}, 0);
  on.fraction('snapshot', 0.25);
  on.clear();
  assert.match(written, /^\r\x1b\[2Ksnapshot \[#+-+\] 25%\r\x1b\[2K$/);
});

test('top reads its figures from dashboard frames by plot and series source', () => {
  const reader = new SampleReader();
  try {
    const config = dashboardConfig({ description: 'test', pid: 42 });
    const projector = createProjector();
    const model = new TopModel();
    model.setConfig(config);
    const s1 = reader.read();
    const f1 = model.figures(projector.project(s1));
    const s2 = { ...reader.read(), timeMs: s1.timeMs + 1000, numGC: s1.numGC + 3, gcPauses: [[s1.timeMs + 500, 2_000_000, 'minor'], [s1.timeMs + 600, 4_000_000, 'major']] } as typeof s1;
    const f2 = model.figures(projector.project(s2));
    assert.equal(f1.heapUsedBytes, s1.heapUsedBytes);
    assert.equal(f1.rssBytes, s1.rssBytes);
    assert.equal(f2.numGC, s2.numGC);
    assert.equal(f2.gcPerSecond, 3);
    assert.equal(f2.pauseMaxNs, 4_000_000);
    assert.equal(f2.pauseP50Ns, 2_000_000);
    assert.ok(f2.resourcesTotal !== null && f2.loopUtilization !== null);
    assert.equal(f2.recycler, null);
    const plain = { label: (x: string) => x, dim: (x: string) => x, warn: (x: string) => x, bad: (x: string) => x };
    const screen = renderScreen(f2, 'pid 42', plain, 200).join('\n');
    assert.match(screen, /^memstats top — pid 42/);
    assert.match(screen, /pause p50 2\.00ms {2}p99 \S+ {2}max 4\.00ms/);
    assert.match(plainLine(f2), / gc=\d+ gc\/s=3\.0 pause_p50=2\.00ms /);
  } finally {
    reader.close();
  }
});

test('truncateVisible cuts by visible width and keeps colour codes whole', () => {
  assert.equal(truncateVisible('abcdef', 10), 'abcdef');
  assert.equal(truncateVisible('abcdef', 4), 'abc…');
  const red = '\x1b[31mabcdef\x1b[0m';
  assert.equal(truncateVisible(red, 10), red);
  assert.equal(truncateVisible(red, 4), '\x1b[31mabc…\x1b[0m');
});

test('memStatsFromEndpoints: Go fields from /debug/vars, Node figures from /metrics', () => {
  const text = [
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    'process_resident_memory_bytes 58859520',
    'nodejs_external_memory_bytes 2326766',
    'memstats_heap_limit_bytes 4345298944',
    'memstats_gc_cycles_total{kind="minor"} 13',
    'memstats_gc_cycles_total{kind="major"} 2',
    'nodejs_heap_space_size_used_bytes{space="old"} 5892880',
    'nodejs_heap_space_size_total_bytes{space="old"} 6000000',
  ].join('\n');
  assert.equal(parsePrometheusText(text).length, 7);
  const m = memStatsFromEndpoints({ Alloc: 10, HeapSys: 20, NumGC: 15, Lookups: null }, text);
  assert.equal(m.alloc, 10);
  assert.equal(m.heapSys, 20);
  assert.equal(m.numGC, 15);
  assert.equal(m.lookups, null);
  assert.equal(m.rss, 58859520);
  assert.equal(m.numMajorGC, 2);
  assert.deepEqual(m.heapSpaces, [{ name: 'old_space', sizeBytes: 6000000, usedBytes: 5892880, availableBytes: 0, physicalBytes: 0 }]);
  assert.equal(memStatsFromEndpoints({ Alloc: 1 }, undefined).rss, undefined);
});

test('stallsFromCpuProfile keeps the samples inside each stall window, with their stacks', () => {
  const frame = (name: string) => ({ functionName: name, scriptId: '1', url: 'file:///app.js', lineNumber: 1, columnNumber: 1 });
  const profile: V8CpuProfile = {
    nodes: [
      { id: 1, callFrame: { ...frame('(root)'), url: '' }, children: [2, 3] },
      { id: 2, callFrame: frame('spin'), children: [] },
      { id: 3, callFrame: frame('idle') },
    ],
    startTime: 1000,
    endTime: 2000,
    samples: [3, 2, 2, 2, 3],
    timeDeltas: [0, 100, 100, 100, 100],
  };
  const [s] = stallsFromCpuProfile([{ startUs: 1050, endUs: 1350, delayNs: 300_000, endedAtMs: 5 }], profile);
  assert.equal(s.delayNs, 300_000);
  assert.deepEqual(s.stacks.map((x) => [x.frames.map((f) => f.name), x.samples]), [[['spin'], 3]]);
  assert.match(resourcesTextFrom({ Timeout: 2, TCPSocketWrap: 5 }, 1), /^resources profile: total 7\n5 @ TCPSocketWrap\n/);
});

test('a reserved output not yet committed is removed by removePendingTemps (what a second Ctrl-C runs before exiting)', async () => {
  const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { reserveOutput, removePendingTemps, pendingTemps } = await import('../../src/cli/target-output.js');
  const dir = mkdtempSync(join(tmpdir(), 'memstats-pending-'));
  try {
    const kept = await reserveOutput(join(dir, 'kept.pb.gz'));
    await kept.write(Buffer.from('x'));
    await kept.commit();
    const half = await reserveOutput(join(dir, 'half.pb.gz'));
    await half.write(Buffer.from('partial'));
    assert.equal(pendingTemps.size, 1, 'only the uncommitted one is pending');
    removePendingTemps();
    assert.deepEqual(readdirSync(dir), ['kept.pb.gz']);
    await half.discard();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mountPrefix: the path a debug handler is mounted under, from any URL a user may paste', () => {
  for (const [path, prefix] of [
    ['/', ''],
    ['', ''],
    ['/debug/pprof/', ''],
    ['/debug/pprof', ''],
    ['/metrics', ''],
    ['/debug/dashboard', ''],
    ['/ops/debug/pprof/', '/ops'],
    ['/ops/', '/ops'],
    ['/ops', '/ops'],
    ['/a/b/metrics', '/a/b'],
    ['/debugger/', '/debugger'],
  ]) {
    assert.equal(mountPrefix(path!), prefix, path);
  }
});
