import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { toCallable, type FilterFn } from '../api/functions.ts';

/** Keeps the records a FilterFunction accepts (Flink's StreamFilter). */
export class StreamFilter<T> extends AbstractUdfStreamOperator<T, FilterFn<T>> {
  private readonly fn: (value: T) => boolean;
  constructor(userFunction: FilterFn<T>) {
    super(userFunction);
    this.fn = toCallable(this.userFunction, 'filter', 'filter()');
  }
  processElement(value: unknown, timestamp: number): void {
    let keep: boolean;
    try {
      keep = this.fn(value as T);
    } catch (e) {
      throw this.userError(e);
    }
    if (keep) this.output.collect(value as T, timestamp);
  }
}
