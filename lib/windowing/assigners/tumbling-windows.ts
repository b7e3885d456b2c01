import { DateTime, Duration } from 'luxon';
import { TimeWindow } from '../windows.ts';
import { requireTimestamp, type WindowAssigner, type WindowAssignerContext } from './window-assigner.ts';
import { EventTimeTrigger } from '../triggers/event-time-trigger.ts';
import { ProcessingTimeTrigger } from '../triggers/processing-time-trigger.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { toMillis, type DurationLike } from '../../core/duration.ts';

export interface CalendarOptions {
  /** An IANA zone such as 'Europe/Berlin': windows follow that zone's calendar (days of 23 or 25 hours on DST changes). */
  timeZone: string;
}

/** Calendar units a zoned tumbling window can have. */
type CalendarUnit = 'day' | 'week' | 'month';

function calendarUnit(size: DurationLike): CalendarUnit | undefined {
  if (typeof size !== 'string') return undefined;
  const s = size.trim().toLowerCase();
  if (/^1?\s*(d|day|days)$/.test(s) || s === 'p1d') return 'day';
  if (/^1?\s*(w|week|weeks)$/.test(s) || s === 'p1w') return 'week';
  if (/^1?\s*(month|months)$/.test(s) || s === 'p1m') return 'month';
  return undefined;
}

abstract class TumblingWindows<T> implements WindowAssigner<T, TimeWindow> {
  /** @internal Window size in ms (0 for calendar windows). */
  readonly size: number;
  /** @internal */
  readonly offset: number;
  private readonly zone: string | undefined;
  private readonly unit: CalendarUnit | undefined;

  /** @internal Fixed-size windows (not calendar ones) can be kept in slices (lib/windowing/slicing). */
  isAligned(): boolean {
    return this.zone === undefined;
  }

  protected constructor(size: DurationLike, offset: DurationLike | CalendarOptions | undefined) {
    if (offset !== undefined && typeof offset === 'object' && !Duration.isDuration(offset)) {
      const { timeZone } = offset as CalendarOptions; // an object that is no luxon Duration
      this.unit = calendarUnit(size);
      if (this.unit === undefined) throw new RangeError(`A time zone needs a calendar size: '1 day', '1 week' or '1 month', got ${JSON.stringify(size)}`);
      if (!DateTime.now().setZone(timeZone).isValid) throw new RangeError(`Unknown time zone '${timeZone}'`);
      this.zone = timeZone;
      this.size = 0;
      this.offset = 0;
      return;
    }
    this.size = toMillis(size, 'window size');
    this.offset = offset === undefined ? 0 : toMillis(offset as DurationLike, 'window offset');
    if (this.size <= 0) throw new RangeError('A tumbling window needs a size greater than zero');
    if (Math.abs(this.offset) >= this.size) throw new RangeError('The window offset must be smaller than the window size');
  }

  /** Consecutive events mostly fall into the same window: hand out the same (immutable) instance. */
  private last: TimeWindow[] = [];

  protected windowsFor(timestamp: number): TimeWindow[] {
    const cached = this.last[0];
    if (cached !== undefined && timestamp >= cached.start && timestamp < cached.end) return this.last;
    this.last = [this.windowFor(timestamp)];
    return this.last;
  }

  protected windowFor(timestamp: number): TimeWindow {
    if (this.zone !== undefined) {
      // Calendar windows: start and end are local midnights (Mondays, first days) in the zone.
      const local = DateTime.fromMillis(timestamp, { zone: this.zone });
      const start = this.unit === 'week' ? local.startOf('week') : local.startOf(this.unit!);
      const end = start.plus({ [`${this.unit!}s`]: 1 });
      return new TimeWindow(start.toMillis(), end.toMillis());
    }
    const start = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.size);
    return new TimeWindow(start, start + this.size);
  }

  abstract assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): TimeWindow[];
  abstract getDefaultTrigger(): Trigger<T, TimeWindow>;
  abstract isEventTime(): boolean;
}

/**
 * Fixed-size, non-overlapping event-time windows (Flink's TumblingEventTimeWindows), optionally
 * offset, or calendar days/weeks/months in a time zone.
 * ```ts
 * TumblingEventTimeWindows.of('1 min');
 * TumblingEventTimeWindows.of('1 day', { timeZone: 'Europe/Berlin' });
 * ```
 */
export class TumblingEventTimeWindows<T = unknown> extends TumblingWindows<T> {
  static of<T = unknown>(size: DurationLike, offset?: DurationLike | CalendarOptions): TumblingEventTimeWindows<T> {
    return new TumblingEventTimeWindows<T>(size, offset);
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

/** Fixed-size, non-overlapping windows of wall-clock time (Flink's TumblingProcessingTimeWindows). */
export class TumblingProcessingTimeWindows<T = unknown> extends TumblingWindows<T> {
  static of<T = unknown>(size: DurationLike, offset?: DurationLike | CalendarOptions): TumblingProcessingTimeWindows<T> {
    return new TumblingProcessingTimeWindows<T>(size, offset);
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
