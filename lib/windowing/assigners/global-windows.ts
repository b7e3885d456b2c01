import { GlobalWindow } from '../windows.ts';
import type { WindowAssigner } from './window-assigner.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { NeverTrigger } from '../triggers/never-trigger.ts';

/** One window per key holding everything (Flink's GlobalWindows); it fires only by a custom trigger. */
export class GlobalWindows<T = unknown> implements WindowAssigner<T, GlobalWindow> {
  static create<T = unknown>(): GlobalWindows<T> {
    return new GlobalWindows<T>();
  }
  assignWindows(): GlobalWindow[] {
    return [GlobalWindow.INSTANCE];
  }
  getDefaultTrigger(): Trigger<T, GlobalWindow> {
    return new NeverTrigger();
  }
  isEventTime(): boolean {
    return false;
  }
}
