/**
 * @module leak/capture
 * What watchLeaks captures when it fires: a heap snapshot (for `memstats diff`)
 * or a sampling heap profile in pprof format (the allocation sites of what is
 * being kept, for `go tool pprof`), through profile/* — which writes to a
 * temporary name and renames, refuses a snapshot without memory headroom, and
 * allows one snapshot at a time.
 */
import { join } from 'node:path';
import { heapSamplingState, profileHeap, stopHeapSampling, writeHeapSnapshot, writeProfile } from '../profile/index.js';

/** What a capture writes. */
export type CaptureKind = 'heap-snapshot' | 'heap-profile';

/** A capture's outcome. */
export interface CaptureResult {
  kind: CaptureKind;
  /** Absolute path of the file written. */
  path: string;
  /** Wall time the capture took, ms (a heap snapshot blocks the event loop for most of it). */
  durationMs: number;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/**
 * captureHeap writes a heap snapshot or a heap profile into `dir` and resolves
 * to its path. A heap snapshot stops the event loop while V8 writes it
 * (seconds for a large heap) and needs several times the heap in memory (it is
 * refused, code ERR_MEMSTATS_INSUFFICIENT_MEMORY, without that headroom); a
 * heap profile samples allocations for `durationMs` (512 KiB interval, as Go's
 * MemProfileRate, or the interval of a sampler already running) without
 * stopping anything, and is written as gzipped pprof (`.pb.gz`).
 */
export async function captureHeap(kind: CaptureKind, dir: string, durationMs: number, signal?: AbortSignal): Promise<CaptureResult> {
  const started = performance.now();
  const base = `memstats-leak-${process.pid}-${stamp()}`;
  if (kind === 'heap-snapshot') {
    const r = await writeHeapSnapshot(join(dir, `${base}.heapsnapshot`), { signal });
    return { kind, path: r.path, durationMs: performance.now() - started };
  }
  const wasSampling = heapSamplingState() !== null;
  let profile;
  try {
    profile = await profileHeap({ seconds: Math.max(0.001, durationMs / 1000), signal });
  } finally {
    // Leave the sampler as we found it.
    if (!wasSampling) stopHeapSampling();
  }
  const written = await writeProfile(profile, join(dir, `${base}.pb.gz`));
  return { kind, path: written.path, durationMs: performance.now() - started };
}
