/**
 * @module pool/object-pool
 * `createPool()`: the recycler's idea for any object — `get()` returns an idle
 * object or a new one from `create`, `give(obj)` resets it and keeps it unless
 * the pool is full; objects idle for `maxAgeMs` are let go by one unref'd timer.
 */
import { performance } from 'node:perf_hooks';
import { enumOption, functionOption, invalidOption, numberOption, optionsObject, optionNames } from '../internal/validate.js';
import { misuseError, type MisuseAction, type MisuseKind } from './errors.js';
import { IdleSet, type IdleNode } from './idle-list.js';
const POOL_OPTIONS_NAMES = optionNames<PoolOptions<object>>({ create: true, reset: true, maxIdle: true, maxAgeMs: true, onMisuse: true });

/** Options of {@link createPool}. */
export interface PoolOptions<T extends object> {
  /** Makes a new object when none is idle. Required. Must return an object (pools track objects by identity). */
  create: () => T;
  /**
   * Called with each object given back, before it is kept, to clear what the
   * last user left in it (and drop references it holds). If it throws, the
   * object is let go and give() rethrows. Default: none.
   */
  reset?: (obj: T) => void;
  /** Most objects kept idle (integer ≥ 0). Default 64. */
  maxIdle?: number;
  /** An object idle this long is let go, ms (≥ 0; 0 never lets go by age). Default 60000. */
  maxAgeMs?: number;
  /** What give() does with an object given twice or not from this pool: `'throw'` (default) or `'ignore'`. */
  onMisuse?: MisuseAction;
}

/** Counters of one pool (see {@link Pool.stats}); the recycler's, without bytes. */
export interface PoolStats {
  /** Objects created. Equal to `misses`. */
  makes: number;
  /** get() calls served by an idle object. */
  hits: number;
  /** get() calls that created an object. */
  misses: number;
  /** Objects given back (misuse excluded). */
  gives: number;
  /** Objects let go because the pool was full or closed, or reset() threw. */
  drops: number;
  /** Objects let go because they were idle for maxAgeMs (or trim() was called). */
  evictions: number;
  /** Objects idle now. */
  idleCount: number;
  /** give() calls refused as misuse (thrown or ignored). */
  rejects: number;
}

/** An object pool. See {@link createPool}. */
export interface Pool<T extends object> {
  /** get returns the most recently given idle object, or a new one from `create` (whose errors it rethrows). Never blocks. After close(), every get() creates. */
  get(): T;
  /**
   * give hands `obj` back: reset() runs, then it is kept (true) or let go (false:
   * the pool is full or closed). An object that is already idle here
   * (`ERR_MEMSTATS_GIVEN_TWICE`) or that this pool did not create
   * (`ERR_MEMSTATS_FOREIGN_OBJECT`) throws, or is ignored with `onMisuse:
   * 'ignore'`. An object given, handed out again and then given again by its
   * first user cannot be told apart from a correct give — a recycler's Buffers
   * can, because each get() returns a new Buffer.
   */
  give(obj: T): boolean;
  /** stats returns a snapshot of the counters. */
  stats(): PoolStats;
  /** trim lets go of every idle object now (counted as evictions) and returns how many. */
  trim(): number;
  /** close lets go of the idle objects and stops the timer. Calling it twice is harmless. */
  close(): void;
  /** True after close(). */
  readonly closed: boolean;
}

interface Entry<T> extends IdleNode {
  obj: T;
}

/**
 * createPool returns an object pool with idle cap and stale eviction. Throws
 * TypeError/RangeError with `code: 'ERR_MEMSTATS_INVALID_OPTION'` for a bad
 * option (`create` is required). Each call creates an independent pool.
 *
 * @example
 * const pool = createPool({ create: () => new Map<string, number>(), reset: (m) => m.clear() });
 * const m = pool.get();
 * try { use(m); } finally { pool.give(m); }
 */
export function createPool<T extends object>(options: PoolOptions<T>): Pool<T> {
  const o = optionsObject<PoolOptions<T>>('options', options, POOL_OPTIONS_NAMES);
  if (o.create === undefined) throw invalidOption('type', 'create', undefined, 'a function returning a new object');
  const create = functionOption<() => T>('create', o.create) as () => T;
  const reset = functionOption<(obj: T) => void>('reset', o.reset);
  const maxIdle = numberOption('maxIdle', o.maxIdle, 64, { min: 0, integer: true });
  const maxAgeMs = numberOption('maxAgeMs', o.maxAgeMs, 60_000, { min: 0, max: 0x7fffffff });
  const onMisuse = enumOption<MisuseAction>('onMisuse', o.onMisuse, ['throw', 'ignore'], 'throw');

  const s: PoolStats = { makes: 0, hits: 0, misses: 0, gives: 0, drops: 0, evictions: 0, idleCount: 0, rejects: 0 };
  let closed = false;
  const created = new WeakSet<object>();
  const entries = new Map<T, Entry<T>>(); // idle objects
  const idle = new IdleSet<Entry<T>>(maxAgeMs, letGo, s);

  function letGo(e: Entry<T>): void {
    idle.remove(e);
    entries.delete(e.obj);
    s.idleCount--;
  }

  function reject(kind: MisuseKind, value: unknown): false {
    s.rejects++;
    if (onMisuse === 'throw') throw misuseError(kind, 'pool', kind === 'wrong-type' ? 'an object returned by get()' : 'object', value);
    return false;
  }

  return {
    get(): T {
      const e = idle.tail;
      if (e !== null && !closed) {
        letGo(e);
        if (idle.size === 0) idle.timer.clear();
        s.hits++;
        return e.obj;
      }
      const obj = create();
      if ((typeof obj !== 'object' && typeof obj !== 'function') || obj === null) {
        throw invalidOption('type', 'create() result', obj, 'an object');
      }
      created.add(obj);
      s.makes++;
      s.misses++;
      return obj;
    },

    give(obj: T): boolean {
      if ((typeof obj !== 'object' && typeof obj !== 'function') || obj === null) return reject('wrong-type', obj);
      if (!created.has(obj)) return reject('foreign', obj);
      if (entries.has(obj)) return reject('given-twice', obj);
      s.gives++;
      if (reset !== undefined) {
        try {
          reset(obj);
        } catch (err) {
          s.drops++;
          throw err;
        }
      }
      if (closed || maxIdle === 0) {
        s.drops++;
        return false;
      }
      while (idle.size >= maxIdle) idle.dropOldest();
      const e: Entry<T> = { obj, prev: null, next: null, idleSinceMs: 0 };
      idle.keep(e, performance.now());
      entries.set(obj, e);
      s.idleCount++;
      return true;
    },

    stats(): PoolStats {
      return { ...s };
    },

    trim(): number {
      return idle.trim();
    },

    close(): void {
      if (closed) return;
      closed = true;
      idle.dropAll();
    },

    get closed(): boolean {
      return closed;
    },
  };
}
