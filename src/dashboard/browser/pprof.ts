/**
 * Dashboard page: a pprof profile (gzipped protobuf, what /debug/pprof/profile
 * serves and `go tool pprof` reads) decoded in the browser into a call tree
 * for the flame graph. The same bytes are offered as the download, so one
 * capture gives both. Only what a flame graph needs is decoded: sample types,
 * samples, locations, functions and the string table (profile.proto).
 */

interface PprofFunction {
  name: string;
  file: string;
  startLine: number;
}

interface PprofLocation {
  /** Function ids and lines, innermost first (inlined frames before their caller). */
  lines: Array<{ functionId: number; line: number }>;
}

interface PprofProfile {
  sampleTypes: Array<{ type: string; unit: string }>;
  samples: Array<{ locationIds: number[]; values: number[] }>;
  locations: Map<number, PprofLocation>;
  functions: Map<number, PprofFunction>;
  durationNanos: number;
  defaultSampleType: string;
}

/** A node of the call tree: one function, reached by one path from the root. */
interface FlameNode {
  name: string;
  file: string;
  line: number;
  /** Total value (self and callees), in the sample type's unit. */
  total: number;
  self: number;
  children: FlameNode[];
}

/** Protobuf wire-format reader over a byte range. */
class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** varint as a JS number (exact to 2^53; profiles' ids and values stay below). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('varint too long');
  }

  /** Reads a field key: [field number, wire type]. */
  key(): [number, number] {
    const k = this.varint();
    return [Math.floor(k / 8), k % 8];
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  sub(): ProtoReader {
    const n = this.varint();
    if (this.pos + n > this.end) throw new Error('truncated message');
    const r = new ProtoReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2: {
        // Not `this.pos += this.varint()`: that reads pos before varint() moves it.
        const n = this.varint();
        this.pos += n;
        return;
      }
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }

  /** A repeated integer field, packed (wire 2) or not (wire 0). */
  repeated(wire: number, into: number[]): void {
    if (wire === 2) {
      const r = this.sub();
      while (!r.done()) into.push(r.varint());
    } else into.push(this.varint());
  }
}

const utf8 = new TextDecoder();

/** gunzip inflates gzip bytes with the browser's DecompressionStream; plain bytes pass through. */
async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  if (typeof DecompressionStream === 'undefined') throw new Error('this browser cannot decompress gzip (no DecompressionStream)');
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** decodePprof parses a (gzipped) pprof profile. Throws on malformed input. */
async function decodePprof(input: Uint8Array): Promise<PprofProfile> {
  const buf = await gunzip(input);
  const r = new ProtoReader(buf);
  const strings: string[] = [];
  const rawTypes: Array<[number, number]> = [];
  const rawSamples: Array<{ locationIds: number[]; values: number[] }> = [];
  const locations = new Map<number, PprofLocation>();
  const rawFunctions = new Map<number, [name: number, file: number, startLine: number]>();
  let durationNanos = 0;
  let defaultType = 0;
  while (!r.done()) {
    const [field, wire] = r.key();
    switch (field) {
      case 1: {
        const m = r.sub();
        let type = 0;
        let unit = 0;
        while (!m.done()) {
          const [f, w] = m.key();
          if (f === 1) type = m.varint();
          else if (f === 2) unit = m.varint();
          else m.skip(w);
        }
        rawTypes.push([type, unit]);
        break;
      }
      case 2: {
        const m = r.sub();
        const s = { locationIds: [] as number[], values: [] as number[] };
        while (!m.done()) {
          const [f, w] = m.key();
          if (f === 1) m.repeated(w, s.locationIds);
          else if (f === 2) m.repeated(w, s.values);
          else m.skip(w);
        }
        rawSamples.push(s);
        break;
      }
      case 4: {
        const m = r.sub();
        let id = 0;
        const lines: PprofLocation['lines'] = [];
        while (!m.done()) {
          const [f, w] = m.key();
          if (f === 1) id = m.varint();
          else if (f === 4) {
            const l = m.sub();
            let functionId = 0;
            let line = 0;
            while (!l.done()) {
              const [lf, lw] = l.key();
              if (lf === 1) functionId = l.varint();
              else if (lf === 2) line = l.varint();
              else l.skip(lw);
            }
            lines.push({ functionId, line });
          } else m.skip(w);
        }
        locations.set(id, { lines });
        break;
      }
      case 5: {
        const m = r.sub();
        let id = 0;
        let name = 0;
        let file = 0;
        let startLine = 0;
        while (!m.done()) {
          const [f, w] = m.key();
          if (f === 1) id = m.varint();
          else if (f === 2) name = m.varint();
          else if (f === 4) file = m.varint();
          else if (f === 5) startLine = m.varint();
          else m.skip(w);
        }
        rawFunctions.set(id, [name, file, startLine]);
        break;
      }
      case 6:
        strings.push(utf8.decode(r.bytes()));
        break;
      case 10:
        durationNanos = r.varint();
        break;
      case 14:
        defaultType = r.varint();
        break;
      default:
        r.skip(wire);
    }
  }
  const str = (i: number) => strings[i] ?? '';
  const functions = new Map<number, PprofFunction>();
  for (const [id, [name, file, startLine]] of rawFunctions) functions.set(id, { name: str(name), file: str(file), startLine });
  return {
    sampleTypes: rawTypes.map(([t, u]) => ({ type: str(t), unit: str(u) })),
    samples: rawSamples,
    locations,
    functions,
    durationNanos,
    defaultSampleType: str(defaultType),
  };
}

/**
 * flameTree builds the call tree of `profile` for the sample type named
 * `type` (default: the profile's default, else the last). Frames are merged by
 * function (name and file), as flame graphs do.
 */
function flameTree(profile: PprofProfile, type?: string): { root: FlameNode; unit: string; type: string } {
  let vi = profile.sampleTypes.findIndex((t) => t.type === (type ?? profile.defaultSampleType));
  if (vi < 0) vi = profile.sampleTypes.length - 1;
  const root: FlameNode = { name: 'all', file: '', line: 0, total: 0, self: 0, children: [] };
  const childIndex = new Map<FlameNode, Map<string, FlameNode>>();
  for (const s of profile.samples) {
    const v = s.values[vi] ?? 0;
    if (v <= 0) continue;
    root.total += v;
    let node = root;
    // Location ids are leaf first; each location's lines are innermost first.
    for (let i = s.locationIds.length - 1; i >= 0; i--) {
      const loc = profile.locations.get(s.locationIds[i]);
      if (!loc) continue;
      for (let j = loc.lines.length - 1; j >= 0; j--) {
        const fn = profile.functions.get(loc.lines[j].functionId);
        const name = fn?.name || '(unknown)';
        const file = fn?.file ?? '';
        const key = `${name}\u0000${file}`;
        let index = childIndex.get(node);
        if (!index) childIndex.set(node, (index = new Map()));
        let child = index.get(key);
        if (!child) {
          child = { name, file, line: fn?.startLine ?? 0, total: 0, self: 0, children: [] };
          index.set(key, child);
          node.children.push(child);
        }
        child.total += v;
        node = child;
      }
    }
    node.self += v;
  }
  const sort = (n: FlameNode): void => {
    n.children.sort((a, b) => b.total - a.total);
    n.children.forEach(sort);
  };
  sort(root);
  const t = profile.sampleTypes[vi] ?? { type: 'samples', unit: 'count' };
  return { root, unit: t.unit, type: t.type };
}
