/**
 * The parts of kafkajs 2.2.4 below its public API that this adapter uses, typed as far as we use them.
 * kafkajs's public consumer only joins groups (no assign()) and its transactional producer hides the
 * producer id and epoch and cannot resume a transaction; its Cluster (metadata, leaders, coordinators), its
 * Broker requests (Fetch, ListOffsets, InitProducerId, EndTxn, ...) and its message producer (partitioning,
 * record batches, sequence numbers, retries) can do both. kafkajs has no "exports" map, so these modules load
 * by path; the package is pinned (package.json), and the contract tests run against each adapter.
 */
import { createRequire } from 'node:module';
import { Kafka, Partitioners, type KafkaConfig, type Message } from 'kafkajs';

const require = createRequire(import.meta.url);

/** Protocol errors carry the broker's error name in `type`; kafkajs's own errors a `name` and `retriable`. */
export interface KafkajsError extends Error {
  readonly type?: string;
  readonly retriable?: boolean;
  readonly topic?: string;
  readonly partition?: number;
}

export interface FetchedRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[]>;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

export interface FetchPartitionResponse {
  readonly partition: number;
  readonly highWatermark: string;
  readonly lastStableOffset?: string;
  readonly abortedTransactions?: ReadonlyArray<{ readonly producerId: string; readonly firstOffset: string }>;
  readonly messages: readonly FetchedRecord[];
}

export interface Broker {
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<{ responses: Array<{ topicName: string; partitions: FetchPartitionResponse[] }> }>;
  listOffsets(request: {
    isolationLevel: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; timestamp: number }> }>;
  }): Promise<{ responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<unknown>;
  offsetFetch(request: {
    groupId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number }> }>;
  }): Promise<{ responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }>;
  initProducerId(request: { transactionalId?: string; transactionTimeout: number }): Promise<{ producerId: string; producerEpoch: number }>;
  addPartitionsToTxn(request: {
    transactionalId: string;
    producerId: string;
    producerEpoch: number;
    topics: Array<{ topic: string; partitions: number[] }>;
  }): Promise<unknown>;
  addOffsetsToTxn(request: { transactionalId: string; producerId: string; producerEpoch: number; groupId: string }): Promise<unknown>;
  txnOffsetCommit(request: {
    transactionalId: string;
    groupId: string;
    producerId: string;
    producerEpoch: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<unknown>;
  endTxn(request: { transactionalId: string; producerId: string; producerEpoch: number; transactionResult: boolean }): Promise<unknown>;
}

/** kafkajs's protocol/coordinatorTypes. */
export const COORDINATOR_GROUP = 0;
export const COORDINATOR_TRANSACTION = 1;
/** kafkajs's protocol/isolationLevel. */
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  addMultipleTargetTopics(topics: readonly string[]): Promise<void>;
  /** The topics whose metadata refreshMetadata() asks for: every topic the cluster object was ever asked about. */
  targetTopics?: Set<string>;
  findTopicPartitionMetadata(topic: string): ReadonlyArray<{ readonly partitionId: number; readonly leader: number }>;
  findLeaderForPartitions(topic: string, partitions: readonly number[]): Record<string, number[]>;
  findBroker(node: { nodeId: string | number }): Promise<Broker>;
  findGroupCoordinator(request: { groupId: string; coordinatorType: number }): Promise<Broker>;
  findControllerBroker(): Promise<Broker>;
  /** A Metadata request; no topics: every topic of the cluster. */
  metadata(request?: { topics?: readonly string[] }): Promise<{ topicMetadata: ReadonlyArray<{ readonly topic: string }> }>;
}

/** The contract kafkajs's sendMessages asks of an "eosManager" (producer/eosManager), as far as it calls it. */
export interface EosManager {
  getProducerId(): string | number;
  getProducerEpoch(): number;
  getTransactionalId(): string;
  isTransactional(): boolean;
  isInitialized(): boolean;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  addPartitionsToTransaction(topicData: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number }> }>): Promise<void>;
  acquireBrokerLock(broker: unknown): Promise<void>;
  releaseBrokerLock(broker: unknown): void;
}

export interface TopicMessages {
  readonly topic: string;
  readonly messages: Message[];
}

export interface MessageProducer {
  sendBatch(request: { acks: number; topicMessages: TopicMessages[] }): Promise<unknown>;
}

type CreateMessageProducer = (options: {
  logger: unknown;
  cluster: Cluster;
  partitioner: unknown;
  eosManager: EosManager;
  idempotent: boolean;
  retrier: unknown;
  getConnectionStatus: () => string;
}) => MessageProducer;

type CreateRetry = (options: Record<string, unknown>) => unknown;

const createMessageProducer = require('kafkajs/src/producer/messageProducer') as CreateMessageProducer;
const createRetry = require('kafkajs/src/retry') as CreateRetry;
const { CONNECTION_STATUS } = require('kafkajs/src/network/connectionStatus') as { CONNECTION_STATUS: { CONNECTED: string } };

/** A Kafka client object of kafkajs plus access to the Cluster factory it keeps under a private symbol. */
export class KafkajsHandle {
  readonly kafka: Kafka;
  private readonly createClusterFn: (options: Record<string, unknown>) => Cluster;
  private readonly loggerValue: unknown;
  private readonly retryConfig: Record<string, unknown>;

  constructor(config: KafkaConfig) {
    this.kafka = new Kafka(config);
    this.retryConfig = { ...(config.retry ?? {}) };
    const symbols = Object.getOwnPropertySymbols(this.kafka);
    const bySymbol = (description: string): unknown => {
      const symbol = symbols.find((s) => s.description === description);
      if (symbol === undefined) throw new Error(`kafkajs changed: no ${description} (this adapter is written for kafkajs 2.2.4)`);
      return (this.kafka as unknown as Record<symbol, unknown>)[symbol];
    };
    this.createClusterFn = bySymbol('private:Kafka:createCluster') as (options: Record<string, unknown>) => Cluster;
    this.loggerValue = bySymbol('private:Kafka:logger');
  }

  /** A new Cluster (its own connections), as kafkajs creates one per consumer/producer/admin. */
  cluster(options: { isolationLevel?: number; metadataMaxAge?: number } = {}): Cluster {
    return this.createClusterFn({
      metadataMaxAge: options.metadataMaxAge ?? 300_000,
      allowAutoTopicCreation: false,
      maxInFlightRequests: null,
      instrumentationEmitter: null,
      isolationLevel: options.isolationLevel ?? READ_COMMITTED,
    });
  }

  /** kafkajs's message producer over `cluster`, writing under `eosManager`'s producer id, epoch and transaction. */
  messageProducer(cluster: Cluster, eosManager: EosManager, idempotent: boolean): MessageProducer {
    const logger = (this.loggerValue as { namespace(name: string): unknown }).namespace('TidemarkProducer');
    return createMessageProducer({
      logger,
      cluster,
      partitioner: Partitioners.DefaultPartitioner(),
      eosManager,
      idempotent,
      // Bounded: a broker gone for good fails the send (and the job) instead of hanging it.
      retrier: createRetry({ initialRetryTime: 100, maxRetryTime: 1_000, retries: 10, ...this.retryConfig }),
      getConnectionStatus: () => CONNECTION_STATUS.CONNECTED,
    });
  }
}
