/**
 * @module server/pprof-text
 * The `debug=1` text forms of /debug/pprof/heap, allocs and block, as Go
 * writes them (`heap profile: …`, `--- contention:`), rendered from the
 * gzipped pprof bytes a backend returns — so they work for any backend — and,
 * for heap profiles, followed by `# runtime.MemStats` as Go's are. V8 frames
 * have no addresses: each stack line reads `#\tfunction\tfile:line`.
 */
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { toGoMemStats, type MemStats } from '../stats/mem-stats.js';

const num = (v: number | bigint | undefined): number => (v === undefined ? 0 : Number(v));

/** decodeProfile reads gzipped (or plain) pprof bytes. */
export function decodeProfile(bytes: Buffer): Profile {
  const raw = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return Profile.decode(raw);
}

interface Row {
  values: number[];
  frames: string[];
}

function rows(p: Profile): Row[] {
  const str = (i: number | bigint) => p.stringTable.strings[Number(i)] ?? '';
  const fns = new Map<number, { name: string; file: string }>();
  for (const f of p.function) fns.set(num(f.id), { name: str(f.name) || '?', file: str(f.filename) });
  const locs = new Map<number, string[]>();
  for (const l of p.location) {
    const lines: string[] = [];
    for (const ln of l.line) {
      const f = fns.get(num(ln.functionId));
      const where = f?.file ? `${f.file}:${num(ln.line)}` : '';
      lines.push(`#\t${f?.name ?? '?'}${where ? `\t${where}` : ''}`);
    }
    locs.set(num(l.id), lines);
  }
  return p.sample.map((s) => ({
    values: s.value.map((v) => num(v)),
    frames: s.locationId.flatMap((id) => locs.get(num(id)) ?? []),
  }));
}

function sampleTypes(p: Profile): string[] {
  return p.sampleType.map((t) => p.stringTable.strings[Number(t.type)] ?? '');
}

function memStatsText(m: MemStats): string {
  const lines = ['# runtime.MemStats'];
  for (const [k, v] of Object.entries(toGoMemStats(m))) {
    if (Array.isArray(v)) lines.push(`# ${k} = [${v.join(' ')}]`);
    else lines.push(`# ${k} = ${v === null ? 'n/a' : String(v)}`);
  }
  lines.push(`# MaxRSS = ${m.rss}`);
  return lines.join('\n') + '\n';
}

/**
 * heapText renders a heap or allocs profile in Go's legacy text form:
 * `heap profile: inuse_objects: inuse_space [alloc_objects: alloc_space] @ heap/<rate>`,
 * one block per stack, then `# runtime.MemStats` when `memStats` is given.
 * Where the profile has no object counts, its sample counts stand in.
 */
export function heapText(bytes: Buffer, memStats?: MemStats): string {
  const p = decodeProfile(bytes);
  const types = sampleTypes(p);
  const idx = (...names: string[]) => {
    for (const n of names) {
      const i = types.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  // V8's sampler gives one space type (inuse_space, or alloc_space when it keeps
  // collected objects) and a sample count; the object columns show that count.
  const inuseSpace = idx('inuse_space');
  const allocSpace = idx('alloc_space');
  const inuseCount = inuseSpace >= 0 ? idx('inuse_objects', 'samples') : -1;
  const allocCount = allocSpace >= 0 ? idx('alloc_objects', ...(inuseSpace >= 0 ? [] : ['samples'])) : -1;
  const pick = (r: Row, i: number) => (i >= 0 ? r.values[i] : 0);
  const all = rows(p);
  const total = [0, 0, 0, 0];
  for (const r of all) {
    total[0] += pick(r, inuseCount);
    total[1] += pick(r, inuseSpace);
    total[2] += pick(r, allocCount);
    total[3] += pick(r, allocSpace);
  }
  const key = inuseSpace >= 0 ? inuseSpace : allocSpace;
  all.sort((a, b) => pick(b, key) - pick(a, key));
  let out = `heap profile: ${total[0]}: ${total[1]} [${total[2]}: ${total[3]}] @ heap/${num(p.period)}\n`;
  for (const r of all) {
    out += `${pick(r, inuseCount)}: ${pick(r, inuseSpace)} [${pick(r, allocCount)}: ${pick(r, allocSpace)}] @\n`;
    for (const f of r.frames) out += f + '\n';
    out += '\n';
  }
  if (memStats) out += '\n' + memStatsText(memStats);
  return out;
}

/**
 * contentionText renders a block profile in Go's text form: `--- contention:`,
 * `cycles/second` (nanoseconds here, so 1e9), then `<delay> <count> @` per stack.
 */
export function contentionText(bytes: Buffer): string {
  const p = decodeProfile(bytes);
  const types = sampleTypes(p);
  const ci = types.indexOf('contentions');
  const di = types.indexOf('delay');
  const all = rows(p);
  all.sort((a, b) => (b.values[di] ?? 0) - (a.values[di] ?? 0));
  let out = '--- contention:\ncycles/second=1000000000\n';
  for (const r of all) {
    out += `${di >= 0 ? r.values[di] : 0} ${ci >= 0 ? r.values[ci] : 0} @\n`;
    for (const f of r.frames) out += f + '\n';
    out += '\n';
  }
  return out;
}
