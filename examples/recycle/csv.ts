/**
 * The CSV the three ports print: the seed's columns (HeapSys, bytes, HeapAlloc,
 * HeapIdle, HeapReleased, makes, frees) with their honest Node analogs — see the
 * header notes and docs/recycling.md — and the command-line flags they share.
 */
import { parseArgs } from 'node:util';
import { readMemStats } from '../../src/stats/mem-stats.js';

/** Flags of every port: `--iterations N --period-ms T --every N`. */
export function exampleArgs(extra: Record<string, { type: 'string' }> = {}): {
  iterations: number;
  periodMs: number;
  every: number;
  values: Record<string, string | undefined>;
} {
  const { values } = parseArgs({
    options: { iterations: { type: 'string' }, 'period-ms': { type: 'string' }, every: { type: 'string' }, ...extra },
  });
  const num = (name: string, fallback: number): number => {
    const v = (values as Record<string, string | undefined>)[name];
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${name} must be an integer >= 0; received ${JSON.stringify(v)}`);
    return n;
  };
  return {
    iterations: num('iterations', 1500),
    periodMs: num('period-ms', 20),
    every: Math.max(1, num('every', 10)),
    values: values as Record<string, string | undefined>,
  };
}

/** The header: what each column is, then the column names. */
export function csvHeader(program: string): string {
  return [
    `# ${program}: the seed's experiment in Node (20 slots, 5-10 MB Buffers written in full)`,
    '# rss: resident set, bytes: the HeapSys analog (big Buffers live outside the V8 heap; only RSS shows what the process holds)',
    '# live: bytes in the 20 slots (the seed\'s "bytes")',
    '# arrayBuffers: Buffer backing stores not yet freed, garbage included: the HeapAlloc analog for Buffers',
    '# heapAlloc, heapIdle, heapReleased: the V8 heap\'s own figures (readMemStats); small, the buffers are not in it',
    '# makes: buffers allocated; frees: buffers let go to the GC',
    'iteration,rss,live,arrayBuffers,heapAlloc,heapIdle,heapReleased,makes,frees',
  ].join('\n') + '\n';
}

/** One row, read now. */
export function csvRow(iteration: number, slots: ReadonlyArray<Buffer | null>, makes: number, frees: number): string {
  let live = 0;
  for (const b of slots) if (b !== null) live += b.length;
  const m = readMemStats();
  return [iteration, m.rss, live, m.arrayBuffers, m.heapAlloc, m.heapIdle, m.heapReleased, makes, frees].join(',') + '\n';
}
