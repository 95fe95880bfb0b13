/**
 * @module server/thread-main
 * Entry point of the debug server's worker thread (server/thread-server.ts
 * starts it): a debug server whose backend is the main thread, reached through
 * the worker's message port. Protocol with the starter, besides the backend's
 * messages: it answers `{ t: 'listening', url, host, port, priority }` or
 * `{ t: 'failed', error }`, and on `{ t: 'close' }` closes the server and
 * answers `{ t: 'closed' }`.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { startDebugServer, type DebugServer, type DebugServerOptions } from './server.js';
import { threadBackend } from './thread-backend.js';
import type { ThreadPriority } from './thread-server.js';

interface ThreadData {
  options: DebugServerOptions;
  pid: number;
  priority: ThreadPriority;
}

/** The lowest scheduling priority (nice value) on Linux. */
const LOWEST_NICE = 19;

/**
 * Lowers this thread's scheduling priority; true if it did. Only on Linux,
 * where the nice value belongs to the thread (setpriority on the calling
 * thread changes that thread alone); elsewhere it would lower the whole program.
 */
function lowerPriority(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    setPriority(LOWEST_NICE);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const data = workerData as ThreadData;
  const priority = data.priority === 'low' && lowerPriority() ? 'low' : 'normal';
  const backend = threadBackend(port, { pid: data.pid, description: 'local' });
  let server: DebugServer;
  try {
    // Not unref'd here: the server is all this thread has to do. The main
    // thread unrefs the worker instead, so the program still ends by itself.
    server = await startDebugServer({ ...data.options, unref: false, backend });
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string };
    port.postMessage({ t: 'failed', error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), ...(e?.code ? { code: e.code } : {}) } });
    await backend.close();
    return;
  }
  port.on('message', (m: { t?: string }) => {
    if (m?.t !== 'close') return;
    void server
      .close()
      .then(() => backend.close())
      .finally(() => port.postMessage({ t: 'closed' }));
  });
  port.postMessage({ t: 'listening', url: server.url, host: server.host, port: server.port, priority });
}

void main();
