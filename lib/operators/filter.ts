import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { FilterFn } from '../core/functions/filter-function.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';

/** Keeps the records a FilterFunction accepts (Flink's StreamFilter). */
export class StreamFilter<T> extends AbstractUdfStreamOperator<T, FilterFn<T>> {
  private readonly fn: (value: T) => boolean;
  constructor(userFunction: FilterFn<T>) {
    super(userFunction);
    this.fn = toCallable(this.userFunction, 'filter', 'filter()');
  }
  processElement(value: unknown, timestamp: number): void {
    const keep = this.fn(value as T);
    if (keep && isThenable(keep)) throw new AsyncFunctionResultError('filter()'); // a Promise would pass every record
    if (keep) this.output.collect(value as T, timestamp);
  }
}
