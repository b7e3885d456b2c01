import type { Trigger, TriggerContext, TriggerResult, OnMergeContext } from './trigger.ts';
import type { Window } from '../windows.ts';

/** Fires once the watermark passes the window's end (Flink's EventTimeTrigger); late elements fire at once. */
export class EventTimeTrigger<W extends Window> implements Trigger<unknown, W> {
  static create<W extends Window>(): EventTimeTrigger<W> {
    return new EventTimeTrigger<W>();
  }
  onElement(_e: unknown, _ts: number, window: W, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE'; // a late firing
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(time: number, window: W): TriggerResult {
    return time === window.maxTimestamp() ? 'FIRE' : 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(window: W, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  clear(window: W, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
  toString(): string {
    return 'EventTimeTrigger()';
  }
}
