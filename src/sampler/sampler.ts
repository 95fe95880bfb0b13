/**
 * @module sampler/sampler
 * One unref'd timer per interval builds one Sample per tick into a bounded ring
 * and hands it to every subscriber. Consumers never read the runtime
 * themselves: one reading per tick, shared. No subscriber, no timer.
 */
import { SampleReader, type Sample } from './sample.js';
import { numberOption, optionsObject, functionOption, optionNames } from '../internal/validate.js';
const SAMPLER_OPTIONS_NAMES = optionNames<SamplerOptions>({ intervalMs: true, capacity: true });

/** Options of a Sampler. */
export interface SamplerOptions {
  /** Time between samples, ms (integer 10…3,600,000; default 1000). */
  intervalMs?: number;
  /** Samples kept in the ring (integer 1…100,000; default 600: ten minutes at 1 s). */
  capacity?: number;
}

/** Receives each new Sample. Errors it throws are swallowed (reported once as a warning). */
export type SampleListener = (sample: Sample) => void;

/**
 * Sampler: a timer, a ring of recent samples and subscribers. The timer runs
 * only while someone subscribes; it is unref'd, so it never keeps the process alive.
 */
export class Sampler {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly ring: Sample[] = [];
  private head = 0;
  private readonly listeners = new Set<SampleListener>();
  private timer: NodeJS.Timeout | undefined;
  private reader: SampleReader | undefined;
  private warned = false;

  constructor(options?: SamplerOptions) {
    const o = optionsObject<SamplerOptions>('options', options, SAMPLER_OPTIONS_NAMES);
    this.intervalMs = numberOption('intervalMs', o.intervalMs, 1000, { integer: true, min: 10, max: 3_600_000 });
    this.capacity = numberOption('capacity', o.capacity, 600, { integer: true, min: 1, max: 100_000 });
  }

  /**
   * subscribe calls `listener` with every new sample and returns a function that
   * unsubscribes it. The first subscriber starts the timer; the last one to
   * leave stops it. Subscribing the same function twice is harmless.
   */
  subscribe(listener: SampleListener): () => void {
    functionOption('listener', listener);
    this.listeners.add(listener);
    this.ensureRunning();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.halt();
    };
  }

  /** Number of subscribers. */
  get subscribers(): number {
    return this.listeners.size;
  }

  /** The most recent sample, if any. */
  latest(): Sample | undefined {
    if (this.ring.length === 0) return undefined;
    return this.ring[(this.head - 1 + this.ring.length) % this.ring.length];
  }

  /** The samples in the ring, oldest first. */
  history(): Sample[] {
    if (this.ring.length < this.capacity) return this.ring.slice();
    return [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  /** stop unsubscribes everyone and stops the timer; the ring is kept. Calling it twice is harmless. */
  stop(): void {
    this.listeners.clear();
    this.halt();
  }

  private ensureRunning(): void {
    if (this.timer) return;
    this.reader = new SampleReader();
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private halt(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.reader?.close();
    this.reader = undefined;
  }

  private tick(): void {
    const reader = this.reader;
    if (!reader) return;
    let sample: Sample | undefined;
    try {
      sample = reader.read();
    } catch (err) {
      this.warn(err);
    }
    if (sample) {
      if (this.ring.length < this.capacity) this.ring.push(sample);
      else this.ring[this.head] = sample;
      this.head = (this.head + 1) % this.capacity;
      for (const l of [...this.listeners]) {
        try {
          l(sample);
        } catch (err) {
          this.warn(err);
        }
      }
    }
    // refresh() re-arms the same timer object: no allocation per tick.
    if (this.timer && this.listeners.size > 0) this.timer.refresh();
  }

  private warn(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(`memstats sampler: a listener or reading failed: ${(err as Error)?.message ?? String(err)}`, 'MemstatsWarning');
  }
}

const shared = new Map<number, Sampler>();

/**
 * getSampler returns the shared sampler for `intervalMs` (default 1000), so
 * every consumer at the same interval shares one timer and one reading per tick.
 */
export function getSampler(intervalMs = 1000): Sampler {
  let s = shared.get(intervalMs);
  if (!s) {
    s = new Sampler({ intervalMs });
    shared.set(intervalMs, s);
  }
  return s;
}

/** createSampler returns a private sampler (its own ring and timer). */
export function createSampler(options?: SamplerOptions): Sampler {
  return new Sampler(options);
}
