/**
 * @module snapshot/string-table
 * The `strings` array of a heap snapshot, kept as the raw UTF-8 bytes of the
 * JSON text in one Buffer plus an offset per string, and decoded only when asked
 * for. A snapshot has millions of strings of which an analysis reads a few
 * thousand (constructor and property names): as JS strings they would cost a
 * header each (~20–30 bytes) on top of the characters; here they cost the bytes
 * and 4 bytes of offset.
 */

/** StringTable: append-only store of JSON string bodies (still escaped), decoded lazily. */
export class StringTable {
  private bytes: Buffer;
  private used = 0;
  private offsets: Uint32Array;
  /** Bit i set: string i contains a backslash escape and needs JSON decoding. */
  private escaped: Uint8Array;
  private n = 0;
  private readonly cache = new Map<number, string>();

  constructor(expectedBytes = 1 << 16, expectedCount = 1 << 12) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
    this.offsets = new Uint32Array(Math.max(16, expectedCount) + 1);
    this.escaped = new Uint8Array((this.offsets.length >> 3) + 1);
  }

  /** Number of strings stored. */
  get length(): number {
    return this.n;
  }

  /** Bytes held (capacity of the byte store plus the offset arrays). */
  get byteSize(): number {
    return this.bytes.length + this.offsets.byteLength + this.escaped.byteLength;
  }

  /** Starts a new string; returns its index. */
  begin(): number {
    if (this.n + 1 >= this.offsets.length) {
      const o = new Uint32Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
      const e = new Uint8Array((o.length >> 3) + 1);
      e.set(this.escaped);
      this.escaped = e;
    }
    this.offsets[this.n] = this.used;
    return this.n;
  }

  /** Appends bytes [start, end) of `src` to the string begun last. */
  append(src: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len <= 0) return;
    if (this.used + len > this.bytes.length) {
      let cap = this.bytes.length * 2;
      while (cap < this.used + len) cap *= 2;
      const b = Buffer.allocUnsafe(cap);
      this.bytes.copy(b, 0, 0, this.used);
      this.bytes = b;
    }
    src.copy(this.bytes, this.used, start, end);
    this.used += len;
  }

  /** Marks the string begun last as holding escapes. */
  markEscaped(): void {
    this.escaped[this.n >> 3] |= 1 << (this.n & 7);
  }

  /** Ends the string begun last. */
  end(): void {
    this.n++;
    this.offsets[this.n] = this.used;
  }

  /** Releases spare capacity once every string is in. */
  trim(): void {
    if (this.bytes.length > this.used + 4096) {
      const b = Buffer.allocUnsafe(this.used);
      this.bytes.copy(b, 0, 0, this.used);
      this.bytes = b;
    }
    if (this.offsets.length > this.n + 1) this.offsets = this.offsets.slice(0, this.n + 1);
  }

  /** get returns string `i` decoded ('' for an index out of range). */
  get(i: number): string {
    if (!(i >= 0 && i < this.n)) return '';
    const hit = this.cache.get(i);
    if (hit !== undefined) return hit;
    const s = this.decode(i);
    // The same few hundred names (Object, Map, closure names) are asked for again and again.
    if (this.cache.size < 100_000) this.cache.set(i, s);
    return s;
  }

  private decode(i: number): string {
    const start = this.offsets[i];
    const end = this.offsets[i + 1];
    const esc = (this.escaped[i >> 3] & (1 << (i & 7))) !== 0;
    const text = this.bytes.toString('utf8', start, end);
    if (!esc) return text;
    try {
      return JSON.parse(`"${text}"`) as string;
    } catch {
      return text;
    }
  }

  /** hash returns a 32-bit FNV-1a hash of string `i`'s stored bytes (equal strings, equal hashes, across snapshots). */
  hash(i: number): number {
    if (!(i >= 0 && i < this.n)) return 0;
    let h = 0x811c9dc5;
    const b = this.bytes;
    for (let p = this.offsets[i], end = this.offsets[i + 1]; p < end; p++) {
      h ^= b[p];
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  /** byteLength of string `i` as stored. */
  storedLength(i: number): number {
    return i >= 0 && i < this.n ? this.offsets[i + 1] - this.offsets[i] : 0;
  }

  /** True if string `i`'s stored bytes start with `prefix` (ASCII). */
  startsWith(i: number, prefix: string): boolean {
    if (!(i >= 0 && i < this.n)) return false;
    const start = this.offsets[i];
    if (this.offsets[i + 1] - start < prefix.length) return false;
    for (let k = 0; k < prefix.length; k++) if (this.bytes[start + k] !== prefix.charCodeAt(k)) return false;
    return true;
  }
}
