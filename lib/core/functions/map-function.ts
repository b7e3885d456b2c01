import { AbstractRichFunction } from './rich-function.ts';

/** One record in, one record out (Flink's MapFunction). */
export interface MapFunction<IN, OUT> {
  map(value: IN): OUT;
}

export abstract class RichMapFunction<IN, OUT> extends AbstractRichFunction implements MapFunction<IN, OUT> {
  abstract map(value: IN): OUT;
}

/** What the API accepts for a map: a plain function or a MapFunction object. */
export type MapFn<IN, OUT> = ((value: IN) => OUT) | MapFunction<IN, OUT>;
