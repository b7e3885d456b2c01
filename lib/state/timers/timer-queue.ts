/**
 * The ordered queue under a timer service: timers by timestamp, deduplicated by id, fired in
 * timestamp order (registration order among equal timestamps). A timer registered while firing that
 * is already due fires in the same pass; a timer deleted while its timestamp is firing does not fire.
 */

/** A min-heap of numbers. */
class NumberHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): number | undefined {
    return this.a[0];
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  /** Replaces the contents with `values` (heapified). */
  reset(values: Iterable<number>): void {
    const a = this.a;
    a.length = 0;
    for (const v of values) a.push(v);
    a.sort((x, y) => x - y); // a sorted array is a valid min-heap
  }
  pop(): number | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** How many emptied timestamp groups a queue keeps for reuse. */
const MAX_SPARE_GROUPS = 1024;

/** Timers of one time domain: timestamp -> (id -> timer), in registration order. */
export class TimerQueue<T> {
  private readonly byTime = new Map<number, Map<unknown, T>>();
  private readonly times = new NumberHeap();
  private count = 0;
  /**
   * Emptied timestamp groups, reused for new timestamps (at most MAX_SPARE_GROUPS). Operators that
   * keep one timer per key at its next due time (CEP) make a timestamp group per key and watermark,
   * each living until that watermark: long enough for the garbage collector to copy it twice.
   */
  private readonly spareGroups: Array<Map<unknown, T>> = [];

  private newGroup(): Map<unknown, T> {
    return this.spareGroups.pop() ?? new Map();
  }
  /** Keeps an empty group that nothing refers to any more. */
  private spare(group: Map<unknown, T>): void {
    if (this.spareGroups.length < MAX_SPARE_GROUPS) this.spareGroups.push(group);
  }

  /** Whether a timer with this id is registered for `time` and has not fired. */
  contains(id: unknown, time: number): boolean {
    if (time === this.firingTime && this.firing !== null && this.firing.has(id)) return true;
    const timers = this.byTime.get(time);
    return timers !== undefined && timers.has(id);
  }

  /** Adds a timer unless one with this id is registered for `time` (returns whether it was added). */
  add(id: unknown, time: number, timer: T): boolean {
    // Still waiting in the timestamp being fired: already registered.
    if (time === this.firingTime && this.firing !== null && this.firing.has(id)) return false;
    let timers = this.byTime.get(time);
    if (timers === undefined) {
      timers = this.newGroup();
      this.byTime.set(time, timers);
      this.times.push(time);
    }
    if (timers.has(id)) return false;
    timers.set(id, timer);
    this.count++;
    return true;
  }

  /** The timers of the timestamp being fired (taken out of byTime), so deletes still reach them. */
  private firing: Map<unknown, T> | null = null;
  private firingTime = Number.NaN;

  delete(id: unknown, time: number): void {
    if (time === this.firingTime && this.firing !== null && this.firing.delete(id)) this.count--;
    const timers = this.byTime.get(time);
    if (timers === undefined) return;
    if (timers.delete(id)) this.count--;
    if (timers.size === 0) {
      this.byTime.delete(time); // its heap entry is skipped when reached
      this.spare(timers);
      // Timeouts moved on by every record leave a stale entry per delete: rebuild once they dominate.
      if (this.times.size > 64 && this.times.size > 2 * this.byTime.size) this.times.reset(this.byTime.keys());
    }
  }

  /** Number of timers registered and not fired or deleted. */
  get size(): number {
    return this.count;
  }

  /** Earliest pending timestamp. */
  earliest(): number | undefined {
    for (;;) {
      const t = this.times.peek();
      if (t === undefined || this.byTime.has(t)) return t;
      this.times.pop();
    }
  }

  /** Puts the unfired rest of a timestamp's timers back, ahead of those registered for it meanwhile. */
  private putBack(time: number, timers: Map<unknown, T>): void {
    const later = this.byTime.get(time);
    if (later === undefined) this.times.push(time);
    else for (const [id, timer] of later) timers.set(id, timer);
    this.byTime.set(time, timers);
  }

  /** Every pending timer, in no particular order (snapshots, test harness). */
  *all(): IterableIterator<T> {
    for (const timers of this.byTime.values()) yield* timers.values();
    if (this.firing !== null) yield* this.firing.values();
  }

  /**
   * Fires every timer with timestamp <= `upTo`, including those registered while firing. A
   * timestamp's timers are taken out as a whole and walked with one iterator (deletes of not yet
   * fired ones still apply); timers registered meanwhile for that timestamp form a new group.
   */
  fireUpTo(upTo: number, fire: (timer: T) => void): void {
    for (;;) {
      const t = this.earliest();
      if (t === undefined || t > upTo) return;
      const timers = this.byTime.get(t)!;
      this.byTime.delete(t);
      this.times.pop();
      const outer = this.firing;
      const outerTime = this.firingTime;
      this.firing = timers;
      this.firingTime = t;
      try {
        for (const [id, timer] of timers) {
          timers.delete(id); // a fired timer is gone: deleting it now is a no-op
          this.count--;
          fire(timer);
        }
      } finally {
        this.firing = outer;
        this.firingTime = outerTime;
        if (timers.size > 0) this.putBack(t, timers); // `fire` threw: the timers not fired yet stay pending
        else this.spare(timers);
      }
    }
  }
}

/** Processing time as a timer service needs it (the task's ProcessingTimeService satisfies it). */
export interface TimerScheduler {
  getCurrentProcessingTime(): number;
  /** Calls `callback(time)` from the task's mailbox once processing time reaches `time` (epoch ms). */
  registerTimer(time: number, callback: (time: number) => void): void;
}

/** Processing-time timers: a TimerQueue with one task timer, armed for its earliest timestamp. */
export class ProcessingTimerQueue<T> {
  readonly queue = new TimerQueue<T>();
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(
    private readonly pts: TimerScheduler,
    private readonly fire: (timer: T) => void,
  ) {}

  add(id: unknown, time: number, timer: T): void {
    this.queue.add(id, time, timer);
    this.arm();
  }

  delete(id: unknown, time: number): void {
    this.queue.delete(id, time);
  }

  private arm(): void {
    const t = this.queue.earliest();
    if (t === undefined || t >= this.armedFor) return;
    this.armedFor = t;
    this.pts.registerTimer(t, this.onTaskTimer);
  }

  private readonly onTaskTimer = (time: number): void => {
    if (time === this.armedFor) this.armedFor = Number.POSITIVE_INFINITY;
    try {
      this.queue.fireUpTo(Math.max(time, this.pts.getCurrentProcessingTime()), this.fire);
    } finally {
      this.arm();
    }
  };
}
