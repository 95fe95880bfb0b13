import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, type PoolStats } from '../../src/pool/index.js';

function balanced(s: PoolStats): void {
  assert.equal(s.gives, s.hits + s.drops + s.evictions + s.idleCount, JSON.stringify(s));
  assert.equal(s.makes, s.misses);
}

test('get creates, give resets and keeps, get returns the most recent idle object', () => {
  let made = 0;
  const pool = createPool({ create: () => ({ id: ++made, items: [] as number[] }), reset: (o) => (o.items.length = 0) });
  try {
    const a = pool.get();
    const b = pool.get();
    a.items.push(1, 2);
    assert.equal(pool.give(a), true);
    assert.deepEqual(a.items, [], 'reset ran on give');
    assert.equal(pool.give(b), true);
    assert.equal(pool.get(), b);
    assert.equal(pool.get(), a);
    assert.equal(pool.get().id, 3);
    assert.deepEqual(pool.stats(), { makes: 3, hits: 2, misses: 3, gives: 2, drops: 0, evictions: 0, idleCount: 0, rejects: 0 });
  } finally {
    pool.close();
  }
});

test('maxIdle: the oldest idle object is let go to make room', () => {
  const pool = createPool({ create: () => ({}), maxIdle: 1, maxAgeMs: 0 });
  try {
    const [a, b] = [pool.get(), pool.get()];
    pool.give(a);
    pool.give(b);
    const s = pool.stats();
    assert.equal(s.idleCount, 1);
    assert.equal(s.drops, 1);
    assert.equal(pool.get(), b);
    balanced(pool.stats());
  } finally {
    pool.close();
  }
});

test('objects idle for maxAgeMs are evicted', async () => {
  const pool = createPool({ create: () => ({}), maxAgeMs: 40 });
  try {
    pool.give(pool.get());
    await sleep(120);
    const s = pool.stats();
    assert.equal(s.evictions, 1);
    assert.equal(s.idleCount, 0);
    balanced(s);
  } finally {
    pool.close();
  }
});

test('an object given twice, or not from this pool, throws — or is ignored', () => {
  const pool = createPool({ create: () => ({ n: 0 }) });
  const lax = createPool({ create: () => ({ n: 0 }), onMisuse: 'ignore' });
  try {
    const a = pool.get();
    pool.give(a);
    assert.throws(() => pool.give(a), { code: 'ERR_MEMSTATS_GIVEN_TWICE' });
    assert.throws(() => pool.give({ n: 0 }), { code: 'ERR_MEMSTATS_FOREIGN_OBJECT' });
    assert.throws(() => pool.give(lax.get()), { code: 'ERR_MEMSTATS_FOREIGN_OBJECT' });
    assert.throws(() => pool.give(null as never), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
    assert.equal(pool.stats().idleCount, 1);
    assert.equal(pool.stats().rejects, 4);
    const b = lax.get();
    assert.equal(lax.give(b), true);
    assert.equal(lax.give(b), false);
    assert.equal(lax.give({ n: 1 }), false);
    assert.equal(lax.stats().rejects, 2);
    assert.equal(lax.stats().idleCount, 1);
  } finally {
    pool.close();
    lax.close();
  }
});

test('reset that throws: the object is let go and the error reaches the caller', () => {
  const pool = createPool({
    create: () => ({ bad: false }),
    reset: (o) => {
      if (o.bad) throw new Error('cannot reset');
    },
  });
  try {
    const a = pool.get();
    a.bad = true;
    assert.throws(() => pool.give(a), /cannot reset/);
    const s = pool.stats();
    assert.equal(s.drops, 1);
    assert.equal(s.idleCount, 0);
    balanced(s);
    assert.notEqual(pool.get(), a);
  } finally {
    pool.close();
  }
});

test('create errors propagate; a create that returns a primitive is a TypeError', () => {
  const failing = createPool({ create: () => { throw new Error('no more'); } });
  assert.throws(() => failing.get(), /no more/);
  assert.equal(failing.stats().makes, 0);
  failing.close();
  const prim = createPool({ create: () => 5 as unknown as object });
  assert.throws(() => prim.get(), { code: 'ERR_MEMSTATS_INVALID_OPTION' });
  prim.close();
});

test('close lets idle objects go; later gets create and gives drop; close twice is harmless', () => {
  const pool = createPool({ create: () => ({}) });
  const a = pool.get();
  pool.give(a);
  pool.close();
  pool.close();
  assert.equal(pool.closed, true);
  assert.equal(pool.stats().idleCount, 0);
  const b = pool.get();
  assert.notEqual(b, a);
  assert.equal(pool.give(b), false);
  balanced(pool.stats());
});

test('bad options throw with ERR_MEMSTATS_INVALID_OPTION naming the option', () => {
  const cases: [unknown, string][] = [
    [{}, 'create'], [{ create: 1 }, 'create'], [{ create: () => ({}), reset: 'x' }, 'reset'],
    [{ create: () => ({}), maxIdle: -1 }, 'maxIdle'], [{ create: () => ({}), maxAgeMs: NaN }, 'maxAgeMs'],
    [{ create: () => ({}), onMisuse: 'log' }, 'onMisuse'], [undefined, 'create'],
  ];
  for (const [opts, name] of cases) {
    assert.throws(() => createPool(opts as never), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
      assert.ok(err.message.includes(`"${name}"`), err.message);
      return true;
    });
  }
});
