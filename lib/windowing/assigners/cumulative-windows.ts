import { TimeWindow } from '../windows.ts';
import { requireTimestamp, type WindowAssigner } from './window-assigner.ts';
import { EventTimeTrigger } from '../triggers/event-time-trigger.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { toMillis, type DurationLike } from '../../core/duration.ts';

/**
 * Cumulative event-time windows (Flink SQL's CUMULATE window): every `maxSize` period (shifted by
 * `offset`) has the windows [start, start + step), [start, start + 2 step), … [start, start + maxSize)
 * — "today so far, every hour". An element belongs to every window of its period that ends after it.
 * ```ts
 * CumulativeEventTimeWindows.of('1 day', '1 h');
 * ```
 * With the default trigger and no evictor, the window operator keeps one slice per step and merges
 * a window's slices when it fires (see lib/windowing/slicing); otherwise it is a plain assigner.
 */
export class CumulativeEventTimeWindows<T = unknown> implements WindowAssigner<T, TimeWindow> {
  /** @internal */
  readonly maxSize: number;
  /** @internal */
  readonly step: number;
  /** @internal */
  readonly offset: number;

  private constructor(maxSize: DurationLike, step: DurationLike, offset: DurationLike = 0) {
    this.maxSize = toMillis(maxSize, 'window max size');
    this.step = toMillis(step, 'window step');
    this.offset = toMillis(offset, 'window offset');
    if (!(this.maxSize > 0) || !(this.step > 0)) throw new RangeError('A cumulative window needs a max size and a step greater than zero');
    if (this.maxSize % this.step !== 0) throw new RangeError(`A cumulative window's max size must be a multiple of its step, got max size ${this.maxSize} ms and step ${this.step} ms`);
    if (Math.abs(this.offset) >= this.maxSize) throw new RangeError('The window offset must be smaller than the max size');
  }

  static of<T = unknown>(maxSize: DurationLike, step: DurationLike, offset?: DurationLike): CumulativeEventTimeWindows<T> {
    return new CumulativeEventTimeWindows<T>(maxSize, step, offset);
  }

  /** The windows of the element's period that contain it, shortest first. */
  assignWindows(_e: T, timestamp: number): TimeWindow[] {
    requireTimestamp(timestamp);
    const start = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.maxSize);
    const windows: TimeWindow[] = [];
    for (let end = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.step) + this.step; end <= start + this.maxSize; end += this.step) {
      windows.push(new TimeWindow(start, end));
    }
    return windows;
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<TimeWindow>();
  }

  isEventTime(): boolean {
    return true;
  }

  toString(): string {
    return `CumulativeEventTimeWindows(${this.maxSize}, ${this.step})`;
  }
}
