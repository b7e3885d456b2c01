/**
 * Puts each element into zero or more windows (Flink's WindowAssigner). Merging assigners (sessions)
 * also say how overlapping windows combine.
 */
import type { Trigger } from '../triggers/trigger.ts';
import type { TimeWindow, Window } from '../windows.ts';

export interface WindowAssignerContext {
  getCurrentProcessingTime(): number;
}

export interface WindowAssigner<T, W extends Window> {
  assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): W[];
  getDefaultTrigger(): Trigger<T, W>;
  isEventTime(): boolean;
  /**
   * A window of this assigner from its data in a restored snapshot (Flink's getWindowSerializer).
   * Snapshots keep a window's own enumerable properties only, without its class: an assigner with
   * windows of its own class (not TimeWindow or GlobalWindow) rebuilds them here. The `id` must be
   * an own property of the window, not a getter.
   */
  restoreWindow?(data: { readonly id: string | number } & Record<string, unknown>): W;
}

export interface MergingWindowAssigner<T> extends WindowAssigner<T, TimeWindow> {
  readonly merging: true;
}

export function isMerging<T, W extends Window>(a: WindowAssigner<T, W>): boolean {
  return (a as unknown as Partial<MergingWindowAssigner<T>>).merging === true;
}

/** Event-time assigners need timestamps: a clear message when a record has none. */
export function requireTimestamp(timestamp: number): number {
  if (timestamp === Number.NEGATIVE_INFINITY) {
    throw new Error(
      'Record has no timestamp (= no timestamp marker). Is the time characteristic set to event time, or did you forget to call assignTimestampsAndWatermarks(...)?',
    );
  }
  return timestamp;
}
