import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { MapFn } from '../core/functions/map-function.ts';
import { AsyncFunctionResultError, isAsyncFunction } from '../core/errors.ts';

/** Applies a MapFunction to each record (Flink's StreamMap). */
export class StreamMap<IN, OUT> extends AbstractUdfStreamOperator<OUT, MapFn<IN, OUT>> {
  private readonly fn: (value: IN) => OUT;
  constructor(userFunction: MapFn<IN, OUT>) {
    super(userFunction);
    this.fn = toCallable(this.userFunction, 'map', 'map()');
    // An async map would send Promises on as records. Checked once here (a bound async method is still
    // an AsyncFunction), so the record path stays as it was.
    if (isAsyncFunction(this.fn)) throw new AsyncFunctionResultError('map()');
  }
  processElement(value: unknown, timestamp: number): void {
    // What fn throws the chain attributes to this operator (ChainingOutput / the task's input loop).
    this.output.collect(this.fn(value as IN), timestamp);
  }
}
