/**
 * The small Kafka client interface the Kafka connectors use: an admin, a consumer of assigned partitions
 * (Java's `KafkaConsumer#assign`, no group membership: Flink's KafkaSource assigns splits itself) and a
 * transactional producer whose open transaction can be named by producer id + epoch and resumed by another
 * process (Flink's FlinkKafkaInternalProducer). One implementation ships (kafkajs, ./kafkajs/); a second client
 * can be swapped in by implementing KafkaClient and passing it where a connector takes `client`.
 *
 * Offsets, producer ids and timestamps are JavaScript numbers: exact up to 2^53, far beyond what a partition
 * or a cluster's producer-id counter reaches.
 */
import { registerErrorClass, TidemarkError, type TidemarkErrorOptions } from '../../lib/core/errors.ts';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

/** `read_committed` (the default everywhere here) hides aborted and still-open transactions. */
export type IsolationLevel = 'read_committed' | 'read_uncommitted';

/** Header values as they come off the wire; a header repeated under one key arrives as an array. */
export type KafkaHeaders = Readonly<Record<string, Buffer | readonly Buffer[]>>;

/** A record read from Kafka (Java's ConsumerRecord). */
export interface ConsumerRecord extends TopicPartitionOffset {
  /** Milliseconds since the epoch (the producer's CreateTime, or the broker's LogAppendTime). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: KafkaHeaders;
}

/** A record to write (Java's ProducerRecord). Without `partition` the key's murmur2 hash picks it, as in Java. */
export interface ProducerRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string>>;
  /** Milliseconds since the epoch; the broker's time when absent. */
  readonly timestamp?: number;
}

export interface NewTopic {
  readonly topic: string;
  readonly numPartitions: number;
  /** Topic configs, e.g. `{ 'retention.ms': '-1' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** Which offset Admin.listOffsets finds (Java's OffsetSpec). */
export type OffsetSpec =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  /** The first offset whose timestamp is >= `timestamp`; -1 when the partition has none. */
  | { readonly kind: 'timestamp'; readonly timestamp: number };

export const OffsetSpec = {
  earliest: (): OffsetSpec => ({ kind: 'earliest' }),
  latest: (): OffsetSpec => ({ kind: 'latest' }),
  forTimestamp: (timestamp: number): OffsetSpec => ({ kind: 'timestamp', timestamp }),
} as const;

/** The admin operations the connectors and their tests need (a subset of Java's Admin). */
export interface KafkaAdmin {
  /** Creates the topics and waits for their leaders; resolves false when one already existed. */
  createTopics(topics: readonly NewTopic[]): Promise<boolean>;
  /** Grows `topic` to `totalCount` partitions. */
  createPartitions(topic: string, totalCount: number): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Every partition of the topics, sorted by topic and partition. Unknown topics fail. */
  describeTopicPartitions(topics: readonly string[]): Promise<TopicPartition[]>;
  /**
   * One offset per partition (Java's Admin#listOffsets): earliest, latest (under `read_committed` the last
   * stable offset, so a bounded read stops before open transactions, as Java's endOffsets does) or the first
   * at or after a timestamp (-1 when none).
   */
  listOffsets(partitions: readonly TopicPartition[], spec: OffsetSpec, isolationLevel?: IsolationLevel): Promise<TopicPartitionOffset[]>;
  /** The group's committed offsets (the next offset to read); partitions without one are left out. */
  listConsumerGroupOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  /** The group offsets are committed to (needed for commitOffsets only: there is no group membership). */
  readonly groupId?: string;
  /** Default `read_committed`. */
  readonly isolationLevel?: IsolationLevel;
  /** Where a partition without a position, or whose position is out of range, starts. Default `earliest`. */
  readonly autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** The longest a fetch waits on the broker for data (default 500 ms). */
  readonly maxWaitMs?: number;
  /** The most bytes one fetch returns per partition (default 1 MiB). */
  readonly maxBytesPerPartition?: number;
}

/**
 * A consumer of explicitly assigned partitions (Java's KafkaConsumer with assign(), never subscribe()).
 * Not safe for concurrent poll calls: one poll at a time, as Java's consumer.
 */
export interface KafkaPartitionConsumer {
  /** Replaces the assignment; partitions kept keep their positions. */
  assign(partitions: readonly TopicPartition[]): void;
  assignment(): TopicPartition[];
  /** The next offset poll reads from `partition`. */
  seek(partition: TopicPartition, offset: number): void;
  /** The next offset poll reads, or undefined before the first seek/reset. */
  position(partition: TopicPartition): number | undefined;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  paused(): TopicPartition[];
  /**
   * The next records of the assigned, unpaused partitions, in offset order per partition; waits up to
   * `timeoutMs` when there are none (resolves empty then). Positions advance past what is returned, and past
   * transaction markers and aborted records.
   */
  poll(timeoutMs: number): Promise<ConsumerRecord[]>;
  /** Commits `offsets` (each the next offset to read) to the group, without joining it. */
  commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  close(): Promise<void>;
}

export interface ProducerOptions {
  /**
   * Idempotent writes: the producer's own retries (after a leader change, say, a request is retried whole)
   * write nothing twice. Default true, as Java's enable.idempotence since Kafka 3.0.
   */
  readonly idempotent?: boolean;
}

/** A plain producer (at-most/at-least-once writes). */
export interface KafkaProducer {
  /** Writes the records and resolves once the broker acknowledged all of them (acks=all). */
  send(records: readonly ProducerRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface TransactionalProducerOptions {
  /** The broker aborts a transaction open longer than this (transaction.timeout.ms; default 60 s). */
  readonly transactionTimeoutMs?: number;
}

/** Producer id and epoch: what names a transaction to the broker (Java's ProducerIdAndEpoch). */
export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly epoch: number;
}

/**
 * A transactional producer (Java's KafkaProducer with a transactional.id) that can also finish a transaction
 * another process began: `resumeTransaction(producerIdAndEpoch)` then `commitTransaction()` commits it, as
 * Flink's FlinkKafkaInternalProducer#resumeTransaction does for committables restored from a checkpoint.
 */
export interface KafkaTransactionalProducer {
  readonly transactionalId: string;
  /**
   * Gets a producer id for the transactional id, bumping its epoch: earlier producers of the same id are
   * fenced and a transaction they left open is aborted.
   */
  initTransactions(): Promise<void>;
  beginTransaction(): void;
  /** Writes the records inside the open transaction; resolves once the broker acknowledged them. */
  send(records: readonly ProducerRecord[]): Promise<void>;
  /** Commits consumer offsets (each the next offset to read) as part of the open transaction. */
  sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], groupId: string): Promise<void>;
  commitTransaction(): Promise<void>;
  abortTransaction(): Promise<void>;
  /** Whether a transaction is open (begun or resumed, not yet committed or aborted). */
  inTransaction(): boolean;
  /** The producer id and epoch the open transaction is written under (after initTransactions or a resume). */
  producerIdAndEpoch(): ProducerIdAndEpoch;
  /**
   * Takes over the transaction `producerIdAndEpoch` of this transactional id (prepared by another process,
   * which may be dead): the next commitTransaction/abortTransaction ends it. No InitProducerId is sent, so the
   * transaction is not aborted by fencing. Fails on commit if a newer producer of the id fenced that epoch.
   */
  resumeTransaction(producerIdAndEpoch: ProducerIdAndEpoch): void;
  /**
   * Reuses this producer (its connections) for another transactional id (Flink's
   * FlinkKafkaInternalProducer.setTransactionalId, with which its KafkaSink recycles pooled producers): the
   * producer forgets its transaction — which stays as it is on the broker, e.g. prepared for a committer —
   * and its producer id; call initTransactions or resumeTransaction next. Optional: without it, a connector
   * opens a new producer per transactional id.
   */
  setTransactionalId?(transactionalId: string): void;
  close(): Promise<void>;
}

/** Creates the clients; the connectors only ever go through this. */
export interface KafkaClient {
  /** The admin, connected. */
  admin(): Promise<KafkaAdmin>;
  /** A consumer, connected. */
  consumer(options?: ConsumerOptions): Promise<KafkaPartitionConsumer>;
  /** A producer, connected. */
  producer(options?: ProducerOptions): Promise<KafkaProducer>;
  /** A transactional producer, connected; call initTransactions or resumeTransaction next. */
  transactionalProducer(transactionalId: string, options?: TransactionalProducerOptions): Promise<KafkaTransactionalProducer>;
}

export interface KafkaClientConfig {
  /** `host:port[,host:port...]`, Java's bootstrap.servers. */
  readonly bootstrapServers: string | readonly string[];
  readonly clientId?: string;
}

/**
 * A Kafka request failed. `retriable` says whether the broker called it transient (a new leader, a
 * coordinator loading); `kafkaErrorType` is the protocol error's name (e.g. `PRODUCER_FENCED`) when known.
 */
export class KafkaClientError extends TidemarkError {
  override name = 'KafkaClientError';
  readonly kafkaErrorType: string | undefined;

  constructor(message: string, options: TidemarkErrorOptions & { readonly kafkaErrorType?: string } = {}) {
    super(message, options);
    this.kafkaErrorType = options.kafkaErrorType;
  }
}
registerErrorClass(KafkaClientError);

/** `"a:1, b:2"` or a list → the list. */
export function bootstrapList(servers: string | readonly string[]): string[] {
  const list = typeof servers === 'string' ? servers.split(',') : [...servers];
  const out = list.map((s) => s.trim()).filter((s) => s.length > 0);
  if (out.length === 0) throw new KafkaClientError('bootstrap servers are empty');
  return out;
}

/** `topic-partition`, Java's TopicPartition#toString: a map key. */
export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}
