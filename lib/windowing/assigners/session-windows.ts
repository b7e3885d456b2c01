import { TimeWindow } from '../windows.ts';
import { requireTimestamp, type MergingWindowAssigner, type WindowAssignerContext } from './window-assigner.ts';
import { EventTimeTrigger } from '../triggers/event-time-trigger.ts';
import { ProcessingTimeTrigger } from '../triggers/processing-time-trigger.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { toMillis, type DurationLike } from '../../core/duration.ts';

abstract class SessionWindows<T> implements MergingWindowAssigner<T> {
  readonly merging = true;
  /**
   * @param gap the session gap of an element
   * @param fixedGap the gap of every element (withGap), undefined for a dynamic gap
   */
  protected constructor(
    private readonly gap: (element: T) => number,
    readonly fixedGap?: number,
  ) {}
  /** The session gap of `element`, checked (Flink's SessionWindowTimeGapExtractor). */
  sessionGap(element: T): number {
    const gap = this.gap(element);
    if (!(gap > 0)) throw new RangeError(`A session gap must be greater than zero, got ${gap}`);
    return gap;
  }
  protected windowFor(element: T, timestamp: number): TimeWindow[] {
    const gap = this.sessionGap(element);
    return [new TimeWindow(timestamp, timestamp + gap)];
  }
  abstract assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): TimeWindow[];
  abstract getDefaultTrigger(): Trigger<T, TimeWindow>;
  abstract isEventTime(): boolean;
}

/**
 * Sessions of activity separated by a gap of inactivity, in event time (Flink's EventTimeSessionWindows):
 * each element opens [ts, ts + gap), and overlapping windows of a key merge.
 * ```ts
 * EventTimeSessionWindows.withGap('30 min');
 * EventTimeSessionWindows.withDynamicGap<Click>((c) => (c.premium ? 60_000 : 10_000));
 * ```
 */
export class EventTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  static withGap<T = unknown>(gap: DurationLike): EventTimeSessionWindows<T> {
    const ms = toMillis(gap, 'session gap');
    if (ms <= 0) throw new RangeError('A session gap must be greater than zero');
    return new EventTimeSessionWindows<T>(() => ms, ms);
  }
  static withDynamicGap<T>(extractor: (element: T) => number): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(extractor);
  }
  assignWindows(element: T, timestamp: number): TimeWindow[] {
    requireTimestamp(timestamp);
    return this.windowFor(element, timestamp);
  }
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create<TimeWindow>();
  }
  isEventTime(): boolean {
    return true;
  }
}

/** Sessions in wall-clock time (Flink's ProcessingTimeSessionWindows). */
export class ProcessingTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  static withGap<T = unknown>(gap: DurationLike): ProcessingTimeSessionWindows<T> {
    const ms = toMillis(gap, 'session gap');
    if (ms <= 0) throw new RangeError('A session gap must be greater than zero');
    return new ProcessingTimeSessionWindows<T>(() => ms);
  }
  static withDynamicGap<T>(extractor: (element: T) => number): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(extractor);
  }
  assignWindows(element: T, _ts: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.windowFor(element, ctx.getCurrentProcessingTime());
  }
  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create<TimeWindow>();
  }
  isEventTime(): boolean {
    return false;
  }
}
