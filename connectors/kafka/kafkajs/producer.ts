import type { Message } from 'kafkajs';
import {
  KafkaClientError,
  topicPartitionKey,
  type KafkaProducer,
  type KafkaTransactionalProducer,
  type ProducerIdAndEpoch,
  type ProducerRecord,
  type TopicPartitionOffset,
} from '../client.ts';
import { byTopic, clientError } from './admin.ts';
import { onCoordinator, withCoordinatorRetries } from './coordinator.ts';
import {
  COORDINATOR_GROUP,
  COORDINATOR_TRANSACTION,
  type Broker,
  type Cluster,
  type EosManager,
  type KafkajsHandle,
  type MessageProducer,
  type TopicMessages,
} from './internals.ts';

/** Records → kafkajs's per-topic message lists, in the order given. */
export function topicMessages(records: readonly ProducerRecord[]): TopicMessages[] {
  const out = new Map<string, Message[]>();
  for (const r of records) {
    let list = out.get(r.topic);
    if (list === undefined) out.set(r.topic, (list = []));
    const m: Message = { value: r.value };
    if (r.key !== undefined) m.key = r.key;
    if (r.partition !== undefined) m.partition = r.partition;
    if (r.headers !== undefined) m.headers = { ...r.headers };
    if (r.timestamp !== undefined) m.timestamp = String(r.timestamp);
    list.push(m);
  }
  return [...out].map(([topic, messages]) => ({ topic, messages }));
}

/** The topics of `records`, for an error message: 'topic a' or 'topics a, b'. */
function topicsOf(records: readonly ProducerRecord[]): string {
  const topics = [...new Set(records.map((r) => r.topic))];
  return `${topics.length === 1 ? 'topic' : 'topics'} ${topics.join(', ')}`;
}

/**
 * Fails unless every partition named explicitly in `records` is in `cluster`'s metadata (read anew once if
 * not). kafkajs's sendMessages silently drops messages for a partition its metadata does not know (a
 * partition added since it was read): send() resolves and nothing is written. Like Java's producer waiting
 * for metadata (max.block.ms), a partition still unknown after 2 s fails the send.
 */
export async function checkPartitionsKnown(cluster: Cluster, records: readonly ProducerRecord[]): Promise<void> {
  const topics = [...new Set(records.map((r) => r.topic))];
  await cluster.addMultipleTargetTopics(topics);
  const missing = (): string[] => {
    const out: string[] = [];
    const known = new Map<string, Set<number>>();
    for (const r of records) {
      if (r.partition === undefined) continue;
      let set = known.get(r.topic);
      if (set === undefined) known.set(r.topic, (set = new Set(cluster.findTopicPartitionMetadata(r.topic).map((p) => p.partitionId))));
      if (!set.has(r.partition)) out.push(`${r.topic}-${r.partition}`);
    }
    return out;
  };
  // A partition created a moment ago reaches the broker's metadata a moment later: look again for 2 s.
  const deadline = Date.now() + 2_000;
  for (let backoff = 20; missing().length > 0; backoff = Math.min(backoff * 2, 400)) {
    if (Date.now() > deadline) throw new KafkaClientError(`cannot write to ${[...new Set(missing())].join(', ')}: no such partition`);
    await new Promise((resolve) => setTimeout(resolve, backoff));
    await cluster.refreshMetadata();
  }
}

/**
 * The plain producer, on kafkajs's message producer (as the transactional one) with the partition check
 * above; idempotent when asked (a producer id from InitProducerId, sequence numbers per partition).
 */
export class KafkajsProducer implements KafkaProducer, EosManager {
  private producerId = '-1';
  private epoch = 0;
  private readonly sequences = new Map<string, number>();
  private readonly brokerLocks = new Map<string, Mutex>();
  private readonly messages: MessageProducer;

  constructor(
    private readonly cluster: Cluster,
    handle: KafkajsHandle,
    private readonly idempotent: boolean,
  ) {
    this.messages = handle.messageProducer(cluster, this, idempotent);
  }

  /** Gets the producer id an idempotent producer writes under. */
  async init(): Promise<void> {
    if (!this.idempotent) return;
    try {
      await this.cluster.refreshMetadata();
      const result = await withCoordinatorRetries(this.cluster, () => this.cluster.findControllerBroker(), (broker) =>
        broker.initProducerId({ transactionTimeout: 60_000 }),
      );
      this.producerId = String(result.producerId);
      this.epoch = result.producerEpoch;
    } catch (e) {
      throw clientError('getting a producer id', e);
    }
  }

  async send(records: readonly ProducerRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await checkPartitionsKnown(this.cluster, records);
      await this.messages.sendBatch({ acks: -1, topicMessages: topicMessages(records) });
    } catch (e) {
      throw clientError(`sending ${records.length} records to ${topicsOf(records)}`, e);
    }
  }

  async close(): Promise<void> {
    await this.cluster.disconnect();
  }

  // ---- EosManager (called by kafkajs's sendMessages)

  getProducerId(): string {
    return this.producerId;
  }

  getProducerEpoch(): number {
    return this.epoch;
  }

  getTransactionalId(): string {
    return '';
  }

  isTransactional(): boolean {
    return false;
  }

  isInitialized(): boolean {
    return this.producerId !== '-1';
  }

  getSequence(topic: string, partition: number): number {
    return this.sequences.get(topicPartitionKey({ topic, partition })) ?? 0;
  }

  updateSequence(topic: string, partition: number, increment: number): void {
    if (!this.isInitialized()) return;
    const key = topicPartitionKey({ topic, partition });
    let next = (this.sequences.get(key) ?? 0) + increment;
    if (next >= 0x7fffffff) next = 0;
    this.sequences.set(key, next);
  }

  async addPartitionsToTransaction(): Promise<void> {
    // not transactional
  }

  async acquireBrokerLock(broker: unknown): Promise<void> {
    if (!this.isInitialized()) return;
    const nodeId = String((broker as { nodeId: number }).nodeId);
    let lock = this.brokerLocks.get(nodeId);
    if (lock === undefined) this.brokerLocks.set(nodeId, (lock = new Mutex()));
    await lock.acquire();
  }

  releaseBrokerLock(broker: unknown): void {
    if (!this.isInitialized()) return;
    this.brokerLocks.get(String((broker as { nodeId: number }).nodeId))?.unlock();
  }
}

/** A FIFO mutex: kafkajs's sendMessages holds one per broker so sequence numbers go out in order. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  async acquire(): Promise<void> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
  }

  unlock(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}

/**
 * A transactional producer written on kafkajs's broker requests and message producer, standing in for
 * kafkajs's own transaction(), which hides the producer id and epoch and cannot resume a transaction.
 * This object is the "eosManager" kafkajs's sendMessages asks for the producer id, epoch, sequence numbers
 * and partitions of the transaction.
 *
 * AddPartitionsToTxn right after a commit is answered CONCURRENT_TRANSACTIONS while the coordinator still
 * writes the markers; kafkajs retries that after 300 ms+ (kafkajs#1315: ~340 ms per back-to-back
 * transaction). Here it is retried after 5 ms, doubling to 100 ms (coordinator.ts), as Java's client
 * retries it quickly: 20 back-to-back transactions take ~0.4 s.
 */
export class KafkajsTransactionalProducer implements KafkaTransactionalProducer, EosManager {
  private producerId = '-1';
  private epoch = 0;
  private open = false;
  /** Resumed from another process: commit/abort only (its sequence numbers are unknown here). */
  private resumed = false;
  private offsetsAdded = false;
  private readonly partitionsInTransaction = new Set<string>();
  private readonly sequences = new Map<string, number>();
  private readonly brokerLocks = new Map<string, Mutex>();
  private readonly messages: MessageProducer;
  private closed = false;

  private id: string;

  constructor(
    transactionalId: string,
    private readonly cluster: Cluster,
    handle: KafkajsHandle,
    private readonly transactionTimeoutMs: number,
  ) {
    this.id = transactionalId;
    this.messages = handle.messageProducer(cluster, this, true);
  }

  get transactionalId(): string {
    return this.id;
  }

  setTransactionalId(transactionalId: string): void {
    this.checkOpenForUse();
    this.id = transactionalId;
    this.producerId = '-1';
    this.epoch = 0;
    this.sequences.clear();
    this.endTransactionState();
  }

  // ---- KafkaTransactionalProducer

  async initTransactions(): Promise<void> {
    this.checkOpenForUse();
    if (this.open) throw new KafkaClientError(`${this.transactionalId}: initTransactions while a transaction is open`);
    const result = await this.onTransactionCoordinator('InitProducerId', (broker) =>
      broker.initProducerId({ transactionalId: this.transactionalId, transactionTimeout: this.transactionTimeoutMs }),
    );
    this.producerId = String(result.producerId);
    this.epoch = result.producerEpoch;
    this.sequences.clear();
    this.endTransactionState();
  }

  beginTransaction(): void {
    this.checkOpenForUse();
    if (!this.isInitialized()) throw new KafkaClientError(`${this.transactionalId}: beginTransaction before initTransactions`);
    if (this.open) throw new KafkaClientError(`${this.transactionalId}: a transaction is already open`);
    this.open = true;
  }

  async send(records: readonly ProducerRecord[]): Promise<void> {
    this.checkInTransaction('send');
    if (this.resumed) throw new KafkaClientError(`${this.transactionalId}: a resumed transaction can only be committed or aborted`);
    if (records.length === 0) return;
    try {
      await checkPartitionsKnown(this.cluster, records);
      await this.messages.sendBatch({ acks: -1, topicMessages: topicMessages(records) });
    } catch (e) {
      throw clientError(`${this.transactionalId}: sending ${records.length} records to ${topicsOf(records)}`, e);
    }
  }

  async sendOffsetsToTransaction(offsets: readonly TopicPartitionOffset[], groupId: string): Promise<void> {
    this.checkInTransaction('sendOffsetsToTransaction');
    if (this.resumed) throw new KafkaClientError(`${this.transactionalId}: a resumed transaction can only be committed or aborted`);
    if (offsets.length === 0) return;
    const ids = { transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.epoch };
    await this.onTransactionCoordinator('AddOffsetsToTxn', (broker) => broker.addOffsetsToTxn({ ...ids, groupId }));
    this.offsetsAdded = true;
    const topics = [...byTopic(offsets)].map(([topic, tps]) => ({
      topic,
      partitions: tps.map((tp) => ({ partition: tp.partition, offset: String(tp.offset) })),
    }));
    await this.onCoordinator('TxnOffsetCommit', { groupId, coordinatorType: COORDINATOR_GROUP }, (broker) =>
      broker.txnOffsetCommit({ ...ids, groupId, topics }),
    );
  }

  async commitTransaction(): Promise<void> {
    await this.endTransaction(true);
  }

  async abortTransaction(): Promise<void> {
    await this.endTransaction(false);
  }

  inTransaction(): boolean {
    return this.open;
  }

  producerIdAndEpoch(): ProducerIdAndEpoch {
    if (!this.isInitialized()) throw new KafkaClientError(`${this.transactionalId}: no producer id yet (call initTransactions)`);
    return { producerId: Number(this.producerId), epoch: this.epoch };
  }

  resumeTransaction(ids: ProducerIdAndEpoch): void {
    this.checkOpenForUse();
    if (this.open) throw new KafkaClientError(`${this.transactionalId}: resumeTransaction while a transaction is open`);
    if (!Number.isSafeInteger(ids.producerId) || ids.producerId < 0 || !Number.isInteger(ids.epoch) || ids.epoch < 0) {
      throw new KafkaClientError(`${this.transactionalId}: cannot resume producer id ${ids.producerId} epoch ${ids.epoch}`);
    }
    this.producerId = String(ids.producerId);
    this.epoch = ids.epoch;
    this.sequences.clear();
    this.endTransactionState();
    this.open = true;
    this.resumed = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.cluster.disconnect();
  }

  private async endTransaction(commit: boolean): Promise<void> {
    this.checkInTransaction(commit ? 'commitTransaction' : 'abortTransaction');
    // An empty transaction never reached the coordinator: nothing to end (as Java's client).
    if (this.resumed || this.offsetsAdded || this.partitionsInTransaction.size > 0) {
      await this.onTransactionCoordinator(commit ? 'EndTxn(commit)' : 'EndTxn(abort)', (broker) =>
        broker.endTxn({
          transactionalId: this.transactionalId,
          producerId: this.producerId,
          producerEpoch: this.epoch,
          transactionResult: commit,
        }),
      );
    }
    this.endTransactionState();
  }

  private endTransactionState(): void {
    this.open = false;
    this.resumed = false;
    this.offsetsAdded = false;
    this.partitionsInTransaction.clear();
  }

  private checkOpenForUse(): void {
    if (this.closed) throw new KafkaClientError(`${this.transactionalId}: the producer is closed`);
  }

  private checkInTransaction(what: string): void {
    this.checkOpenForUse();
    if (!this.open) throw new KafkaClientError(`${this.transactionalId}: ${what} without an open transaction`);
  }

  private onTransactionCoordinator<T>(what: string, request: (broker: Broker) => Promise<T>): Promise<T> {
    return this.onCoordinator(what, { groupId: this.transactionalId, coordinatorType: COORDINATOR_TRANSACTION }, request);
  }

  private async onCoordinator<T>(
    what: string,
    coordinator: { groupId: string; coordinatorType: number },
    request: (broker: Broker) => Promise<T>,
  ): Promise<T> {
    try {
      return await onCoordinator(this.cluster, coordinator, request);
    } catch (e) {
      throw clientError(`${this.transactionalId}: ${what}`, e);
    }
  }

  // ---- EosManager (called by kafkajs's sendMessages)

  getProducerId(): string {
    return this.producerId;
  }

  getProducerEpoch(): number {
    return this.epoch;
  }

  getTransactionalId(): string {
    return this.transactionalId;
  }

  isTransactional(): boolean {
    return true;
  }

  isInitialized(): boolean {
    return this.producerId !== '-1';
  }

  getSequence(topic: string, partition: number): number {
    return this.sequences.get(topicPartitionKey({ topic, partition })) ?? 0;
  }

  updateSequence(topic: string, partition: number, increment: number): void {
    const key = topicPartitionKey({ topic, partition });
    let next = (this.sequences.get(key) ?? 0) + increment;
    if (next >= 0x7fffffff) next = 0; // the sequence is an int32 and wraps, as Java's
    this.sequences.set(key, next);
  }

  async addPartitionsToTransaction(
    topicData: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number }> }>,
  ): Promise<void> {
    const added: string[] = [];
    const topics: Array<{ topic: string; partitions: number[] }> = [];
    for (const { topic, partitions } of topicData) {
      const fresh = partitions.map((p) => p.partition).filter((p) => !this.partitionsInTransaction.has(topicPartitionKey({ topic, partition: p })));
      if (fresh.length === 0) continue;
      topics.push({ topic, partitions: fresh });
      for (const p of fresh) added.push(topicPartitionKey({ topic, partition: p }));
    }
    if (topics.length === 0) return;
    await this.onTransactionCoordinator('AddPartitionsToTxn', (broker) =>
      broker.addPartitionsToTxn({ transactionalId: this.transactionalId, producerId: this.producerId, producerEpoch: this.epoch, topics }),
    );
    for (const key of added) this.partitionsInTransaction.add(key);
  }

  async acquireBrokerLock(broker: unknown): Promise<void> {
    const nodeId = String((broker as { nodeId: number }).nodeId);
    let lock = this.brokerLocks.get(nodeId);
    if (lock === undefined) this.brokerLocks.set(nodeId, (lock = new Mutex()));
    await lock.acquire();
  }

  releaseBrokerLock(broker: unknown): void {
    this.brokerLocks.get(String((broker as { nodeId: number }).nodeId))?.unlock();
  }
}
