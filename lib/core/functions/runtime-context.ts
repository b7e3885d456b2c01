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

/** What a rich function can learn about where it runs (Flink's RuntimeContext). */
export interface RuntimeContext {
  getTaskInfo(): TaskInfo;
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

