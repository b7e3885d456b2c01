import type { Trigger, TriggerResult } from './trigger.ts';
import type { GlobalWindow } from '../windows.ts';

/** The default trigger of GlobalWindows: never fires; give the window a trigger of your own. */
export class NeverTrigger implements Trigger<unknown, GlobalWindow> {
  onElement(): TriggerResult {
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult {
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult {
    return 'CONTINUE';
  }
  clear(): void {}
}
