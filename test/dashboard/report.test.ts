import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/capture-io.js';
import { needTool } from '../helpers/tools.js';
import { artifactsDir, launchChromium, openPage, CHROMIUM } from './browser.js';

let dir = '';
const recordings: Record<'leak' | 'steady', string> = { leak: '', steady: '' };

/** Runs the recorded fixture (3 s, a sample every 100 ms) in a child process. */
function record(file: string, mode: 'leak' | 'steady'): Promise<void> {
  const script = fileURLToPath(new URL('../fixtures/dashboard/leaky-recording.js', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, file, '3000', mode], { timeout: 30_000 }, (err) => (err ? reject(err) : resolve()));
  });
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureIO();
  const code = await main(args, c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'memstats-report-'));
  recordings.leak = join(dir, 'leak.ndjson');
  recordings.steady = join(dir, 'steady.ndjson');
  await Promise.all([record(recordings.leak, 'leak'), record(recordings.steady, 'steady')]);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('memstats report on a recording with a growing heap writes one self-contained page whose diagnosis names the heap growth', async () => {
  const out = join(dir, 'leak-report.html');
  const r = await cli(['report', recordings.leak, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Heap after GC is growing/);
  assert.match(r.stdout, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ samples\\)`));
  const html = readFileSync(out, 'utf8');
  assert.match(html, /data-finding="heap-growth"/);
  assert.match(html, /What to do next/);
  assert.match(html, /<code>memstats diff a\.heapsnapshot b\.heapsnapshot<\/code>/);
  assert.ok(!/(?:src|href)="(?!data:)[^"#]/.test(html), 'no external script, style or link');
  assert.ok(html.includes('uPlot'), 'uPlot inlined');
  assert.match(html, /<script type="application\/json" id="memstats-report-data">\{"config":/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'written through a temporary file, renamed');
});

test('a steady recording gets no heap-growth finding; the default output sits beside the recording', async () => {
  const r = await cli(['report', recordings.steady]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(join(dir, 'steady.html'), 'utf8');
  assert.ok(!html.includes('data-finding="heap-growth"'), 'no leak in a steady program');
  assert.ok(!/Heap after GC is growing/.test(r.stdout));
});

test('a recording holding two runs (MEMSTATS_RECORD appends) counts both runs\' GCs and says the process restarted', async () => {
  const lines = readFileSync(recordings.steady, 'utf8').trim().split('\n');
  const later = lines.map((l) => {
    const x = JSON.parse(l) as { timeMs: number };
    x.timeMs += 3_600_000;
    return JSON.stringify(x);
  });
  const two = join(dir, 'two-runs.ndjson');
  writeFileSync(two, [...lines, ...later].join('\n') + '\n');
  const one = join(dir, 'one-run.ndjson');
  writeFileSync(one, lines.join('\n') + '\n');
  const gcsIn = async (file: string) => {
    const r = await cli(['report', file, '-o', '-']);
    assert.equal(r.code, 0, r.stderr);
    return { html: r.stdout, gcs: Number(/([\d,]+) GCs pausing/.exec(r.stdout)![1]!.replace(/,/g, '')) };
  };
  const a = await gcsIn(one);
  const b = await gcsIn(two);
  assert.ok(a.gcs > 0);
  assert.equal(b.gcs, 2 * a.gcs, 'both runs counted');
  assert.match(b.html, /The file holds 2 runs/);
  assert.doesNotMatch(a.html, /runs \(the counters start over/);
});

test('a truncated last line is left out with a note; any other bad line fails naming the file and line', async () => {
  const lines = readFileSync(recordings.steady, 'utf8').trim().split('\n');
  const cut = join(dir, 'cut.ndjson');
  writeFileSync(cut, lines.slice(0, 10).join('\n') + '\n');
  appendFileSync(cut, lines[10].slice(0, 40));
  const ok = await cli(['report', cut, '-o', join(dir, 'cut.html')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /The last line \(11\) was incomplete/);
  assert.match(ok.stdout, /\(10 samples\)/);
  assert.match(readFileSync(join(dir, 'cut.html'), 'utf8'), /The last line \(11\) was incomplete/);

  const bad = join(dir, 'bad.ndjson');
  writeFileSync(bad, [lines[0], '{"timeMs": 1, "oops"', lines[1], ''].join('\n'));
  const failed = await cli(['report', bad]);
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr.trim().split('\n').length, 1, 'one line');
  assert.match(failed.stderr, new RegExp(`^memstats report: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2: not JSON`));

  const notSample = join(dir, 'other.ndjson');
  writeFileSync(notSample, '{"hello": "world"}\n');
  const other = await cli(['report', notSample]);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /line 1: no number "timeMs": not a memstats Sample/);

  const empty = join(dir, 'empty.ndjson');
  writeFileSync(empty, '');
  assert.match((await cli(['report', empty])).stderr, /no samples/);
  const oneBad = join(dir, 'one-bad.ndjson');
  writeFileSync(oneBad, 'GARBAGE');
  assert.match((await cli(['report', oneBad])).stderr, /one-bad\.ndjson: line 1 is not a sample/, 'a lone bad line is named, not called an empty recording');
  const piped = await cli(['report', cut, '-o', '-']);
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /^<!doctype html>/i, 'the page on stdout');
  assert.match(piped.stderr, /wrote the page to stdout \(10 samples\)/);
  assert.equal(existsSync(join(process.cwd(), '-')), false, 'no file named -');
  const missing = await cli(['report', join(dir, 'nope.ndjson')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read .*nope\.ndjson: no such file/);
  assert.equal((await cli(['report'])).code, 2, 'usage error');
  const same = await cli(['report', cut, '-o', cut]);
  assert.equal(same.code, 2, 'never overwrites the recording');
  assert.match(same.stderr, /is the recording itself/);
  assert.equal((await cli(['report', 'a', 'b'])).code, 2);
});

test('the report opens offline in a browser: charts drawn, no console error, no request anywhere', needTool('chromium', [CHROMIUM]), async () => {
  const out = join(dir, 'browser-report.html');
  assert.equal((await cli(['report', recordings.leak, '-o', out])).code, 0);
  const browser = await launchChromium();
  try {
    const w = await openPage(browser);
    const requests: string[] = [];
    w.page.on('request', (r) => requests.push(r.url()));
    await w.page.goto(pathToFileURL(out).href);
    await w.page.waitForSelector('[data-plot="heap"] canvas');
    const frames = await w.page.evaluate(`Object.fromEntries([...document.querySelectorAll('[data-plot]')].filter((e) => !e.hidden).map((e) => [e.dataset.plot, Number(e.dataset.frames)]))`);
    const counts = Object.values(frames as Record<string, number>);
    assert.equal(counts.length, 10, 'every plot but the recycler\'s (no recycler in this program)');
    for (const n of counts) assert.ok(n >= 10, `each plot drawn from the recording (${JSON.stringify(frames)})`);
    assert.ok(await w.page.isVisible('[data-finding="heap-growth"]'));
    assert.equal(await w.page.isVisible('#actions'), false, 'no live actions in a report');
    await w.page.screenshot({ path: join(artifactsDir(), 'report.png'), fullPage: true });
    assert.deepEqual(w.errors, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:')), []);
    await w.close();
  } finally {
    await browser.close();
  }
});
