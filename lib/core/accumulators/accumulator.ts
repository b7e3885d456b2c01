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
