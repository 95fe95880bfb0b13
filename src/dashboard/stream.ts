/**
 * @module dashboard/stream
 * The dashboard's Server-Sent Events stream, statsviz-style: one hub per
 * DebugBackend serves every client of `/debug/dashboard/stream`.
 *
 * - Sampling on demand: the hub subscribes to the backend's samples when the
 *   first client connects and unsubscribes when the last one leaves, so
 *   nothing is projected or sent for the dashboard while nobody watches.
 * - Once per tick: each sample is projected to a Frame and serialized to one
 *   Buffer, written as is to every client.
 * - Bounded: a client whose socket holds more than `maxPendingBytes` unsent
 *   misses frames instead of buffering them (its chart bridges the missing seconds); one that
 *   has not drained for `stalledClientMs` is disconnected (a live page
 *   reconnects and gets the backlog).
 * - History: the hub keeps the frames of the last ten minutes (seeded from the
 *   backend's recent samples when it subscribes), sent as `event: backlog` to
 *   each new client, so a reloaded page shows where it was.
 */
import type { ServerResponse } from 'node:http';
import type { DebugBackend } from '../server/backend.js';
import { setSafetyHeaders } from '../server/http.js';
import type { Sample } from '../sampler/sample.js';
import { createProjector, dashboardConfig, DASHBOARD_HISTORY_MS, type Projector } from './projection.js';
import { numberOption, optionsObject } from '../internal/validate.js';

/** Options of a DashboardStream. */
export interface DashboardStreamOptions {
  /** Unsent bytes a client may hold before its frames are dropped (integer 1,024…16 MiB; default 64 KiB). */
  maxPendingBytes?: number;
  /** A client that drops every frame this long is disconnected, ms (integer 1,000…3,600,000; default 30,000). */
  stalledClientMs?: number;
  /** History kept for the backlog, ms (integer 1,000…86,400,000; default 600,000: ten minutes). */
  historyMs?: number;
}

/** Counters of a DashboardStream, for tests and benchmarks. */
export interface DashboardStreamStats {
  /** Clients connected (receiving or waiting for the backlog). */
  clients: number;
  /** Whether the hub is subscribed to the backend's samples now. */
  subscribed: boolean;
  /** Frames held for the backlog. */
  frames: number;
  /** Frames written to clients, and frames a client missed because it had not drained. */
  framesSent: number;
  framesDropped: number;
  /** Clients disconnected for not draining. */
  clientsCut: number;
  /** Size of the last `event: sample` message, bytes. */
  lastFrameBytes: number;
  /** Unsent bytes per client (the socket's writableLength). */
  pendingBytes: number[];
}

/** Longest wait for the backend's history before streaming without it, ms. */
const SEED_TIMEOUT_MS = 5000;

/** Most frames kept for the backlog, whatever the sampling rate (~1 KB each). */
const MAX_FRAMES = 3600;

interface Client {
  res: ServerResponse;
  ready: boolean;
  /** When the client first missed a frame in its current run of misses (0: draining fine). */
  stalledSinceMs: number;
}

/**
 * DashboardStream: the hub serving one backend's stream to any number of
 * clients. Use `dashboardStreamFor(backend)` to share one per backend.
 */
export class DashboardStream {
  private readonly clients = new Set<Client>();
  private readonly ring: Array<{ t: number; json: string }> = [];
  private readonly projector: Projector;
  private readonly configMessage: Buffer;
  private readonly maxPendingBytes: number;
  private readonly stalledClientMs: number;
  private readonly historyMs: number;
  private unsubscribe: (() => void) | undefined;
  private seeded: Promise<void> = Promise.resolve();
  private seeding = false;
  private queued: Sample[] = [];
  private generation = 0;
  private lastT = -Infinity;
  private counters = { framesSent: 0, framesDropped: 0, clientsCut: 0, lastFrameBytes: 0 };

  constructor(
    private readonly backend: DebugBackend,
    options?: DashboardStreamOptions,
  ) {
    const o = optionsObject<DashboardStreamOptions>('options', options);
    this.maxPendingBytes = numberOption('maxPendingBytes', o.maxPendingBytes, 65_536, { integer: true, min: 1024, max: 16 * 1024 * 1024 });
    this.stalledClientMs = numberOption('stalledClientMs', o.stalledClientMs, 30_000, { integer: true, min: 1000, max: 3_600_000 });
    this.historyMs = numberOption('historyMs', o.historyMs, DASHBOARD_HISTORY_MS, { integer: true, min: 1000, max: 86_400_000 });
    this.projector = createProjector();
    const config = { ...dashboardConfig({ description: backend.description, pid: backend.pid }), historyMs: this.historyMs };
    // `retry` tells EventSource clients (curl, other tools) how soon to reconnect.
    this.configMessage = Buffer.from(`retry: 2000\nevent: config\ndata: ${JSON.stringify(config)}\n\n`);
  }

  /**
   * serve streams to `res` until the client goes away or `signal` aborts; it
   * resolves then. HEAD requests get the headers only.
   */
  async serve(res: ServerResponse, signal: AbortSignal, method = 'GET', limits?: { maxProfileSeconds: number }): Promise<void> {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    setSafetyHeaders(res);
    // Proxies (nginx) must pass each event on at once.
    res.setHeader('X-Accel-Buffering', 'no');
    if (method === 'HEAD' || signal.aborted) {
      res.end();
      return;
    }
    const client: Client = { res, ready: false, stalledSinceMs: 0 };
    const gone = new Promise<void>((resolve) => {
      const done = () => resolve();
      res.once('close', done);
      signal.addEventListener('abort', done, { once: true });
    });
    // A client's socket error is that client's problem; 'close' follows.
    res.on('error', () => {});
    this.clients.add(client);
    try {
      res.write(this.configMessage);
      // What this server accepts (the hub is shared by servers with other limits): the page's CPU box follows it.
      if (limits) res.write(`event: limits\ndata: ${JSON.stringify(limits)}\n\n`);
      this.ensureSubscribed();
      await Promise.race([this.seeded, gone]);
      if (res.destroyed || signal.aborted) return;
      res.write(this.backlogMessage());
      client.ready = true;
      await gone;
    } finally {
      this.clients.delete(client);
      if (!res.writableEnded) res.end();
      if (this.clients.size === 0) this.halt();
    }
  }

  /** stats reports the hub's counters. */
  stats(): DashboardStreamStats {
    return {
      clients: this.clients.size,
      subscribed: this.unsubscribe !== undefined,
      frames: this.ring.length,
      ...this.counters,
      pendingBytes: [...this.clients].map((c) => c.res.writableLength),
    };
  }

  /** close disconnects every client and unsubscribes. Calling it twice is harmless. */
  close(): void {
    for (const c of this.clients) c.res.destroy();
    this.clients.clear();
    this.halt();
  }

  private backlogMessage(): Buffer {
    return Buffer.from(`event: backlog\ndata: [${this.ring.map((f) => f.json).join(',')}]\n\n`);
  }

  private ensureSubscribed(): void {
    if (this.unsubscribe) return;
    const gen = ++this.generation;
    this.seeding = true;
    this.queued = [];
    this.unsubscribe = this.backend.subscribeSamples((s) => {
      if (gen !== this.generation) return;
      if (this.seeding) this.queued.push(s);
      else this.publish(s);
    });
    // The backend's recent samples fill the backlog: a page opened now shows the last minutes.
    // A remote backend that does not answer within SEED_TIMEOUT_MS is not waited for: live frames matter more.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Sample[]>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no history in time')), SEED_TIMEOUT_MS);
      timer.unref();
    });
    this.seeded = Promise.race([this.backend.readSamples(), timeout])
      .then(
        (samples) => {
          if (gen === this.generation) for (const s of samples) this.ingest(s);
        },
        () => {
          // No history from this backend: the page starts empty and fills live.
        },
      )
      .finally(() => {
        clearTimeout(timer);
        if (gen !== this.generation) return;
        this.seeding = false;
        for (const s of this.queued) this.ingest(s);
        this.queued = [];
      });
  }

  private halt(): void {
    this.generation++;
    this.seeding = false;
    this.queued = [];
    const u = this.unsubscribe;
    this.unsubscribe = undefined;
    u?.();
  }

  /** ingest projects a sample newer than the last one into the ring; returns its JSON, or undefined if not newer. */
  private ingest(s: Sample): string | undefined {
    if (!(s.timeMs > this.lastT)) return undefined;
    this.lastT = s.timeMs;
    const json = JSON.stringify(this.projector.project(s));
    this.ring.push({ t: s.timeMs, json });
    const from = s.timeMs - this.historyMs;
    // Ten minutes at 1 Hz is 600 frames; the count cap bounds a fast sampler's backlog too.
    let drop = Math.max(0, this.ring.length - MAX_FRAMES);
    while (drop < this.ring.length && this.ring[drop].t < from) drop++;
    if (drop > 0) this.ring.splice(0, drop);
    return json;
  }

  private publish(s: Sample): void {
    const json = this.ingest(s);
    if (json === undefined) return;
    // Serialized once, written as the same Buffer to every client.
    const message = Buffer.from(`event: sample\ndata: ${json}\n\n`);
    this.counters.lastFrameBytes = message.length;
    const now = Date.now();
    for (const c of this.clients) {
      if (!c.ready) continue;
      if (c.res.writableLength > this.maxPendingBytes) {
        this.counters.framesDropped++;
        if (c.stalledSinceMs === 0) c.stalledSinceMs = now;
        else if (now - c.stalledSinceMs > this.stalledClientMs) {
          this.counters.clientsCut++;
          c.res.destroy();
        }
        continue;
      }
      c.stalledSinceMs = 0;
      c.res.write(message);
      this.counters.framesSent++;
    }
  }
}

const hubs = new WeakMap<DebugBackend, DashboardStream>();

/**
 * dashboardStreamFor returns the hub of `backend`, creating it on first use:
 * every handler serving the same backend shares one subscription and one
 * serialization per tick. It lives as long as the backend.
 */
export function dashboardStreamFor(backend: DebugBackend): DashboardStream {
  let hub = hubs.get(backend);
  if (!hub) {
    hub = new DashboardStream(backend);
    hubs.set(backend, hub);
  }
  return hub;
}
