import { AbstractRichFunction } from './rich-function.ts';

/** Keeps the records for which it returns true (Flink's FilterFunction). */
export interface FilterFunction<T> {
  filter(value: T): boolean;
}

export abstract class RichFilterFunction<T> extends AbstractRichFunction implements FilterFunction<T> {
  abstract filter(value: T): boolean;
}

/** What the API accepts for a filter: a plain function or a FilterFunction object. */
export type FilterFn<T> = ((value: T) => boolean) | FilterFunction<T>;
