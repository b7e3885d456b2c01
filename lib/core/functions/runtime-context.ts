/** What a rich function can learn about where it runs (Flink's RuntimeContext and TaskInfo). */
import type { Accumulator } from '../accumulators/accumulator.ts';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../state/state-descriptor.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../state/state.ts';

export interface TaskInfo {
  /** Name of the task (the chain of operators) this function runs in. */
  readonly taskName: string;
  /** 0-based index of this parallel subtask. */
  readonly indexOfThisSubtask: number;
  readonly numberOfParallelSubtasks: number;
  readonly maxNumberOfParallelSubtasks: number;
  /** Attempt number of this task (0 on the first run; grows with restarts). */
  readonly attemptNumber: number;
}

/** TaskInfo as `getRuntimeContext().getTaskInfo()` gives it: the fields, and Flink's TaskInfo getters for them. */
export interface RuntimeTaskInfo extends TaskInfo {
  getTaskName(): string;
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
  getMaxNumberOfParallelSubtasks(): number;
  getAttemptNumber(): number;
  /** `<task name> (<index + 1>/<parallelism>)#<attempt>`, as Flink's. */
  getTaskNameWithSubtasks(): string;
}

/** `info` with Flink's getters (made once per runtime context, not per call). */
export function runtimeTaskInfo(info: TaskInfo): RuntimeTaskInfo {
  return Object.freeze({
    taskName: info.taskName,
    indexOfThisSubtask: info.indexOfThisSubtask,
    numberOfParallelSubtasks: info.numberOfParallelSubtasks,
    maxNumberOfParallelSubtasks: info.maxNumberOfParallelSubtasks,
    attemptNumber: info.attemptNumber,
    getTaskName: () => info.taskName,
    getIndexOfThisSubtask: () => info.indexOfThisSubtask,
    getNumberOfParallelSubtasks: () => info.numberOfParallelSubtasks,
    getMaxNumberOfParallelSubtasks: () => info.maxNumberOfParallelSubtasks,
    getAttemptNumber: () => info.attemptNumber,
    getTaskNameWithSubtasks: () => `${info.taskName} (${info.indexOfThisSubtask + 1}/${info.numberOfParallelSubtasks})#${info.attemptNumber}`,
  });
}

/** What a rich function can learn about where it runs (Flink's RuntimeContext). */
export interface RuntimeContext {
  getTaskInfo(): RuntimeTaskInfo;
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
  getMaxNumberOfParallelSubtasks(): number;
  /** The name of the operator this function belongs to. */
  getOperatorName(): string;
  /** Registers an accumulator; its merged value over all subtasks is in the JobExecutionResult. */
  addAccumulator<V, R>(name: string, accumulator: Accumulator<V, R>): void;
  getAccumulator<V, R>(name: string): Accumulator<V, R> | undefined;
  /** Keyed state, scoped to the current key; only on a keyed stream (after keyBy). */
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

