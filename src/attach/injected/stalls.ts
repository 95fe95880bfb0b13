/**
 * @module attach/injected/stalls
 * The stall detector of a block profile taken through the inspector, run
 * inside the attached process: an unref'd interval timer notes how late it
 * fires (as profile/block does in-process); each stall is the window [when the
 * timer was due, when it ran] in the clock of V8's CPU profiles (µs of
 * `process.hrtime`), so the CLI can pick the CPU-profile samples — taken over
 * the DevTools protocol at the same time — that ran during it.
 */

// One stall: its window in profile-clock µs, its delay and when it was seen. A
// type only (erased from the bundle): the CLI resolves these with profile/block.
import type { StallWindow } from '../../profile/block.js';
export type { StallWindow };

/** Stalls kept per recorder; beyond that they are only counted. */
const MAX_STALLS = 10_000;

/** StallRecorder: one timer measuring its own lateness until stop(). */
export class StallRecorder {
  readonly thresholdNs: number;
  readonly periodMs: number;
  private readonly stalls: StallWindow[] = [];
  private dropped = 0;
  private lastNs: bigint;
  private timer: NodeJS.Timeout | undefined;

  constructor(thresholdMs: number) {
    this.thresholdNs = thresholdMs * 1e6;
    // A fifth of the threshold (1…10 ms), as profile/block: the period bounds the undercount.
    this.periodMs = Math.min(10, Math.max(1, Math.floor(thresholdMs / 5)));
    this.lastNs = process.hrtime.bigint();
    this.timer = setInterval(() => this.tick(), this.periodMs);
    this.timer.unref();
  }

  /** Measures the lateness of this tick; a late tick is a stall. */
  tick(): void {
    const now = process.hrtime.bigint();
    const due = this.lastNs + BigInt(this.periodMs) * 1_000_000n;
    this.lastNs = now;
    const lateNs = Number(now - due);
    if (lateNs < this.thresholdNs) return;
    if (this.stalls.length >= MAX_STALLS) {
      this.dropped++;
      return;
    }
    this.stalls.push({ startUs: Number(due / 1000n), endUs: Number(now / 1000n), delayNs: lateNs, endedAtMs: Date.now() });
  }

  /** stop ends the timer (a last tick catches a stall that just ended) and returns what was recorded. Calling it twice is harmless. */
  stop(): { stalls: StallWindow[]; dropped: number } {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.tick();
    }
    return { stalls: this.stalls.slice(), dropped: this.dropped };
  }
}
