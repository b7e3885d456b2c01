/**
 * Timers of a keyed operator (Flink's InternalTimerService). Timers are per key and deduplicated
 * per (key, timestamp). Event-time timers fire when the watermark reaches them, in timestamp order
 * (registration order among equal timestamps), before the operator forwards the watermark; a timer
 * registered while firing that is already due fires in the same pass. Processing-time timers fire
 * from the task's mailbox.
 */
import type { ProcessingTimeService } from '../runtime/operator.ts';
import { canonicalKey } from '../state/keys.ts';

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

/**
 * Timers of one time domain: timestamp -> timers, in registration order. A timer is identified by
 * `id` (deduplication) and carries a key and a namespace (the window, for window operators).
 */
export class TimerQueue {
  private readonly byTime = new Map<number, Map<unknown, [unknown, unknown]>>();
  private readonly times = new NumberHeap();

  add(id: unknown, key: unknown, namespace: unknown, time: number): void {
    let timers = this.byTime.get(time);
    if (timers === undefined) {
      timers = new Map();
      this.byTime.set(time, timers);
      this.times.push(time);
    }
    if (!timers.has(id)) timers.set(id, [key, namespace]);
  }

  /** The timers of the timestamp being fired (taken out of byTime), so deletes still reach them. */
  private firing: Map<unknown, [unknown, unknown]> | null = null;
  private firingTime = Number.NaN;

  delete(id: unknown, time: number): void {
    if (time === this.firingTime && this.firing !== null) this.firing.delete(id);
    const timers = this.byTime.get(time);
    if (timers === undefined) return;
    timers.delete(id);
    if (timers.size === 0) this.byTime.delete(time); // its heap entry is skipped when reached
  }

  /** Earliest pending timestamp. */
  earliest(): number | undefined {
    for (;;) {
      const t = this.times.peek();
      if (t === undefined || this.byTime.has(t)) return t;
      this.times.pop();
    }
  }

  /**
   * Fires every timer with timestamp <= `upTo`, including those registered while firing. A
   * timestamp's timers are taken out as a whole and walked with one iterator (deletes of not yet
   * fired ones still apply); timers registered meanwhile for that timestamp form a new group.
   */
  fireUpTo(upTo: number, fire: (key: unknown, namespace: unknown, time: number) => void): void {
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
        for (const [, [key, ns]] of timers) fire(key, ns, t);
      } finally {
        this.firing = outer;
        this.firingTime = outerTime;
      }
    }
  }

}

/** Processing-time timers: a TimerQueue with one task timer, armed for its earliest timestamp. */
export class ProcessingTimerQueue {
  private readonly queue = new TimerQueue();
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(
    private readonly pts: ProcessingTimeService,
    private readonly fire: (key: unknown, namespace: unknown, time: number) => void,
  ) {}

  add(id: unknown, key: unknown, namespace: unknown, time: number): void {
    this.queue.add(id, key, namespace, time);
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
    this.queue.fireUpTo(Math.max(time, this.pts.getCurrentProcessingTime()), this.fire);
    this.arm();
  };
}

export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

export class InternalTimerService {
  private readonly eventTime = new TimerQueue();
  private readonly processingTime: ProcessingTimerQueue;
  currentWatermark = Number.NEGATIVE_INFINITY;

  constructor(
    pts: ProcessingTimeService,
    private readonly onTimer: (key: unknown, time: number, domain: TimeDomain) => void,
  ) {
    this.processingTime = new ProcessingTimerQueue(pts, (key, _ns, time) => onTimer(key, time, 'PROCESSING_TIME'));
  }

  registerEventTimeTimer(key: unknown, time: number): void {
    this.eventTime.add(canonicalKey(key), key, undefined, time);
  }
  deleteEventTimeTimer(key: unknown, time: number): void {
    this.eventTime.delete(canonicalKey(key), time);
  }
  registerProcessingTimeTimer(key: unknown, time: number): void {
    this.processingTime.add(canonicalKey(key), key, undefined, time);
  }
  deleteProcessingTimeTimer(key: unknown, time: number): void {
    this.processingTime.delete(canonicalKey(key), time);
  }

  /** Fires due event-time timers; call before forwarding the watermark. */
  advanceWatermark(watermark: number): void {
    this.currentWatermark = watermark;
    this.eventTime.fireUpTo(watermark, (key, _ns, time) => this.onTimer(key, time, 'EVENT_TIME'));
  }
}
