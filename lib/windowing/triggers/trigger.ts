/**
 * When a window emits (Flink's Trigger). A trigger sees each element and each timer of a window
 * and answers with a TriggerResult; it may keep its own per-window state and timers.
 */
import type { Window } from '../windows.ts';
import type { ValueState, ReducingState } from '../../core/state/state.ts';
import type { ValueStateDescriptor, ReducingStateDescriptor } from '../../core/state/state-descriptor.ts';

export type TriggerResult = 'CONTINUE' | 'FIRE' | 'PURGE' | 'FIRE_AND_PURGE';

export interface TriggerContext {
  getCurrentWatermark(): number;
  getCurrentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  /** State of this trigger for the current key and window. */
  getPartitionedState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getPartitionedState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
}

export interface OnMergeContext extends TriggerContext {
  /** Combines the named state of the windows being merged into the merged window's (ReducingState only). */
  mergePartitionedState<T>(descriptor: ReducingStateDescriptor<T>): void;
}

export interface Trigger<T, W extends Window> {
  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Session windows need triggers that can merge. */
  canMerge?(): boolean;
  onMerge?(window: W, ctx: OnMergeContext): void;
  /** The window is gone: delete timers and state. */
  clear(window: W, ctx: TriggerContext): void;
}

export function fires(r: TriggerResult): boolean {
  return r === 'FIRE' || r === 'FIRE_AND_PURGE';
}
export function purges(r: TriggerResult): boolean {
  return r === 'PURGE' || r === 'FIRE_AND_PURGE';
}
