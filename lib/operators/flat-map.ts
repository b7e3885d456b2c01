import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { toCallable, type Collector, type FlatMapFn } from '../api/functions.ts';

/**
 * Applies a FlatMapFunction (Flink's StreamFlatMap). The operator is itself the Collector handed to
 * the function, so no collector object is allocated per record; a returned iterable is emitted too.
 */
export class StreamFlatMap<IN, OUT> extends AbstractUdfStreamOperator<OUT, FlatMapFn<IN, OUT>> implements Collector<OUT> {
  private readonly fn: (value: IN, out: Collector<OUT>) => Iterable<OUT> | void;
  private timestamp = 0;
  constructor(userFunction: FlatMapFn<IN, OUT>) {
    super(userFunction);
    this.fn = toCallable(this.userFunction, 'flatMap', 'flatMap()');
  }
  collect(record: OUT): void {
    this.output.collect(record, this.timestamp);
  }
  processElement(value: unknown, timestamp: number): void {
    this.timestamp = timestamp;
    const result = this.fn(value as IN, this);
    if (result === undefined || result === null) return;
    if (Array.isArray(result)) {
      for (let i = 0; i < result.length; i++) this.output.collect(result[i] as OUT, timestamp);
    } else {
      for (const r of result) this.output.collect(r, timestamp);
    }
  }
}
