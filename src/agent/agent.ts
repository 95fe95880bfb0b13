/**
 * @module agent/agent
 * The zero-code agent behind `node --import memstats/register app.js`: reads
 * its configuration from the environment, starts the GC tracker at once (so
 * every GC of the program is counted), the debug server, and optionally GC
 * lines on stderr and a recording. It never breaks the program: a bad
 * setting or a taken port is one line on stderr and the program runs on; and
 * it never keeps the program alive: everything it starts is unref'd.
 *
 * Environment:
 * - `MEMSTATS_ADDR` — `host:port` of the debug server (default `127.0.0.1:6060`;
 *   `:port` binds 127.0.0.1; port 0 picks a free one; `off` disables it).
 * - `MEMSTATS_TOKEN` — required token; mandatory for a non-loopback host.
 * - `MEMSTATS_GC_LOG=1` — a GC line on stderr each second with GCs (watchGC).
 * - `MEMSTATS_RECORD=path` — append one Sample per second to `path` as ndjson
 *   (`%p` is replaced by the pid).
 * - `MEMSTATS_HEAP_SAMPLING=1` (or `inuse`) — run the sampling heap profiler
 *   from the start, so /debug/pprof/heap covers the whole run; `allocs` keeps
 *   collected objects too, for /debug/pprof/allocs.
 * - `MEMSTATS_SERVER_THREAD=main` — serve from the application's thread
 *   instead of a worker thread (default `worker`: server/thread-server.ts).
 * - `MEMSTATS_SERVER_PRIORITY=normal` — leave the worker thread at the
 *   program's priority (default `low`: nice 19 on Linux).
 * - `MEMSTATS_RUN_PARENT=pid` — set by `memstats run`: the agent starts only
 *   in a process whose parent is that pid, not in the processes it forks.
 */
import { isMainThread } from 'node:worker_threads';
import { getGCTracker } from '../stats/gc-tracker.js';
import { watchGC, type Watcher } from '../report/console.js';
import { startRecording, type Recording } from '../export/recorder.js';
import type { DebugEndpoint, DebugServerOptions } from '../server/server.js';
import { startDebugServerThread, type DebugServerThread, type ThreadPriority } from '../server/thread-server.js';
import { isLoopbackHost } from '../server/http.js';
import { loadProfiles } from '../server/profile-api.js';

/** Options of startAgent (what the MEMSTATS_* variables set). */
export interface AgentOptions {
  /** `host:port` of the debug server (default `127.0.0.1:6060`), or `off`. */
  addr?: string;
  /** Token the server requires (required for a non-loopback host). */
  token?: string;
  /** GC lines on stderr (default false). */
  gcLog?: boolean;
  /** Path of an ndjson recording of one Sample per second (default none). */
  recordPath?: string;
  /**
   * Start the sampling heap profiler at once (default off): `inuse` samples
   * live objects (/debug/pprof/heap), `allocs` keeps collected ones too
   * (/debug/pprof/allocs). V8 samples one way at a time.
   */
  heapSampling?: 'inuse' | 'allocs';
  /**
   * Where the debug server runs (default `worker`): a worker thread, so that
   * serving a request costs the application one message and the read it asks
   * for, and no HTTP work on its thread; or `main`, the application's thread
   * (no extra isolate: ~10 MB less RSS). If the thread cannot start, the agent
   * serves from the main thread and says so.
   */
  serverThread?: 'worker' | 'main';
  /**
   * Scheduling priority of the server's worker thread (default `low`: on Linux
   * the lowest, so a scrape waits for the application rather than delaying
   * its requests on a busy core; see startDebugServerThread).
   */
  serverPriority?: ThreadPriority;
  /** Where the agent's own lines go (default: stderr). */
  log?: (line: string) => void;
}

/** A running agent. */
export interface Agent {
  /** The debug server, if it started. */
  readonly server: DebugEndpoint | undefined;
  /** Problems met at start, one line each (also logged). */
  readonly problems: readonly string[];
  /** stop stops everything the agent started. Calling it twice is harmless. */
  stop(): Promise<void>;
}

/** A parsed `host:port`. */
export interface ParsedAddr {
  host: string;
  port: number;
}

/**
 * parseAddr reads `host:port`, `:port`, `[v6]:port` or a bare port; returns
 * undefined if it is none of them.
 */
export function parseAddr(value: string): ParsedAddr | undefined {
  const v = value.trim();
  let host: string;
  let portText: string;
  if (/^\d+$/.test(v)) {
    host = '127.0.0.1';
    portText = v;
  } else if (v.startsWith('[')) {
    const end = v.indexOf(']:');
    if (end < 0) return undefined;
    host = v.slice(1, end);
    portText = v.slice(end + 2);
  } else {
    const colon = v.lastIndexOf(':');
    if (colon < 0 || v.indexOf(':') !== colon) return undefined;
    host = v.slice(0, colon) || '127.0.0.1';
    portText = v.slice(colon + 1);
  }
  if (!/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535 || host.length === 0 || /\s/.test(host)) return undefined;
  return { host, port };
}

/**
 * The debug server on the application's thread, loaded only when asked for: with
 * the server in its worker, the application's isolate loads no HTTP routes,
 * prom-client or dashboard code (loading them alone cost a saturated server
 * ~1 % of its requests, docs/benchmarks.md).
 */
async function startOnMainThread(options: DebugServerOptions): Promise<DebugEndpoint> {
  const { startDebugServer } = await import('../server/server.js');
  return startDebugServer(options);
}

/** Errors of listen() itself (and of option validation), not of the thread serving. */
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'ERR_MEMSTATS_INVALID_OPTION']);

const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false' && v.toLowerCase() !== 'no';

const HEAP_SAMPLING = ['inuse', 'allocs'] as const;
const SERVER_THREADS = ['worker', 'main'] as const;
const SERVER_PRIORITIES = ['low', 'normal'] as const;

/**
 * agentOptionsFromEnv maps MEMSTATS_* variables to AgentOptions. A value it does
 * not know is passed on as it is, for startAgent to name in one line.
 */
export function agentOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AgentOptions {
  const o: AgentOptions = {};
  if (env.MEMSTATS_ADDR !== undefined && env.MEMSTATS_ADDR !== '') o.addr = env.MEMSTATS_ADDR;
  if (env.MEMSTATS_TOKEN !== undefined && env.MEMSTATS_TOKEN !== '') o.token = env.MEMSTATS_TOKEN;
  if (truthy(env.MEMSTATS_GC_LOG)) o.gcLog = true;
  if (env.MEMSTATS_RECORD !== undefined && env.MEMSTATS_RECORD !== '') o.recordPath = env.MEMSTATS_RECORD;
  const hs = env.MEMSTATS_HEAP_SAMPLING?.trim().toLowerCase();
  if (hs === 'allocs' || hs === 'inuse') o.heapSampling = hs;
  else if (hs === '1' || hs === 'true' || hs === 'yes') o.heapSampling = 'inuse';
  else if (hs !== undefined && truthy(hs)) o.heapSampling = env.MEMSTATS_HEAP_SAMPLING as AgentOptions['heapSampling'];
  const st = envChoice(env.MEMSTATS_SERVER_THREAD, SERVER_THREADS);
  if (st) o.serverThread = st;
  const sp = envChoice(env.MEMSTATS_SERVER_PRIORITY, SERVER_PRIORITIES);
  if (sp) o.serverPriority = sp;
  return o;
}

/** One of `choices` for a variable's value (any case, spaces trimmed); an unknown value as written, for startAgent to name. */
function envChoice<T extends string>(raw: string | undefined, choices: readonly T[]): T | undefined {
  const v = raw?.trim().toLowerCase();
  if (!v) return undefined;
  return (choices as readonly string[]).includes(v) ? (v as T) : (raw as T);
}

/** Which variable sets each option, for the lines that name a bad value. */
const ENV_OF: Record<string, string> = {
  addr: 'MEMSTATS_ADDR',
  token: 'MEMSTATS_TOKEN',
  gcLog: 'MEMSTATS_GC_LOG',
  recordPath: 'MEMSTATS_RECORD',
  heapSampling: 'MEMSTATS_HEAP_SAMPLING',
  serverThread: 'MEMSTATS_SERVER_THREAD',
  serverPriority: 'MEMSTATS_SERVER_PRIORITY',
};

/** `name (MEMSTATS_X) is "v"; accepted: …`: what is wrong with one option. */
function badValue(name: string, value: unknown, accepted: string): string {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : typeof value;
  return `${name} (${ENV_OF[name]}) is ${shown}; accepted: ${accepted}`;
}

/** Why `text` is not an address parseAddr takes. */
function addrProblem(text: string): string {
  const port = /:(\d+)$/.exec(text.trim())?.[1] ?? (/^\d+$/.test(text.trim()) ? text.trim() : undefined);
  if (port !== undefined && Number(port) > 65535) return `MEMSTATS_ADDR=${JSON.stringify(text)}: port ${port} is out of range 0…65535`;
  return `MEMSTATS_ADDR=${JSON.stringify(text)} is not host:port (e.g. 127.0.0.1:6060, :0, off)`;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e?.message ?? String(err)).split('\n')[0];
}

/**
 * startAgent starts what `options` asks for and resolves once the debug server
 * listens or failed to. It never rejects: each problem — a bad option value
 * included, named with its variable and the accepted values — is logged as one
 * line (`memstats: …`) and listed in `problems`, and the rest still starts.
 */
export async function startAgent(options: AgentOptions = {}): Promise<Agent> {
  const o: AgentOptions = options !== null && typeof options === 'object' ? options : {};
  const stderrLog = (line: string) => {
    process.stderr.write(line + '\n');
  };
  const log = typeof o.log === 'function' ? o.log : stderrLog;
  const problems: string[] = [];
  const problem = (line: string) => {
    problems.push(line);
    try {
      log(line);
    } catch {
      // a broken log must not break the program
    }
  };
  let server: DebugEndpoint | undefined;
  let stopped = false;
  let watcher: Watcher | undefined;
  let recording: Recording | undefined;
  let heapSamplingStarted = false;

  if (options !== o) problem(`memstats: agent options must be an object; received ${options === null ? 'null' : typeof options}: using the defaults`);
  if (o.log !== undefined && typeof o.log !== 'function') problem(`memstats: log must be a function; received ${typeof o.log}: logging to stderr`);
  /** The option if it is one of `accepted` (or unset); otherwise one line, and undefined. */
  const oneOf = <T extends string>(name: keyof AgentOptions, what: string, accepted: readonly T[]): T | undefined => {
    const v = o[name];
    if (v === undefined || (accepted as readonly unknown[]).includes(v)) return v as T | undefined;
    problem(`memstats: ${what}: ${badValue(name, v, accepted.join(', '))}`);
    return undefined;
  };
  const stringOption = (name: keyof AgentOptions, what: string): string | undefined => {
    const v = o[name];
    if (v === undefined || typeof v === 'string') return v;
    problem(`memstats: ${what}: ${badValue(name, v, 'a string')}`);
    return undefined;
  };
  const heapSampling = oneOf('heapSampling', 'heap sampling not started', HEAP_SAMPLING);
  const serverThread = oneOf('serverThread', 'using the default server thread (worker)', SERVER_THREADS);
  const serverPriority = oneOf('serverPriority', 'using the default server priority (low)', SERVER_PRIORITIES);
  const recordPath = stringOption('recordPath', 'not recording');
  const token = stringOption('token', 'debug server not started');
  const addrOption = stringOption('addr', 'debug server not started');
  const tokenBad = o.token !== undefined && token === undefined;
  const addrBad = o.addr !== undefined && addrOption === undefined;
  if (o.gcLog !== undefined && typeof o.gcLog !== 'boolean') problem(`memstats: GC log not started: ${badValue('gcLog', o.gcLog, 'true, false')}`);

  try {
    // Count every GC from here on, whether or not anyone asks yet.
    getGCTracker();
  } catch (err) {
    problem(`memstats: GC tracking not started: ${describe(err)}`);
  }

  if (o.gcLog === true) {
    try {
      watcher = watchGC();
    } catch (err) {
      problem(`memstats: GC log not started: ${describe(err)}`);
    }
  }

  if (recordPath) {
    try {
      recording = startRecording(recordPath);
    } catch (err) {
      problem(`memstats: not recording to ${recordPath}: ${describe(err)}`);
    }
  }

  if (heapSampling) {
    try {
      const profiles = await loadProfiles();
      profiles.startHeapSampling({ includeCollected: heapSampling === 'allocs' });
      heapSamplingStarted = true;
    } catch (err) {
      problem(`memstats: heap sampling not started: ${describe(err)}`);
    }
  }

  const addrText = addrOption ?? '127.0.0.1:6060';
  if (!addrBad && !tokenBad && addrText.trim().toLowerCase() !== 'off') {
    const addr = parseAddr(addrText);
    if (!addr) {
      problem(`memstats: debug server not started: ${addrProblem(addrText)}`);
    } else if (!isLoopbackHost(addr.host) && token === undefined) {
      problem(`memstats: debug server not started: ${addrText} is not a loopback address and MEMSTATS_TOKEN is not set (profiles, heap contents and the command line would be open to the network)`);
    } else {
      const serverOptions = { host: addr.host, port: addr.port, unref: true, ...(token !== undefined ? { token } : {}) };
      try {
        if (serverThread === 'main') server = await startOnMainThread(serverOptions);
        else {
          try {
            server = await startDebugServerThread({ ...serverOptions, ...(serverPriority ? { priority: serverPriority } : {}) });
          } catch (err) {
            // A listen error is the address's problem wherever we serve from; anything else is the thread's.
            if (LISTEN_ERRORS.has((err as NodeJS.ErrnoException)?.code ?? '')) throw err;
            problem(`memstats: debug server thread not started (${describe(err)}); serving from the main thread`);
            server = await startOnMainThread(serverOptions);
          }
        }
        const thread = (server as Partial<DebugServerThread>).worker;
        // A thread that dies later (a crash, its heap limit) takes only the debug server with it: say so once.
        thread?.once('exit', (code) => {
          if (!stopped) problem(`memstats: debug server thread ended (exit code ${code}); ${server?.url} no longer answers`);
        });
        try {
          log(`memstats: debug server on ${server.url}/debug/pprof/`);
        } catch {
          // ignore
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException)?.code;
        const why =
          code === 'EADDRINUSE'
            ? `${addrText} is in use (set MEMSTATS_ADDR, e.g. 127.0.0.1:0 for a free port)`
            : code === 'EACCES'
              ? `no permission to listen on ${addrText}`
              : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
                ? `${addrText} is not an address of this machine`
                : describe(err);
        problem(`memstats: debug server not started: ${why}`);
      }
    }
  }

  return {
    server,
    problems,
    async stop() {
      if (stopped) return;
      stopped = true;
      watcher?.stop();
      recording?.stop();
      if (heapSamplingStarted) (await loadProfiles()).stopHeapSampling();
      await server?.close();
    },
  };
}

const AGENT_KEY = Symbol.for('memstats.agent');

/**
 * startAgentFromEnv starts the agent once per process (main thread only; a
 * second call, or a second copy of memstats, returns the first agent) with
 * options from MEMSTATS_* variables. Never rejects.
 */
export function startAgentFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Agent | undefined> {
  if (!isMainThread) return Promise.resolve(undefined);
  // `memstats run -- node app.js` preloads the agent in app.js only; the processes app.js forks
  // inherit its --import (fork and cluster copy execArgv) but are not its children.
  const runParent = env.MEMSTATS_RUN_PARENT;
  if (runParent !== undefined && runParent !== '' && runParent !== String(process.ppid)) return Promise.resolve(undefined);
  const g = globalThis as unknown as Record<symbol, Promise<Agent | undefined> | undefined>;
  const existing = g[AGENT_KEY];
  if (existing) return existing;
  const p = (async () => {
    try {
      return await startAgent(agentOptionsFromEnv(env));
    } catch (err) {
      try {
        process.stderr.write(`memstats: agent not started: ${describe(err)}\n`);
      } catch {
        // ignore
      }
      return undefined;
    }
  })();
  g[AGENT_KEY] = p;
  return p;
}
