/**
 * @module server/thread-backend
 * A DebugBackend across a thread boundary. The agent serves the debug
 * endpoints from a worker thread (server/thread-server.ts): HTTP parsing,
 * routing, the Prometheus text and the dashboard run there, in an isolate of
 * their own, and only the calls that must read this process — a
 * MetricsSnapshot, a profile, a GC — come to the main thread as messages.
 *
 * Why: serving a scrape on the application's own thread costs the application
 * far more than the scrape's CPU time. Node's http, net and stream code is
 * shared by the application's server and the debug server, and V8 optimizes
 * it for what it has seen: a second server's requests make it polymorphic
 * (docs/benchmarks.md measured ~5 % of a saturated server's requests for one
 * scrape a second, against ~0 % for the same snapshot and text produced on the
 * main thread without HTTP). A worker's isolate shares no JIT feedback with
 * the application.
 *
 * - `serveBackend(port, backend)` (main thread) answers the calls arriving on
 *   `port` with `backend` (localBackend).
 * - `threadBackend(port, info)` (worker) is a DebugBackend whose every call
 *   is a message on `port`.
 *
 * Messages are plain data (structured clone): a call `{ t: 'call', id, op,
 * arg }`, its `{ t: 'result', id, value }` or `{ t: 'error', id, error }`, an
 * `{ t: 'abort', id }` when the HTTP client went away, and sample
 * subscriptions (`sub` / `unsub` / `sample`). Errors keep name, message and
 * code (so 409/400/503 mapping works across); Buffers arrive as Uint8Arrays
 * and are made Buffers again without a copy.
 *
 * Node's native event-loop delay histogram is posted to the worker
 * (`{ t: 'delays', id: 0, histogram, resolutionMs }`) as soon as the monitor
 * has one: before asking for a MetricsSnapshot, the worker reads and resets
 * it (takeNativeDelays: the walks of its ~55,000 counters, up to a few ms in a
 * busy process) and sends the result with the call (`arg.nativeDelays`), which
 * the main thread's backend records before it reads the snapshot. A measurement the timer
 * records between the worker's reads of count and reset is lost (one in
 * ~100 a second at most). Likewise the /proc figures of the snapshot
 * (VmSize, VmData, open descriptors and their limit: listing /proc/self/fd is
 * most of a read) are read by the worker and sent with the call (`arg.proc`).
 */
import type { IntervalHistogram } from 'node:perf_hooks';
import type { DebugBackend, BackendSampleListener } from './backend.js';
import type { Sample } from '../sampler/sample.js';
import { shareNativeDelayHistogram, takeNativeDelays } from '../stats/event-loop.js';
import { readProcFigures } from '../export/process-stats.js';

/** The part of a MessagePort / Worker / parentPort both sides use. */
export interface MessageChannelEnd {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
}

/** Backend operations that take at most one request object and return a promise. */
const CALLS = [
  'cmdline',
  'readMemStats',
  'readGCStats',
  'readMetrics',
  'readSamples',
  'readVars',
  'gc',
  'profileCpu',
  'profileHeap',
  'profileBlock',
  'profileGoroutine',
  'heapSnapshot',
] as const;
type Call = (typeof CALLS)[number];
const CALL_SET: ReadonlySet<string> = new Set(CALLS);

export interface WireError {
  name: string;
  message: string;
  code?: string;
}

type ToMain =
  | { t: 'call'; id: number; op: Call; arg?: Record<string, unknown> }
  | { t: 'abort'; id: number }
  | { t: 'sub'; id: number }
  | { t: 'unsub'; id: number };

type ToWorker =
  | { t: 'delays'; id: 0; histogram: IntervalHistogram; resolutionMs: number }
  | { t: 'result'; id: number; value: unknown }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'sample'; id: number; sample: Sample };

function isMessage(v: unknown): v is { t: string; id: number } {
  return typeof v === 'object' && v !== null && typeof (v as { t?: unknown }).t === 'string' && typeof (v as { id?: unknown }).id === 'number';
}

function toWire(err: unknown): WireError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | null;
  const out: WireError = {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
  if (typeof e?.code === 'string') out.code = e.code;
  return out;
}

export function fromWire(w: WireError): Error {
  const err = new Error(w.message) as Error & { code?: string };
  err.name = w.name;
  if (w.code !== undefined) err.code = w.code;
  return err;
}

/**
 * serveBackend answers the calls of a threadBackend arriving on `port` with
 * `backend`, until the returned function is called (which aborts the calls in
 * progress and ends the subscriptions; it does not close `backend`).
 */
export function serveBackend(port: MessageChannelEnd, backend: DebugBackend): () => void {
  const inFlight = new Map<number, AbortController>();
  const subscriptions = new Map<number, () => void>();
  /** Posts `m`; returns the error when it could not be posted (the worker gone, a value that cannot be copied). */
  const post = (m: ToWorker): unknown => {
    try {
      port.postMessage(m);
      return undefined;
    } catch (err) {
      return err ?? new Error('postMessage failed');
    }
  };
  const onMessage = (raw: unknown) => {
    if (!isMessage(raw)) return;
    const m = raw as ToMain;
    if (m.t === 'call') {
      if (!CALL_SET.has(m.op)) return post({ t: 'error', id: m.id, error: { name: 'TypeError', message: `unknown backend call ${String(m.op)}` } });
      const ac = new AbortController();
      inFlight.set(m.id, ac);
      const arg = m.arg && typeof m.arg === 'object' ? { ...m.arg, signal: ac.signal } : { signal: ac.signal };
      let p: Promise<unknown>;
      try {
        p = (backend[m.op] as (a: unknown) => Promise<unknown>).call(backend, arg);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (value) => {
          // A result that cannot be copied to the thread must still settle the call there.
          const failed = post({ t: 'result', id: m.id, value });
          if (failed) post({ t: 'error', id: m.id, error: toWire(new Error(`memstats: the result of ${m.op} could not be sent to the server thread: ${toWire(failed).message}`)) });
        },
        (err: unknown) => {
          if (post({ t: 'error', id: m.id, error: toWire(err) })) post({ t: 'error', id: m.id, error: { name: 'Error', message: `memstats: ${m.op} failed` } });
        },
      ).finally(() => inFlight.delete(m.id));
    } else if (m.t === 'abort') {
      inFlight.get(m.id)?.abort();
    } else if (m.t === 'sub') {
      if (subscriptions.has(m.id)) return;
      subscriptions.set(m.id, backend.subscribeSamples((sample) => post({ t: 'sample', id: m.id, sample })));
    } else if (m.t === 'unsub') {
      subscriptions.get(m.id)?.();
      subscriptions.delete(m.id);
    }
  };
  port.on('message', onMessage);
  const stopSharing = shareNativeDelayHistogram((histogram, resolutionMs) => post({ t: 'delays', id: 0, histogram, resolutionMs }));
  return () => {
    stopSharing();
    port.off('message', onMessage);
    for (const ac of inFlight.values()) ac.abort();
    inFlight.clear();
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
  };
}

/** What the worker knows of the process it serves. */
export interface ThreadBackendInfo {
  pid: number;
  description: string;
}

/**
 * threadBackend returns a DebugBackend whose calls are answered by
 * serveBackend on the other end of `port`. close() rejects the calls still
 * waiting (with an AbortError) and ends the subscriptions.
 */
export function threadBackend(port: MessageChannelEnd, info: ThreadBackendInfo): DebugBackend {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<number, BackendSampleListener>();
  let closed = false;
  /** The main thread's native delay histogram, once it has one (see the module comment). */
  let delays: { histogram: IntervalHistogram; resolutionMs: number } | undefined;

  const onMessage = (raw: unknown) => {
    if (!isMessage(raw)) return;
    const m = raw as ToWorker;
    if (m.t === 'delays') {
      delays = { histogram: m.histogram, resolutionMs: m.resolutionMs };
      return;
    }
    if (m.t === 'sample') {
      const l = listeners.get(m.id);
      if (l) l(m.sample);
      return;
    }
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.t === 'result') w.resolve(m.value instanceof Uint8Array && !Buffer.isBuffer(m.value) ? Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength) : m.value);
    else if (m.t === 'error') w.reject(fromWire(m.error));
  };
  port.on('message', onMessage);

  const call = <T>(op: Call, request?: object): Promise<T> => {
    if (closed) return Promise.reject(fromWire({ name: 'Error', message: 'memstats: the debug backend is closed' }));
    const id = nextId++;
    let arg: Record<string, unknown> | undefined;
    let signal: AbortSignal | undefined;
    if (request) {
      const { signal: s, ...rest } = request as { signal?: AbortSignal };
      signal = s;
      arg = rest;
    }
    if (signal?.aborted) return Promise.reject(fromWire({ name: 'AbortError', message: 'The operation was aborted', code: 'ABORT_ERR' }));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => port.postMessage({ t: 'abort', id } satisfies ToMain);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as T);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      try {
        port.postMessage({ t: 'call', id, op, ...(arg ? { arg } : {}) } satisfies ToMain);
      } catch (err) {
        // An argument that cannot be copied: nothing will answer this call.
        waiting.get(id)?.reject(err as Error);
        waiting.delete(id);
      }
    });
  };

  return {
    description: info.description,
    pid: info.pid,
    cmdline: () => call('cmdline'),
    readMemStats: () => call('readMemStats'),
    readGCStats: (o) => call('readGCStats', o),
    readMetrics: () => {
      let nativeDelays;
      try {
        nativeDelays = delays && takeNativeDelays(delays.histogram, delays.resolutionMs);
      } catch {
        delays = undefined; // not a histogram after all: the main thread reads its own
      }
      // /proc/self is the process's whichever thread reads it: read here, not on the application's thread.
      return call('readMetrics', { ...(nativeDelays ? { nativeDelays } : {}), proc: readProcFigures() });
    },
    readSamples: () => call('readSamples'),
    readVars: () => call('readVars'),
    gc: () => call('gc'),
    profileCpu: (r) => call('profileCpu', r),
    profileHeap: (r) => call('profileHeap', r),
    profileBlock: (r) => call('profileBlock', r),
    profileGoroutine: (r) => call('profileGoroutine', r),
    heapSnapshot: (r) => call('heapSnapshot', r),
    subscribeSamples(listener) {
      const id = nextId++;
      listeners.set(id, listener);
      port.postMessage({ t: 'sub', id } satisfies ToMain);
      return () => {
        if (!listeners.delete(id)) return;
        if (!closed) port.postMessage({ t: 'unsub', id } satisfies ToMain);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      port.off('message', onMessage);
      for (const w of waiting.values()) w.reject(fromWire({ name: 'AbortError', message: 'memstats: the debug backend closed', code: 'ABORT_ERR' }));
      waiting.clear();
      listeners.clear();
    },
  };
}
