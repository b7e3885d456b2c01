import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { FlatMapFn } from '../core/functions/flat-map-function.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';

/**
 * Applies a FlatMapFunction (Flink's StreamFlatMap). One Collector per operator, handed to the
 * function for every record (nothing allocated per record); a returned iterable is emitted too.
 */
export class StreamFlatMap<IN, OUT> extends AbstractUdfStreamOperator<OUT, FlatMapFn<IN, OUT>> {
  private readonly fn: (value: IN, out: Collector<OUT>) => Iterable<OUT> | void;
  private timestamp = 0;
  private readonly collector: Collector<OUT> = { collect: (record: OUT) => this.output.collect(record, this.timestamp) };
  constructor(userFunction: FlatMapFn<IN, OUT>) {
    super(userFunction);
    this.fn = toCallable(this.userFunction, 'flatMap', 'flatMap()');
  }
  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    const result = this.fn(value as IN, this.collector);
    if (isThenable(result)) throw new AsyncFunctionResultError('flatMap()');
    if (result === undefined || result === null) return;
    if (Array.isArray(result)) {
      for (let i = 0; i < result.length; i++) this.output.collect(result[i] as OUT, timestamp);
    } else {
      for (const r of result) this.output.collect(r, timestamp); // a generator's body is user code too: the chain names this operator
    }
  }
}
