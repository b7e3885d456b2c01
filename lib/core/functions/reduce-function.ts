import { AbstractRichFunction } from './rich-function.ts';

/** Combines two values into one of the same type (Flink's ReduceFunction). */
export interface ReduceFunction<T> {
  reduce(value1: T, value2: T): T;
}

export abstract class RichReduceFunction<T> extends AbstractRichFunction implements ReduceFunction<T> {
  abstract reduce(value1: T, value2: T): T;
}

/** What the API accepts for a reduce: a plain function or a ReduceFunction object. */
export type ReduceFn<T> = ((value1: T, value2: T) => T) | ReduceFunction<T>;
