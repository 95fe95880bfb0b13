/**
 * @module attach/target
 * A *target* is the process a CLI command acts on: a pid (reached through its
 * inspector: attach/remote-backend) or a memstats debug-server URL (reached
 * through its endpoints: attach/http-target). Both offer the same operations,
 * so every command takes either:
 *
 * `readMemStats`, `gc`, `profile`, `writeHeapSnapshot`, `watch` (the live
 * figures `memstats top` draws, as dashboard frames), `close`.
 */
import type { MemStats } from '../stats/mem-stats.js';
import { toGoMemStats } from '../stats/mem-stats.js';
import type { Sample } from '../sampler/sample.js';
import { createProjector, dashboardConfig } from '../dashboard/projection.js';
import type { DashboardConfig, Frame } from '../dashboard/wire.js';
import { AttachError } from './errors.js';
import { HttpTarget } from './http-target.js';
import { isValidPid } from './proc.js';
import { attachToPid, type AttachOptions, type RemoteBackend, type SnapshotProgress } from './remote-backend.js';

/** A parsed `<target>` argument. */
export type TargetSpec = { kind: 'pid'; pid: number } | { kind: 'url'; url: URL };

/**
 * parseTargetSpec reads a `<target>` argument: a pid (`1234`), a URL
 * (`http://127.0.0.1:6060`, any path is ignored) or `host:port` / `:port`
 * (http on that address). Returns undefined for anything else.
 */
export function parseTargetSpec(text: string): TargetSpec | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const pid = Number(t);
    return isValidPid(pid) ? { kind: 'pid', pid } : undefined;
  }
  let candidate = t;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(candidate)) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]*):\d+$/i.test(candidate)) return undefined;
    candidate = `http://${candidate.startsWith(':') ? `127.0.0.1${candidate}` : candidate}`;
  }
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (!url.hostname) return undefined;
    return { kind: 'url', url };
  } catch {
    return undefined;
  }
}

/** The profiles a target can take. */
export type ProfileKind = 'cpu' | 'heap' | 'block' | 'goroutine';

/** What `profile` captures. */
export interface TargetProfileRequest {
  kind: ProfileKind;
  /** Capture length, s (cpu, block; heap: only what the next N s allocate). */
  seconds?: number;
  /** cpu: `pprof` (default) or `cpuprofile` (Chrome DevTools JSON). */
  format?: 'pprof' | 'cpuprofile';
  /** goroutine: 0 pprof (default), 1 grouped text, 2 one entry per resource. */
  debug?: 0 | 1 | 2;
  /** heap: every allocation, collected ones included (Go's allocs) instead of live objects. */
  allocs?: boolean;
  /** heap: a full GC first. */
  gc?: boolean;
  /** block: smallest stall recorded, ms. */
  thresholdMs?: number;
  signal?: AbortSignal;
}

/** A captured profile. */
export interface TargetProfile {
  /** gzipped pprof, `.cpuprofile` JSON, or text. */
  body: Buffer;
  /** The file name to save it under by default (`cpu-1234.pb.gz`). */
  filename: string;
  /** Text (goroutine with debug > 0) rather than binary. */
  text: boolean;
}

/** MemStats as a target gives them: all fields for a pid, those its endpoints serve for a URL. */
export interface TargetMemStats {
  memStats: Partial<MemStats>;
  /** Go's field names (what `--go` prints). */
  go: Record<string, unknown>;
}

/** A forced GC's outcome. */
export interface TargetGCResult {
  heapUsedBeforeBytes: number;
  heapUsedAfterBytes: number;
  durationMs: number;
  /** Completed GC cycles before and after, when the target tells. */
  numGCBefore: number | null;
  numGCAfter: number | null;
}

/** Receives the dashboard's config once, then one frame per second (the target's recent past first, when it has one). */
export interface TargetWatcher {
  onConfig(config: DashboardConfig): void;
  onFrame(frame: Frame): void;
  /** The target went away or ended the stream. */
  onEnd(err: AttachError): void;
}

/** The process a command acts on. */
export interface Target {
  readonly kind: 'pid' | 'url';
  /** `pid 1234` or the server's URL. */
  readonly label: string;
  /** The target's pid when known (a URL on this machine's loopback: its listener's owner). */
  readonly pid: number | null;
  /** For pid targets: the attachment (inspector port, agent info). */
  readonly backend: RemoteBackend | undefined;
  readMemStats(): Promise<TargetMemStats>;
  gc(): Promise<TargetGCResult>;
  profile(request: TargetProfileRequest): Promise<TargetProfile>;
  /** Writes a heap snapshot into `file` (created or replaced: the caller writes to a temporary name and renames). */
  writeHeapSnapshot(file: string, options?: { signal?: AbortSignal; onProgress?: (p: SnapshotProgress) => void }): Promise<{ bytes: number; durationMs: number }>;
  /** Streams live figures until the returned function is called. */
  watch(watcher: TargetWatcher): Promise<() => void>;
  /** Detaches (pid: removes what was installed, closes the inspector port memstats opened). Calling it twice is harmless. */
  close(): Promise<void>;
}

/** Options of openTarget. */
export interface OpenTargetOptions extends AttachOptions {
  /** Token for a URL target's server (MEMSTATS_TOKEN). */
  token?: string;
}

/** defaultProfileName is the file a profile is saved under by default: `cpu-1234.pb.gz`, `allocs-1234.pb.gz`, `cpu-1234.cpuprofile`, `goroutine-1234.txt`. */
export function defaultProfileName(kind: ProfileKind, pid: number | null, request: Pick<TargetProfileRequest, 'format' | 'debug' | 'allocs'>): string {
  const who = pid ?? 'target';
  if (kind === 'cpu') return request.format === 'cpuprofile' ? `cpu-${who}.cpuprofile` : `cpu-${who}.pb.gz`;
  if (kind === 'goroutine' && request.debug) return `goroutine-${who}.txt`;
  if (kind === 'heap' && request.allocs) return `allocs-${who}.pb.gz`;
  return `${kind}-${who}.pb.gz`;
}

function pidTarget(backend: RemoteBackend): Target {
  const pid = backend.pid;
  return {
    kind: 'pid',
    label: `pid ${pid}`,
    pid,
    backend,
    async readMemStats() {
      const m = await backend.readMemStats();
      return { memStats: m, go: toGoMemStats(m) };
    },
    async gc() {
      return backend.gcDetailed();
    },
    async profile(r) {
      const filename = defaultProfileName(r.kind, pid, r);
      const signal = r.signal;
      switch (r.kind) {
        case 'cpu':
          return { body: await backend.profileCpu({ seconds: r.seconds ?? 30, format: r.format, signal }), filename, text: false };
        case 'heap':
          return {
            body: await backend.profileHeap({ gc: r.gc === true, includeCollected: r.allocs === true, ...(r.seconds !== undefined ? { seconds: r.seconds } : {}), signal }),
            filename,
            text: false,
          };
        case 'block':
          return { body: await backend.profileBlock({ seconds: r.seconds ?? 30, ...(r.thresholdMs !== undefined ? { thresholdMs: r.thresholdMs } : {}), signal }), filename, text: false };
        case 'goroutine': {
          const debug = r.debug ?? 0;
          const out = await backend.profileGoroutine({ debug, signal });
          return { body: Buffer.isBuffer(out) ? out : Buffer.from(out), filename, text: debug > 0 };
        }
      }
    },
    writeHeapSnapshot(file, o = {}) {
      return backend.writeHeapSnapshot(file, o);
    },
    async watch(w) {
      const config = dashboardConfig({ description: backend.description, pid });
      const projector = createProjector();
      w.onConfig(config);
      let last = 0;
      const feed = (s: Sample) => {
        if (s.timeMs <= last) return;
        last = s.timeMs;
        w.onFrame(projector.project(s));
      };
      let ended = false;
      const offGone = backend.onGone((err) => {
        if (!ended) w.onEnd(err);
      });
      const unsubscribe = backend.subscribeSamples(feed);
      return () => {
        ended = true;
        unsubscribe();
        offGone();
      };
    },
    close() {
      return backend.close();
    },
  };
}

function urlTarget(http: HttpTarget, pid: number | null): Target {
  const query = (params: Record<string, string | number | undefined>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : '';
  };
  return {
    kind: 'url',
    label: http.label,
    pid,
    backend: undefined,
    readMemStats() {
      return http.readMemStats();
    },
    gc() {
      return http.gc();
    },
    async profile(r) {
      let path: string;
      let seconds = r.seconds ?? 0;
      switch (r.kind) {
        case 'cpu':
          seconds = r.seconds ?? 30;
          path = `/debug/pprof/profile${query({ seconds, format: r.format === 'cpuprofile' ? 'cpuprofile' : undefined })}`;
          break;
        case 'heap':
          path = `/debug/pprof/${r.allocs ? 'allocs' : 'heap'}${query({ seconds: r.seconds, gc: r.gc ? 1 : undefined })}`;
          break;
        case 'block':
          seconds = r.seconds ?? 30;
          path = `/debug/pprof/block${query({ seconds, threshold_ms: r.thresholdMs })}`;
          break;
        case 'goroutine':
          path = `/debug/pprof/goroutine${query({ debug: r.debug ?? 0 })}`;
          break;
      }
      const p = await http.profile(path, seconds, r.signal);
      const text = r.kind === 'goroutine' && (r.debug ?? 0) > 0;
      // Any web server answers 200 to something: only what a memstats (or Go) server sends is kept.
      const json = r.kind === 'cpu' && r.format === 'cpuprofile';
      const looksRight = text ? true : json ? p.body[0] === 0x7b /* { */ : p.body[0] === 0x1f && p.body[1] === 0x8b; // gzip: pprof
      if (!looksRight) {
        throw new AttachError('ERR_MEMSTATS_TARGET_HTTP', `${http.label}${path.split('?')[0]}: the answer is not a ${json ? '.cpuprofile' : 'pprof profile'} (${p.contentType || 'no content type'}): is this a memstats debug server?`);
      }
      return { body: p.body, filename: text ? defaultProfileName(r.kind, pid, r) : p.filename ?? defaultProfileName(r.kind, pid, r), text };
    },
    async writeHeapSnapshot(file, o = {}) {
      const r = await http.writeHeapSnapshot(file, o);
      return { bytes: r.bytes, durationMs: r.durationMs };
    },
    watch(w) {
      return http.watch(
        (c) => w.onConfig(c),
        (f) => w.onFrame(f),
        (e) => w.onEnd(e),
      );
    },
    async close() {
      // Nothing held between requests.
    },
  };
}

/**
 * openTarget opens `spec`: attaches to a pid (see attachToPid for what that
 * does and how it fails) or prepares requests to a URL (nothing is sent
 * until the first operation). Close the target when done.
 */
export async function openTarget(spec: TargetSpec, options: OpenTargetOptions = {}): Promise<Target> {
  if (spec.kind === 'url') {
    const http = new HttpTarget(spec.url, options.token, options.signal);
    return urlTarget(http, await http.resolvePid(options.signal));
  }
  return pidTarget(await attachToPid(spec.pid, options));
}
