import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLASS_COUNT, MAX_BUFFER_BYTES, classCapacity, classIndex } from '../../src/pool/size-class.js';

test('every size gets a class whose capacity fits it with < 25% over, up to MAX_LENGTH', () => {
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const sizes = [1, 63, 64, 65, 80, 81, 127, 128, 129, 4096, 4097, 2 ** 20, 2 ** 20 + 1, 2 ** 31, 2 ** 31 + 1, MAX_BUFFER_BYTES - 1, MAX_BUFFER_BYTES];
  for (let i = 0; i < 5000; i++) sizes.push(1 + Math.floor(2 ** (rnd() * 32)));
  for (const n of sizes) {
    const c = classIndex(n);
    const cap = classCapacity(c);
    assert.ok(c >= 0 && c < CLASS_COUNT, `index of ${n}`);
    assert.ok(cap >= n, `capacity ${cap} fits ${n}`);
    if (n > 64) assert.ok(cap < 1.25 * n, `capacity ${cap} < 1.25 × ${n}`);
    assert.equal(classIndex(cap), c, 'a capacity belongs to its own class');
  }
  assert.equal(classCapacity(classIndex(MAX_BUFFER_BYTES)), MAX_BUFFER_BYTES);
});

test('classIndex is monotonic and classes are four per doubling', () => {
  let prev = -1;
  for (let n = 1; n < 70_000; n += 7) {
    const c = classIndex(n);
    assert.ok(c >= prev);
    prev = c;
  }
  assert.deepEqual([2 ** 20 + 1, 1.25 * 2 ** 20 + 1, 1.5 * 2 ** 20 + 1, 1.75 * 2 ** 20 + 1].map((n) => classCapacity(classIndex(n))),
    [1.25 * 2 ** 20, 1.5 * 2 ** 20, 1.75 * 2 ** 20, 2 ** 21]);
});
