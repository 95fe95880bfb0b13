/**
 * @module pool/sampler-source
 * Feeds recycler counters to the sampler as `sample.sources.recycler`, summed
 * over every recycler of the process. The source is registered when the first
 * recycler is created and removed when the last one is closed (or collected).
 *
 * The cumulative counters (makes, hits, misses, gives, drops, evictions) keep
 * the totals of recyclers already closed or collected, so they never go
 * backwards while the source exists — Prometheus reads a decrease as a reset.
 * idleCount and idleBytes are gauges over the live recyclers only.
 */
import { addSampleSource } from '../sampler/sources.js';

/** The counters one recycler updates in place. */
export interface RecyclerCounters {
  makes: number;
  hits: number;
  misses: number;
  gives: number;
  drops: number;
  evictions: number;
  idleCount: number;
  idleBytes: number;
}

const CUMULATIVE = ['makes', 'hits', 'misses', 'gives', 'drops', 'evictions'] as const;

const live = new Set<RecyclerCounters>();
const retired = { makes: 0, hits: 0, misses: 0, gives: 0, drops: 0, evictions: 0 };
let removeSource: (() => void) | undefined;

// A recycler dropped without close(): its counters move to `retired` when the GC
// collects it. The held value is the counters object, which does not reference
// the recycler, so registering does not keep it alive.
const collected = new FinalizationRegistry<RecyclerCounters>((c) => retire(c));

function read(): Record<string, number> {
  const out: Record<string, number> = { ...retired, idleCount: 0, idleBytes: 0 };
  for (const c of live) {
    for (const k of CUMULATIVE) out[k] += c[k];
    out.idleCount += c.idleCount;
    out.idleBytes += c.idleBytes;
  }
  return out;
}

function retire(c: RecyclerCounters): void {
  if (!live.delete(c)) return;
  for (const k of CUMULATIVE) retired[k] += c[k];
  if (live.size === 0 && removeSource) {
    removeSource();
    removeSource = undefined;
  }
}

/**
 * trackRecycler adds `counters` (owned by `owner`) to the `recycler` sample
 * source; the returned function removes them (calling it twice is harmless).
 */
export function trackRecycler(owner: object, counters: RecyclerCounters): () => void {
  live.add(counters);
  collected.register(owner, counters, counters);
  if (!removeSource) removeSource = addSampleSource('recycler', read);
  return () => {
    collected.unregister(counters);
    retire(counters);
  };
}

/** readRecyclerTotals returns what the `recycler` sample source reports now (for tests and reports). */
export function readRecyclerTotals(): RecyclerCounters {
  return read() as unknown as RecyclerCounters;
}
