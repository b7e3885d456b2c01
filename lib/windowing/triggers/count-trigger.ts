import type { Trigger, TriggerContext, TriggerResult, OnMergeContext } from './trigger.ts';
import type { Window } from '../windows.ts';
import { ReducingStateDescriptor } from '../../core/state/state-descriptor.ts';

/** Fires every `maxCount` elements of a window (Flink's CountTrigger). */
export class CountTrigger<W extends Window> implements Trigger<unknown, W> {
  private readonly count = new ReducingStateDescriptor<number>('count', (a, b) => a + b);
  private constructor(private readonly maxCount: number) {
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new RangeError(`CountTrigger needs a positive count, got ${maxCount}`);
  }
  static of<W extends Window>(maxCount: number): CountTrigger<W> {
    return new CountTrigger<W>(maxCount);
  }
  onElement(_e: unknown, _ts: number, _w: W, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState(this.count);
    count.add(1);
    if ((count.get() ?? 0) >= this.maxCount) {
      count.clear();
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(_w: W, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.count);
  }
  clear(_w: W, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.count).clear();
  }
}
