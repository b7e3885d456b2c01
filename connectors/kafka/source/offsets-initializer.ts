import { IllegalArgumentException } from '../../../lib/core/errors.ts';
import {
  KafkaClientError,
  OffsetSpec,
  topicPartitionKey,
  type IsolationLevel,
  type KafkaAdmin,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../client.ts';

/** Where a partition without a committed (or given) offset starts (Flink's OffsetResetStrategy). */
export type OffsetResetStrategy = 'EARLIEST' | 'LATEST' | 'NONE';

/** What an initializer needs to find offsets. */
export interface OffsetsInitializerContext {
  readonly admin: KafkaAdmin;
  readonly groupId: string | undefined;
  readonly isolationLevel: IsolationLevel;
}

/**
 * Decides the starting (or, for a bounded source, stopping) offset of each partition (Flink's
 * OffsetsInitializer). Plain data, so a source that holds one crosses to worker threads by being rebuilt.
 */
export class OffsetsInitializer {
  private constructor(
    readonly kind: 'earliest' | 'latest' | 'committed' | 'timestamp' | 'offsets',
    private readonly resetStrategy: OffsetResetStrategy,
    private readonly timestampMs?: number,
    private readonly specified?: ReadonlyMap<string, number>,
  ) {}

  /** Each partition's first offset. */
  static earliest(): OffsetsInitializer {
    return new OffsetsInitializer('earliest', 'EARLIEST');
  }

  /**
   * Each partition's end when the source starts: as a starting point, only records written later are read;
   * as the stop of a bounded source, the records there at start are read and no more. Under read_committed
   * the end is the last stable offset (open transactions are not waited for).
   */
  static latest(): OffsetsInitializer {
    return new OffsetsInitializer('latest', 'LATEST');
  }

  /**
   * The group's committed offsets (the source's groupId); a partition without one starts per `fallback`
   * (Flink's committedOffsets(OffsetResetStrategy); default NONE: the job fails naming the partition).
   */
  static committedOffsets(fallback: OffsetResetStrategy = 'NONE'): OffsetsInitializer {
    return new OffsetsInitializer('committed', fallback);
  }

  /** The first record whose timestamp is >= `timestampMs` (the partition's end when there is none). */
  static timestamp(timestampMs: number): OffsetsInitializer {
    if (!Number.isFinite(timestampMs)) throw new IllegalArgumentException(`OffsetsInitializer.timestamp needs epoch milliseconds, got ${timestampMs}`);
    return new OffsetsInitializer('timestamp', 'LATEST', timestampMs);
  }

  /** Given offsets per partition; partitions not given start per `fallback` (default EARLIEST, as Flink). */
  static offsets(offsets: readonly TopicPartitionOffset[], fallback: OffsetResetStrategy = 'EARLIEST'): OffsetsInitializer {
    const map = new Map<string, number>();
    for (const o of offsets) {
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw new IllegalArgumentException(`offset ${o.offset} of ${topicPartitionKey(o)} is not an offset`);
      map.set(topicPartitionKey(o), o.offset);
    }
    return new OffsetsInitializer('offsets', fallback, undefined, map);
  }

  /**
   * Where a partition goes when its position is out of range (its records were deleted by retention, or a
   * checkpointed offset is past the end): the consumer's auto.offset.reset, as Flink's KafkaSource sets it
   * from the starting OffsetsInitializer. earliest() and offsets(): EARLIEST (offsets' fallback if given);
   * latest() and timestamp(): LATEST; committedOffsets(fallback): the fallback (NONE fails the job).
   */
  getAutoOffsetResetStrategy(): OffsetResetStrategy {
    return this.resetStrategy;
  }

  /** The offset of every partition, in the order given. */
  async getPartitionOffsets(partitions: readonly TopicPartition[], context: OffsetsInitializerContext): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return [];
    const { admin, isolationLevel } = context;
    switch (this.kind) {
      case 'earliest':
        return admin.listOffsets(partitions, OffsetSpec.earliest(), isolationLevel);
      case 'latest':
        return admin.listOffsets(partitions, OffsetSpec.latest(), isolationLevel);
      case 'timestamp': {
        const found = await admin.listOffsets(partitions, OffsetSpec.forTimestamp(this.timestampMs!), isolationLevel);
        const missing = found.filter((o) => o.offset < 0);
        if (missing.length === 0) return found;
        const ends = new Map((await admin.listOffsets(missing, OffsetSpec.latest(), isolationLevel)).map((o) => [topicPartitionKey(o), o.offset]));
        return found.map((o) => (o.offset < 0 ? { ...o, offset: ends.get(topicPartitionKey(o))! } : o));
      }
      case 'committed': {
        if (context.groupId === undefined) throw new IllegalArgumentException('OffsetsInitializer.committedOffsets needs the source to have a group id (setGroupId)');
        const committed = await admin.listConsumerGroupOffsets(context.groupId, partitions);
        return this.withFallback(partitions, new Map(committed.map((o) => [topicPartitionKey(o), o.offset])), context, `no committed offset in group ${context.groupId}`);
      }
      case 'offsets':
        return this.withFallback(partitions, this.specified!, context, 'no offset given');
    }
  }

  private async withFallback(
    partitions: readonly TopicPartition[],
    known: ReadonlyMap<string, number>,
    context: OffsetsInitializerContext,
    why: string,
  ): Promise<TopicPartitionOffset[]> {
    const missing = partitions.filter((tp) => !known.has(topicPartitionKey(tp)));
    let fallback = new Map<string, number>();
    if (missing.length > 0) {
      if (this.resetStrategy === 'NONE') {
        throw new KafkaClientError(`${why} for ${missing.map(topicPartitionKey).join(', ')} and the offset reset strategy is NONE`);
      }
      const spec = this.resetStrategy === 'EARLIEST' ? OffsetSpec.earliest() : OffsetSpec.latest();
      fallback = new Map((await context.admin.listOffsets(missing, spec, context.isolationLevel)).map((o) => [topicPartitionKey(o), o.offset]));
    }
    return partitions.map((tp) => {
      const key = topicPartitionKey(tp);
      return { topic: tp.topic, partition: tp.partition, offset: known.get(key) ?? fallback.get(key)! };
    });
  }

  toString(): string {
    return this.kind === 'timestamp' ? `timestamp(${this.timestampMs})` : this.kind === 'committed' ? `committedOffsets(${this.resetStrategy})` : `${this.kind}()`;
  }
}
