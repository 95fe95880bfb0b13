import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clearSourceMapCache, mapLocation, preloadSourceMaps } from '../../src/internal/source-map.js';

const compiled = fileURLToPath(new URL('../fixtures/profile/resources-timers.js', import.meta.url));
const original = fileURLToPath(new URL('../../../test/fixtures/profile/resources-timers.ts', import.meta.url));
let dir: string;

function lineOf(file: string, needle: string): { line: number; column: number } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `${needle} in ${file}`);
  return { line: i + 1, column: lines[i].indexOf(needle) + 1 };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memstats-srcmap-'));
  clearSourceMapCache();
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('maps a compiled position to the .ts file, line and column (path or file: URL)', () => {
  const js = lineOf(compiled, 'setInterval(');
  const ts = lineOf(original, 'setInterval(');
  const m = mapLocation(compiled, js.line, js.column);
  assert.deepEqual(m && { file: m.file, line: m.line, column: m.column }, { file: original, line: ts.line, column: ts.column });
  assert.deepEqual(mapLocation(pathToFileURL(compiled).href, js.line, js.column)?.line, ts.line);
});

test('a column before the first mapping of the line (indentation) still maps to that line', () => {
  const js = lineOf(compiled, 'setInterval(');
  const ts = lineOf(original, 'setInterval(');
  assert.equal(mapLocation(compiled, js.line, 1)?.line, ts.line);
});

test('an inline data: URL map works', () => {
  const text = readFileSync(compiled, 'utf8');
  const map = JSON.parse(readFileSync(`${compiled}.map`, 'utf8'));
  map.sources = [pathToFileURL(original).href];
  const inline = text.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`);
  const file = join(dir, 'inline.js');
  writeFileSync(file, inline);
  const js = lineOf(file, 'setInterval(');
  assert.equal(mapLocation(file, js.line, js.column)?.file, original);
});

test('no map, a broken map, a missing file or a non-file script give null, never throw', () => {
  const plain = join(dir, 'plain.js');
  writeFileSync(plain, 'export const x = 1;\n');
  assert.equal(mapLocation(plain, 1, 1), null);
  const broken = join(dir, 'broken.js');
  writeFileSync(broken, 'x();\n//# sourceMappingURL=broken.js.map\n');
  writeFileSync(join(dir, 'broken.js.map'), '{ not json');
  assert.equal(mapLocation(broken, 1, 1), null);
  const wrongShape = join(dir, 'shape.js');
  writeFileSync(wrongShape, 'x();\n//# sourceMappingURL=data:application/json;base64,' + Buffer.from('{"version":3}').toString('base64') + '\n');
  assert.equal(mapLocation(wrongShape, 1, 1), null);
  assert.equal(mapLocation(join(dir, 'missing.js'), 1, 1), null);
  assert.equal(mapLocation('node:internal/timers', 10, 1), null);
  assert.equal(mapLocation('', 1, 1), null);
  assert.equal(mapLocation(compiled, 0, 1), null);
  assert.equal(mapLocation(compiled, 100000, 1), null, 'a line past the mappings');
});

test('results are cached, including "no map"; clearSourceMapCache forgets them', () => {
  const file = join(dir, 'later.js');
  writeFileSync(file, readFileSync(compiled, 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, ''));
  const js = lineOf(file, 'setInterval(');
  assert.equal(mapLocation(file, js.line, js.column), null);
  const map = JSON.parse(readFileSync(`${compiled}.map`, 'utf8'));
  map.sources = [pathToFileURL(original).href];
  writeFileSync(`${file}.map`, JSON.stringify(map));
  writeFileSync(file, readFileSync(file, 'utf8') + '\n//# sourceMappingURL=later.js.map\n');
  assert.equal(mapLocation(file, js.line, js.column), null, 'negative result cached');
  clearSourceMapCache();
  assert.equal(mapLocation(file, js.line, js.column)?.file, original);
});

test('preloadSourceMaps reads maps without blocking, and the lookups after it find them cached', async () => {
  clearSourceMapCache();
  const js = lineOf(compiled, 'setInterval(');
  const expected = mapLocation(compiled, js.line, js.column);
  assert.ok(expected, 'the fixture maps');
  clearSourceMapCache();
  await preloadSourceMaps([pathToFileURL(compiled).href, 'node:internal/timers', '', join(dir, 'missing.js')]);
  // The compiled file is gone now: only the preloaded map can answer.
  const copy = `${compiled}.bak`;
  writeFileSync(copy, readFileSync(compiled));
  rmSync(compiled);
  try {
    assert.deepEqual(mapLocation(compiled, js.line, js.column), expected);
  } finally {
    writeFileSync(compiled, readFileSync(copy));
    rmSync(copy);
  }
});
