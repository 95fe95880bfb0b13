/**
 * @module runtime/gc
 * Forcing a GC without `--expose-gc`: V8 accepts the flag at run time, and a new
 * vm context then carries a `gc` function (globalThis.gc stays undefined, so the
 * host's own globals are unchanged).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { enumOption, optionsObject, booleanOption, optionNames } from '../internal/validate.js';
const GC_OPTIONS_NAMES = optionNames<GCOptions>({ type: true });
const GC_ASYNC_OPTIONS_NAMES = optionNames<GCAsyncOptions>({ settle: true });

type V8Gc = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void | Promise<void>;

let v8gc: V8Gc | undefined;

function getV8Gc(): V8Gc {
  if (v8gc) return v8gc;
  const own = (globalThis as { gc?: V8Gc }).gc;
  if (typeof own === 'function') {
    v8gc = own;
    return own;
  }
  v8.setFlagsFromString('--expose-gc');
  try {
    v8gc = vm.runInNewContext('gc') as V8Gc;
  } finally {
    // Only our context needed it; contexts created later by the host stay as they were.
    v8.setFlagsFromString('--no-expose-gc');
  }
  return v8gc;
}

/** Options of gc(). */
export interface GCOptions {
  /** `major` (default): a full Mark-Compact, like Go's runtime.GC(); `minor`: a Scavenge of the young generation. */
  type?: 'major' | 'minor';
}

/**
 * gc runs a garbage collection now and returns when it is done, like Go's
 * runtime.GC() — without `--expose-gc`. Default type `major` (full). The GC
 * counts as forced in readMemStats().numForcedGC. It blocks the event loop for
 * the length of the GC (milliseconds for a large heap): keep it out of hot paths.
 */
export function gc(options?: GCOptions): void {
  const o = optionsObject<GCOptions>('options', options, GC_OPTIONS_NAMES);
  const type = enumOption('type', o.type, ['major', 'minor'] as const, 'major');
  // V8 11.3 (Node 20) runs a Scavenge for gc({ type: 'major' }) — any options
  // object without `execution: 'async'` reads as the old gc(true) = minor — so a
  // full GC must be asked for with no argument.
  if (type === 'major') getV8Gc()();
  else getV8Gc()({ type: 'minor' });
}

/**
 * timedGC runs a full GC now, as gc() does, and returns the used V8 heap before
 * and after it (bytes) and its wall time (ms). For the debug server's and the
 * attached agent's forced GC; not part of memstats/runtime.
 */
export function timedGC(): { heapUsedBeforeBytes: number; heapUsedAfterBytes: number; durationMs: number } {
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  gc();
  const durationMs = performance.now() - t0;
  const after = process.memoryUsage().heapUsed;
  return { heapUsedBeforeBytes: before, heapUsedAfterBytes: after, durationMs };
}

/** Options of gcAsync(). */
export interface GCAsyncOptions {
  /** Wait for the GC to be counted by the GC tracker too (default true). */
  settle?: boolean;
}

/**
 * gcAsync runs a full GC and resolves once it is done and (with `settle`, the
 * default) counted by readMemStats()/readGCStats().
 */
export async function gcAsync(options?: GCAsyncOptions): Promise<void> {
  const o = optionsObject<GCAsyncOptions>('options', options, GC_ASYNC_OPTIONS_NAMES);
  const settle = booleanOption('settle', o.settle, true);
  getV8Gc()();
  if (settle) {
    const { settleGC } = await import('../stats/gc-tracker.js');
    await settleGC();
  }
}
