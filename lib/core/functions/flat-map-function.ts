import type { Collector } from './collector.ts';
import { AbstractRichFunction } from './rich-function.ts';

/** One record in, zero or more out (Flink's FlatMapFunction). */
export interface FlatMapFunction<IN, OUT> {
  /** Emit through `out`, or return an iterable of results (or both). */
  flatMap(value: IN, out: Collector<OUT>): Iterable<OUT> | void;
}

export abstract class RichFlatMapFunction<IN, OUT> extends AbstractRichFunction implements FlatMapFunction<IN, OUT> {
  abstract flatMap(value: IN, out: Collector<OUT>): Iterable<OUT> | void;
}

/** What the API accepts for a flatMap: a plain function or a FlatMapFunction object. */
export type FlatMapFn<IN, OUT> = ((value: IN, out: Collector<OUT>) => Iterable<OUT> | void) | FlatMapFunction<IN, OUT>;
