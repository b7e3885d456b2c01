import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './trigger.ts';
import type { Window } from '../windows.ts';
import { ReducingStateDescriptor } from '../../core/state/state-descriptor.ts';
import { toMillis, type DurationLike } from '../../core/duration.ts';

/** Fires every `interval` of event time while the window is open, and at its end (Flink's ContinuousEventTimeTrigger). */
export class ContinuousEventTimeTrigger<W extends Window> implements Trigger<unknown, W> {
  private readonly fireAt = new ReducingStateDescriptor<number>('fire-time', (a, b) => Math.min(a, b));
  private constructor(private readonly interval: number) {}
  static of<W extends Window>(interval: DurationLike): ContinuousEventTimeTrigger<W> {
    const ms = toMillis(interval, 'ContinuousEventTimeTrigger interval');
    if (ms === 0) throw new RangeError('ContinuousEventTimeTrigger needs an interval greater than zero');
    return new ContinuousEventTimeTrigger<W>(ms);
  }
  onElement(_e: unknown, ts: number, window: W, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const state = ctx.getPartitionedState(this.fireAt);
    if (state.get() === undefined) {
      const start = ts - (((ts % this.interval) + this.interval) % this.interval);
      const next = Math.min(start + this.interval, window.maxTimestamp());
      ctx.registerEventTimeTimer(next);
      state.add(next);
    }
    return 'CONTINUE';
  }
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return 'FIRE';
    const state = ctx.getPartitionedState(this.fireAt);
    if (state.get() === time) {
      state.clear();
      const next = Math.min(time + this.interval, window.maxTimestamp());
      state.add(next);
      ctx.registerEventTimeTimer(next);
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(window: W, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.fireAt);
    const next = ctx.getPartitionedState(this.fireAt).get();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  clear(window: W, ctx: TriggerContext): void {
    const state = ctx.getPartitionedState(this.fireAt);
    const next = state.get();
    if (next !== undefined) ctx.deleteEventTimeTimer(next);
    state.clear();
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}
