/**
 * @module attach/injected/agent
 * What `memstats attach` installs inside a running Node process, through the
 * inspector's `Runtime.evaluate`: memstats' own readers (GC tracker, sampler,
 * MemStats, metrics, forced GC, resources, stall detector), bundled from these
 * TypeScript sources into one self-contained script at build time
 * (`npm run build:attach`, esbuild). Nothing has to exist in the target's file
 * tree: Node's built-in modules come from the `require` the inspector's
 * command-line API provides during the evaluation (ESM programs included).
 *
 * One installation serves every memstats client attached to the process
 * (each has an id). A client that stops calling for `watchdogMs` — its CLI was
 * killed — is dropped; when the last client leaves, everything is removed:
 * timers stopped, observers disconnected, file descriptors closed, the global
 * handle deleted, and the inspector port closed if memstats opened it.
 *
 * This module is the bundle's entry and is never imported by the package: the
 * CLI evaluates the bundle and calls `install` on the value it defines.
 */
import inspector from 'node:inspector';
import v8 from 'node:v8';
import { createSampler, type Sampler } from '../../sampler/sampler.js';
import type { Sample } from '../../sampler/sample.js';
import { readMemStats, type MemStats } from '../../stats/mem-stats.js';
import { readGCStats, type GCStats, type ReadGCStatsOptions } from '../../stats/gc-stats.js';
import { getGCTracker, settleGC, stopGCTracker } from '../../stats/gc-tracker.js';
import { keepNodeEntryCallback } from '../../stats/gc-entries.js';
import { createMetricsReader, type MetricsReader, type MetricsSnapshot } from '../../export/metrics-snapshot.js';
import { openEventLoopWindow, type EventLoopWindow } from '../../stats/event-loop.js';
import { readVars } from '../../export/expvar.js';
import { timedGC } from '../../runtime/gc.js';
import { StallRecorder, type StallWindow } from './stalls.js';
import { closeAllOpened } from './fs-shim.js';

/** Version of the protocol between the CLI and the installed agent. */
export const ATTACH_PROTOCOL = 1;

/** The key (`Symbol.for(ATTACH_SYMBOL)`) under which the agent hangs on globalThis, non-enumerable. */
export const ATTACH_SYMBOL = 'memstats.attach';

/** What one client asks for when it installs (or joins) the agent. */
export interface InstallOptions {
  /** Unique id of the client (one CLI run). */
  clientId: string;
  /** The client opened the inspector port (SIGUSR1): close it when the last client leaves. */
  openedInspector: boolean;
  /** A client silent this long is dropped, ms. */
  watchdogMs: number;
  /** Sampler interval, ms. */
  intervalMs: number;
  /**
   * Interval of the event-loop delay timer, ms (memstats' default in-process
   * is 10). Each wake-up costs the target CPU (~1.3% of a core at 10 ms on a
   * busy VM, bench/dashboard-stream.ts); delays are measured net of it.
   */
  loopResolutionMs: number;
}

/** What install answers. */
export interface InstallInfo {
  protocol: number;
  pid: number;
  nodeVersion: string;
  v8Version: string;
  /** Clients attached now, this one included. */
  clients: number;
  /** Whether this call created the installation (false: joined one). */
  created: boolean;
}

/** Result of the agent's forced GC. */
export interface AgentGCResult {
  heapUsedBeforeBytes: number;
  heapUsedAfterBytes: number;
  durationMs: number;
  numGCBefore: number;
  numGCAfter: number;
}

/** What release answers. */
export interface ReleaseInfo {
  /** The agent was removed (this was the last client). */
  uninstalled: boolean;
  /** The inspector port is being closed (memstats opened it). */
  closingInspector: boolean;
}

/** The installed agent, as the CLI calls it. */
export interface AttachAgent {
  readonly protocol: number;
  touch(clientId: string): void;
  join(options: InstallOptions): InstallInfo;
  release(clientId: string): ReleaseInfo;
  /** Samples newer than `afterTimeMs` (ms since the epoch), oldest first, at most `max`. */
  since(afterTimeMs: number, max: number): Sample[];
  history(): Sample[];
  /** V8 heap in use, bytes (without starting any reader). */
  heapUsed(): number;
  readMemStats(): MemStats;
  readGCStats(options?: ReadGCStatsOptions): GCStats;
  readMetrics(): MetricsSnapshot;
  readVars(): Record<string, unknown>;
  cmdline(): string[];
  resources(): Record<string, number>;
  gc(): Promise<AgentGCResult>;
  startStalls(thresholdMs: number): number;
  stopStalls(id: number): { stalls: StallWindow[]; dropped: number };
}

/** How often the watchdog looks, ms: a fraction of watchdogMs, at most 5 s. */
function watchdogTickMs(watchdogMs: number): number {
  return Math.max(100, Math.min(5000, Math.floor(watchdogMs / 3)));
}

function checkRuntime(): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (!(major >= 20) || typeof v8.GCProfiler !== 'function' || typeof process.getActiveResourcesInfo !== 'function') {
    throw new Error(`memstats attach needs Node.js 20 or newer in the target; it runs ${process.version}`);
  }
}

function createAgent(first: InstallOptions): { agent: AttachAgent; info: InstallInfo } {
  const clients = new Map<string, number>();
  let closeInspector = false;
  let sampler: Sampler | undefined;
  let stopSampling: (() => void) | undefined;
  let metrics: MetricsReader | undefined;
  let loopWindow: EventLoopWindow | undefined;
  const stallRecorders = new Map<number, StallRecorder>();
  let stallSeq = 0;
  let removed = false;
  let joinedOnce = false;
  let lastWatchTick = Date.now();
  let watchdogMs = first.watchdogMs;

  const key = Symbol.for(ATTACH_SYMBOL);

  const uninstall = (): void => {
    if (removed) return;
    removed = true;
    clearInterval(watchdog);
    stopSampling?.();
    sampler?.stop();
    metrics?.close();
    loopWindow?.close();
    for (const r of stallRecorders.values()) r.stop();
    stallRecorders.clear();
    // Only ours: the bundle's tracker, not one the program may run with its own memstats.
    stopGCTracker();
    closeAllOpened();
    const g = globalThis as Record<symbol, unknown>;
    if (g[key] === agent) delete g[key];
    if (closeInspector) {
      // After this evaluation has answered: closing drops the client's connection.
      setTimeout(() => {
        try {
          inspector.close();
        } catch {
          // Already closed.
        }
      }, 20).unref();
    }
  };

  const drop = (clientId: string): ReleaseInfo => {
    clients.delete(clientId);
    if (clients.size > 0 || removed) return { uninstalled: removed && clients.size === 0, closingInspector: false };
    const closing = closeInspector;
    uninstall();
    return { uninstalled: true, closingInspector: closing };
  };

  // A client that stopped calling (its CLI was killed) is dropped. A loop that
  // was blocked (a heap snapshot, a long task) does not count as client silence.
  const tickMs = watchdogTickMs(first.watchdogMs);
  const watchdog = setInterval(() => {
    const now = Date.now();
    const blocked = now - lastWatchTick > 2 * tickMs;
    lastWatchTick = now;
    if (blocked) {
      for (const id of clients.keys()) clients.set(id, now);
      return;
    }
    for (const [id, seen] of clients) if (now - seen > watchdogMs) drop(id);
  }, tickMs);
  watchdog.unref();

  let intervalMs = first.intervalMs;
  const loopResolutionMs = first.loopResolutionMs;
  // The first window opened fixes the delay timer's interval for every reader
  // of this bundle (stats/event-loop): open it ourselves, at our resolution.
  const ensureLoop = () => {
    loopWindow ??= openEventLoopWindow({ resolutionMs: loopResolutionMs });
  };
  // Sampling starts when someone first asks for samples (top, the dashboard),
  // not at install: a one-shot command (stats, gc, a profile, the snapshots
  // of a leak hunt) leaves the target's heap as it found it.
  const sampling = (): Sampler => {
    if (!sampler) {
      getGCTracker();
      ensureLoop();
      sampler = createSampler({ intervalMs, capacity: 600 });
      // The ring fills while anyone is attached (the dashboard's backlog).
      stopSampling = sampler.subscribe(() => {});
    }
    return sampler;
  };

  const join = (o: InstallOptions): InstallInfo => {
    const created = clients.size === 0 && !joinedOnce;
    joinedOnce = true;
    clients.set(o.clientId, Date.now());
    if (o.openedInspector) closeInspector = true;
    watchdogMs = Math.max(watchdogMs, o.watchdogMs);
    if (!sampler) intervalMs = o.intervalMs;
    return {
      protocol: ATTACH_PROTOCOL,
      pid: process.pid,
      nodeVersion: process.versions.node,
      v8Version: process.versions.v8,
      clients: clients.size,
      created,
    };
  };

  const agent: AttachAgent = {
    protocol: ATTACH_PROTOCOL,
    touch(clientId) {
      if (clients.has(clientId)) clients.set(clientId, Date.now());
    },
    join,
    release(clientId) {
      return drop(clientId);
    },
    since(afterTimeMs, max) {
      const all = sampling().history();
      const out: Sample[] = [];
      for (const s of all) if (s.timeMs > afterTimeMs) out.push(s);
      return out.length > max ? out.slice(out.length - max) : out;
    },
    history() {
      return sampling().history();
    },
    heapUsed() {
      return v8.getHeapStatistics().used_heap_size;
    },
    readMemStats() {
      return readMemStats();
    },
    readGCStats(options) {
      return readGCStats(options);
    },
    readMetrics() {
      ensureLoop();
      metrics ??= createMetricsReader();
      return metrics.read();
    },
    readVars() {
      return readVars();
    },
    cmdline() {
      return [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
    },
    resources() {
      const byType: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) byType[r] = (byType[r] ?? 0) + 1;
      return byType;
    },
    async gc() {
      const t = getGCTracker();
      await settleGC();
      const numGCBefore = t.numGC;
      const r = timedGC();
      await settleGC();
      return { ...r, numGCBefore, numGCAfter: t.numGC };
    },
    startStalls(thresholdMs) {
      const id = ++stallSeq;
      stallRecorders.set(id, new StallRecorder(thresholdMs));
      return id;
    },
    stopStalls(id) {
      const r = stallRecorders.get(id);
      stallRecorders.delete(id);
      return r ? r.stop() : { stalls: [], dropped: 0 };
    },
  };

  Object.defineProperty(globalThis, key, { value: agent, configurable: true, enumerable: false, writable: false });
  const info = join(first);
  return { agent, info };
}

/**
 * install creates the agent in this process, or joins the one already there
 * (another memstats client), and returns what it found. Throws when the
 * process runs a Node.js older than 20, or when an agent of another protocol
 * version is installed and in use.
 */
export function install(options: InstallOptions): InstallInfo {
  checkRuntime();
  // The GC tracker would replace Node's performance-entry callback for good (stats/gc-entries): not in a
  // process memstats only visits.
  keepNodeEntryCallback();
  const existing = (globalThis as Record<symbol, unknown>)[Symbol.for(ATTACH_SYMBOL)] as AttachAgent | undefined;
  if (existing) {
    if (existing.protocol !== ATTACH_PROTOCOL) {
      throw new Error(`another memstats version (attach protocol ${existing.protocol}) is attached to this process; detach it first`);
    }
    return existing.join(options);
  }
  return createAgent(options).info;
}
