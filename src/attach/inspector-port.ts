/**
 * @module attach/inspector-port
 * Opening and finding a Node process's inspector, on loopback only.
 *
 * SIGUSR1 makes Node open its inspector on 127.0.0.1:9229 by default — or on
 * the port given by `--inspect-port` (0: any free port, printed only on the
 * target's stderr). So the port is never guessed: it is read from the
 * target's own listening sockets (/proc/<pid>/fd matched against
 * /proc/<pid>/net/tcp), each probed with `GET /json/list`. When 9229 is taken
 * by another process the target's inspector cannot open (the target logs it
 * and runs on): memstats waits for the port to be free and signals again,
 * until its deadline, then says how to proceed.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { AttachError } from './errors.js';
import { httpRequest } from './http-request.js';
import { allListeningSockets, listeningSockets, loopbackHostFor, reachableOverLoopback, socketOwner, type ListeningSocket } from './proc.js';

/** Where a target's inspector answers. */
export interface InspectorEndpoint {
  /** Loopback host to connect to (`127.0.0.1` or `::1`). */
  host: string;
  port: number;
  /** The DevTools WebSocket URL of the target's main thread. */
  webSocketDebuggerUrl: string;
  /** memstats opened the inspector (SIGUSR1): it must close it when done. */
  openedByUs: boolean;
}

/** Options of openInspector. */
export interface OpenInspectorOptions {
  /** Give up after this long, ms (default 10,000). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Told about waits a person should know of ("port 9229 is in use by pid …; waiting"). */
  onStatus?: (line: string) => void;
}

/** The default port of SIGUSR1. */
export const DEFAULT_INSPECTOR_PORT = 9229;

interface JsonListEntry {
  webSocketDebuggerUrl?: string;
  type?: string;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** probeInspector asks `host:port` for its DevTools targets; resolves with the main target's WebSocket URL or null. */
export async function probeInspector(host: string, port: number, timeoutMs = 1000): Promise<string | null> {
  try {
    const r = await httpRequest(`http://${bracket(host)}:${port}/json/list`, { timeoutMs, maxBytes: 1024 * 1024 });
    if (r.status !== 200) return null;
    const list = JSON.parse(r.body.toString('utf8')) as JsonListEntry[];
    if (!Array.isArray(list)) return null;
    const entry = list.find((e) => e && typeof e.webSocketDebuggerUrl === 'string' && (e.type === undefined || e.type === 'node')) ?? list.find((e) => e && typeof e.webSocketDebuggerUrl === 'string');
    if (!entry?.webSocketDebuggerUrl) return null;
    // Connect where we probed, whatever host the inspector wrote into the URL.
    const ws = new URL(entry.webSocketDebuggerUrl);
    return `ws://${bracket(host)}:${port}${ws.pathname}`;
  } catch {
    return null;
  }
}

/**
 * findInspector returns the inspector `pid` has open now (on a loopback or
 * wildcard address), or null. Throws an AttachError when the process is
 * gone or forbidden, and when its inspector listens only on a non-loopback
 * address (memstats never connects to one).
 */
export async function findInspector(pid: number, sockets: ListeningSocket[] = listeningSockets(pid)): Promise<Omit<InspectorEndpoint, 'openedByUs'> | null> {
  const remoteOnly: ListeningSocket[] = [];
  for (const s of sockets) {
    if (!reachableOverLoopback(s.address)) {
      remoteOnly.push(s);
      continue;
    }
    const host = loopbackHostFor(s);
    const ws = await probeInspector(host, s.port);
    if (ws) return { host, port: s.port, webSocketDebuggerUrl: ws };
  }
  for (const s of remoteOnly) {
    // Only to explain the refusal: is that an inspector?
    if (await probeInspector(s.address, s.port, 500)) {
      throw new AttachError(
        'ERR_MEMSTATS_INSPECTOR',
        `process ${pid} has its inspector open on ${bracket(s.address)}:${s.port}, not on loopback; memstats connects over loopback only (restart it with --inspect=127.0.0.1:0, or use its memstats debug server URL)`,
      );
    }
  }
  return null;
}

function signalled(pid: number): void {
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new AttachError('ERR_MEMSTATS_NO_SUCH_PROCESS', `no such process: ${pid}`);
    if (code === 'EPERM') throw new AttachError('ERR_MEMSTATS_PERMISSION_DENIED', `permission denied: cannot signal process ${pid}`);
    throw err;
  }
}

function portHolder(port: number): ListeningSocket | undefined {
  return allListeningSockets().find((s) => s.port === port && (s.address === '127.0.0.1' || s.address === '0.0.0.0' || s.address === '::' || s.address === '::ffff:127.0.0.1'));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('interrupted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * openInspector returns the target's inspector endpoint: the one already open
 * (openedByUs false — it will be left open), or one it opens with SIGUSR1
 * (openedByUs true). The caller must have checked that `pid` is a Node
 * process of this user (`requireNodeProcess`): SIGUSR1 ends other programs.
 *
 * Rejects with AttachError: ERR_MEMSTATS_NO_SUCH_PROCESS (gone meanwhile),
 * ERR_MEMSTATS_PERMISSION_DENIED, or ERR_MEMSTATS_INSPECTOR when no inspector
 * answered by the deadline, with the reason (port 9229 held by another
 * process, SIGUSR1 ignored) and what to do.
 */
export async function openInspector(pid: number, options: OpenInspectorOptions = {}): Promise<InspectorEndpoint> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const existing = await findInspector(pid);
  if (existing) return { ...existing, openedByUs: false };

  let busyHolder: number | null | undefined;
  let toldWaiting = false;
  while (Date.now() < deadline) {
    throwIfAborted(options.signal);
    const before = new Set(listeningSockets(pid).map((s) => s.inode));
    signalled(pid);
    // Node opens the port within ~10 ms of the signal; a loaded machine may take longer.
    const until = Math.min(deadline, Date.now() + 1500);
    while (Date.now() < until) {
      await delay(20);
      throwIfAborted(options.signal);
      const fresh = listeningSockets(pid).filter((s) => !before.has(s.inode));
      if (fresh.length > 0) {
        const found = await findInspector(pid, fresh);
        if (found) return { ...found, openedByUs: true };
      }
    }
    // Not open. If 9229 is held by someone else, the target tried and failed: wait for the port, then signal again.
    const holder = portHolder(DEFAULT_INSPECTOR_PORT);
    if (!holder) {
      // One more look at every socket: a slow start, or a port other than 9229.
      const late = await findInspector(pid);
      if (late) return { ...late, openedByUs: true };
      // Signal again until the deadline: on a loaded machine the inspector thread may take
      // longer than one wait (a CI run gave up after two), and a repeated SIGUSR1 is harmless.
      continue;
    }
    busyHolder = socketOwner(holder.inode);
    if (!toldWaiting) {
      toldWaiting = true;
      options.onStatus?.(`port ${DEFAULT_INSPECTOR_PORT} is in use${busyHolder ? ` by process ${busyHolder}` : ''}, so process ${pid} could not open its inspector there; waiting for the port to be free`);
    }
    while (Date.now() < deadline && portHolder(DEFAULT_INSPECTOR_PORT)) {
      await delay(100);
      throwIfAborted(options.signal);
    }
  }
  // A last look, in case it opened as the deadline passed.
  const last = await findInspector(pid);
  if (last) return { ...last, openedByUs: true };
  if (busyHolder !== undefined) {
    throw new AttachError(
      'ERR_MEMSTATS_INSPECTOR',
      `process ${pid} could not open its inspector: port ${DEFAULT_INSPECTOR_PORT} is in use${busyHolder ? ` by process ${busyHolder}` : ''} (waited ${Math.round(timeoutMs / 1000)} s); free that port and retry, or start the program with --inspect-port=0 (memstats finds whatever port it opens)`,
    );
  }
  throw new AttachError(
    'ERR_MEMSTATS_INSPECTOR',
    `process ${pid} did not open its inspector after SIGUSR1 (waited ${Math.round(timeoutMs / 1000)} s): it may run with --disable-sigusr1 or a Node.js built without the inspector; start it with --inspect=127.0.0.1:0, or with the memstats agent (memstats run) and use its URL`,
  );
}
