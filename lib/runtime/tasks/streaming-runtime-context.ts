/**
 * The RuntimeContext a user function of one operator sees (Flink's StreamingRuntimeContext):
 * task info, accumulators of the task, and keyed state once the operator bound its backend.
 */
import { runtimeTaskInfo, type RuntimeContext, type TaskInfo } from '../../core/functions/runtime-context.ts';
import type { Accumulator } from '../../core/accumulators/accumulator.ts';
import type { HeapKeyedStateBackend } from '../../state/heap-keyed-state-backend.ts';

export interface StreamingRuntimeContext extends RuntimeContext {
  keyedStateBackend(): HeapKeyedStateBackend;
}

export function createStreamingRuntimeContext(
  operatorName: string,
  info: TaskInfo,
  accumulators: Map<string, Accumulator<unknown, unknown>>,
  taskName: string,
): { context: StreamingRuntimeContext; bindKeyedStateBackend(backend: HeapKeyedStateBackend): void } {
  let keyed: HeapKeyedStateBackend | undefined;
  const backend = (): HeapKeyedStateBackend => {
    if (keyed === undefined) {
      throw new Error(
        `Keyed state can only be used on a 'keyed stream', i.e., after a 'keyBy()' operation (operator '${operatorName}').`,
      );
    }
    return keyed;
  };
  const userInfo = runtimeTaskInfo(info);
  const context: StreamingRuntimeContext = {
    keyedStateBackend: backend,
    getState: (d) => backend().getValueState(d),
    getListState: (d) => backend().getListState(d),
    getMapState: (d) => backend().getMapState(d),
    getReducingState: (d) => backend().getReducingState(d),
    getAggregatingState: (d) => backend().getAggregatingState(d),
    getTaskInfo: () => userInfo,
    getIndexOfThisSubtask: () => info.indexOfThisSubtask,
    getNumberOfParallelSubtasks: () => info.numberOfParallelSubtasks,
    getMaxNumberOfParallelSubtasks: () => info.maxNumberOfParallelSubtasks,
    getOperatorName: () => operatorName,
    addAccumulator: (name, acc) => {
      if (accumulators.has(name)) throw new Error(`An accumulator named '${name}' already exists in task ${taskName}`);
      accumulators.set(name, acc as Accumulator<unknown, unknown>);
    },
    getAccumulator: <V, R>(name: string) => accumulators.get(name) as Accumulator<V, R> | undefined,
  };
  return {
    context,
    /** Makes keyed state (getState, ...) use this operator's backend. */
    bindKeyedStateBackend: (b) => {
      keyed = b;
    },
  };
}
