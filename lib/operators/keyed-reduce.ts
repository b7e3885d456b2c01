import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { ReduceFn } from '../core/functions/reduce-function.ts';
import type { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts';
import { ValueStateDescriptor } from '../core/state/state-descriptor.ts';
import type { ValueState } from '../core/state/state.ts';
import { compareKeys } from '../state/keys.ts';
import { AsyncFunctionResultError, InvalidFunctionResultError, isAsyncFunction } from '../core/errors.ts';

const STATE_NAME = '_op_state';
const TIMESTAMP_STATE_NAME = '_op_last_timestamp';

/**
 * Rolling reduce on a keyed stream (Flink's StreamGroupedReduceOperator). In STREAMING mode every
 * record emits the key's new value; in BATCH mode only the final value per key is emitted at the
 * end of input, in key order, as Flink's batch execution does.
 */
export class StreamGroupedReduceOperator<T> extends AbstractUdfStreamOperator<T, ReduceFn<T>> {
  private readonly reducer: (a: T, b: T) => T;
  private backend!: HeapKeyedStateBackend;
  private state!: ValueState<T>;
  private batchMode = false;
  /** BATCH mode: the timestamp of each key's last record, for the final output. */
  private lastTimestamp!: ValueState<number>;

  constructor(userFunction: ReduceFn<T>) {
    super(userFunction);
    this.reducer = toCallable(this.userFunction, 'reduce', 'reduce()');
    // As map(): an async reduce would keep a Promise as the key's value. Checked here, not per record.
    if (isAsyncFunction(this.reducer)) throw new AsyncFunctionResultError('reduce()');
  }

  /** The chain (setKeyContextElement) has set the current key before each record. */
  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('reduce() needs a keyed stream: call keyBy() first');
    super.open();
    this.backend = this.keyedBackend;
    this.state = this.backend.getValueState(new ValueStateDescriptor<T>(STATE_NAME));
    this.lastTimestamp = this.backend.getValueState(new ValueStateDescriptor<number>(TIMESTAMP_STATE_NAME));
    this.batchMode = this.parameters.runtimeMode === 'BATCH';
  }

  processElement(value: unknown, timestamp: number): void {
    const backend = this.backend;
    const current = this.state.value();
    const next = current === undefined ? (value as T) : this.reducer(current, value as T);
    // undefined would clear the key's state: the next record would silently start over.
    if (next === undefined) throw new InvalidFunctionResultError('reduce()', backend.currentKey, next);
    this.state.update(next);
    if (this.batchMode) {
      this.lastTimestamp.update(timestamp);
    } else {
      this.output.collect(next, timestamp);
    }
  }

  override endInput(): void {
    if (!this.batchMode) return;
    const keys = this.backend.getKeys(STATE_NAME).sort(compareKeys);
    for (const key of keys) {
      this.backend.setCurrentKey(key);
      const ts = this.lastTimestamp.value();
      this.output.collect(this.state.value() as T, ts === undefined ? Number.NEGATIVE_INFINITY : ts);
    }
  }
}
