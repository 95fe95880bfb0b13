/**
 * @module pool/size-class
 * The recycler's size classes: four per doubling, as Go's and jemalloc's large
 * classes. A request of `n` bytes is served from a buffer of class capacity
 * `classCapacity(classIndex(n))`, which is less than 1.25 × n (rounding wastes
 * under 20% of the capacity). Requests of 64 bytes or less share one class.
 */
import { constants as bufferConstants } from 'node:buffer';

/** Largest Buffer Node can allocate, bytes (`buffer.constants.MAX_LENGTH`, 2^32 on 64-bit Node 20). */
export const MAX_BUFFER_BYTES: number = bufferConstants.MAX_LENGTH;

/** Capacity of the smallest class, bytes. */
export const MIN_CLASS_BYTES = 64;

/** Classes per doubling of size. */
export const CLASSES_PER_DOUBLING = 4;

// Index 0 is the ≤ 64-byte class; sizes in (2^e, 2^(e+1)] get indexes 4e+1 … 4e+4.
const SMALL_INDEX = 0;


// Powers of two by exponent: `2 ** e` with a variable exponent is a Math.pow
// call, and classIndex runs twice per get() (bench/recycle.ts).
const POW2: readonly number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);

/** classIndex returns the class of a request of `n` bytes (1 ≤ n ≤ 2^53); monotonic in `n`. */
export function classIndex(n: number): number {
  if (n <= MIN_CLASS_BYTES) return SMALL_INDEX;
  const m = n - 1;
  // Exact floor(log2(m)) without floating-point rounding near powers of two.
  const e = m < 4294967296 ? 31 - Math.clz32(m) : Math.floor(Math.log2(m));
  const base = POW2[e];
  // (n - base) / (base / 4), exact: base is a power of two.
  return CLASSES_PER_DOUBLING * e + Math.ceil(((n - base) * CLASSES_PER_DOUBLING) / base);
}

/** classCapacity returns the byte capacity of class `index` (the largest request it serves). */
export function classCapacity(index: number): number {
  if (index <= SMALL_INDEX) return MIN_CLASS_BYTES;
  const e = Math.floor((index - 1) / CLASSES_PER_DOUBLING);
  const j = index - CLASSES_PER_DOUBLING * e;
  return POW2[e] + j * (POW2[e] / CLASSES_PER_DOUBLING);
}

/** Number of class indexes up to MAX_BUFFER_BYTES (the length of a per-class table). */
export const CLASS_COUNT = classIndex(MAX_BUFFER_BYTES) + 1;
