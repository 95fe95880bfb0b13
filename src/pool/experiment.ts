/**
 * @module pool/experiment
 * The seed's memory experiment, in Node: 20 slots; every period a 5–10 MB
 * buffer is obtained, written in full (as real code would: untouched pages are
 * never resident), and stored in a random slot, replacing what was there.
 * Three ways to obtain it, the seed's three programs:
 *
 * - `naive`: `Buffer.alloc(size)` every time; the replaced buffer is garbage.
 * - `pool`: the seed's buffered channel of 5 — take any pooled buffer (whatever
 *   its size) or make one; the replaced buffer goes back if there is room.
 * - `recycler`: {@link createRecycler} — `get(size)` of the size asked for (or,
 *   with `recyclerGet: 'any'`, the seed's semantics: `getAtLeast(minBytes,
 *   size)`, any buffer of the range, a new one of the size drawn), `give()` of
 *   the replaced one, stale buffers let go after `maxAgeMs`.
 *
 * Used by `memstats demo recycle`, bench/recycle.ts and the tests; the readable
 * ports are in examples/recycle/.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readMemStats } from '../stats/mem-stats.js';
import { createRecycler, type RecyclerOptions } from './recycler.js';

/** The seed's three programs. */
export type ExperimentVariant = 'naive' | 'pool' | 'recycler';

/** The variants, in the seed's order. */
export const EXPERIMENT_VARIANTS: readonly ExperimentVariant[] = ['naive', 'pool', 'recycler'];

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  /** Which of the seed's programs to run. Required. */
  variant: ExperimentVariant;
  /** Buffers obtained in all. Default 1500. */
  iterations?: number;
  /** Sleep between iterations, ms (the seed slept 1 s). Default 20. */
  periodMs?: number;
  /** Emit a row every this many iterations. Default 1. */
  rowEvery?: number;
  /** Slots kept. Default 20. */
  slots?: number;
  /** Buffer sizes are uniform in [minBytes, maxBytes). Defaults 5,000,000 and 10,000,000, the seed's. */
  minBytes?: number;
  maxBytes?: number;
  /** Seed of the size and slot sequence (the same for every variant). Default 1. */
  seed?: number;
  /** Size of the `pool` variant's channel. Default 5, the seed's. */
  poolSize?: number;
  /** Options of the `recycler` variant. Default `{}` (the recycler's defaults). */
  recycler?: RecyclerOptions;
  /**
   * How the `recycler` variant obtains a buffer: `'exact'` (default) `get(size)`
   * of the size drawn; `'any'` the seed's `<-get`: `getAtLeast(minBytes, size)`,
   * any idle buffer of the range (used whole, as the pool variant does), or a
   * new one of the size drawn.
   */
  recyclerGet?: 'exact' | 'any';
}

/**
 * One row: the seed's CSV columns with honest Node analogs. Buffers live outside
 * the V8 heap, so Go's HeapSys analog for them is RSS; Go's HeapAlloc analog is
 * arrayBuffers (backing stores not yet freed, garbage included). heapAlloc,
 * heapIdle and heapReleased are the V8 heap's own figures (readMemStats).
 */
export interface ExperimentRow {
  iteration: number;
  /** ms since the experiment started. */
  elapsedMs: number;
  rss: number;
  /** Bytes in the slots (the seed's `bytes`). */
  live: number;
  arrayBuffers: number;
  external: number;
  heapAlloc: number;
  heapIdle: number;
  heapReleased: number;
  makes: number;
  /** Buffers let go to the GC (naive: every replaced one; pool: those with no room; recycler: drops + evictions). */
  frees: number;
  /** Bytes idle in the pool or recycler. */
  idleBytes: number;
  numGC: number;
}

/** CSV column names of {@link ExperimentRow}, in order. */
export const EXPERIMENT_COLUMNS: readonly (keyof ExperimentRow)[] = [
  'iteration', 'rss', 'live', 'arrayBuffers', 'heapAlloc', 'heapIdle', 'heapReleased', 'makes', 'frees',
  'external', 'idleBytes', 'numGC', 'elapsedMs',
];

/** The comment lines that open every CSV of the experiment: what each column is. */
export const EXPERIMENT_CSV_NOTES: readonly string[] = [
  '# rss: resident set, bytes: Go\'s HeapSys analog (big Buffers live outside the V8 heap; only RSS shows what the process holds)',
  '# live: bytes in the 20 slots (the seed\'s "bytes")',
  '# arrayBuffers: Buffer/ArrayBuffer backing stores not yet freed, garbage included: Go\'s HeapAlloc analog for Buffers',
  '# heapAlloc, heapIdle, heapReleased: the V8 heap\'s own figures (readMemStats); small here, the buffers are not in it',
  '# makes: buffers allocated; frees: buffers let go to the GC',
  '# external, idleBytes (held idle by the pool/recycler), numGC, elapsedMs: extra columns',
];

/** What a whole run measured. */
export interface ExperimentSummary {
  variant: ExperimentVariant;
  iterations: number;
  rssStart: number;
  /** Median and peak over the iterations after the slots first filled. */
  rssMedian: number;
  rssPeak: number;
  liveMedian: number;
  /** Medians of (rss − rssStart)/live and arrayBuffers/live, and the peak of the former. */
  rssOverLiveMedian: number;
  rssOverLivePeak: number;
  arrayBuffersOverLiveMedian: number;
  makes: number;
  frees: number;
  numGC: number;
  numMajorGC: number;
  gcPauseTotalNs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  minorFaults: number;
  majorFaults: number;
  wallMs: number;
}

/** mulberry32: a small seeded PRNG, so every variant sees the same sizes and slots. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * runExperiment runs one variant and calls `onRow` every `rowEvery` iterations;
 * resolves to the summary. Meant for a process of its own (RSS is process-wide).
 */
export async function runExperiment(opts: ExperimentOptions, onRow?: (row: ExperimentRow) => void): Promise<ExperimentSummary> {
  const iterations = opts.iterations ?? 1500;
  const periodMs = opts.periodMs ?? 20;
  const rowEvery = Math.max(1, opts.rowEvery ?? 1);
  const nSlots = opts.slots ?? 20;
  const minBytes = opts.minBytes ?? 5_000_000;
  const maxBytes = opts.maxBytes ?? 10_000_000;
  const poolSize = opts.poolSize ?? 5;
  const rnd = prng(opts.seed ?? 1);
  const slots: (Buffer | null)[] = new Array(nSlots).fill(null);
  const channel: Buffer[] = [];
  const recycler = opts.variant === 'recycler' ? createRecycler(opts.recycler ?? {}) : undefined;
  let makes = 0;
  let frees = 0;

  const first = readMemStats();
  const rssStart = first.rss;
  const gc0 = { n: first.numGC, major: first.numMajorGC, pause: first.pauseTotalNs };
  const cpu0 = process.resourceUsage();
  const t0 = performance.now();
  const rssAfterFill: number[] = [];
  const ratios: number[] = [];
  const abRatios: number[] = [];
  const lives: number[] = [];
  let rssPeak = 0;
  let ratioPeak = 0;
  let filled = false;

  for (let it = 1; it <= iterations; it++) {
    const size = minBytes + Math.floor(rnd() * (maxBytes - minBytes));
    const i = Math.floor(rnd() * nSlots);
    let b: Buffer;
    if (opts.variant === 'naive') {
      b = Buffer.alloc(size);
      makes++;
      if (slots[i] !== null) frees++;
    } else if (opts.variant === 'pool') {
      // The seed's select on a buffered channel: take one if there is one.
      const pooled = channel.pop();
      if (pooled !== undefined) b = pooled;
      else {
        b = Buffer.alloc(size);
        makes++;
      }
      const old = slots[i];
      if (old !== null) {
        if (channel.length < poolSize) channel.push(old);
        else frees++;
        slots[i] = null;
      }
    } else {
      b = opts.recyclerGet === 'any' ? recycler!.getAtLeast(minBytes, size) : recycler!.get(size);
      if (slots[i] !== null) recycler!.give(slots[i]!);
    }
    // Written in full, as real code would (a read into it, a copy): pages never
    // written are never resident, and a benchmark that skips this flatters RSS.
    b.fill(it & 0xff);
    slots[i] = b;

    await sleep(periodMs);

    let live = 0;
    for (const s of slots) if (s !== null) live += s.length;
    // Ratios are taken once the slots have filled (or after 3 × slots
    // iterations, or at the end of a short run): before, live is still growing.
    if (!filled && (it >= 3 * nSlots || it === iterations || slots.every((s) => s !== null))) filled = true;
    const wantRow = onRow !== undefined && (it % rowEvery === 0 || it === iterations);
    if (filled || wantRow) {
      const m = readMemStats();
      if (recycler) {
        const st = recycler.stats();
        makes = st.makes;
        frees = st.drops + st.evictions;
      }
      if (filled) {
        rssAfterFill.push(m.rss);
        lives.push(live);
        const r = (m.rss - rssStart) / live;
        ratios.push(r);
        abRatios.push(m.arrayBuffers / live);
        if (m.rss > rssPeak) rssPeak = m.rss;
        if (r > ratioPeak) ratioPeak = r;
      }
      if (wantRow) {
        onRow!({
          iteration: it,
          elapsedMs: Math.round(performance.now() - t0),
          rss: m.rss,
          live,
          arrayBuffers: m.arrayBuffers,
          external: m.external,
          heapAlloc: m.heapAlloc,
          heapIdle: m.heapIdle,
          heapReleased: m.heapReleased,
          makes,
          frees,
          idleBytes: recycler ? recycler.stats().idleBytes : channel.reduce((n, x) => n + x.length, 0),
          numGC: m.numGC - gc0.n,
        });
      }
    }
  }

  const last = readMemStats();
  const cpu1 = process.resourceUsage();
  if (recycler) {
    const st = recycler.stats();
    makes = st.makes;
    frees = st.drops + st.evictions;
    recycler.close();
  }
  return {
    variant: opts.variant,
    iterations,
    rssStart,
    rssMedian: median(rssAfterFill),
    rssPeak,
    liveMedian: median(lives),
    rssOverLiveMedian: median(ratios),
    rssOverLivePeak: ratioPeak,
    arrayBuffersOverLiveMedian: median(abRatios),
    makes,
    frees,
    numGC: last.numGC - gc0.n,
    numMajorGC: last.numMajorGC - gc0.major,
    gcPauseTotalNs: last.pauseTotalNs - gc0.pause,
    cpuUserUs: cpu1.userCPUTime - cpu0.userCPUTime,
    cpuSystemUs: cpu1.systemCPUTime - cpu0.systemCPUTime,
    minorFaults: cpu1.minorPageFault - cpu0.minorPageFault,
    majorFaults: cpu1.majorPageFault - cpu0.majorPageFault,
    wallMs: performance.now() - t0,
  };
}

/** experimentCsvHeader returns the notes and the column line of the experiment's CSV. */
export function experimentCsvHeader(title: string): string {
  return [`# ${title}`, ...EXPERIMENT_CSV_NOTES, EXPERIMENT_COLUMNS.join(',')].join('\n') + '\n';
}

/** experimentCsvRow renders one row as a CSV line (with its newline). */
export function experimentCsvRow(row: ExperimentRow): string {
  return EXPERIMENT_COLUMNS.map((k) => row[k]).join(',') + '\n';
}
