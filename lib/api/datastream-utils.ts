/**
 * Flink's DataStreamUtils (the experimental part): reinterpretAsKeyedStream.
 */
import type { KeySelectorFn } from '../core/functions/key-selector.ts';
import type { DataStream, KeyedStream } from './datastream.ts';

export class DataStreamUtils {
  private constructor() {}

  /**
   * `stream` as a KeyedStream by `keySelector` WITHOUT a keyBy exchange: forward and chained, with keyed state
   * and timers per key — e.g. a Kafka topic already partitioned by the key (the fastest Kafka-to-Kafka path).
   *
   * As in Flink, this is your promise that each record already sits in the subtask keyBy would send it to
   * (same key selector, same parallelism and max parallelism), typically because an upstream keyBy partitioned it
   * and only chained, key-preserving operators (map, filter) came since. Flink keeps a broken promise silently
   * (state under the wrong subtask, lost on a restore); here the first record whose key group belongs to another
   * subtask fails the job, naming the key and both subtasks. That costs one key-group hash per record, as a
   * keyBy's partitioner does.
   * ```ts
   * const sums = DataStreamUtils.reinterpretAsKeyedStream(partitioned, (e) => e.user).sum('amount');
   * ```
   */
  static reinterpretAsKeyedStream<T, K>(stream: DataStream<T>, keySelector: KeySelectorFn<T, K>): KeyedStream<T, K> {
    return stream.reinterpretAsKeyed(keySelector);
  }
}
