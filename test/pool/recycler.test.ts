import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { constants as bufferConstants } from 'node:buffer';
import { createRecycler, type Recycler, type RecyclerStats } from '../../src/pool/index.js';
import { readSampleSources } from '../../src/sampler/sources.js';

const MiB = 1024 * 1024;

/** gives = hits from idle + drops + evictions + idleCount, makes = misses: the counters' contract. */
function assertBalanced(s: RecyclerStats): void {
  assert.equal(s.gives, s.hits + s.drops + s.evictions + s.idleCount, `unbalanced: ${JSON.stringify(s)}`);
  assert.equal(s.makes, s.misses);
}

function withRecycler(opts: Parameters<typeof createRecycler>[0], fn: (r: Recycler) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const r = createRecycler(opts);
    try {
      await fn(r);
    } finally {
      r.close();
    }
  };
}

test('get returns a Buffer of exactly the size asked; give then get reuses the same memory', withRecycler({}, (r) => {
  const a = r.get(1000);
  assert.ok(Buffer.isBuffer(a));
  assert.equal(a.length, 1000);
  a.fill(7);
  assert.equal(r.give(a), true);
  const b = r.get(1000);
  assert.equal(b.buffer, a.buffer, 'recycled backing store');
  assert.notEqual(b, a, 'each get() returns a new Buffer object');
  assert.equal(b.length, 1000);
  assert.deepEqual(r.stats(), { makes: 1, hits: 1, misses: 1, gives: 1, drops: 0, evictions: 0, idleCount: 0, idleBytes: 0, rejects: 0 });
}));

test('a recycled buffer serves a request only within maxOversizeRatio of its capacity', withRecycler({ maxOversizeRatio: 2 }, (r) => {
  // 5,000,000 bytes fall in the class of capacity 5 MiB (4 MiB + 1 MiB).
  const a = r.get(5_000_000);
  r.give(a);
  assert.equal(r.stats().idleBytes, 5 * MiB);
  const tooBig = r.get(5 * MiB + 1);
  assert.notEqual(tooBig.buffer, a.buffer, 'capacity smaller than the request: a new buffer');
  r.give(tooBig);
  const tooSmall = r.get(Math.floor((5 * MiB) / 2) - 1);
  assert.notEqual(tooSmall.buffer, a.buffer, 'more than 2x capacity: not handed out');
  const fits = r.get(Math.ceil((5 * MiB) / 2));
  assert.equal(fits.buffer, a.buffer, 'exactly 2x capacity: handed out');
  assert.equal(fits.length, Math.ceil((5 * MiB) / 2));
  assertBalanced(r.stats());
}));

test('the smallest fitting idle buffer is handed out first', withRecycler({}, (r) => {
  const big = r.get(9 * MiB);
  const small = r.get(6 * MiB);
  r.give(small);
  r.give(big);
  const got = r.get(5 * MiB);
  assert.equal(got.buffer, small.buffer);
  const got2 = r.get(5 * MiB);
  assert.equal(got2.buffer, big.buffer, 'next best fit is still within 2x');
}));

test('new buffers waste less than 25% of the request in class rounding', withRecycler({}, (r) => {
  for (const size of [1, 64, 65, 100, 1000, 4097, 65_537, 1_000_001, 7_777_777]) {
    const b = r.get(size);
    const cap = b.buffer.byteLength;
    assert.ok(cap >= size && (size <= 64 ? cap === 64 : cap < 1.25 * size), `size ${size} got capacity ${cap}`);
  }
}));

test('getAtLeast hands out a whole buffer: a recycled one of any size in [size, ratio × size], else a new one', withRecycler({ maxOversizeRatio: 2, maxAgeMs: 0 }, (r) => {
  // New, without newSize: the class capacity, all of it the caller's.
  const a = r.getAtLeast(5_000_000);
  assert.ok(a.length >= 5_000_000 && a.length < 1.25 * 5_000_000, `length ${a.length}`);
  assert.equal(a.length, a.buffer.byteLength, 'the whole backing store is handed out');
  // New, with newSize: exactly that many bytes (the seed's makeBuffer of a random size).
  const b = r.getAtLeast(5_000_000, 9_000_000);
  assert.equal(b.length, 9_000_000);
  assert.equal(b.buffer.byteLength, 9_000_000);
  r.give(a);
  r.give(b);
  // Any idle buffer in range serves, whatever newSize says; the smallest first.
  const c = r.getAtLeast(5_000_000, 7_000_000);
  assert.equal(c.buffer, a.buffer);
  assert.equal(c.length, a.length);
  const d = r.getAtLeast(4_500_000, 4_500_000);
  assert.equal(d.buffer, b.buffer, 'a 9 MB buffer serves a 4.5 MB request (ratio 2)');
  assert.equal(d.length, 9_000_000);
  r.give(c);
  r.give(d);
  // Out of range: neither serves a 2.5 MB request with ratio 2, nor can 5.x MB serve 9.5 MB.
  const e = r.getAtLeast(2_500_000);
  assert.notEqual(e.buffer, b.buffer);
  assert.notEqual(e.buffer, a.buffer);
  const f = r.getAtLeast(9_500_000, 9_500_000);
  assert.equal(f.length, 9_500_000);
  assert.notEqual(f.buffer, a.buffer);
  assert.notEqual(f.buffer, b.buffer);
  const s = r.stats();
  assert.deepEqual([s.makes, s.hits, s.gives, s.idleCount], [4, 2, 4, 2]);
  assertBalanced(s);
  // get(size) still returns exactly size from the same idle set.
  const g = r.get(8_000_000);
  assert.equal(g.length, 8_000_000);
  assert.equal(g.buffer, b.buffer);
  // Bad input names the argument.
  assert.throws(() => r.getAtLeast(10, 5), (err: NodeJS.ErrnoException) => err instanceof RangeError && err.code === 'ERR_MEMSTATS_INVALID_OPTION' && /newSize/.test(err.message));
  assert.throws(() => r.getAtLeast(10, 1.5), (err: NodeJS.ErrnoException) => err.code === 'ERR_MEMSTATS_INVALID_OPTION' && /newSize/.test(err.message));
  assert.throws(() => r.getAtLeast(-1), (err: NodeJS.ErrnoException) => err instanceof RangeError && /size/.test(err.message));
  assert.equal(r.getAtLeast(0).length, 0);
  assert.equal(r.getAtLeast(0, 100).length, 100);
}));

test('getAtLeast with zeroOnGet zeroes the whole buffer it hands out', withRecycler({ zeroOnGet: true }, (r) => {
  const a = r.getAtLeast(100_000);
  a.fill(0xab);
  r.give(a);
  const b = r.getAtLeast(90_000);
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.length, a.length);
  assert.equal(b.indexOf(0xab), -1);
}));

test('zeroOnGet zeroes the whole backing store: no byte of the last user reachable through buf.buffer', withRecycler({ zeroOnGet: true }, (r) => {
  const a = r.get(1000);
  a.fill(0x41);
  r.give(a);
  const b = r.get(900);
  assert.equal(b.buffer, a.buffer, 'recycled');
  assert.equal(new Uint8Array(b.buffer).indexOf(0x41), -1);
}));

test("a request hits a buffer of its own size class, however small, and with maxOversizeRatio 1", () => {
  for (const [opts, size] of [[{}, 10], [{}, 1], [{ maxOversizeRatio: 1 }, 1000]] as const) {
    const r = createRecycler(opts);
    try {
      r.give(r.get(size));
      const again = r.get(size);
      assert.equal(r.stats().hits, 1, `${JSON.stringify(opts)} get(${size}) after a give is a hit`);
      r.give(again);
    } finally {
      r.close();
    }
  }
});

test('a leased buffer whose memory was transferred away is counted when given back', withRecycler({}, (r) => {
  const a = r.get(100_000);
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  assert.equal(a.byteLength, 0, 'detached');
  assert.equal(r.give(a), false);
  assert.equal(r.stats().rejects, 1);
}));

test('maxIdle: when full, give lets the oldest idle buffer go', withRecycler({ maxIdle: 2, maxAgeMs: 0 }, (r) => {
  const [a, b, c] = [r.get(100), r.get(100), r.get(100)];
  assert.equal(r.give(a), true);
  assert.equal(r.give(b), true);
  assert.equal(r.give(c), true);
  let s = r.stats();
  assert.equal(s.idleCount, 2);
  assert.equal(s.drops, 1);
  // The two newest stay: c (most recent) comes out first, then b.
  assert.equal(r.get(100).buffer, c.buffer);
  assert.equal(r.get(100).buffer, b.buffer);
  assert.notEqual(r.get(100).buffer, a.buffer);
  s = r.stats();
  assert.equal(s.makes, 4);
  assertBalanced(s);
}));

test('maxIdleBytes: a buffer larger than the cap is let go; otherwise old ones make room', withRecycler({ maxIdleBytes: 3 * MiB, maxAgeMs: 0 }, (r) => {
  const huge = r.get(4 * MiB);
  assert.equal(r.give(huge), false);
  const x = r.get(MiB);
  const y = r.get(MiB);
  const z = r.get(MiB + 1); // class capacity 1.25 MiB
  assert.equal(r.give(x), true);
  assert.equal(r.give(y), true);
  assert.equal(r.give(z), true); // 1 + 1 + 1.25 > 3: x goes
  const s = r.stats();
  assert.equal(s.idleCount, 2);
  assert.equal(s.idleBytes, MiB + 1.25 * MiB);
  assert.equal(s.drops, 2);
  assertBalanced(s);
}));

test('maxIdle 0 keeps nothing', withRecycler({ maxIdle: 0 }, (r) => {
  assert.equal(r.give(r.get(10)), false);
  assert.equal(r.stats().idleCount, 0);
  assert.equal(r.stats().drops, 1);
}));

test('buffers idle for maxAgeMs are evicted by the timer; younger ones stay', withRecycler({ maxAgeMs: 60 }, async (r) => {
  const a = r.get(1000);
  const b = r.get(1000);
  r.give(a);
  await sleep(40);
  r.give(b);
  await sleep(45); // a is 85 ms idle, b 45 ms
  let s = r.stats();
  assert.equal(s.evictions, 1, JSON.stringify(s));
  assert.equal(s.idleCount, 1);
  assert.equal(r.get(1000).buffer, b.buffer);
  const c = r.get(1000);
  r.give(c);
  await sleep(150);
  s = r.stats();
  assert.equal(s.evictions, 2);
  assert.equal(s.idleCount, 0);
  assertBalanced(s);
}));

test('maxAgeMs 0 never evicts by age', withRecycler({ maxAgeMs: 0 }, async (r) => {
  r.give(r.get(10));
  await sleep(30);
  assert.equal(r.stats().idleCount, 1);
}));

test('a Buffer given twice throws ERR_MEMSTATS_GIVEN_TWICE and leaves the pool intact', withRecycler({}, (r) => {
  const a = r.get(4096);
  r.give(a);
  const before = r.stats();
  assert.throws(() => r.give(a), { code: 'ERR_MEMSTATS_GIVEN_TWICE' });
  assert.deepEqual(r.stats(), { ...before, rejects: 1 });
  // Even after its memory is leased again, the old Buffer is refused and the new lease is untouched.
  const b = r.get(4096);
  assert.equal(b.buffer, a.buffer);
  assert.throws(() => r.give(a), { code: 'ERR_MEMSTATS_GIVEN_TWICE' });
  assert.equal(r.stats().idleCount, 0, 'the leased memory was not put back');
  assert.equal(r.give(b), true);
  assertBalanced(r.stats());
}));

test('a Buffer the recycler did not hand out throws ERR_MEMSTATS_FOREIGN_BUFFER', withRecycler({}, (r) => {
  const other = createRecycler();
  try {
    assert.throws(() => r.give(Buffer.alloc(100)), { code: 'ERR_MEMSTATS_FOREIGN_BUFFER' });
    assert.throws(() => r.give(Buffer.from('pooled slab')), { code: 'ERR_MEMSTATS_FOREIGN_BUFFER' });
    assert.throws(() => r.give(other.get(100)), { code: 'ERR_MEMSTATS_FOREIGN_BUFFER' });
    assert.equal(r.stats().idleCount, 0);
    assert.equal(r.stats().rejects, 3);
  } finally {
    other.close();
  }
}));

test('a view of a recycled Buffer throws ERR_MEMSTATS_BUFFER_VIEW; the Buffer itself is then accepted', withRecycler({}, (r) => {
  const a = r.get(8192);
  assert.throws(() => r.give(a.subarray(0, 100)), { code: 'ERR_MEMSTATS_BUFFER_VIEW' });
  assert.throws(() => r.give(a.subarray(100)), { code: 'ERR_MEMSTATS_BUFFER_VIEW' });
  assert.throws(() => r.give(new Uint8Array(a.buffer, 0, 8192)), { code: 'ERR_MEMSTATS_BUFFER_VIEW' });
  assert.equal(r.stats().idleCount, 0);
  assert.equal(r.give(a), true);
  assert.equal(r.stats().gives, 1);
}));

test('non-buffers throw a TypeError with ERR_MEMSTATS_INVALID_OPTION', withRecycler({}, (r) => {
  for (const bad of [undefined, null, 'abc', 42, {}, new ArrayBuffer(8)]) {
    assert.throws(() => r.give(bad as unknown as Buffer), (err: NodeJS.ErrnoException) => err instanceof TypeError && err.code === 'ERR_MEMSTATS_INVALID_OPTION');
  }
}));

test("onMisuse: 'ignore' returns false, counts rejects and never corrupts the pool", withRecycler({ onMisuse: 'ignore' }, (r) => {
  const a = r.get(1000);
  assert.equal(r.give(a.subarray(1)), false);
  assert.equal(r.give(a), true);
  assert.equal(r.give(a), false);
  assert.equal(r.give(Buffer.alloc(1000)), false);
  assert.equal(r.give('x' as unknown as Buffer), false);
  const s = r.stats();
  assert.equal(s.rejects, 4);
  assert.equal(s.gives, 1);
  assert.equal(s.idleCount, 1);
  const b = r.get(1000);
  const c = r.get(1000);
  assert.notEqual(b.buffer, c.buffer, 'one idle buffer handed out once');
}));

test('zeroOnGet: a recycled buffer never shows the previous user\'s bytes', withRecycler({ zeroOnGet: true }, (r) => {
  const a = r.get(5000);
  assert.ok(a.every((x) => x === 0), 'new buffers are zeroed');
  a.fill(0xab);
  r.give(a);
  const b = r.get(4000);
  assert.equal(b.buffer, a.buffer);
  assert.ok(b.every((x) => x === 0));
}));

test('without zeroOnGet a recycled buffer keeps what its last user wrote (documented trade-off)', withRecycler({}, (r) => {
  const a = r.get(5000);
  a.fill(0xab);
  r.give(a);
  const b = r.get(5000);
  assert.equal(b[4999], 0xab);
}));

test('get(0) returns a new empty Buffer, counts nothing, and giving it back is a no-op', withRecycler({}, (r) => {
  const e = r.get(0);
  assert.equal(e.length, 0);
  assert.equal(r.give(e), false);
  assert.equal(r.give(Buffer.alloc(0)), false);
  assert.deepEqual(r.stats(), { makes: 0, hits: 0, misses: 0, gives: 0, drops: 0, evictions: 0, idleCount: 0, idleBytes: 0, rejects: 0 });
}));

test('bad sizes throw TypeError/RangeError with ERR_MEMSTATS_INVALID_OPTION naming "size"', withRecycler({}, (r) => {
  const cases: [unknown, typeof TypeError | typeof RangeError][] = [
    [-1, RangeError], [1.5, RangeError], [NaN, RangeError], [Infinity, RangeError],
    [bufferConstants.MAX_LENGTH + 1, RangeError], ['10', TypeError], [undefined, TypeError], [10n, TypeError],
  ];
  for (const [size, Kind] of cases) {
    assert.throws(() => r.get(size as number), (err: NodeJS.ErrnoException) => {
      assert.ok(err instanceof Kind, `${String(size)}: ${err.constructor.name}`);
      assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
      assert.match(err.message, /"size"/);
      return true;
    });
  }
  assert.equal(r.stats().makes, 0);
}));

test('bad options throw with ERR_MEMSTATS_INVALID_OPTION naming the option', () => {
  const cases: [unknown, string][] = [
    [{ maxIdle: -1 }, 'maxIdle'], [{ maxIdle: 2.5 }, 'maxIdle'], [{ maxIdle: '3' }, 'maxIdle'],
    [{ maxIdleBytes: NaN }, 'maxIdleBytes'], [{ maxIdleBytes: -5 }, 'maxIdleBytes'],
    [{ maxAgeMs: -1 }, 'maxAgeMs'], [{ maxAgeMs: Infinity }, 'maxAgeMs'],
    [{ zeroOnGet: 1 }, 'zeroOnGet'], [{ maxOversizeRatio: 0.5 }, 'maxOversizeRatio'],
    [{ backing: 'mmap' }, 'backing'], [{ onMisuse: 'warn' }, 'onMisuse'], ['big', 'options'],
  ];
  for (const [opts, name] of cases) {
    assert.throws(() => createRecycler(opts as never), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ERR_MEMSTATS_INVALID_OPTION');
      assert.ok(err instanceof TypeError || err instanceof RangeError);
      assert.ok(err.message.includes(`"${name}"`), err.message);
      return true;
    });
  }
});

test('counters stay exact over a random mix of sizes, gives, and misuse', withRecycler({ maxIdle: 5, maxIdleBytes: 2 * MiB, onMisuse: 'ignore', maxAgeMs: 0 }, (r) => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const held: Buffer[] = [];
  let gets = 0;
  for (let i = 0; i < 2000; i++) {
    if (held.length > 0 && rnd() < 0.5) {
      const b = held.splice(Math.floor(rnd() * held.length), 1)[0];
      r.give(b);
      if (rnd() < 0.1) r.give(b); // misuse: ignored
    } else {
      held.push(r.get(1 + Math.floor(rnd() * 600_000)));
      gets++;
    }
  }
  const s = r.stats();
  assert.equal(s.hits + s.misses, gets);
  assert.ok(s.idleCount <= 5 && s.idleBytes <= 2 * MiB);
  assertBalanced(s);
  assert.ok(s.rejects > 0);
}));

test("backing 'resizable': only the requested bytes are held, and the memory is reused across sizes", withRecycler({ backing: 'resizable', zeroOnGet: true }, (r) => {
  assert.equal(r.backing, 'resizable');
  const a = r.get(5_000_000);
  const ab = a.buffer as ArrayBuffer & { resizable: boolean; maxByteLength: number };
  assert.equal(ab.resizable, true);
  assert.ok(ab.maxByteLength >= 10_000_000, 'reserved for twice the request');
  a.fill(0xcd);
  r.give(a);
  assert.equal(r.stats().idleBytes, 5_000_000);
  const b = r.get(3_000_000);
  assert.equal(b.buffer, ab);
  assert.equal(ab.byteLength, 3_000_000, 'shrunk to the request');
  assert.ok(b.every((x) => x === 0));
  b.fill(0xee);
  r.give(b);
  const c = r.get(9_000_000);
  assert.equal(c.buffer, ab, 'grown within its reservation');
  assert.equal(c.length, 9_000_000);
  assert.ok(c.every((x) => x === 0), 'old bytes zeroed, new pages zero');
  // Small requests stay on fixed buffers (a resizable ArrayBuffer costs a mapping of its own).
  const small = r.get(1000);
  assert.equal((small.buffer as ArrayBuffer & { resizable: boolean }).resizable, false);
  r.give(c);
  // A buffer let go is shrunk to nothing at once: its pages go back to the OS now, not at the next GC.
  r.trim();
  assert.equal(ab.byteLength, 0);
  assert.equal(c.length, 0, 'a stale view goes out of bounds instead of aliasing reused memory');
}));

test('close() lets idle buffers go, leaves no timer, and later calls still work', async () => {
  const timeouts = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') timeouts.add(id);
    },
    destroy(id) {
      timeouts.delete(id);
    },
  }).enable();
  try {
    const r = createRecycler({ maxAgeMs: 60_000 });
    r.give(r.get(1000));
    r.give(r.get(1000)); // reuses the first; one idle
    assert.ok(timeouts.size >= 1, 'a stale-eviction timer while buffers are idle');
    const leased = r.get(1000);
    r.give(leased);
    r.close();
    // destroy hooks run asynchronously: give them a few turns of the loop.
    for (let i = 0; i < 50 && timeouts.size > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(timeouts.size, 0, 'no timer after close()');
    assert.equal(r.closed, true);
    r.close(); // harmless
    const s0 = r.stats();
    assert.equal(s0.idleCount, 0);
    assert.equal(s0.drops, 1);
    const after = r.get(1000);
    assert.equal(after.length, 1000);
    assert.equal(r.give(after), false);
    const s = r.stats();
    assert.equal(s.makes, s0.makes + 1);
    assert.equal(s.drops, 2);
    assertBalanced(s);
  } finally {
    hook.disable();
  }
});

test('an idle recycler never keeps the process alive', () => {
  const fixture = fileURLToPath(new URL('../fixtures/pool/idle-exit.js', import.meta.url));
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [fixture], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /idle 1/);
  assert.ok(Date.now() - t0 < 15_000);
});

test('counters appear in the sampler as sources.recycler, summed, until the last recycler closes', () => {
  // Earlier tests' recyclers are all closed: no source, but their cumulative totals are kept.
  assert.equal(readSampleSources()?.recycler, undefined, 'no source while no recycler is open');
  const a = createRecycler();
  const base = readSampleSources()?.recycler;
  assert.ok(base);
  const b = createRecycler();
  a.give(a.get(100));
  b.get(100);
  const src = readSampleSources()!.recycler;
  assert.equal(src.makes - base.makes, 2);
  assert.equal(src.gives - base.gives, 1);
  assert.equal(src.idleCount, 1);
  assert.equal(src.idleBytes, 112, 'a 100-byte request gets a 112-byte class');
  for (const k of ['makes', 'hits', 'misses', 'gives', 'drops', 'evictions', 'idleCount', 'idleBytes']) {
    assert.equal(typeof src[k], 'number', k);
  }
  a.close();
  const after = readSampleSources()?.recycler;
  assert.ok(after, 'still there while b lives');
  assert.equal(after.makes - base.makes, 2, 'a closed recycler still counts in the cumulative counters');
  assert.equal(after.drops - base.drops, 1, 'closing let its idle buffer go');
  assert.equal(after.idleCount, 0);
  b.close();
  assert.equal(readSampleSources()?.recycler, undefined);
});

test('a recycler dropped without close() leaves the sampler when collected, its totals kept', async () => {
  const { gc } = await import('../../src/runtime/gc.js');
  assert.equal(readSampleSources()?.recycler, undefined);
  const keep = createRecycler();
  const base = readSampleSources()!.recycler;
  (() => {
    const dropped = createRecycler({ maxAgeMs: 0 });
    const x = dropped.get(1000);
    dropped.get(1000);
    dropped.give(x);
  })();
  assert.equal(readSampleSources()!.recycler.makes - base.makes, 2);
  assert.equal(readSampleSources()!.recycler.idleCount, 1);
  // FinalizationRegistry callbacks run on a later turn after the GC.
  for (let i = 0; i < 20 && readSampleSources()!.recycler.idleCount > 0; i++) {
    gc();
    await sleep(10);
  }
  const after = readSampleSources()!.recycler;
  assert.equal(after.idleCount, 0, 'the collected recycler no longer counts as idle');
  assert.equal(after.makes - base.makes, 2, 'its makes are kept');
  keep.close();
  assert.equal(readSampleSources()?.recycler, undefined);
});
