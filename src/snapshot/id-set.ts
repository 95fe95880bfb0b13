/**
 * @module snapshot/id-set
 * The object ids of one snapshot, kept after the snapshot itself is released:
 * to tell which objects of a later snapshot are new (V8 keeps an object's id for
 * the life of the process), and whether two snapshots come from the same
 * process at all (the same id then names the same kind of object).
 *
 * One sorted Float64Array of `id × 2^21 + signature` (signature: the top 21
 * bits of a hash of the node's type and name — ids are below 2^32, so the key
 * stays below 2^53 and exact), 8 bytes per object, sorted natively.
 */
import type { HeapSnapshot } from './heap-snapshot.js';

const SHIFT = 2097152; // 2^21
const sig21 = (sig: number): number => sig >>> 11;

/** Sorted ids (with signatures) of one snapshot. */
export class IdSet {
  private constructor(
    private readonly keys: Float64Array,
    /** Highest id of a V8 heap object (odd ids) in the snapshot. */
    readonly maxId: number,
  ) {}

  /** Number of objects. */
  get size(): number {
    return this.keys.length;
  }

  /** from builds the set of `s`'s non-synthetic nodes (those `keep` accepts, when given). */
  static from(s: HeapSnapshot, keep?: (node: number) => boolean): IdSet {
    const n = s.nodeCount;
    const keys = new Float64Array(n);
    let k = 0;
    let maxId = 0;
    const SYN = s.types.synthetic;
    for (let i = 0; i < n; i++) {
      if (s.nodeType[i] === SYN || (keep && !keep(i))) continue;
      const id = s.nodeId[i];
      // V8 gives heap objects odd ids in allocation order; embedder (C++) nodes get even, address-derived ones.
      if (id & 1 && id > maxId) maxId = id;
      keys[k++] = id * SHIFT + sig21(signature(s, i));
    }
    const sorted = keys.subarray(0, k).sort();
    return new IdSet(k === n ? sorted : sorted.slice(), maxId);
  }

  /** find: -1 if `id` is absent, 1 if present with the same signature, 0 if present with another. */
  find(id: number, sig: number): -1 | 0 | 1 {
    const a = this.keys;
    let lo = 0;
    let hi = a.length - 1;
    const lowKey = id * SHIFT;
    // First key >= id × 2^32.
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < lowKey) lo = mid + 1;
      else hi = mid - 1;
    }
    if (lo >= a.length || Math.floor(a[lo] / SHIFT) !== id) return -1;
    const want = sig21(sig);
    for (let j = lo; j < a.length && Math.floor(a[j] / SHIFT) === id; j++) if (a[j] - lowKey === want) return 1;
    return 0;
  }

  /** has: whether `id` is in the set. */
  has(id: number): boolean {
    return this.find(id, 0) !== -1;
  }
}

/** Per snapshot: the hash of each name, computed on first use (4 bytes per string). */
const nameHashes = new WeakMap<HeapSnapshot, { hash: Uint32Array; done: Uint8Array }>();

/** signature of node i: a 32-bit hash of its type and name text (the same object reads the same in two snapshots). */
export function signature(s: HeapSnapshot, i: number): number {
  const t = s.nodeType[i];
  const T = s.types;
  const typeMix = Math.imul(t + 1, 0x9e3779b1) >>> 0;
  // Strings' names are their contents, numbers' their values, hidden/code names vary: by type only.
  if (t === T.string || t === T.consString || t === T.slicedString || t === T.number || t === T.code || t === T.hidden || t === T.array) return typeMix;
  let h = nameHashes.get(s);
  if (!h) {
    h = { hash: new Uint32Array(s.strings.length), done: new Uint8Array(s.strings.length) };
    nameHashes.set(s, h);
  }
  const nameIdx = s.nodeName[i];
  if (h.done[nameIdx] === 0) {
    h.hash[nameIdx] = s.strings.hash(nameIdx);
    h.done[nameIdx] = 1;
  }
  return (h.hash[nameIdx] ^ typeMix) >>> 0;
}
