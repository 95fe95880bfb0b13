/**
 * @module pool/idle-list
 * The idle set's age order, shared by the recycler and the object pool: a
 * doubly linked list, oldest first, and the one unref'd timer that evicts
 * entries idle for `maxAgeMs` (the seed's recycler goroutine with its
 * one-minute rule). O(1) push, remove and oldest. IdleSet puts them together
 * with the counting of what is let go.
 */
import { performance } from 'node:perf_hooks';

/** A node of the idle list; the owner stores its payload on it. */
export interface IdleNode {
  prev: IdleNode | null;
  next: IdleNode | null;
  /** performance.now() when the entry became idle, ms. */
  idleSinceMs: number;
}

/** IdleList keeps idle entries ordered by the time they became idle. */
export class IdleList<N extends IdleNode> {
  head: N | null = null;
  tail: N | null = null;
  size = 0;

  /** push appends `node` as the newest entry, stamped `nowMs`. */
  push(node: N, nowMs: number): void {
    node.idleSinceMs = nowMs;
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.size++;
  }

  /** remove unlinks `node` (which must be in this list). */
  remove(node: N): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next as N | null;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev as N | null;
    node.prev = null;
    node.next = null;
    this.size--;
  }
}

/**
 * StaleTimer runs `evict(nowMs)` once the oldest idle entry reaches `maxAgeMs`,
 * on one unref'd timer (it never keeps the process alive). `evict` returns the
 * next time (ms, performance.now() clock) an entry will become stale, or
 * `undefined` when nothing is idle; the timer re-arms itself for it.
 */
export class StaleTimer {
  private timer: NodeJS.Timeout | undefined;
  private dueMs = Infinity;

  constructor(private readonly evict: (nowMs: number) => number | undefined) {}

  /** schedule makes sure the timer fires no later than `atMs`. Cheap when already armed earlier. */
  schedule(atMs: number): void {
    if (this.timer !== undefined && this.dueMs <= atMs) return;
    this.clear();
    this.dueMs = atMs;
    // setTimeout's limit is 2^31-1 ms; a later deadline simply re-arms on firing.
    const delay = Math.min(0x7fffffff, Math.max(1, Math.ceil(atMs - performance.now())));
    this.timer = setTimeout(this.fire, delay);
    this.timer.unref();
  }

  /** clear stops the timer; calling it twice is harmless. */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dueMs = Infinity;
  }

  /** True while a timer is pending (for tests and close()). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.dueMs = Infinity;
    let next: number | undefined;
    try {
      next = this.evict(performance.now());
    } catch {
      // Eviction only unlinks entries; if it ever threw, the host must not crash.
      return;
    }
    if (next !== undefined) this.schedule(next);
  };
}

/** The counters an IdleSet adds to when it lets entries go. */
export interface LetGoCounts {
  /** Let go because a cap was full or the owner was closed. */
  drops: number;
  /** Let go because they were idle for maxAgeMs, or by trim(). */
  evictions: number;
}

/**
 * IdleSet is the idle list of a recycler or pool with its stale timer: entries
 * idle for `maxAgeMs` (0: never) are let go by the timer. `letGo` unlinks an
 * entry (it must call `remove`) and releases it; every entry let go here is
 * counted in `counts`.
 */
export class IdleSet<N extends IdleNode> extends IdleList<N> {
  readonly timer: StaleTimer;

  constructor(
    private readonly maxAgeMs: number,
    private readonly letGo: (node: N) => void,
    private readonly counts: LetGoCounts,
  ) {
    super();
    this.timer = new StaleTimer((nowMs) => {
      const cutoff = nowMs - maxAgeMs;
      while (this.head && this.head.idleSinceMs <= cutoff) {
        letGo(this.head);
        counts.evictions++;
      }
      return this.head ? this.head.idleSinceMs + maxAgeMs : undefined;
    });
  }

  /** keep adds `node` as the newest entry, stamped `nowMs`, and makes sure the stale timer will see it. */
  keep(node: N, nowMs: number): void {
    this.push(node, nowMs);
    if (this.maxAgeMs > 0) this.timer.schedule(this.head!.idleSinceMs + this.maxAgeMs);
  }

  /** dropOldest lets the oldest entry go (there must be one), counted as a drop: it makes room. */
  dropOldest(): void {
    this.letGo(this.head!);
    this.counts.drops++;
  }

  /** trim lets every entry go now, counted as evictions, stops the timer and returns how many. */
  trim(): number {
    let n = 0;
    while (this.head) {
      this.letGo(this.head);
      this.counts.evictions++;
      n++;
    }
    this.timer.clear();
    return n;
  }

  /** dropAll lets every entry go, counted as drops, and stops the timer (the owner is closing). */
  dropAll(): void {
    while (this.head) this.dropOldest();
    this.timer.clear();
  }
}
