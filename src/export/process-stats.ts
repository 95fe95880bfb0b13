/**
 * @module export/process-stats
 * The process figures Prometheus' conventions (and prom-client's default
 * metrics) expect beside the runtime's: virtual memory and data segment size,
 * open and maximum file descriptors, libuv handles and requests by type, and
 * the process start time. Read at scrape time only; nothing here runs unless
 * someone asks. On platforms without /proc the Linux-only figures are null.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Process figures read at one moment. Sizes in bytes; null where the platform has no source. */
export interface ProcessStats {
  /** Process start, seconds since the Unix epoch (Node's performance.timeOrigin). */
  startTimeSeconds: number;
  /** Virtual memory size (VmSize of /proc/self/status), bytes. */
  virtualMemoryBytes: number | null;
  /** Data segment size (VmData of /proc/self/status: heap and anonymous mappings), bytes. */
  dataBytes: number | null;
  /** Open file descriptors (entries of /proc/self/fd, less the one used to list them). */
  openFds: number | null;
  /** Soft limit of open file descriptors (/proc/self/limits). */
  maxFds: number | null;
  /** libuv handles by JavaScript class (`Socket`, `Server`, …), as `process._getActiveHandles()` lists them. */
  handles: Record<string, number> | null;
  handlesTotal: number | null;
  /** libuv requests by JavaScript class (`FSReqCallback`, …), as `process._getActiveRequests()` lists them. */
  requests: Record<string, number> | null;
  requestsTotal: number | null;
}

const linux = process.platform === 'linux';
let statusFd: number | null | undefined;
const statusBuf = Buffer.alloc(4096);
let maxFdsCache: number | null | undefined;

function statusText(): string | null {
  if (!linux) return null;
  if (statusFd === undefined) {
    try {
      // Kept open: reopening /proc files costs more than reading them.
      statusFd = openSync('/proc/self/status', 'r');
    } catch {
      statusFd = null;
    }
  }
  if (statusFd === null) return null;
  try {
    const n = readSync(statusFd, statusBuf, 0, statusBuf.length, 0);
    return statusBuf.toString('latin1', 0, n);
  } catch {
    try {
      closeSync(statusFd);
    } catch {
      // already closed
    }
    statusFd = null;
    return null;
  }
}

/** Value in bytes of a `Name:   123 kB` line of /proc/self/status, or null. */
export function statusField(text: string, name: string): number | null {
  const at = text.indexOf(`\n${name}:`);
  if (at < 0) return null;
  let i = at + name.length + 2;
  while (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09) i++;
  let v = 0;
  let digits = 0;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
    digits++;
  }
  return digits > 0 ? v * 1024 : null;
}

/** Soft limit of open files from /proc/self/limits (read once: a process rarely changes it). */
export function readMaxFds(): number | null {
  if (maxFdsCache !== undefined) return maxFdsCache;
  maxFdsCache = null;
  if (!linux) return null;
  try {
    for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n')) {
      if (line.startsWith('Max open files')) {
        const n = Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]);
        if (Number.isFinite(n)) maxFdsCache = n;
        break;
      }
    }
  } catch {
    // no procfs
  }
  return maxFdsCache;
}

function countByClass(list: unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of list) {
    const name = (x as { constructor?: { name?: string } } | null)?.constructor?.name;
    if (!name) continue;
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

type Internal = { _getActiveHandles?: () => unknown[]; _getActiveRequests?: () => unknown[] };

/** The figures of ProcessStats that come from /proc: any thread of the process reads the same (the agent's server thread does). */
export type ProcFigures = Pick<ProcessStats, 'virtualMemoryBytes' | 'dataBytes' | 'openFds' | 'maxFds'>;

/** readProcFigures reads VmSize and VmData, the open descriptors and their limit (~60 µs on Linux, most of it listing /proc/self/fd). Never throws. */
export function readProcFigures(): ProcFigures {
  const status = statusText();
  let openFds: number | null = null;
  if (linux) {
    try {
      openFds = readdirSync('/proc/self/fd').length - 1;
    } catch {
      openFds = null;
    }
  }
  return {
    virtualMemoryBytes: status ? statusField(status, 'VmSize') : null,
    dataBytes: status ? statusField(status, 'VmData') : null,
    openFds,
    maxFds: readMaxFds(),
  };
}

/** isProcFigures: `x` is what readProcFigures returns (each figure a non-negative number or null). */
export function isProcFigures(x: unknown): x is ProcFigures {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (['virtualMemoryBytes', 'dataBytes', 'openFds', 'maxFds'] as const).every((k) => o[k] === null || (typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0));
}

/**
 * readProcessStats reads the figures above (never throws); `proc`, when given,
 * are the /proc figures read already (by another thread of this process).
 */
export function readProcessStats(proc: ProcFigures = readProcFigures()): ProcessStats {
  const p = process as unknown as Internal;
  let handles: Record<string, number> | null = null;
  let handlesTotal: number | null = null;
  let requests: Record<string, number> | null = null;
  let requestsTotal: number | null = null;
  // Feature checks, not version checks: these are undocumented and may go away.
  if (typeof p._getActiveHandles === 'function') {
    const list = p._getActiveHandles();
    handles = countByClass(list);
    handlesTotal = list.length;
  }
  if (typeof p._getActiveRequests === 'function') {
    const list = p._getActiveRequests();
    requests = countByClass(list);
    requestsTotal = list.length;
  }
  return {
    startTimeSeconds: performance.timeOrigin / 1000,
    virtualMemoryBytes: proc.virtualMemoryBytes,
    dataBytes: proc.dataBytes,
    openFds: proc.openFds,
    maxFds: proc.maxFds,
    handles,
    handlesTotal,
    requests,
    requestsTotal,
  };
}
