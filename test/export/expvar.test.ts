import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publish, unpublish, readVars } from '../../src/export/expvar.js';

test('publish adds a variable read at each readVars(), after cmdline and memstats; its remover removes it', () => {
  let n = 1;
  const remove = publish('counter', () => n);
  try {
    const a = readVars();
    assert.deepEqual(Object.keys(a), ['cmdline', 'memstats', 'counter']);
    assert.equal(a.counter, 1);
    n = 2;
    assert.equal(readVars().counter, 2, 'computed at each read');
    assert.deepEqual((readVars().memstats as Record<string, unknown>).Lookups, null);
  } finally {
    remove();
    remove();
  }
  assert.equal('counter' in readVars(), false);
});

test('publish refuses a name twice (like Go), the reserved names, and bad arguments', () => {
  const remove = publish('dup', () => 1);
  try {
    assert.throws(() => publish('dup', () => 2), { code: 'ERR_MEMSTATS_VAR_EXISTS' });
    assert.throws(() => publish('memstats', () => 2), { code: 'ERR_MEMSTATS_VAR_EXISTS' });
    assert.throws(() => publish('cmdline', () => 2), { code: 'ERR_MEMSTATS_VAR_EXISTS' });
    assert.throws(() => publish('', () => 2), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
    assert.throws(() => publish(1 as never, () => 2), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
    assert.throws(() => publish('x', 5 as never), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  } finally {
    remove();
  }
  assert.equal(unpublish('dup'), false);
});

test('a variable that throws, returns a cycle or a BigInt never breaks /debug/vars', () => {
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  const r1 = publish('throws', () => {
    throw new Error('nope');
  });
  const r2 = publish('cycle', () => cyc);
  const r3 = publish('big', () => ({ small: 5n, huge: 2n ** 70n }));
  const r4 = publish('undef', () => undefined);
  try {
    const v = readVars();
    assert.equal(v.throws, null);
    assert.equal(v.cycle, null);
    assert.deepEqual(v.big, { small: 5, huge: '1180591620717411303424' });
    assert.equal(v.undef, null);
    JSON.stringify(v);
  } finally {
    r1();
    r2();
    r3();
    r4();
  }
});
