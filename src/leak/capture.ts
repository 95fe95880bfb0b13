/**
 * @module leak/capture
 * What watchLeaks captures when it fires: a heap snapshot (`v8.writeHeapSnapshot`,
 * for `memstats diff`) or a sampling heap profile (inspector
 * `HeapProfiler.startSampling`, the allocation sites of what is being kept).
 * Files are written to a temporary name in the directory and renamed.
 *
 * A small adapter of its own: profile/* (the inspector layer) has no public
 * entry point yet; when it has, captureHeap should call its
 * `writeHeapSnapshot`/`profileHeap` instead — the signature here stays.
 */
import v8 from 'node:v8';
import { Session } from 'node:inspector';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

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

async function commit(temp: string, final: string): Promise<void> {
  try {
    await rename(temp, final);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/**
 * captureHeap writes a heap snapshot or a heap profile into `dir` and resolves
 * to its path. A heap snapshot stops the event loop while V8 writes it
 * (seconds for a large heap) and needs about the heap's size again in memory;
 * a heap profile samples allocations for `durationMs` (512 KiB interval, as
 * Go's MemProfileRate) without stopping anything.
 */
export async function captureHeap(kind: CaptureKind, dir: string, durationMs: number, signal?: AbortSignal): Promise<CaptureResult> {
  const started = performance.now();
  const base = `memstats-leak-${process.pid}-${stamp()}`;
  if (kind === 'heap-snapshot') {
    const final = join(dir, `${base}.heapsnapshot`);
    const temp = join(dir, `.${base}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      v8.writeHeapSnapshot(temp);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await commit(temp, final);
    return { kind, path: final, durationMs: performance.now() - started };
  }
  const final = join(dir, `${base}.heapprofile`);
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
  try {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: 512 * 1024 });
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, durationMs);
      t.unref?.();
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
    const { profile } = await post<{ profile: unknown }>('HeapProfiler.stopSampling');
    // Stopped (the watcher was stopped): nothing is written after stop().
    if (signal?.aborted) throw new Error('capture abandoned: the watcher was stopped');
    const temp = join(dir, `.${base}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, JSON.stringify(profile));
    await commit(temp, final);
    return { kind, path: final, durationMs: performance.now() - started };
  } finally {
    session.disconnect();
  }
}
