/**
 * The window operator of a windowed stream, with its storage strategy chosen from the assigner, the
 * trigger, the evictor and the function (DESIGN.md: one window operator; new window behaviour is a
 * new strategy file). Every strategy keeps its contents in the state layer and fires exactly as
 * Flink's WindowOperator does; the fast ones only exist for shapes where they can:
 * - fixed-size tumbling, sliding and cumulative event-time windows with the default trigger and no
 *   evictor, any allowed lateness and window function: slices (lib/windowing/slicing; an element
 *   goes into one slice, a window fires for all keys at once as the merge of its slices, no timer
 *   per window);
 * - event-time session windows with the default trigger and no evictor (any allowed lateness, any
 *   function): the session strategy (sessions/session-window-operator.ts: a key's sessions sorted in
 *   state, O(1) per element in the common case, no timer per element);
 * - everything else: the general operator (any assigner, trigger, evictor; a timer per window).
 */
import type { StreamOperator } from '../runtime/operator.ts';
import type { WindowOperatorConfig } from './abstract-window-operator.ts';
import { WindowOperator } from './window-operator.ts';
import { sliceAssignerFor } from './slicing/slice-assigner.ts';
import { SliceWindowOperator } from './slicing/slice-window-operator.ts';
import type { TimeWindow, Window } from './windows.ts';
import { EventTimeSessionWindows } from './assigners/session-windows.ts';
import { SessionWindowOperator } from './sessions/session-window-operator.ts';

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
    const slices = sliceAssignerFor(config, explicitTrigger);
    if (slices !== undefined) {
      return new SliceWindowOperator<IN, ACC, OUT, K>(config as unknown as WindowOperatorConfig<IN, ACC, OUT, K, TimeWindow>, slices) as unknown as StreamOperator<OUT>;
    }
    if (config.assigner instanceof EventTimeSessionWindows && !explicitTrigger && config.evictor === undefined) {
      return new SessionWindowOperator<IN, ACC, OUT, K>(config as unknown as WindowOperatorConfig<IN, ACC, OUT, K, TimeWindow>) as unknown as StreamOperator<OUT>;
    }
  }
  return new WindowOperator<IN, ACC, OUT, K, W>(config) as unknown as StreamOperator<OUT>;
}
