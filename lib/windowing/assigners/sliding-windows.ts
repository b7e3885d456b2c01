import { TimeWindow } from '../windows.ts';
import { requireTimestamp, type WindowAssigner, type WindowAssignerContext } from './window-assigner.ts';
import { EventTimeTrigger } from '../triggers/event-time-trigger.ts';
import { ProcessingTimeTrigger } from '../triggers/processing-time-trigger.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { toMillis, type DurationLike } from '../../core/duration.ts';

abstract class SlidingWindows<T> implements WindowAssigner<T, TimeWindow> {
  /** @internal */
  readonly size: number;
  /** @internal */
  readonly slide: number;
  /** @internal */
  readonly offset: number;
  protected constructor(size: DurationLike, slide: DurationLike, offset: DurationLike = 0) {
    this.size = toMillis(size, 'window size');
    this.slide = toMillis(slide, 'window slide');
    this.offset = toMillis(offset, 'window offset');
    if (this.size <= 0 || this.slide <= 0) throw new RangeError('A sliding window needs a size and a slide greater than zero');
    if (Math.abs(this.offset) >= this.slide) throw new RangeError('The window offset must be smaller than the slide');
  }
  /** Every window of `size` starting at a multiple of `slide` (plus offset) that contains the timestamp, latest first. */
  protected windowsFor(timestamp: number): TimeWindow[] {
    const windows: TimeWindow[] = [];
    const lastStart = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.slide);
    for (let start = lastStart; start > timestamp - this.size; start -= this.slide) windows.push(new TimeWindow(start, start + this.size));
    return windows;
  }
  abstract assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): TimeWindow[];
  abstract getDefaultTrigger(): Trigger<T, TimeWindow>;
  abstract isEventTime(): boolean;
}

/**
 * Overlapping event-time windows of `size`, one starting every `slide` (Flink's SlidingEventTimeWindows).
 * ```ts
 * SlidingEventTimeWindows.of('10 min', '1 min');
 * ```
 */
export class SlidingEventTimeWindows<T = unknown> extends SlidingWindows<T> {
  static of<T = unknown>(size: DurationLike, slide: DurationLike, offset?: DurationLike): SlidingEventTimeWindows<T> {
    return new SlidingEventTimeWindows<T>(size, slide, offset);
  }
  assignWindows(_e: T, timestamp: number): TimeWindow[] {
    requireTimestamp(timestamp);
    return this.windowsFor(timestamp);
  }
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<TimeWindow>();
  }
  isEventTime(): boolean {
    return true;
  }
}

/** Overlapping windows of wall-clock time (Flink's SlidingProcessingTimeWindows). */
export class SlidingProcessingTimeWindows<T = unknown> extends SlidingWindows<T> {
  static of<T = unknown>(size: DurationLike, slide: DurationLike, offset?: DurationLike): SlidingProcessingTimeWindows<T> {
    return new SlidingProcessingTimeWindows<T>(size, slide, offset);
  }
  assignWindows(_e: T, _ts: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.windowsFor(ctx.getCurrentProcessingTime());
  }
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create<TimeWindow>();
  }
  isEventTime(): boolean {
    return false;
  }
}
