/** Number accumulators (Flink's IntCounter, LongCounter, DoubleCounter). */
import type { Accumulator } from './accumulator.ts';

abstract class NumberCounter implements Accumulator<number, number> {
  abstract readonly kind: string;
  protected value = 0;
  constructor(initial = 0) {
    this.value = initial;
  }
  add(value: number): void {
    this.value += value;
  }
  getLocalValue(): number {
    return this.value;
  }
  resetLocal(): void {
    this.value = 0;
  }
  merge(other: Accumulator<number, number>): void {
    this.value += other.getLocalValue();
  }
}

export class IntCounter extends NumberCounter {
  readonly kind = 'IntCounter';
  override add(value: number): void {
    this.value = (this.value + value) | 0;
  }
}
export class LongCounter extends NumberCounter {
  readonly kind = 'LongCounter';
}
export class DoubleCounter extends NumberCounter {
  readonly kind = 'DoubleCounter';
}
