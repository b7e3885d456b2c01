/**
 * Incremental aggregation with an accumulator (Flink's AggregateFunction).
 * ```ts
 * const average: AggregateFunction<number, [number, number], number> = {
 *   createAccumulator: () => [0, 0],
 *   add: (v, [sum, n]) => [sum + v, n + 1],
 *   getResult: ([sum, n]) => sum / n,
 *   merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
 * };
 * ```
 * `merge(a, b)` combines two accumulators (session windows merging; sliding and cumulative windows,
 * which keep an accumulator per slice and merge a window's slices into a new accumulator when it
 * fires). It may change and return `a`, but must leave `b` as it is: with slices, `b` is a slice's
 * accumulator that the slice's other windows merge again (a merge returning `b` fails the job).
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

