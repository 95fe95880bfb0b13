import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { readMemStats, settleGC } from '../../src/index.js';
import { caller, callers, gc, gcAsync, goarch, goos, nodeRoot, numCPU, numResources, setFinalizer, stack, version, gosched } from '../../src/runtime/index.js';

// The .ts source of this very file: the tests run compiled JavaScript and must be told the original.
const thisTs = fileURLToPath(import.meta.url).replace('/dist/test/', '/test/').replace(/\.js$/, '.ts');

// Line numbers are found by marker comments in the .ts source, so edits above do not break the tests.
const source = readFileSync(thisTs, 'utf8').split('\n');
const lineOf = (marker: string) => source.findIndex((l) => l.includes(`// @${marker}`)) + 1;

function whoCalledMe() {
  return caller(1);
}

test('caller(0) names this .ts file and the line that called it, mapped through the source map', () => {
  const here = caller(0); // @here
  assert.ok(here);
  assert.equal(here.file, thisTs);
  assert.equal(here.line, lineOf('here'));
  assert.equal(here.mapped, true);
  const up = whoCalledMe(); // @up
  assert.equal(up?.file, thisTs);
  assert.equal(up?.line, lineOf('up'));
  assert.equal(caller(1000), undefined, 'deeper than the stack');
});

function inner() {
  return callers(0, 3); // @inner
}
function outer() {
  return inner(); // @outer
}

test('callers(0) starts at the caller and walks up with function names', () => {
  const frames = outer();
  assert.equal(frames.length, 3);
  assert.equal(frames[0].function, 'inner');
  assert.equal(frames[1].function, 'outer');
  assert.equal(frames[0].file, thisTs);
  assert.equal(frames[0].line, lineOf('inner'));
  assert.equal(frames[1].line, lineOf('outer'));
  assert.equal(frames[0].column, source[lineOf('inner') - 1].indexOf('callers(') + 1);
});

test("stack() renders the current stack in Go's layout", () => {
  const s = stack(5); // @stack
  const lines = s.trimEnd().split('\n');
  assert.match(lines[0], /^thread \d+ \[running\]:$/);
  assert.match(lines[1], /\(\)$/);
  assert.equal(lines[2], `\t${thisTs}:${lineOf('stack')}:${source[lineOf('stack') - 1].indexOf('stack(') + 1}`);
});

test('gc() forces a full or minor GC that memstats counts as forced', async () => {
  await settleGC();
  const a = readMemStats();
  gc();
  gc({ type: 'minor' });
  await gcAsync();
  const b = readMemStats();
  assert.equal(b.numMajorGC - a.numMajorGC, 2);
  assert.equal(b.numMinorGC - a.numMinorGC, 1);
  assert.equal(b.numForcedGC - a.numForcedGC, 3);
  assert.equal((globalThis as { gc?: unknown }).gc, undefined, 'the global scope is left alone');
  assert.throws(() => gc({ type: 'full' as never }), { name: 'RangeError', code: 'ERR_MEMSTATS_INVALID_OPTION' });
});

test('setFinalizer runs the callback with the held value after the object is collected; null removes it', async () => {
  const seen: string[] = [];
  (function make() {
    setFinalizer({ big: new Array(1000).fill(1) }, (held) => seen.push(String(held)), 'first');
    const o = { x: 1 };
    setFinalizer(o, () => seen.push('removed'), 'x');
    setFinalizer(o, null);
  })();
  for (let i = 0; i < 10 && seen.length === 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(seen, ['first']);
  assert.throws(() => setFinalizer(42 as never, () => {}), TypeError);
  assert.throws(() => setFinalizer({}, 'no' as never), TypeError);
});

test('numCPU, version, nodeRoot, numResources, gosched', async () => {
  assert.ok(numCPU() >= 1);
  assert.equal(version(), process.version);
  assert.ok(process.execPath.startsWith(nodeRoot()));
  assert.equal(goos, process.platform);
  assert.equal(goarch, process.arch);
  const before = numResources();
  const t = setInterval(() => {}, 1000);
  assert.equal(numResources(), before + 1, 'a live interval counts');
  clearInterval(t);
  await gosched();
});
