/**
 * @module stats/system
 * Process-wide figures from the OS: resident set size, CPU time, page faults.
 * On Linux RSS is read from /proc/self/statm through a kept file descriptor
 * (~1 µs; `process.memoryUsage.rss()` opens the file each time, ~7 µs —
 * bench/sample.ts). These figures cover the whole process, every thread and
 * worker included.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import os from 'node:os';

let statmFd: number | undefined | null;
let pageSize = 0;
const statmBuf = Buffer.alloc(256);

function openStatm(): number | null {
  if (statmFd !== undefined) return statmFd;
  statmFd = null;
  if (process.platform !== 'linux') return null;
  try {
    statmFd = openSync('/proc/self/statm', 'r');
    const resident = readResidentPages(statmFd);
    const rss = process.memoryUsage.rss();
    // Page size is not exposed by Node: derive it (a power of two) from one RSS reading.
    const ratio = resident > 0 ? rss / resident : 4096;
    pageSize = 2 ** Math.round(Math.log2(ratio));
    if (!(pageSize >= 1024 && pageSize <= 65536 * 16)) pageSize = 4096;
  } catch {
    if (typeof statmFd === 'number') closeSync(statmFd);
    statmFd = null;
  }
  return statmFd;
}

function readResidentPages(fd: number): number {
  const n = readSync(fd, statmBuf, 0, statmBuf.length, 0);
  // "size resident shared text lib data dt": the second number.
  let i = 0;
  while (i < n && statmBuf[i] !== 0x20) i++;
  i++;
  let v = 0;
  while (i < n) {
    const c = statmBuf[i];
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
  }
  return v;
}

/** readRss returns the process's resident set size in bytes. */
export function readRss(): number {
  const fd = openStatm();
  if (fd !== null) {
    try {
      return readResidentPages(fd) * pageSize;
    } catch {
      // fall through
    }
  }
  return process.memoryUsage.rss();
}

/** Size of a memory page in bytes, as found by readRss (4096 before the first read). */
export function systemPageSize(): number {
  openStatm();
  return pageSize || 4096;
}

/** CPU time and OS counters of the whole process. */
export interface SystemStats {
  /** User CPU time in µs since the process started. */
  cpuUserUs: number;
  /** System CPU time in µs since the process started. */
  cpuSystemUs: number;
  /** Peak resident set size in bytes (`getrusage` ru_maxrss, converted from KiB). */
  maxRssBytes: number;
  /** Resident set size now, in bytes. */
  rssBytes: number;
  minorPageFaults: number;
  majorPageFaults: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
  /** CPUs this process may use (`os.availableParallelism()`). */
  availableParallelism: number;
  /** Process uptime in ms. */
  uptimeMs: number;
}

/** readSystem returns process CPU time, RSS, peak RSS and OS counters. Cheap (~2 µs). */
export function readSystem(): SystemStats {
  const ru = process.resourceUsage();
  return {
    cpuUserUs: ru.userCPUTime,
    cpuSystemUs: ru.systemCPUTime,
    maxRssBytes: ru.maxRSS * 1024,
    rssBytes: readRss(),
    minorPageFaults: ru.minorPageFault,
    majorPageFaults: ru.majorPageFault,
    voluntaryContextSwitches: ru.voluntaryContextSwitches,
    involuntaryContextSwitches: ru.involuntaryContextSwitches,
    availableParallelism: availableParallelism(),
    uptimeMs: process.uptime() * 1000,
  };
}

let parallelism = 0;
/** os.availableParallelism(), read once. */
export function availableParallelism(): number {
  if (!parallelism) parallelism = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
  return parallelism;
}
