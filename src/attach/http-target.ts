/**
 * @module attach/http-target
 * A target reached through its memstats debug server (the agent's
 * `http://127.0.0.1:6060`, or another CLI's `memstats attach` server), using
 * only the server's public endpoints:
 *
 * | operation | endpoint |
 * |---|---|
 * | MemStats | `/debug/vars` (Go fields) + `/metrics` (Node's own figures) |
 * | forced GC | `POST /debug/gc` |
 * | profiles | `/debug/pprof/profile`, `heap`, `allocs`, `block`, `goroutine` |
 * | heap snapshot | `/debug/pprof/heapsnapshot`, streamed to the file |
 * | live figures | `/debug/dashboard/stream` (Server-Sent Events) |
 *
 * MEMSTATS_TOKEN, when set, is sent as `Authorization: Bearer`.
 */
import { createWriteStream } from 'node:fs';
import type { MemStats, HeapSpace } from '../stats/mem-stats.js';
import { GO_MEMSTATS_FIELDS } from '../stats/mem-stats.js';
import type { DashboardConfig, Frame } from '../dashboard/wire.js';
import { abortError } from '../profile/errors.js';
import { AttachError } from './errors.js';
import { httpRequest, type HttpAnswer } from './http-request.js';
import { allListeningSockets, checkProcess, isValidPid, socketOwner } from './proc.js';
import type { SnapshotProgress } from './remote-backend.js';

/** What the server answered for a profile: the body and the file name it suggested. */
export interface HttpProfile {
  body: Buffer;
  /** From Content-Disposition (`cpu-1234.pb.gz`), if any. */
  filename: string | undefined;
  contentType: string;
}

/** Prometheus text format, reduced to `name{labels} value` lines (comments and help dropped). */
export function parsePrometheusText(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** memStatsFromEndpoints rebuilds a (partial) MemStats from /debug/vars' `memstats` and /metrics. */
export function memStatsFromEndpoints(goMemStats: Record<string, unknown>, metricsText: string | undefined): Partial<MemStats> {
  const m: Record<string, unknown> = {};
  for (const [go, key] of GO_MEMSTATS_FIELDS) if (go in goMemStats) m[key] = goMemStats[go];
  if (metricsText === undefined) return m as Partial<MemStats>;
  const samples = parsePrometheusText(metricsText);
  const one = (name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  const set = (key: keyof MemStats, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) m[key] = v;
  };
  set('rss', one('process_resident_memory_bytes'));
  set('external', one('nodejs_external_memory_bytes'));
  set('arrayBuffers', one('memstats_array_buffers_bytes'));
  set('heapSizeLimit', one('memstats_heap_limit_bytes'));
  set('heapPhysical', one('memstats_heap_physical_bytes'));
  set('mallocedMemory', one('memstats_malloced_bytes'));
  set('nativeContexts', one('memstats_native_contexts'));
  set('detachedContexts', one('memstats_detached_contexts'));
  set('numMinorGC', one('memstats_gc_cycles_total', { kind: 'minor' }));
  set('numMajorGC', one('memstats_gc_cycles_total', { kind: 'major' }));
  set('numIncrementalMarking', one('memstats_gc_phases_total', { phase: 'incremental_marking' }));
  set('numWeakCallbacks', one('memstats_gc_phases_total', { phase: 'weak_callbacks' }));
  const spaces = new Map<string, HeapSpace>();
  for (const s of samples) {
    const which = s.name === 'nodejs_heap_space_size_total_bytes' ? 'sizeBytes' : s.name === 'nodejs_heap_space_size_used_bytes' ? 'usedBytes' : s.name === 'nodejs_heap_space_size_available_bytes' ? 'availableBytes' : undefined;
    if (!which || !s.labels.space) continue;
    const name = `${s.labels.space}_space`;
    const sp = spaces.get(name) ?? { name, sizeBytes: 0, usedBytes: 0, availableBytes: 0, physicalBytes: 0 };
    sp[which] = s.value;
    spaces.set(name, sp);
  }
  if (spaces.size > 0) m.heapSpaces = [...spaces.values()];
  return m as Partial<MemStats>;
}

function filenameOf(disposition: string | string[] | undefined): string | undefined {
  const d = Array.isArray(disposition) ? disposition[0] : disposition;
  const m = d ? /filename="([^"/\\]+)"/.exec(d) : null;
  return m ? m[1] : undefined;
}

/** One `event:`/`data:` message of a Server-Sent Events stream. */
interface SseMessage {
  event: string;
  data: string;
}

/** Splits a Server-Sent Events byte stream into messages. */
class SseParser {
  private buf = '';
  // A character split across two chunks is decoded whole (one series key holds "−").
  private readonly decoder = new TextDecoder('utf-8');
  constructor(private readonly onMessage: (m: SseMessage) => void) {}
  push(chunk: Buffer): void {
    this.buf += this.decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) this.onMessage({ event, data: data.join('\n') });
    }
  }
}

/**
 * mountPrefix returns the path a debug handler is mounted under, from a URL's
 * path: what comes before its `/debug/…` or `/metrics` part (so the address
 * the agent prints, `…/debug/pprof/`, and `/ops/debug/pprof/` both work), or
 * the whole path without its trailing slash; '' for the root.
 */
export function mountPrefix(pathname: string): string {
  const m = /^(.*?)\/(debug(\/|$)|metrics(\/|$))/.exec(pathname);
  const prefix = m ? m[1]! : pathname;
  return prefix.replace(/\/+$/, '');
}

/** Whether `pid` is a process of this machine this user may signal. */
function runsHere(pid: number): boolean {
  if (!isValidPid(pid)) return false;
  try {
    checkProcess(pid);
    return true;
  } catch {
    return false;
  }
}

/** A debug server reached over HTTP. */
export class HttpTarget {
  readonly base: URL;
  private readonly headers: Record<string, string>;
  private resolvedPid: number | null | undefined;

  private readonly signal: AbortSignal | undefined;
  /** The path the debug handler is mounted under (`/ops` for `app.use('/ops', handler)`), '' at the root. */
  private readonly prefix: string;

  /** `url`: the server's base URL; `token`: sent as a Bearer token when given; `signal`: aborts every request (Ctrl-C). */
  constructor(url: URL, token?: string, signal?: AbortSignal) {
    this.base = new URL(url.origin);
    this.prefix = mountPrefix(url.pathname);
    this.headers = token ? { Authorization: `Bearer ${token}` } : {};
    this.signal = signal;
  }

  /** The label commands print: the base URL (with the path the handler is mounted under, if any). */
  get label(): string {
    return this.base.origin + this.prefix;
  }

  private url(pathAndQuery: string): URL {
    return new URL(this.prefix + pathAndQuery, this.base);
  }

  private connectError(err: unknown, path: string): AttachError {
    const e = err as NodeJS.ErrnoException;
    if (e?.name === 'AbortError') return e as unknown as AttachError;
    const why = e?.code === 'ECONNREFUSED' ? 'connection refused (is the program running, with the memstats agent on that address?)' : e?.message ?? String(err);
    return new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${this.label}${path}: ${why}`, { cause: err });
  }

  private statusError(r: HttpAnswer, path: string): AttachError {
    const text = r.body.toString('utf8').trim().split('\n')[0].replace(/^memstats: /, '').slice(0, 300);
    if (r.status === 401) return new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${this.label} requires a token: set MEMSTATS_TOKEN`);
    if (r.status === 404 && path.startsWith('/debug/')) return new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${this.label}${path.split('?')[0]}: not found (${text || 'is this a memstats debug server?'})`);
    if (r.status === 409) return new AttachError('ERR_MEMSTATS_PROFILE_IN_USE', `${this.label}: ${text}`);
    return new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${this.label}${path.split('?')[0]}: HTTP ${r.status}${text ? `: ${text}` : ''}`);
  }

  private async request(path: string, o: { method?: 'GET' | 'POST'; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<HttpAnswer> {
    let r: HttpAnswer;
    try {
      r = await httpRequest(this.url(path), { method: o.method, headers: this.headers, timeoutMs: o.timeoutMs ?? 10_000, signal: o.signal ?? this.signal });
    } catch (err) {
      throw this.connectError(err, path);
    }
    if (r.status !== 200) throw this.statusError(r, path);
    return r;
  }

  private async json<T>(path: string, o: { method?: 'GET' | 'POST'; signal?: AbortSignal } = {}): Promise<T> {
    const r = await this.request(path, o);
    try {
      return JSON.parse(r.body.toString('utf8')) as T;
    } catch {
      throw new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${this.label}${path}: the answer is not JSON: is this a memstats debug server?`);
    }
  }

  /**
   * pid returns the pid of the process serving the URL when it listens on
   * this machine's loopback (found from its listening socket), else null.
   * That is the server's process, not always the one it serves: see resolvePid.
   */
  pid(): number | null {
    if (this.resolvedPid !== undefined) return this.resolvedPid;
    this.resolvedPid = null;
    const host = this.base.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host.startsWith('127.') || host === '::1') {
      const port = Number(this.base.port || (this.base.protocol === 'https:' ? 443 : 80));
      const s = allListeningSockets().find((x) => x.port === port && (x.address === host || x.address === '0.0.0.0' || x.address === '::' || (host === 'localhost' && x.address.startsWith('127.'))));
      if (s) this.resolvedPid = socketOwner(s.inode);
    }
    return this.resolvedPid;
  }

  /**
   * resolvePid returns the pid of the process the URL serves, on this
   * machine: the server says which (`X-Memstats-Pid` on /debug/vars) — a
   * `memstats attach` serves another process than its own — when that process
   * is the server's own or runs here; else the listening socket's owner (pid()).
   * Null for a server elsewhere. Never rejects.
   */
  async resolvePid(signal?: AbortSignal): Promise<number | null> {
    const owner = this.pid();
    if (owner === null) return null;
    try {
      const r = await httpRequest(this.url('/debug/vars'), { headers: this.headers, timeoutMs: 5000, signal });
      const said = Number(r.headers['x-memstats-pid']);
      if (r.status === 200 && Number.isInteger(said) && said > 0 && (said === owner || runsHere(said))) this.resolvedPid = said;
    } catch {
      // the server's owner, then
    }
    return this.resolvedPid ?? owner;
  }

  /** /debug/vars. */
  async readVars(): Promise<Record<string, unknown>> {
    const v = await this.json<Record<string, unknown>>('/debug/vars');
    if (!v || typeof v.memstats !== 'object') throw new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${this.label}/debug/vars has no memstats: is this a memstats debug server?`);
    return v;
  }

  /** MemStats: Go's fields from /debug/vars, Node's own from /metrics (when served). */
  async readMemStats(): Promise<{ memStats: Partial<MemStats>; go: Record<string, unknown> }> {
    const vars = await this.readVars();
    const go = vars.memstats as Record<string, unknown>;
    let metrics: string | undefined;
    try {
      metrics = (await this.request('/metrics')).body.toString('utf8');
    } catch {
      metrics = undefined;
    }
    return { memStats: memStatsFromEndpoints(go, metrics), go };
  }

  /** POST /debug/gc, with NumGC from /debug/vars before and after. */
  async gc(): Promise<{ heapUsedBeforeBytes: number; heapUsedAfterBytes: number; durationMs: number; numGCBefore: number | null; numGCAfter: number | null }> {
    const numGC = async (strict: boolean) => {
      try {
        const n = ((await this.readVars()).memstats as Record<string, unknown>).NumGC;
        return typeof n === 'number' ? n : null;
      } catch (err) {
        // Before the GC, a server that does not answer will not answer the GC either: say so now, not 10 s later.
        if (strict) throw err;
        return null;
      }
    };
    const before = await numGC(true);
    const r = await this.json<{ heapUsedBeforeBytes: number; heapUsedAfterBytes: number; durationMs: number }>('/debug/gc', { method: 'POST' });
    // The server counts the GC a turn or two of its loop later.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { ...r, numGCBefore: before, numGCAfter: await numGC(false) };
  }

  /** GETs a profile endpoint and returns the body; waits as long as the capture takes. */
  async profile(pathAndQuery: string, seconds: number, signal?: AbortSignal): Promise<HttpProfile> {
    let r: HttpAnswer;
    try {
      r = await httpRequest(this.url(pathAndQuery), { headers: this.headers, timeoutMs: seconds * 1000 + 60_000, signal, maxBytes: 1024 * 1024 * 1024 });
    } catch (err) {
      throw this.connectError(err, pathAndQuery);
    }
    if (r.status !== 200) throw this.statusError(r, pathAndQuery);
    return { body: r.body, filename: filenameOf(r.headers['content-disposition']), contentType: String(r.headers['content-type'] ?? '') };
  }

  /** Streams /debug/pprof/heapsnapshot into `file` (created or replaced). */
  async writeHeapSnapshot(file: string, o: { signal?: AbortSignal; onProgress?: (p: SnapshotProgress) => void } = {}): Promise<{ bytes: number; durationMs: number; filename: string | undefined }> {
    const out = createWriteStream(file);
    const opened = new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    await opened;
    let total = 0;
    let bytes = 0;
    let durationMs = 0;
    let filename: string | undefined;
    let notSnapshot: string | undefined;
    const t0 = performance.now();
    o.onProgress?.({ phase: 'snapshot', done: 0, total: 0, bytes: 0 });
    try {
      const r = await httpRequest(this.url('/debug/pprof/heapsnapshot'), {
        headers: this.headers,
        // The server answers once the snapshot is written on its side: minutes for big heaps.
        timeoutMs: 60 * 60_000,
        signal: o.signal,
        maxBytes: 64 * 1024,
        onResponse: (st, headers) => {
          total = Number(headers['content-length'] ?? 0);
          durationMs = Number(headers['x-memstats-duration-ms'] ?? 0);
          filename = filenameOf(headers['content-disposition']);
          // A memstats server names the file *.heapsnapshot; any other 200 (a web app's page) is not a snapshot.
          if (st === 200 && !filename?.endsWith('.heapsnapshot')) {
            notSnapshot = String(headers['content-type'] ?? 'no content type');
            return false;
          }
          return st === 200;
        },
        onData: (chunk) => {
          bytes += chunk.length;
          o.onProgress?.({ phase: 'write', done: bytes, total, bytes });
          if (!out.write(chunk)) return new Promise<void>((resolve) => out.once('drain', () => resolve()));
          return undefined;
        },
      });
      if (notSnapshot !== undefined) {
        throw new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${this.label}/debug/pprof/heapsnapshot: the answer is not a heap snapshot (${notSnapshot}): is this a memstats debug server?`);
      }
      if (r.status !== 200) {
        throw this.statusError(r, '/debug/pprof/heapsnapshot');
      }
      if (total > 0 && bytes !== total) throw new AttachError('ERR_MEMSTATS_TARGET_GONE', `${this.label}: the snapshot ended after ${bytes} of ${total} bytes`);
    } catch (err) {
      out.destroy();
      if (err instanceof AttachError || (err as Error).name === 'AbortError') throw err;
      throw this.connectError(err, '/debug/pprof/heapsnapshot');
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (o.signal?.aborted) throw abortError(o.signal);
    return { bytes, durationMs: durationMs || performance.now() - t0, filename };
  }

  /**
   * watch streams /debug/dashboard/stream: `onConfig` once, then `onFrame`
   * for each frame (the backlog first, oldest first). Resolves with a stop
   * function once the stream is open; `onEnd` is called if the server ends it.
   */
  async watch(onConfig: (c: DashboardConfig) => void, onFrame: (f: Frame) => void, onEnd: (err: AttachError) => void): Promise<() => void> {
    const ac = new AbortController();
    let opened = false;
    let stopped = false;
    const parser = new SseParser((m) => {
      try {
        if (m.event === 'config') onConfig(JSON.parse(m.data) as DashboardConfig);
        else if (m.event === 'backlog') for (const f of JSON.parse(m.data) as Frame[]) onFrame(f);
        else if (m.event === 'sample') onFrame(JSON.parse(m.data) as Frame);
      } catch {
        // A malformed message is skipped; the next one may be fine.
      }
    });
    await new Promise<void>((resolve, reject) => {
      httpRequest(this.url('/debug/dashboard/stream'), {
        headers: { ...this.headers, Accept: 'text/event-stream' },
        timeoutMs: 10_000,
        signal: ac.signal,
        maxBytes: 64 * 1024,
        onResponse: (st) => {
          if (st !== 200) return false;
          opened = true;
          resolve();
          return true;
        },
        onData: (chunk) => {
          parser.push(chunk);
        },
      }).then(
        (r) => {
          if (!opened) reject(this.statusError(r, '/debug/dashboard/stream'));
          else if (!stopped) onEnd(new AttachError('ERR_MEMSTATS_TARGET_GONE', `${this.label} ended the stream`));
        },
        (err) => {
          if (!opened) reject(this.connectError(err, '/debug/dashboard/stream'));
          else if (!stopped) onEnd(new AttachError('ERR_MEMSTATS_TARGET_GONE', `${this.label} went away (${(err as Error).message})`));
        },
      );
    });
    return () => {
      stopped = true;
      ac.abort();
    };
  }
}
