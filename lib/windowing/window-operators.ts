/**
 * The window operator of a windowed stream, with its storage strategy chosen from the assigner, the
 * trigger, the evictor and the function (DESIGN.md: one window operator; new window behaviour is a
 * new strategy file). Every strategy keeps its contents in the state layer and fires exactly as
 * Flink's WindowOperator does; the fast ones only exist for shapes where they can:
 * - fixed-size tumbling event-time windows with the default trigger, no evictor, no allowed
 *   lateness and an incremental reduce/aggregate: the aligned fast path (fires every key's window
 *   at once on the watermark, no timer per window);
 * - event-time session windows with the default trigger and no evictor (any allowed lateness, any
 *   function): the session strategy (sessions/session-window-operator.ts: a key's sessions sorted in
 *   state, O(1) per element in the common case, no timer per element);
 * - everything else: the general operator (any assigner, trigger, evictor; a timer per window).
 */
import type { StreamOperator } from '../runtime/operator.ts';
import { AlignedWindowAggregateOperator, type AlignedFunction } from './aligned-window-operator.ts';
import type { WindowOperatorConfig } from './abstract-window-operator.ts';
import { WindowOperator } from './window-operator.ts';
import { TumblingEventTimeWindows } from './assigners/tumbling-windows.ts';
import { EventTimeSessionWindows } from './assigners/session-windows.ts';
import { SessionWindowOperator } from './sessions/session-window-operator.ts';
import type { TimeWindow } from './windows.ts';
import type { Window } from './windows.ts';

/** Which storage a window operator uses: 'auto' picks the fastest that fits; 'general' is the general operator. */
export type WindowStorage = 'auto' | 'general';

let forcedStorage: WindowStorage | undefined;

/**
 * @internal For tests: every window operator created from now on in this process uses `storage`
 * (undefined: back to choosing). The differential tests compare each fast strategy with the
 * general operator on the same job.
 */
export function forceWindowStorageForTesting(storage: WindowStorage | undefined): void {
  forcedStorage = storage;
}

/** A window operator for `config`, with the storage that fits it. `explicitTrigger`: the user set the trigger (the default one otherwise). */
export function createWindowOperator<IN, ACC, OUT, K, W extends Window>(config: WindowOperatorConfig<IN, ACC, OUT, K, W>, explicitTrigger: boolean): StreamOperator<OUT> {
  const storage = forcedStorage ?? 'auto';
  if (storage === 'auto') {
    const aligned = alignedFunction(config, explicitTrigger);
    if (aligned !== undefined) {
      const tumbling = config.assigner as unknown as TumblingEventTimeWindows<IN>;
      return new AlignedWindowAggregateOperator<IN, ACC, OUT>(aligned, tumbling.size, tumbling.offset, config.lateDataTag) as unknown as StreamOperator<OUT>;
    }
    if (config.assigner instanceof EventTimeSessionWindows && !explicitTrigger && config.evictor === undefined) {
      return new SessionWindowOperator<IN, ACC, OUT, K>(config as unknown as WindowOperatorConfig<IN, ACC, OUT, K, TimeWindow>) as unknown as StreamOperator<OUT>;
    }
  }
  return new WindowOperator<IN, ACC, OUT, K, W>(config) as unknown as StreamOperator<OUT>;
}

/** Fixed tumbling event-time windows with the default trigger and an incremental function take the aligned fast path. */
function alignedFunction<IN, ACC, OUT, K, W extends Window>(config: WindowOperatorConfig<IN, ACC, OUT, K, W>, explicitTrigger: boolean): AlignedFunction<IN, ACC> | undefined {
  const a = config.assigner as unknown;
  if (!(a instanceof TumblingEventTimeWindows) || !a.isAligned()) return undefined;
  if (explicitTrigger || config.evictor !== undefined || config.allowedLateness !== 0) return undefined;
  const fn = config.fn;
  if (fn.kind === 'reduce' && fn.process === undefined) return { kind: 'reduce', reduce: fn.reduce };
  if (fn.kind === 'aggregate' && fn.process === undefined) return { kind: 'aggregate', aggregate: fn.aggregate };
  return undefined;
}
