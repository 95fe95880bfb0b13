import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/capture-io.js';


test('memstats demo recycle writes one self-contained HTML page with three charts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'memstats-demo-'));
  try {
    const out = join(dir, 'recycle.html');
    const c = captureIO();
    const code = await main(['demo', 'recycle', '--iterations', '40', '--period-ms', '2', '--out', out], c.io);
    assert.equal(code, 0, c.err());
    const html = await readFile(out, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 3, 'a chart per program');
    for (const label of ['naive', 'bounded pool', 'recycler']) assert.ok(html.includes(label), label);
    assert.ok(html.includes('recycler: getAtLeast(5e6, size)'), "the recycler program asks the seed's way by default");
    assert.ok(html.includes('makes (right)') && html.includes('RSS (HeapSys analog) (left)'), 'memory left, makes right');
    assert.ok(!/<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i.test(html), 'no script, no CDN, nothing fetched');
    // The CSV of each program is in the page; the naive program made a buffer every iteration.
    const naiveCsv = html.slice(html.indexOf('demo recycle: naive'));
    const lastRow = naiveCsv.split('\n').find((l) => l.startsWith('40,'));
    assert.ok(lastRow, 'row of the last iteration');
    assert.equal(lastRow.split(',')[7], '40', 'naive makes = iterations');
    assert.match(c.err(), /100%/, 'progress bar reached the end');
    assert.match(c.out(), /recycler .*makes \d+\/40/);
    assert.deepEqual((await readdir(dir)).sort(), ['recycle.html'], 'no temporary file left');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('memstats demo: bad usage exits 2 with the usage', async () => {
  for (const argv of [
    ['demo', 'recycle', '--iterations', 'ten'],
    ['demo', 'recycle', '--iterations', '0'],
    ['demo', 'recycle', '--period-ms', '-1'],
    ['demo', 'recycle', '--backing', 'mmap'],
    ['demo', 'recycle', '--get', 'some'],
    ['demo', 'recycle', '--addr', '127.0.0.1:0'],
    ['demo', 'service', '--out', 'x.html'],
    ['demo', 'juggle'],
    ['demo', 'recycle', '--bogus'],
  ]) {
    const c = captureIO();
    assert.equal(await main(argv, c.io), 2, argv.join(' '));
    assert.match(c.err(), /Usage:/);
  }
});

test('memstats demo recycle: an unwritable --out fails with one line and exit 1', async () => {
  const c = captureIO();
  const code = await main(['demo', 'recycle', '--iterations', '3', '--period-ms', '0', '--out', '/nonexistent-dir/x/recycle.html'], c.io);
  assert.equal(code, 1);
  assert.match(c.err(), /cannot write/);
});
