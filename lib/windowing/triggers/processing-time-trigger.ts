import type { Trigger, TriggerContext, TriggerResult, OnMergeContext } from './trigger.ts';
import type { Window } from '../windows.ts';

/** Fires when the wall clock passes the window's end (Flink's ProcessingTimeTrigger). */
export class ProcessingTimeTrigger<W extends Window> implements Trigger<unknown, W> {
  static create<W extends Window>(): ProcessingTimeTrigger<W> {
    return new ProcessingTimeTrigger<W>();
  }
  onElement(_e: unknown, _ts: number, window: W, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'FIRE';
  }
  canMerge(): boolean {
    return true;
  }
  onMerge(window: W, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }
  clear(window: W, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}
