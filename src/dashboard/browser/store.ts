/**
 * Dashboard page: the frames on screen. Live, a window of `historyMs` (ten
 * minutes) ending at the newest frame; in a report, everything.
 */
type Frame = import('../wire.js').Frame;

class FrameStore {
  frames: Frame[] = [];
  /** Incremented on every change: charts redraw when it moved. */
  version = 0;

  constructor(private readonly historyMs: number | undefined) {}

  /** replace drops what is held and keeps `frames` (the server's backlog after a (re)connect). */
  replace(frames: Frame[]): void {
    this.frames = frames.slice().sort((a, b) => a.t - b.t);
    this.trim();
    this.version++;
  }

  /** add appends one frame (ignored if not newer than the last: a duplicate after reconnecting). */
  add(frame: Frame): void {
    const last = this.frames[this.frames.length - 1];
    if (last && frame.t <= last.t) return;
    this.frames.push(frame);
    this.trim();
    this.version++;
  }

  /** The newest frame. */
  latest(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  private trim(): void {
    if (this.historyMs === undefined || this.frames.length === 0) return;
    const from = this.frames[this.frames.length - 1].t - this.historyMs;
    let i = 0;
    while (i < this.frames.length && this.frames[i].t < from) i++;
    if (i > 0) this.frames.splice(0, i);
  }
}
