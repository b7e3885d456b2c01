/**
 * Async I/O on a stream (Flink's AsyncDataStream).
 * ```ts
 * const enriched = AsyncDataStream.orderedWait(orders, async (o) => ({ ...o, customer: await lookup(o.customerId) }), '2 s', 100);
 * ```
 */
import type { DataStream, SingleOutputStreamOperator } from './datastream.ts';
import { AsyncWaitOperator, type AsyncFn } from '../operators/async-wait.ts';
import { toMillis, type DurationLike } from '../core/duration.ts';

export const AsyncDataStream = {
  /** Results leave in input order. */
  orderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncFn<IN, OUT>, timeout: DurationLike, capacity = 100): SingleOutputStreamOperator<OUT> {
    const ms = toMillis(timeout, 'async timeout');
    return stream.transformWith<OUT>('Async Wait (ordered)', () => new AsyncWaitOperator<IN, OUT>(fn, 'ORDERED', ms, capacity) as never, true);
  },
  /** Results leave as they complete, but never across a watermark. */
  unorderedWait<IN, OUT>(stream: DataStream<IN>, fn: AsyncFn<IN, OUT>, timeout: DurationLike, capacity = 100): SingleOutputStreamOperator<OUT> {
    const ms = toMillis(timeout, 'async timeout');
    return stream.transformWith<OUT>('Async Wait (unordered)', () => new AsyncWaitOperator<IN, OUT>(fn, 'UNORDERED', ms, capacity) as never, true);
  },
};
