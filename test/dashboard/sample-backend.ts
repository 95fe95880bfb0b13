/**
 * A DebugBackend for the stream tests: synthetic Samples (copies of one real
 * reading with moving figures) at a chosen interval, a history of past ones,
 * and counters of who is subscribed. Only what the dashboard uses is real;
 * the rest rejects.
 */
import type { DebugBackend, BackendSampleListener } from '../../src/server/backend.js';
import { SampleReader, type Sample } from '../../src/sampler/sample.js';

export interface SampleBackend {
  backend: DebugBackend;
  /** Listeners subscribed now. */
  subscribers(): number;
  /** subscribeSamples calls so far. */
  subscriptions(): number;
  /** Samples emitted live so far. */
  emitted(): number;
  close(): void;
}

export interface SampleBackendOptions {
  /** Time between live samples, ms (default 50). */
  intervalMs?: number;
  /** Samples readSamples() returns, ending now (default 0). */
  history?: number;
  /** Resource types per sample (inflates each frame by ~25 bytes per type; default: the real reading's). */
  resourceTypes?: number;
}

let template: Sample | undefined;

function baseSample(): Sample {
  if (!template) {
    const r = new SampleReader();
    template = r.read();
    r.close();
  }
  return template;
}

/** sampleBackend returns a backend producing synthetic samples; close() it. */
export function sampleBackend(opts: SampleBackendOptions = {}): SampleBackend {
  const intervalMs = opts.intervalMs ?? 50;
  const listeners = new Set<BackendSampleListener>();
  let subscriptions = 0;
  let emitted = 0;
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  const base = baseSample();
  const resources: Record<string, number> | undefined =
    opts.resourceTypes === undefined ? undefined : Object.fromEntries(Array.from({ length: opts.resourceTypes }, (_, i) => [`ResourceType${i}`, i + 1]));

  const make = (timeMs: number): Sample => {
    seq++;
    return {
      ...base,
      timeMs,
      windowMs: intervalMs,
      heapUsedBytes: base.heapUsedBytes + seq * 1024,
      numGC: base.numGC + seq,
      numMinorGC: base.numMinorGC + seq,
      gcCount: 1,
      gcPauseNs: 200_000 + seq,
      gcPauseMaxNs: 200_000 + seq,
      gcPauseTotalNs: base.gcPauseTotalNs + seq * 200_000,
      gcPauses: [[timeMs - 1, 200_000 + seq, 'minor']],
      ...(resources ? { resources, resourcesTotal: opts.resourceTypes! } : {}),
    };
  };
  const now = Date.now();
  const history: Sample[] = [];
  for (let i = opts.history ?? 0; i > 0; i--) history.push(make(now - i * intervalMs));

  const tick = () => {
    const s = make(Date.now());
    emitted++;
    for (const l of [...listeners]) l(s);
  };
  const unsupported = async (): Promise<never> => {
    throw new Error('not supported by the sample backend');
  };

  const backend: DebugBackend = {
    description: 'sample backend',
    pid: 4242,
    cmdline: unsupported,
    readMemStats: unsupported,
    readGCStats: unsupported,
    readMetrics: unsupported,
    async readSamples() {
      return history.slice();
    },
    subscribeSamples(listener) {
      subscriptions++;
      listeners.add(listener);
      if (!timer) {
        timer = setInterval(tick, intervalMs);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    readVars: unsupported,
    gc: unsupported,
    profileCpu: unsupported,
    profileHeap: unsupported,
    profileBlock: unsupported,
    profileGoroutine: unsupported,
    heapSnapshot: unsupported,
    async close() {},
  };
  return {
    backend,
    subscribers: () => listeners.size,
    subscriptions: () => subscriptions,
    emitted: () => emitted,
    close() {
      listeners.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
