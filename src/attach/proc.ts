/**
 * @module attach/proc
 * What /proc says about another process: whether it exists and is ours,
 * whether it runs Node.js, its command line, uptime and RSS, and the TCP
 * ports it listens on (its socket inodes matched against the LISTEN entries
 * of /proc/<pid>/net/tcp and tcp6, which show the process's own network
 * namespace). Linux only: elsewhere the readers return what they can and
 * `listeningSockets` returns nothing.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { systemPageSize } from '../stats/system.js';
import { AttachError } from './errors.js';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux architecture Node runs on). */
export const CLOCK_TICKS = 100;

/** statFields splits a /proc/<pid>/stat line: comm (which may hold spaces and parentheses, so the fields start after the last ')') and the fields after it (fields[0] is the state). */
export function statFields(stat: string): { comm: string; fields: string[] } {
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/** What /proc tells about one process. */
export interface ProcessInfo {
  pid: number;
  /** Real user id of the process. */
  uid: number;
  /** Executable path, or null when /proc does not tell (another user's process). */
  exe: string | null;
  /** Arguments (argv), as the process shows them (a program may rewrite its title). */
  argv: string[];
  /** Thread name of the main thread (`node` for Node.js). */
  comm: string;
  /** One-letter state (R, S, D, Z, T…). */
  state: string;
  /** Seconds since the process started. */
  uptimeSeconds: number;
  /** Resident set size, bytes. */
  rssBytes: number;
}

/** One listening TCP socket. */
export interface ListeningSocket {
  /** The address it is bound to (`127.0.0.1`, `0.0.0.0`, `::`, `::1`, …). */
  address: string;
  port: number;
  family: 4 | 6;
  inode: number;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Whether a pid is plausible (a positive integer within Linux's limit). */
export function isValidPid(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && pid <= 4_194_304;
}

/**
 * checkProcess throws an AttachError when `pid` does not exist (code
 * ERR_MEMSTATS_NO_SUCH_PROCESS) or cannot be signalled by this user
 * (ERR_MEMSTATS_PERMISSION_DENIED); it returns silently otherwise.
 */
export function checkProcess(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errCode(err) === 'ESRCH') throw new AttachError('ERR_MEMSTATS_NO_SUCH_PROCESS', `no such process: ${pid}`);
    if (errCode(err) === 'EPERM') throw new AttachError('ERR_MEMSTATS_PERMISSION_DENIED', `permission denied: process ${pid} belongs to another user${ownerText(pid)}`);
    throw err;
  }
}

function ownerText(pid: number): string {
  try {
    const uid = readUid(pid);
    return uid === null ? '' : ` (uid ${uid}; you are uid ${process.getuid?.() ?? '?'})`;
  } catch {
    return '';
  }
}

function readUid(pid: number): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : null;
}

/**
 * readProcessInfo reads /proc/<pid>. Throws an AttachError with code
 * ERR_MEMSTATS_NO_SUCH_PROCESS when the process does not exist.
 */
export function readProcessInfo(pid: number): ProcessInfo {
  let status: string;
  let stat: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ESRCH') throw new AttachError('ERR_MEMSTATS_NO_SUCH_PROCESS', `no such process: ${pid}`);
    throw err;
  }
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
  const { comm, fields } = statFields(stat);
  const state = fields[0] ?? '?';
  const startTicks = Number(fields[19] ?? 0);
  let uptimeSeconds = 0;
  try {
    const sysUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    uptimeSeconds = Math.max(0, sysUptime - startTicks / CLOCK_TICKS);
  } catch {
    uptimeSeconds = 0;
  }
  let rssBytes = 0;
  try {
    rssBytes = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * systemPageSize();
  } catch {
    rssBytes = 0;
  }
  let exe: string | null = null;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    exe = null;
  }
  let argv: string[] = [];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
  } catch {
    argv = [];
  }
  return { pid, uid, exe, argv, comm, state, uptimeSeconds, rssBytes };
}

/** Whether an executable name is Node.js's (`node`, `nodejs`, `node20`…). */
export function isNodeExecutable(file: string): boolean {
  return /^(node|nodejs)(\d+(\.\d+)*)?(\.exe)?$/i.test(path.basename(file));
}

/**
 * isNodeProcess tells from /proc whether the process runs Node.js: its
 * executable, or — when the executable is hidden (another user) — its main
 * thread name and argv[0].
 */
export function isNodeProcess(info: ProcessInfo): boolean {
  if (info.exe) return isNodeExecutable(info.exe);
  return info.comm === 'node' || (info.argv[0] !== undefined && isNodeExecutable(info.argv[0]));
}

/**
 * requireNodeProcess checks that `pid` exists, belongs to this user (or this
 * user is root) and runs Node.js; it returns its ProcessInfo or throws an
 * AttachError (no such process / permission denied / not Node.js) — before
 * anything is sent to it: SIGUSR1 ends a process that does not handle it.
 */
export function requireNodeProcess(pid: number): ProcessInfo {
  if (pid === process.pid) throw new AttachError('ERR_MEMSTATS_NOT_NODE', `process ${pid} is this memstats command itself`);
  checkProcess(pid);
  const info = readProcessInfo(pid);
  const me = process.getuid?.();
  if (me !== undefined && me !== 0 && info.uid !== me) {
    throw new AttachError('ERR_MEMSTATS_PERMISSION_DENIED', `permission denied: process ${pid} belongs to uid ${info.uid} (you are uid ${me})`);
  }
  if (info.state === 'Z') throw new AttachError('ERR_MEMSTATS_NO_SUCH_PROCESS', `no such process: ${pid} has exited (a zombie waiting for its parent)`);
  if (!isNodeProcess(info)) {
    const what = info.exe ?? info.argv[0] ?? info.comm;
    throw new AttachError('ERR_MEMSTATS_NOT_NODE', `process ${pid} is not a Node.js process (it runs ${what})`);
  }
  return info;
}

/** The socket inodes among a process's open file descriptors. */
export function socketInodes(pid: number): Set<number> {
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    if (errCode(err) === 'EACCES' || errCode(err) === 'EPERM') {
      throw new AttachError('ERR_MEMSTATS_PERMISSION_DENIED', `permission denied: cannot read the sockets of process ${pid}`);
    }
    if (errCode(err) === 'ENOENT') throw new AttachError('ERR_MEMSTATS_NO_SUCH_PROCESS', `no such process: ${pid}`);
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(Number(m[1]));
    } catch {
      // Closed while we listed: not a socket we could use anyway.
    }
  }
  return out;
}

/** Decodes a /proc/net/tcp address (hex, 32-bit words in host order — little-endian here). */
export function decodeProcAddress(hex: string): string {
  if (hex.length === 8) {
    const n = parseInt(hex, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
  }
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  // IPv4-mapped (::ffff:a.b.c.d) reads as the IPv4 address.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // Compress the longest run of zero groups, as inet_ntop does.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parses /proc/net/tcp or tcp6 text into its LISTEN sockets. */
export function parseListening(text: string, family: 4 | 6): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const [addr, port] = f[1].split(':');
    out.push({ address: decodeProcAddress(addr), port: parseInt(port, 16), family, inode: Number(f[9]) });
  }
  return out;
}

/** Every LISTEN TCP socket in the network namespace of `pid` (default: this process). */
export function allListeningSockets(pid: number | 'self' = 'self'): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const [file, family] of [['tcp', 4], ['tcp6', 6]] as const) {
    try {
      out.push(...parseListening(readFileSync(`/proc/${pid}/net/${file}`, 'utf8'), family));
    } catch {
      // No IPv6, or not Linux.
    }
  }
  return out;
}

/** listeningSockets returns the TCP sockets `pid` listens on. Throws AttachError for a missing or forbidden process. */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return [];
  return allListeningSockets(pid).filter((s) => inodes.has(s.inode));
}

/** Whether an address is loopback or a wildcard (reachable through loopback). */
export function reachableOverLoopback(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '::1' || address.startsWith('127.');
}

/** The loopback host to connect to for a socket bound to `address`. */
export function loopbackHostFor(s: ListeningSocket): string {
  if (s.address === '::1') return '::1';
  if (s.family === 6 && s.address !== '::') return s.address.startsWith('127.') ? s.address : '::1';
  return s.address.startsWith('127.') ? s.address : '127.0.0.1';
}

/**
 * socketOwner finds which process of this user holds the listening socket
 * with `inode` (for messages such as "port 9229 is in use by pid 123"), or null.
 */
export function socketOwner(inode: number): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const p of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${p}/fd/${fd}`) === `socket:[${inode}]`) return Number(p);
      } catch {
        // gone
      }
    }
  }
  return null;
}

/** The pids of this user's Node.js processes (all Node.js processes for root), this one excluded, ascending. */
export function listNodeProcesses(): ProcessInfo[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
  const me = process.getuid?.();
  const out: ProcessInfo[] = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    try {
      const info = readProcessInfo(pid);
      if (me !== undefined && me !== 0 && info.uid !== me) continue;
      if (info.state === 'Z' || !isNodeProcess(info)) continue;
      out.push(info);
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

/** readEnviron returns the environment `pid` started with (readable for this user's processes), or null. */
export function readEnviron(pid: number): Record<string, string> | null {
  try {
    const out: Record<string, string> = {};
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return out;
  } catch {
    return null;
  }
}
