/**
 * Accumulators (Flink's names): each subtask adds to its own; the job result holds their merge.
 * ```ts
 * const lines = new IntCounter();
 * this.getRuntimeContext().addAccumulator('lines', lines);   // in open()
 * lines.add(1);                                                // per record
 * (await env.execute()).getAccumulatorResult('lines');
 * ```
 */
export interface Accumulator<V, R> {
  add(value: V): void;
  getLocalValue(): R;
  resetLocal(): void;
  merge(other: Accumulator<V, R>): void;
  /** A name for rebuilding the accumulator in another thread (built-ins only). */
  readonly kind: string;
}

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

/** Rebuilds a built-in accumulator from its kind and local value (for results from worker threads). */
export function accumulatorFromValue(kind: string, value: unknown): Accumulator<unknown, unknown> {
  let acc: Accumulator<unknown, unknown>;
  switch (kind) {
    case 'IntCounter':
      acc = new IntCounter() as Accumulator<unknown, unknown>;
      break;
    case 'LongCounter':
      acc = new LongCounter() as Accumulator<unknown, unknown>;
      break;
    case 'DoubleCounter':
      acc = new DoubleCounter() as Accumulator<unknown, unknown>;
      break;
    case 'ListAccumulator':
      acc = new ListAccumulator<unknown>() as Accumulator<unknown, unknown>;
      break;
    default:
      throw new Error(`Accumulator kind '${kind}' cannot cross threads; use IntCounter, LongCounter, DoubleCounter or ListAccumulator`);
  }
  acc.merge({ kind, getLocalValue: () => value } as Accumulator<unknown, unknown>);
  return acc;
}
