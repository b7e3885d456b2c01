import { fires, type OnMergeContext, type Trigger, type TriggerContext, type TriggerResult } from './trigger.ts';
import type { Window } from '../windows.ts';

/** Turns every FIRE of the nested trigger into FIRE_AND_PURGE (Flink's PurgingTrigger). */
export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  private constructor(private readonly nested: Trigger<T, W>) {}
  static of<T, W extends Window>(nested: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(nested);
  }
  private purge(r: TriggerResult): TriggerResult {
    return fires(r) ? 'FIRE_AND_PURGE' : r;
  }
  onElement(e: T, ts: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purge(this.nested.onElement(e, ts, w, ctx));
  }
  onEventTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purge(this.nested.onEventTime(time, w, ctx));
  }
  onProcessingTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return this.purge(this.nested.onProcessingTime(time, w, ctx));
  }
  canMerge(): boolean {
    return this.nested.canMerge?.() ?? false;
  }
  onMerge(w: W, ctx: OnMergeContext): void {
    this.nested.onMerge?.(w, ctx);
  }
  clear(w: W, ctx: TriggerContext): void {
    this.nested.clear(w, ctx);
  }
}
