/**
 * The task's processing time (Flink's SystemProcessingTimeService): timers kept sorted by time,
 * one setTimeout armed for the earliest. When it fires the task is woken and runs the due timers
 * as a mail (StreamTask.step), never concurrently with its operators. Each timer remembers the
 * operator that registered it (`owner`), so an error in its callback names that operator.
 */
import type { ProcessingTimeService } from '../operator.ts';

interface Timer<O> {
  readonly time: number;
  readonly callback: (time: number) => void;
  readonly owner: O;
}

export class SystemProcessingTimeService<O> {
  /** Pending timers, sorted by time (equal times keep registration order). */
  private readonly timers: Array<Timer<O>> = [];
  private timerHandle: ReturnType<typeof setTimeout> | null = null;
  private armedFor = Number.POSITIVE_INFINITY;
  /** The earliest timer's time came: the task runs due timers as its next mail. */
  timersDue = false;

  constructor(
    /** False once the task closes (or is done): timers registered then are dropped. */
    private readonly accepting: () => boolean,
    private readonly wakeup: () => void,
  ) {}

  /** The service as one operator (`owner`) sees it. */
  forOwner(owner: O): ProcessingTimeService {
    // Arrow properties: operators may hold these functions unbound.
    return {
      getCurrentProcessingTime: () => Date.now(),
      registerTimer: (time, callback) => this.registerTimer(time, callback, owner),
      scheduleWithFixedDelay: (callback, delay) => this.scheduleWithFixedDelay(callback, delay, owner),
    };
  }

  registerTimer(time: number, callback: (time: number) => void, owner: O): void {
    if (!this.accepting()) return;
    insertByTime(this.timers, { time, callback, owner });
    this.armTimer();
  }

  scheduleWithFixedDelay(callback: () => void, delay: number, owner: O): void {
    const tick = (): void => {
      callback();
      this.registerTimer(Date.now() + delay, tick, owner);
    };
    this.registerTimer(Date.now() + delay, tick, owner);
  }

  /** One setTimeout, for the earliest timer; when it fires the task gets a mail. */
  private armTimer(): void {
    const first = this.timers[0];
    if (first === undefined || (this.timerHandle !== null && first.time >= this.armedFor)) return;
    if (this.timerHandle !== null) clearTimeout(this.timerHandle);
    this.armedFor = first.time;
    this.timerHandle = setTimeout(() => {
      this.timerHandle = null;
      this.armedFor = Number.POSITIVE_INFINITY;
      this.timersDue = true;
      this.wakeup();
    }, Math.max(0, first.time - Date.now()));
  }

  /** Runs the timers due now through `run` (which attributes errors to the owner), while `active()` holds. */
  fireDueTimers(active: () => boolean, run: (callback: (time: number) => void, time: number, owner: O) => void): void {
    this.timersDue = false;
    const now = Date.now();
    while (this.timers.length > 0 && this.timers[0]!.time <= now && active()) {
      const t = this.timers.shift()!;
      run(t.callback, t.time, t.owner);
    }
    this.armTimer();
  }

  /** Drops every timer (the task closes). */
  clear(): void {
    if (this.timerHandle !== null) clearTimeout(this.timerHandle);
    this.timerHandle = null;
    this.timers.length = 0;
    this.timersDue = false;
  }
}

/** Inserts a timer into a list sorted by time, after those of equal time (registration order among ties). */
export function insertByTime<T extends { readonly time: number }>(timers: T[], timer: T): void {
  let lo = 0;
  let hi = timers.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timers[mid]!.time <= timer.time) lo = mid + 1;
    else hi = mid;
  }
  timers.splice(lo, 0, timer);
}
