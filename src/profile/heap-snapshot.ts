/**
 * @module profile/heap-snapshot
 * Heap snapshots (Go's `debug.WriteHeapDump`, DevTools' `.heapsnapshot`), written
 * to a temporary file and renamed, numbered like the seed's DumpHeap.
 *
 * Which path, by measurement (Node 20, 70 MiB heap of small objects, 140 MiB file):
 * `v8.writeHeapSnapshot` 11.3 s and +1,142 MiB peak RSS; the inspector
 * (`HeapProfiler.takeHeapSnapshot`, each chunk written as it arrives) 13.8 s and
 * +1,124 MiB; a worker driving the main thread's inspector did not finish. Peak
 * memory is V8's snapshot graph, the same on every path, so memstats uses the
 * fastest: `v8.writeHeapSnapshot`, which streams the JSON straight to the file
 * from C++. Every path blocks the JavaScript thread for the whole snapshot.
 *
 * The memory a snapshot needs depends on the shape of the heap, not only its size:
 * measured peak extra RSS per byte of heap used was 0.9× (large arrays of numbers),
 * 2.8× (mixed objects), 4.2× (TypeScript ASTs), 15× (small objects with strings)
 * and 27× (a Map of 300k string keys). The headroom check uses 16× by default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { freemem } from 'node:os';
import { resolve } from 'node:path';
import v8 from 'node:v8';
import { numberOption, optionsObject, stateError, type CodedError, optionNames } from '../internal/validate.js';
import { commit, discard, reserveTemp } from '../internal/atomic-file.js';
import { ERR_INSUFFICIENT_MEMORY, abortError, inUseError, throwIfAborted } from './errors.js';
import { pathOption, signalOption } from './options.js';
const HEAP_SNAPSHOT_OPTIONS_NAMES = optionNames<HeapSnapshotOptions>({ signal: true, headroomFactor: true });

/** Default headroom factor: a snapshot is assumed to need 16 × the heap in use (measured 0.9×–27×, see the module doc). */
export const DEFAULT_HEADROOM_FACTOR = 16;

/** Options of writeHeapSnapshot. */
export interface HeapSnapshotOptions {
  /**
   * Aborts the capture. The snapshot itself is synchronous and cannot be
   * interrupted: an abort before it starts rejects at once; an abort during it
   * is honoured when it ends (the file is deleted). Either way: AbortError, no file.
   */
  signal?: AbortSignal;
  /**
   * Memory a snapshot is assumed to need, as a multiple of the heap in use
   * (default 16, from 0 to 1,000,000; 0 disables the check). The snapshot is refused
   * when that is more than the memory available to this process.
   */
  headroomFactor?: number;
}

/** What writeHeapSnapshot wrote. */
export interface HeapSnapshotResult {
  /** Absolute path of the `.heapsnapshot` file. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** How long the snapshot took (the JavaScript thread was blocked that long), ms. */
  durationMs: number;
}

/** The memory available for a snapshot and where the figure comes from. */
export interface MemoryHeadroom {
  /** Bytes this process can still use: the smaller of the system's MemAvailable and the cgroup limit minus usage. */
  availableBytes: number;
  /** How availableBytes was found, for messages. */
  source: string;
}

let inUse = false;
let counter = 0;

function readNumberFile(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === 'max') return Infinity;
    const n = Number(text);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function cgroupHeadroom(): { bytes: number; text: string } | null {
  // cgroup v2: this process's own group (a container's limit lives there).
  let group = '';
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (line) group = line.slice(3).trim();
  } catch {
    // not Linux
  }
  const dirs = [group && group !== '/' ? `/sys/fs/cgroup${group}` : '', '/sys/fs/cgroup'].filter(Boolean);
  for (const dir of dirs) {
    const max = readNumberFile(`${dir}/memory.max`);
    const current = readNumberFile(`${dir}/memory.current`);
    if (max === null || current === null) continue;
    if (max === Infinity) return null;
    // Page cache counts in memory.current but the kernel reclaims it first.
    let inactiveFile = 0;
    try {
      const m = /^inactive_file (\d+)$/m.exec(readFileSync(`${dir}/memory.stat`, 'utf8'));
      if (m) inactiveFile = Number(m[1]);
    } catch {
      // no memory.stat: count all of memory.current
    }
    const used = Math.max(0, current - inactiveFile);
    return { bytes: Math.max(0, max - used), text: `cgroup limit ${mib(max)} − ${mib(used)} in use` };
  }
  // cgroup v1
  const limit = readNumberFile('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  const usage = readNumberFile('/sys/fs/cgroup/memory/memory.usage_in_bytes');
  if (limit !== null && usage !== null && limit < 2 ** 60) {
    return { bytes: Math.max(0, limit - usage), text: `cgroup limit ${mib(limit)} − ${mib(usage)} in use` };
  }
  return null;
}

/**
 * readMemoryHeadroom returns the memory this process can still use: the smaller
 * of /proc/meminfo's MemAvailable and its cgroup's limit minus usage (v2 or v1);
 * `os.freemem()` where neither exists.
 */
export function readMemoryHeadroom(): MemoryHeadroom {
  let available: number | null = null;
  let source = '';
  try {
    const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) {
      available = Number(m[1]) * 1024;
      source = `MemAvailable ${mib(available)}`;
    }
  } catch {
    // not Linux
  }
  if (available === null) {
    available = freemem();
    source = `os.freemem() ${mib(available)}`;
  }
  const cg = cgroupHeadroom();
  if (cg && cg.bytes < available) {
    available = cg.bytes;
    source = cg.text;
  }
  return { availableBytes: available, source };
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MiB`;
}

/** The default snapshot name in the current directory: `heap-<pid>-<n>.heapsnapshot`, n counting up from 1, skipping names that exist. */
export function nextHeapSnapshotPath(): string {
  for (;;) {
    counter++;
    const p = resolve(`heap-${process.pid}-${counter}.heapsnapshot`);
    if (!existsSync(p)) return p;
  }
}

/**
 * writeHeapSnapshot writes a V8 heap snapshot (Chrome DevTools' `.heapsnapshot`
 * JSON) to `path` — default `heap-<pid>-<n>.heapsnapshot` in the current directory,
 * numbered from 1 — through a temporary file in the same directory that is renamed
 * when complete. Resolves with the path, size and duration.
 *
 * The snapshot blocks the JavaScript thread for its whole duration (seconds per
 * 100 MB of heap; minutes for some object graphs) and needs several times the heap
 * in memory (see HeapSnapshotOptions.headroomFactor). For the HTTP server: write
 * to a path under `os.tmpdir()`, stream that file to the client, then delete it.
 *
 * Rejects with: code ERR_MEMSTATS_INSUFFICIENT_MEMORY (message with the figures)
 * when headroom is too small; ERR_MEMSTATS_PROFILE_IN_USE while another snapshot
 * runs; ERR_MEMSTATS_INVALID_OPTION for bad options or an unwritable path; an
 * AbortError when `signal` aborts. No file is left under `path` on failure.
 */
export function writeHeapSnapshot(path?: string, options?: HeapSnapshotOptions): Promise<HeapSnapshotResult>;
export function writeHeapSnapshot(options: HeapSnapshotOptions): Promise<HeapSnapshotResult>;
export async function writeHeapSnapshot(path?: string | HeapSnapshotOptions, options?: HeapSnapshotOptions): Promise<HeapSnapshotResult> {
  // writeHeapSnapshot({ signal }) reads as "default path, these options".
  if (path !== undefined && typeof path === 'object' && path !== null && options === undefined) {
    options = path;
    path = undefined;
  }
  const o = optionsObject<HeapSnapshotOptions>('options', options, HEAP_SNAPSHOT_OPTIONS_NAMES);
  const signal = signalOption(o.signal);
  const factor = numberOption('headroomFactor', o.headroomFactor, DEFAULT_HEADROOM_FACTOR, { min: 0, max: 1_000_000 });
  const target = path === undefined ? nextHeapSnapshotPath() : pathOption(path as unknown);
  throwIfAborted(signal);
  if (inUse) throw inUseError('heap snapshot already in progress');
  inUse = true;
  try {
    if (factor > 0) {
      const heapUsed = v8.getHeapStatistics().used_heap_size;
      const required = Math.ceil(heapUsed * factor);
      const headroom = readMemoryHeadroom();
      if (required > headroom.availableBytes) {
        const err = stateError(
          ERR_INSUFFICIENT_MEMORY,
          `memstats: heap snapshot refused: it may need about ${mib(required)} (${factor} × ${mib(heapUsed)} of heap in use) ` +
            `but only ${mib(headroom.availableBytes)} is available (${headroom.source}); free memory, or pass a smaller ` +
            `headroomFactor if you know this heap needs less (0 disables the check)`,
        ) as CodedError & { requiredBytes: number; availableBytes: number };
        err.requiredBytes = required;
        err.availableBytes = headroom.availableBytes;
        throw err;
      }
    }
    // Owner-only: a snapshot holds whatever the program holds (tokens, keys, user data).
    const { final, temp } = await reserveTemp(target, 'path', 0o600);
    if (signal?.aborted) {
      await discard(temp);
      throw abortError(signal);
    }
    const t0 = performance.now();
    try {
      v8.writeHeapSnapshot(temp);
    } catch (err) {
      await discard(temp);
      throw err;
    }
    const durationMs = performance.now() - t0;
    await commit(temp, final, 'path', signal);
    const { size } = await stat(final);
    return { path: final, bytes: size, durationMs };
  } finally {
    inUse = false;
  }
}
