/**
 * @module server/thread-server
 * `startDebugServerThread(options)`: the debug server of startDebugServer,
 * run in a worker thread. The HTTP side (parsing, routing, the Prometheus
 * text, the dashboard) runs in the worker's isolate; what must read this
 * process (a MetricsSnapshot, profiles, a GC, /debug/vars) is a message to
 * this thread, answered by a localBackend (server/thread-backend.ts says why:
 * the application's http code is not shared with the debug server's, so a
 * scrape costs the application its snapshot and nothing more). This is how
 * the agent serves (`memstats/register`).
 *
 * Cost: a worker thread — its isolate and heap, ~10 MB of RSS (measured in
 * docs/benchmarks.md) — and, per request, one message each way on this thread.
 * Custom routes, a custom registry or backend cannot cross threads: use
 * startDebugServer for those.
 *
 * @example
 * import { startDebugServerThread } from 'memstats/server';
 * const debug = await startDebugServerThread({ port: 6060, unref: true });
 * await debug.close();
 */
import { Worker } from 'node:worker_threads';
import { localBackend } from './backend.js';
import type { DebugEndpoint, DebugServerOptions } from './server.js';
import { SERVER_OPTION_KEYS, resolveServerOptions } from './options.js';
import { fromWire, serveBackend, type WireError } from './thread-backend.js';
import { enumOption, invalidOption, optionsObject } from '../internal/validate.js';

/** Options of startDebugServerThread: those of startDebugServer that can cross threads, and the thread's priority. */
export type DebugServerThreadOptions = Omit<DebugServerOptions, 'backend' | 'routes' | 'registry'> & {
  /**
   * Scheduling priority of the thread (default `low`): on Linux, `low` gives
   * it the lowest (nice 19), so that on a busy core the application's thread
   * runs first and a scrape, a dashboard or a profile download waits instead
   * of delaying the application's requests (docs/benchmarks.md: p99 latency
   * with a 1 s scrape). Elsewhere a priority belongs to the whole process, so
   * it is left as is.
   */
  priority?: ThreadPriority;
};

/** Priorities of the debug server's thread. */
export type ThreadPriority = 'low' | 'normal';
const PRIORITIES: readonly ThreadPriority[] = ['low', 'normal'];

/** A debug server running in a worker thread. */
export interface DebugServerThread extends DebugEndpoint {
  /** The worker thread serving. */
  readonly worker: Worker;
  /** The thread's priority in effect: `low` only where it could be lowered (Linux). */
  readonly priority: ThreadPriority;
}

/** Old-generation limit of the worker's heap, MiB: a runaway in the debug server ends the thread, not the host. */
const WORKER_OLD_SPACE_MB = 128;
/** Young-generation limit of the worker, MiB: its requests make little garbage, and a small nursery keeps its RSS down. */
const WORKER_YOUNG_SPACE_MB = 4;
/** How long close() waits for the worker to close its server before terminating it, ms. */
const CLOSE_TIMEOUT_MS = 2000;

type FromWorker = { t: 'listening'; url: string; host: string; port: number; priority: ThreadPriority } | { t: 'failed'; error: WireError } | { t: 'closed' };

/**
 * startDebugServerThread starts the debug server in a worker thread and
 * resolves once it listens. Same options, defaults and errors as
 * startDebugServer (validated here, before the thread starts), without
 * `backend`, `routes` and `registry` (a TypeError names them). With `unref`,
 * the thread does not keep the process alive. An uncaught error in the thread
 * ends the thread, never the host.
 */
export async function startDebugServerThread(options?: DebugServerThreadOptions): Promise<DebugServerThread> {
  const o = optionsObject<DebugServerThreadOptions & DebugServerOptions>('options', options);
  const priority = enumOption('priority', o.priority, PRIORITIES, 'low');
  for (const name of ['backend', 'routes', 'registry'] as const) {
    if (o[name] !== undefined) throw invalidOption('type', name, o[name], 'undefined: a worker-thread server cannot take functions or objects of this thread (use startDebugServer)');
  }
  const r = resolveServerOptions(o, [...SERVER_OPTION_KEYS, 'priority']);
  const backend = localBackend({ keepAlive: !r.unref });
  const worker = new Worker(new URL('./thread-main.js', import.meta.url), {
    workerData: {
      options: { host: r.host, port: r.port, maxProfileSeconds: r.maxProfileSeconds, compatibleMetrics: r.compatibleMetrics, ...(r.token !== undefined ? { token: r.token } : {}) },
      pid: process.pid,
      priority,
    },
    // Not the application's flags: --import memstats/register, --require hooks, inspector ports.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_SPACE_MB },
    stdout: false,
    stderr: false,
  });
  // A crash of the thread must not become an uncaught 'error' event of the host.
  worker.on('error', () => {});
  const stopServing = serveBackend(worker, backend);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => {
    stopServing();
    void backend.close();
  });

  let listening: { url: string; host: string; port: number; priority: ThreadPriority };
  try {
    listening = await new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m?.t === 'listening') done(() => resolve({ url: m.url, host: m.host, port: m.port, priority: m.priority }));
        else if (m?.t === 'failed') done(() => reject(fromWire(m.error)));
      };
      const onError = (err: Error) => done(() => reject(err));
      const onExit = (code: number) => done(() => reject(new Error(`memstats: the debug server thread exited before listening (code ${code})`)));
      const done = (then: () => void) => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        then();
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  // After the listeners are in place: adding a 'message' listener refs the worker's port again.
  if (r.unref) worker.unref();

  let closing: Promise<void> | undefined;
  return {
    ...listening,
    worker,
    close() {
      closing ??= (async () => {
        // Whoever awaits close() expects it to finish: hold the loop until the thread is gone.
        worker.ref();
        const closed = new Promise<void>((resolve) => {
          const onMessage = (m: FromWorker) => {
            if (m?.t === 'closed') resolve();
          };
          worker.on('message', onMessage);
          const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
          timer.unref();
          void exited.then(resolve);
        });
        try {
          worker.postMessage({ t: 'close' });
        } catch {
          // already gone
        }
        await closed;
        await worker.terminate();
        await exited;
      })();
      return closing;
    },
  };
}
