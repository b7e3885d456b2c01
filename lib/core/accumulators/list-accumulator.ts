/** Collects every added value (Flink's ListAccumulator). */
import type { Accumulator } from './accumulator.ts';

export class ListAccumulator<T> implements Accumulator<T, T[]> {
  readonly kind = 'ListAccumulator';
  private list: T[] = [];
  add(value: T): void {
    this.list.push(value);
  }
  getLocalValue(): T[] {
    return this.list;
  }
  resetLocal(): void {
    this.list = [];
  }
  merge(other: Accumulator<T, T[]>): void {
    for (const v of other.getLocalValue()) this.list.push(v);
  }
}
