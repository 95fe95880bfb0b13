/**
 * @module cli/progress
 * Progress on stderr for anything that takes more than a second: a countdown
 * for timed captures (`profile cpu --seconds 30`), a bar of bytes or objects
 * for heap snapshots. Drawn on one line (`\r`, erase line) only when stderr
 * is a terminal; elsewhere nothing is drawn, so logs and pipes stay clean.
 * NO_COLOR is honoured (the bar uses no colour anyway; the hint is dimmed).
 */
import { formatBytes } from '../report/format.js';

/** The stream progress is drawn on. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** renderBar draws `fraction` (clamped to 0…1) as `width` cells: `#` done, `-` to do. */
export function renderBar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const w = Math.max(1, Math.floor(width));
  const done = Math.round(f * w);
  return `[${'#'.repeat(done)}${'-'.repeat(w - done)}]`;
}

/** formatSeconds renders a remaining time: `42s`, `3m05s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** countdownLine is one frame of a countdown: `label [####------] 12s left`. */
export function countdownLine(label: string, elapsedMs: number, totalMs: number, columns = 80): string {
  const tail = ` ${formatSeconds((totalMs - elapsedMs) / 1000)} left`;
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  return `${label} ${renderBar(totalMs > 0 ? elapsedMs / totalMs : 1, width)}${tail}`;
}

/** bytesLine is one frame of a transfer: `label [####------] 3.20M of 8.00M`, or `label 3.20M` when the total is unknown. */
export function bytesLine(label: string, done: number, total: number, columns = 80): string {
  if (!(total > 0)) return `${label} ${formatBytes(done)}`;
  const tail = ` ${formatBytes(done)} of ${formatBytes(total)}`;
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  return `${label} ${renderBar(done / total, width)}${tail}`;
}

/** A one-line progress display. */
export class Progress {
  /** Whether anything is drawn (stderr is a terminal and MEMSTATS_NO_PROGRESS is unset). */
  readonly enabled: boolean;
  private shown = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedMs = Date.now();

  constructor(
    private readonly stream: ProgressStream,
    env: NodeJS.ProcessEnv = {},
    /** Nothing is drawn before this much time has passed, ms (default 1000: only what takes longer than a second). */
    private readonly delayMs = 1000,
  ) {
    this.enabled = stream.isTTY === true && !env.MEMSTATS_NO_PROGRESS && env.TERM !== 'dumb';
  }

  private columns(): number {
    return this.stream.columns && this.stream.columns > 20 ? this.stream.columns : 80;
  }

  /** draw replaces the line with `text` (cut to the terminal width). */
  draw(text: string): void {
    if (!this.enabled) return;
    if (Date.now() - this.startedMs < this.delayMs) return;
    this.shown = true;
    this.stream.write(`\r\x1b[2K${text.slice(0, this.columns() - 1)}`);
  }

  /**
   * countdown redraws `label [bar] Ns left` four times a second for
   * `seconds`; returns a function that stops it (and clears the line).
   */
  countdown(label: string, seconds: number): () => void {
    if (!this.enabled || seconds <= 1) return () => this.clear();
    const t0 = Date.now();
    const total = seconds * 1000;
    const tick = () => this.draw(countdownLine(label, Math.min(total, Date.now() - t0), total, this.columns()));
    this.timer = setInterval(tick, 250);
    this.timer.unref();
    return () => this.clear();
  }

  /** bytes draws a transfer of `done` of `total` bytes (total 0: unknown). */
  bytes(label: string, done: number, total: number): void {
    this.draw(bytesLine(label, done, total, this.columns()));
  }

  /** fraction draws `label [bar] NN%`. */
  fraction(label: string, f: number): void {
    const tail = ` ${Math.floor(Math.min(1, Math.max(0, f)) * 100)}%`;
    const width = Math.max(10, Math.min(40, this.columns() - label.length - tail.length - 4));
    this.draw(`${label} ${renderBar(f, width)}${tail}`);
  }

  /** clear stops any countdown and erases the line. Calling it twice is harmless. */
  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
