/**
 * @module pool/recycler
 * `createRecycler()`: the seed's buffer recycler for Node. `get(size)` hands out
 * a recycled Buffer that fits or a new one; `give(buf)` keeps it for the next
 * `get` or lets it go when the idle caps are full; buffers idle for `maxAgeMs`
 * are let go by one unref'd timer. Neither call ever blocks or waits.
 *
 * Size classes (pool/size-class): four per doubling. A new buffer gets the
 * capacity of its request's class (less than 1.25 × the request); a recycled
 * buffer serves a request when its capacity is between the request and
 * `maxOversizeRatio` × the request, smallest capacity first — so requests of
 * varying size keep finding buffers, and no buffer wastes more than the ratio
 * allows. With `backing: 'resizable'` the unused capacity is not even resident
 * (see RecyclerOptions.backing).
 */
import { performance } from 'node:perf_hooks';
import {
  booleanOption,
  enumOption,
  numberOption,
  optionsObject,
  requireNumber,
  optionNames,
} from '../internal/validate.js';
import { misuseError, type MisuseAction, type MisuseKind } from './errors.js';
import { IdleSet, type IdleNode } from './idle-list.js';
import { trackRecycler, type RecyclerCounters } from './sampler-source.js';
import { CLASS_COUNT, MAX_BUFFER_BYTES, classCapacity, classIndex } from './size-class.js';
const RECYCLER_OPTIONS_NAMES = optionNames<RecyclerOptions>({ maxIdle: true, maxIdleBytes: true, maxAgeMs: true, zeroOnGet: true, maxOversizeRatio: true, backing: true, onMisuse: true });

/** How a recycler allocates its buffers' memory. */
export type RecyclerBacking = 'fixed' | 'resizable';

/** Options of {@link createRecycler}. */
export interface RecyclerOptions {
  /** Most buffers kept idle (integer ≥ 0; 0 keeps none). Default 64. */
  maxIdle?: number;
  /** Most bytes kept idle (integer ≥ 0). Default 256 MiB. A buffer larger than this is never kept. */
  maxIdleBytes?: number;
  /** A buffer idle this long is let go, ms (≥ 0; 0 never lets go by age). Default 60000, the seed's one minute. */
  maxAgeMs?: number;
  /**
   * Zero every buffer before get() returns it, so bytes written by one user are
   * never seen by the next. Default false: like `Buffer.allocUnsafe`, contents are
   * unspecified, and a recycled buffer holds what its last user wrote. Costs one
   * memset of the requested size per recycled get (what `Buffer.alloc` pays).
   */
  zeroOnGet?: boolean;
  /**
   * Largest capacity / request ratio of a recycled buffer (≥ 1). Default 2: a
   * 5 MB request may get a recycled buffer of up to 10 MB capacity. Lower wastes
   * less memory per buffer and finds fewer matches; 1 reuses only the request's
   * own size class (< 25% over).
   */
  maxOversizeRatio?: number;
  /**
   * `'fixed'` (default): each buffer is an ordinary ArrayBuffer of its class
   * capacity. `'resizable'`: buffers larger than 256 KiB are resizable
   * ArrayBuffers (ES2024) reserving `maxOversizeRatio` × their first request and
   * resized to each request, so only the requested bytes are resident, and a buffer let go
   * returns its memory to the OS at once instead of at the next GC. Costs:
   * growing a buffer faults in fresh zero pages; element access in hot
   * JavaScript loops (`buf[i]`, DataView) is slower on Node 20's V8 (2–10×
   * measured; Buffer methods, fs and sockets are not); these bytes are not counted in
   * `process.memoryUsage().arrayBuffers`. Falls back to `'fixed'` where
   * ArrayBuffers cannot resize.
   */
  backing?: RecyclerBacking;
  /** What give() does with a buffer given twice, not from this recycler, or a view of one: `'throw'` (default) or `'ignore'` (counted in `rejects`). */
  onMisuse?: MisuseAction;
}

/** Counters of one recycler (see {@link Recycler.stats}). */
export interface RecyclerStats {
  /** Buffers allocated (the seed's `makes`). Equal to `misses`. */
  makes: number;
  /** get() calls served by a recycled buffer. */
  hits: number;
  /** get() calls that allocated (no idle buffer fit). get(0) counts in neither. */
  misses: number;
  /** Buffers given back (misuse excluded). gives = hits taken from them + drops + evictions + idleCount. */
  gives: number;
  /** Buffers let go because a cap was full, or because the recycler was closed. */
  drops: number;
  /** Buffers let go because they were idle for maxAgeMs (or trim() was called). */
  evictions: number;
  /** Buffers idle now. */
  idleCount: number;
  /** Bytes idle now: capacity of fixed buffers, resident length of resizable ones. */
  idleBytes: number;
  /** give() calls refused as misuse (thrown or ignored). */
  rejects: number;
}

/** A buffer recycler. See {@link createRecycler}. */
export interface Recycler {
  /**
   * get returns a Buffer of exactly `size` bytes: a recycled one that fits, or a
   * new one. Never blocks. Contents are unspecified unless `zeroOnGet`.
   * `get(0)` returns a new empty Buffer and counts nothing. Throws a TypeError /
   * RangeError (`ERR_MEMSTATS_INVALID_OPTION`) unless `size` is an integer from
   * 0 to `buffer.constants.MAX_LENGTH`; an allocation the system cannot satisfy
   * throws as `Buffer.allocUnsafe` does. After close(), every get() allocates.
   */
  get(size: number): Buffer;
  /**
   * getAtLeast returns a Buffer of at least `size` bytes, all of them the
   * caller's: a recycled buffer whole (up to `maxOversizeRatio` × `size`; a
   * resizable one keeps its current length when that fits), or a new one of
   * `newSize` bytes when given (an integer from max(1, `size`) to
   * `buffer.constants.MAX_LENGTH`), else of the request's class capacity
   * (< 1.25 × `size`). The seed's semantics: code that can use whatever room it
   * gets (read chunks, scratch space, a writer's buffer) uses every byte the
   * recycler holds, so sizes that vary waste nothing resident — the seed's
   * recycler is `getAtLeast(5_000_000, randomSize)` (docs/recycling.md).
   * Otherwise as get(); give() takes the result back the same way.
   * `getAtLeast(0)` without `newSize` returns an empty Buffer.
   */
  getAtLeast(size: number, newSize?: number): Buffer;
  /**
   * give hands `buf` back; returns true when it is kept for a later get(), false
   * when it is let go (caps full, too large, closed) or ignored. Never blocks.
   * `buf` must be a Buffer this recycler's get() returned, given once, and
   * neither it nor any view of it may be used afterwards. A Buffer given twice
   * (`ERR_MEMSTATS_GIVEN_TWICE`), not from this recycler
   * (`ERR_MEMSTATS_FOREIGN_BUFFER`), a view of a recycled Buffer
   * (`ERR_MEMSTATS_BUFFER_VIEW`) or not a Uint8Array at all (TypeError,
   * `ERR_MEMSTATS_INVALID_OPTION`) throws — or is ignored with `onMisuse:
   * 'ignore'` — and never changes the idle set. Empty Buffers are ignored.
   */
  give(buf: Uint8Array): boolean;
  /** stats returns a snapshot of the counters. */
  stats(): RecyclerStats;
  /** trim lets go of every idle buffer now (counted as evictions) and returns how many. */
  trim(): number;
  /** close lets go of the idle buffers, stops the timer and leaves the sampler. Calling it twice is harmless. */
  close(): void;
  /** True after close(). */
  readonly closed: boolean;
  /** The backing in use (`'fixed'` when `'resizable'` is not supported here). */
  readonly backing: RecyclerBacking;
}

/** Requests above this many bytes get resizable backing when asked for. */
export const RESIZABLE_MIN_BYTES = 256 * 1024;

interface ResizableArrayBuffer extends ArrayBuffer {
  readonly maxByteLength: number;
  resize(byteLength: number): void;
}
type ResizableArrayBufferConstructor = new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

const canResize = typeof (ArrayBuffer.prototype as Partial<ResizableArrayBuffer>).resize === 'function';

/** One allocation the recycler owns. */
interface Slot extends IdleNode {
  readonly ab: ArrayBuffer;
  /** Largest request the slot can serve, bytes. */
  readonly capacity: number;
  readonly classIdx: number;
  readonly resizable: boolean;
  /** Bytes counted in idleBytes while idle. */
  bytes: number;
  /** The Buffer get() handed out, while leased; null while idle. */
  lease: Buffer | null;
  /**
   * The Buffer last given back. Each get() returns a new Buffer, so giving this
   * one again is a second give even after the memory is leased again. (A
   * WeakSet of every given Buffer would catch older ones too, but costs more
   * than the rest of give(): bench/recycle.ts.)
   */
  lastGiven: Buffer | null;
}

/**
 * createRecycler returns a Buffer recycler: get(size) / give(buf), size classes,
 * idle caps, and eviction of buffers idle for `maxAgeMs` on an unref'd timer.
 * Its counters join `sample.sources.recycler` (summed over all recyclers) until
 * close(). Throws TypeError/RangeError with `code: 'ERR_MEMSTATS_INVALID_OPTION'`
 * for a bad option. Each call creates an independent recycler.
 *
 * @example
 * const recycler = createRecycler({ maxIdleBytes: 64 * 1024 * 1024 });
 * const buf = recycler.get(size);   // instead of Buffer.allocUnsafe(size)
 * try { fill(buf); send(buf); } finally { recycler.give(buf); }
 */
export function createRecycler(options?: RecyclerOptions): Recycler {
  const o = optionsObject<RecyclerOptions>('options', options, RECYCLER_OPTIONS_NAMES);
  const maxIdle = numberOption('maxIdle', o.maxIdle, 64, { min: 0, integer: true });
  const maxIdleBytes = numberOption('maxIdleBytes', o.maxIdleBytes, 256 * 1024 * 1024, { min: 0, integer: true });
  const maxAgeMs = numberOption('maxAgeMs', o.maxAgeMs, 60_000, { min: 0, max: 0x7fffffff });
  const zeroOnGet = booleanOption('zeroOnGet', o.zeroOnGet, false);
  const ratio = numberOption('maxOversizeRatio', o.maxOversizeRatio, 2, { min: 1, max: 1024 });
  const askedBacking = enumOption<RecyclerBacking>('backing', o.backing, ['fixed', 'resizable'], 'fixed');
  const onMisuse = enumOption<MisuseAction>('onMisuse', o.onMisuse, ['throw', 'ignore'], 'throw');
  const backing: RecyclerBacking = askedBacking === 'resizable' && canResize ? 'resizable' : 'fixed';

  const counters: RecyclerCounters = { makes: 0, hits: 0, misses: 0, gives: 0, drops: 0, evictions: 0, idleCount: 0, idleBytes: 0 };
  let rejects = 0;
  let closed = false;

  const owners = new WeakMap<ArrayBuffer, Slot>();
  // Idle slots by class, oldest at index 0 (the same order as `idle`).
  const byClass: (Slot[] | undefined)[] = new Array(CLASS_COUNT);
  const idle = new IdleSet<Slot>(maxAgeMs, letGo, counters);

  // Unlinks an idle slot everywhere. The oldest of a class is its stack's bottom.
  function unlinkIdle(slot: Slot, fromTop: boolean): void {
    const stack = byClass[slot.classIdx]!;
    if (fromTop) stack.pop();
    else if (stack[0] === slot) stack.shift();
    else stack.splice(stack.indexOf(slot), 1);
    idle.remove(slot);
    counters.idleCount--;
    counters.idleBytes -= slot.bytes;
  }

  // Lets an idle slot go: the GC frees a fixed buffer; a resizable one is
  // shrunk to 0 so its pages go back to the OS now.
  function letGo(slot: Slot): void {
    unlinkIdle(slot, false);
    release(slot);
  }

  function release(slot: Slot): void {
    if (slot.resizable) {
      try {
        (slot.ab as ResizableArrayBuffer).resize(0);
      } catch {
        // Shrinking cannot fail in V8; if it did, the GC still frees the memory.
      }
    }
  }

  function lease(slot: Slot, size: number): Buffer {
    const buf = Buffer.from(slot.ab, 0, size);
    slot.lease = buf;
    return buf;
  }

  // A new buffer for a get(size) (`atLeast` false), or for a getAtLeast(size,
  // newSize) (`newSize` undefined: the class capacity, handed out whole).
  function make(size: number, atLeast: boolean, newSize: number | undefined): Buffer {
    const first = newSize ?? size;
    if (backing === 'resizable' && first > RESIZABLE_MIN_BYTES) {
      // Reserve room for requests up to `ratio` × this one: reserved address
      // space costs nothing until written.
      const classIdx = classIndex(Math.min(MAX_BUFFER_BYTES, Math.ceil(first * ratio)));
      const capacity = Math.min(MAX_BUFFER_BYTES, classCapacity(classIdx));
      const ab = new (ArrayBuffer as unknown as ResizableArrayBufferConstructor)(first, { maxByteLength: capacity });
      const slot: Slot = { ab, capacity, classIdx, resizable: true, bytes: first, lease: null, lastGiven: null, prev: null, next: null, idleSinceMs: 0 };
      owners.set(ab, slot);
      counters.makes++; // counted once the allocation succeeded
      counters.misses++;
      return lease(slot, first);
    }
    // A size the caller chose is made exactly; otherwise the class capacity,
    // so the buffer can serve later requests of the whole class.
    const classIdx = classIndex(first);
    const capacity = newSize ?? Math.min(MAX_BUFFER_BYTES, classCapacity(classIdx));
    // Each slot needs its own ArrayBuffer (ownership is looked up by it), so not
    // Buffer.allocUnsafe, whose small buffers share an 8 KiB pool.
    const ab = zeroOnGet ? new ArrayBuffer(capacity) : (Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer);
    const slot: Slot = { ab, capacity, classIdx, resizable: false, bytes: capacity, lease: null, lastGiven: null, prev: null, next: null, idleSinceMs: 0 };
    owners.set(ab, slot);
    counters.makes++;
    counters.misses++;
    return lease(slot, atLeast ? capacity : size);
  }

  function take(size: number, atLeast: boolean): Buffer | undefined {
    const lo = classIndex(size);
    // Resizable slots waste nothing resident, so they may serve requests down
    // to 1/ratio² of their reservation; fixed ones only down to 1/ratio.
    const reach = backing === 'resizable' && size > RESIZABLE_MIN_BYTES ? ratio * ratio : ratio;
    const hi = classIndex(Math.min(MAX_BUFFER_BYTES, Math.floor(size * reach)));
    for (let c = lo; c <= hi; c++) {
      const stack = byClass[c];
      if (stack === undefined || stack.length === 0) continue;
      const slot = stack[stack.length - 1];
      // Only the newest of a class is tried. A buffer made to a caller's exact
      // size (getAtLeast's newSize) may sit below its class's capacity.
      if (slot.capacity < size) continue;
      // Within `ratio` of the request — or of its own class's capacity, which is what a buffer
      // made for this request would have had (small requests, and ratio 1, hit again).
      if (!slot.resizable && slot.capacity > Math.max(size * ratio, classCapacity(lo))) continue;
      unlinkIdle(slot, true);
      if (slot.resizable) {
        const ab = slot.ab as ResizableArrayBuffer;
        const old = ab.byteLength;
        // getAtLeast keeps the current length when it fits: no fault, no decommit.
        const len = atLeast && old >= size && old <= size * ratio ? old : size;
        if (old !== len) {
          try {
            // Shrinking returns the tail's pages to the OS (V8 zeroes then
            // decommits them); growing maps fresh zero pages.
            ab.resize(len);
          } catch {
            counters.drops++;
            release(slot);
            return undefined;
          }
        }
        slot.bytes = len;
        counters.hits++;
        const buf = lease(slot, len);
        if (zeroOnGet) buf.fill(0, 0, Math.min(old, len)); // bytes past `old` are already zero
        return buf;
      }
      counters.hits++;
      const buf = lease(slot, atLeast ? slot.capacity : size);
      // The whole backing store, not only the view: `buf.buffer` reaches all of it.
      if (zeroOnGet) new Uint8Array(slot.ab, 0, slot.capacity).fill(0);
      return buf;
    }
    return undefined;
  }

  function reject(kind: MisuseKind, value: unknown): false {
    rejects++;
    if (onMisuse === 'throw') throw misuseError(kind, 'recycler', kind === 'wrong-type' ? 'a Buffer returned by get()' : 'Buffer', value);
    return false;
  }

  function obtain(size: number, atLeast: boolean, newSize: number | undefined): Buffer {
    requireNumber('size', size, { min: 0, max: MAX_BUFFER_BYTES, integer: true });
    if (newSize !== undefined) requireNumber('newSize', newSize, { min: Math.max(1, size), max: MAX_BUFFER_BYTES, integer: true });
    if (size === 0 && newSize === undefined) return Buffer.alloc(0);
    if (!closed && idle.size > 0) {
      const buf = take(Math.max(1, size), atLeast);
      // The stale timer stays armed when this empties the idle set: it then
      // fires once, finds nothing and stops — cheaper than clearing and
      // re-arming it on every get/give pair.
      if (buf !== undefined) return buf;
    }
    return make(size, atLeast, newSize);
  }

  const recycler: Recycler = {
    get(size: number): Buffer {
      return obtain(size, false, undefined);
    },

    getAtLeast(size: number, newSize?: number): Buffer {
      return obtain(size, true, newSize);
    },

    give(buf: Uint8Array): boolean {
      if (!(buf instanceof Uint8Array)) return reject('wrong-type', buf);
      // Empty: get(0)'s result (never pooled), or a view of a resizable buffer
      // already let go. Nothing to keep and nothing to corrupt.
      if (buf.byteLength === 0) {
        // A leased buffer whose memory was transferred away (detached): lost to the recycler, and counted.
        const gone = owners.get(buf.buffer as ArrayBuffer);
        if (gone !== undefined && gone.lease === buf) {
          gone.lease = null;
          rejects++;
        }
        return false;
      }
      const slot = owners.get(buf.buffer as ArrayBuffer);
      if (slot === undefined) return reject('foreign', buf);
      if (slot.lease !== buf) return reject(buf === slot.lastGiven ? 'given-twice' : 'view', buf);
      slot.lastGiven = buf as Buffer;
      slot.lease = null;
      counters.gives++;
      if (closed || slot.bytes > maxIdleBytes || maxIdle === 0) {
        counters.drops++;
        release(slot);
        return false;
      }
      // Make room by letting the oldest idle buffers go: they match the recent
      // request sizes least, and the newest buffer is the warmest.
      while (idle.size >= maxIdle || counters.idleBytes + slot.bytes > maxIdleBytes) idle.dropOldest();
      const now = performance.now();
      let stack = byClass[slot.classIdx];
      if (stack === undefined) stack = byClass[slot.classIdx] = [];
      stack.push(slot);
      idle.keep(slot, now);
      counters.idleCount++;
      counters.idleBytes += slot.bytes;
      return true;
    },

    stats(): RecyclerStats {
      return { ...counters, rejects };
    },

    trim(): number {
      return idle.trim();
    },

    close(): void {
      if (closed) return;
      closed = true;
      idle.dropAll();
      untrack();
    },

    get closed(): boolean {
      return closed;
    },

    backing,
  };

  const untrack = trackRecycler(recycler, counters);
  return recycler;
}
