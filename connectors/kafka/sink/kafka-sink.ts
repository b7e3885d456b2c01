/**
 * KafkaSink (Flink's org.apache.flink.connector.kafka.sink.KafkaSink): writes a stream to Kafka with the
 * delivery guarantee asked for.
 *
 * - NONE: an idempotent producer; records are sent as they come, all acknowledged at the end of input.
 * - AT_LEAST_ONCE: the same, and every checkpoint barrier waits until everything written before it was
 *   acknowledged (Flink's KafkaWriter.flush at prepareSnapshotPreBarrier): a restore replays at most
 *   what came after, so nothing is lost (duplicates are possible).
 * - EXACTLY_ONCE: one Kafka transaction per subtask per checkpoint, under a fresh transactional id
 *   `prefix-subtask-n` (TransactionalIdFactory): flushed at the barrier (pre-commit), named by a committable
 *   {transactionalId, producerId, epoch}, committed by the KafkaCommitter in the JobMaster once the checkpoint
 *   is durable (FlinkKafkaInternalProducer.resumeTransaction). On start the writer aborts the transactions a
 *   dead attempt left open after the restored checkpoint (Flink's TransactionAborter probing). A fresh id per
 *   checkpoint means a transaction never waits for the previous one's markers (CONCURRENT_TRANSACTIONS,
 *   kafkajs#1315); the producers are pooled and take the next id (setTransactionalId), keeping their connections.
 *
 * Every guarantee: a send that fails fails the job; the end of input waits for every acknowledgement (a job
 * never ends 0 with records unsent); `max.buffered.records` bounds what is written but not acknowledged
 * (isAvailable pushes back).
 */
import type { Committer, CommittingSinkWriter, CommittingSinkWriterContext, SinkJobInfo, SinkRecordContext, TwoPhaseCommittingSink } from '../../../lib/core/connector/sink.ts';
import { IllegalArgumentException, IllegalStateException, registerErrorClass, TidemarkError, type TidemarkErrorOptions } from '../../../lib/core/errors.ts';
import {
  KafkaClientError,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaClientConfig,
  type KafkaProducer,
  type KafkaTransactionalProducer,
  type ProducerRecord,
} from '../client.ts';
import { KafkajsClient } from '../kafkajs/client.ts';
import type { FlinkKafkaPartitioner, KafkaRecordSerializationSchema, KafkaSinkContext } from './serialization.ts';

/** Flink's org.apache.flink.connector.base.DeliveryGuarantee (its values print as Flink's do). */
export const DeliveryGuarantee = {
  NONE: 'none',
  AT_LEAST_ONCE: 'at-least-once',
  EXACTLY_ONCE: 'exactly-once',
} as const;
export type DeliveryGuarantee = (typeof DeliveryGuarantee)[keyof typeof DeliveryGuarantee];

/** A pre-committed transaction (Flink's KafkaCommittable): what the committer needs to commit it from anywhere. */
export interface KafkaCommittable {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly epoch: number;
}

/** Flink's TransactionalIdFactory: `prefix-subtask-checkpointOffset`. */
export const TransactionalIdFactory = {
  buildTransactionalId(prefix: string, subtaskId: number, checkpointOffset: number): string {
    return `${prefix}-${subtaskId}-${checkpointOffset}`;
  },
} as const;

/**
 * A committable can no longer be committed: its transaction was aborted (the broker's transaction timeout ran
 * out, or another producer of the same transactional id fenced it). Its records are gone: the job fails
 * rather than go on as if they had been written, without restarts (they would restore the same checkpoint and fail
 * the same way, forever).
 */
export class KafkaCommitError extends TidemarkError {
  override name = 'KafkaCommitError';
  /**
   * No restart can bring the records back, and every restore of the checkpoint holding this committable
   * would fail the same way: the job fails instead of restarting (Flink's SuppressRestartsException).
   */
  readonly suppressRestarts = true;
  constructor(message: string, options: TidemarkErrorOptions = {}) {
    super(message, options);
  }
}
registerErrorClass(KafkaCommitError);

/** Properties KafkaSink understands (setProperty), with what they do. */
const PROPERTIES: Readonly<Record<string, string>> = {
  'bootstrap.servers': 'the brokers, as setBootstrapServers',
  'client.id': 'the client id prefix of the producers',
  'transaction.timeout.ms': `EXACTLY_ONCE: the broker aborts a transaction open longer than this (default 900000, the broker's default transaction.max.timeout.ms); must exceed the checkpoint interval`,
  'max.buffered.records': 'records written but not yet acknowledged before the writer pushes back (default 10000)',
};

/** 15 min: the broker's default transaction.max.timeout.ms (Flink's 1 h default is refused by a default broker). */
const DEFAULT_TRANSACTION_TIMEOUT_MS = 900_000;
const DEFAULT_MAX_BUFFERED_RECORDS = 10_000;
/** Producers the committer keeps for its next commits (one per writer subtask covers a checkpoint's). */
const MAX_IDLE_COMMITTER_PRODUCERS = 8;
/** Idle transactional producers a writer keeps for reuse (the one pre-committing and the next one suffice). */
const MAX_IDLE_PRODUCERS = 2;
/** How long close() of a NONE / AT_LEAST_ONCE writer waits for its last sends. */
const CLOSE_DRAIN_TIMEOUT_MS = 5_000;
/** A batch this large is sent without waiting for the end of the input batch. */
const SEND_BATCH_RECORDS = 1_000;

interface SinkConfig<T> {
  readonly bootstrapServers: string;
  readonly clientId: string;
  readonly serializer: KafkaRecordSerializationSchema<T>;
  readonly deliveryGuarantee: DeliveryGuarantee;
  readonly transactionalIdPrefix: string | undefined;
  readonly transactionTimeoutMs: number;
  readonly maxBufferedRecords: number;
  readonly clientFactory: (config: KafkaClientConfig) => KafkaClient;
}

/** Flink's KafkaSinkBuilder. */
export class KafkaSinkBuilder<T> {
  private bootstrapServers: string | undefined;
  private serializer: KafkaRecordSerializationSchema<T> | undefined;
  private deliveryGuarantee: DeliveryGuarantee = DeliveryGuarantee.NONE;
  private transactionalIdPrefix: string | undefined;
  private readonly properties = new Map<string, string>();
  private clientFactory: (config: KafkaClientConfig) => KafkaClient = (config) => new KafkajsClient(config);

  setBootstrapServers(servers: string): this {
    this.bootstrapServers = servers;
    return this;
  }

  /** How elements become records: KafkaRecordSerializationSchema.builder()...build(), or your own. */
  setRecordSerializer<U>(serializer: KafkaRecordSerializationSchema<U>): KafkaSinkBuilder<U> {
    const self = this as unknown as KafkaSinkBuilder<U>;
    self.serializer = serializer;
    return self;
  }

  /** NONE (the default, as Flink's), AT_LEAST_ONCE or EXACTLY_ONCE. */
  setDeliveryGuarantee(guarantee: DeliveryGuarantee): this {
    if (!Object.values(DeliveryGuarantee).includes(guarantee)) throw new IllegalArgumentException(`Unknown delivery guarantee '${String(guarantee)}'`);
    this.deliveryGuarantee = guarantee;
    return this;
  }

  /**
   * EXACTLY_ONCE: the start of this sink's transactional ids. It must be unique among the jobs writing to the
   * cluster (and stay the same across restores of one job): the sink aborts transactions of this prefix it
   * finds open when it starts.
   */
  setTransactionalIdPrefix(prefix: string): this {
    if (prefix.length === 0) throw new IllegalArgumentException('setTransactionalIdPrefix() got an empty prefix');
    this.transactionalIdPrefix = prefix;
    return this;
  }

  /** A producer property (see PROPERTIES for the ones understood). */
  setProperty(key: string, value: string): this {
    if (!(key in PROPERTIES)) {
      throw new IllegalArgumentException(
        `KafkaSink does not understand the property '${key}'; it understands: ${Object.entries(PROPERTIES).map(([k, v]) => `${k} (${v})`).join(', ')}`,
      );
    }
    this.properties.set(key, value);
    return this;
  }

  /** Another KafkaClient implementation than kafkajs's (KafkajsClient). */
  setClientFactory(factory: (config: KafkaClientConfig) => KafkaClient): this {
    this.clientFactory = factory;
    return this;
  }

  build(): KafkaSink<T> {
    const bootstrapServers = this.properties.get('bootstrap.servers') ?? this.bootstrapServers;
    if (bootstrapServers === undefined) throw new IllegalArgumentException('KafkaSink needs setBootstrapServers(...)');
    if (this.serializer === undefined) throw new IllegalArgumentException('KafkaSink needs setRecordSerializer(...)');
    if (this.deliveryGuarantee === DeliveryGuarantee.EXACTLY_ONCE && this.transactionalIdPrefix === undefined) {
      throw new IllegalArgumentException(
        'EXACTLY_ONCE delivery guarantee requires a transactionalIdPrefix to be set to provide unique transaction names across multiple KafkaSinks writing to the same Kafka cluster: setTransactionalIdPrefix(...)',
      );
    }
    const positive = (key: string, fallback: number): number => {
      const raw = this.properties.get(key);
      if (raw === undefined) return fallback;
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n <= 0) throw new IllegalArgumentException(`${key} must be a positive integer, not '${raw}'`);
      return n;
    };
    return new KafkaSink<T>({
      bootstrapServers,
      clientId: this.properties.get('client.id') ?? 'tidemark-kafka-sink',
      serializer: this.serializer,
      deliveryGuarantee: this.deliveryGuarantee,
      transactionalIdPrefix: this.transactionalIdPrefix,
      transactionTimeoutMs: positive('transaction.timeout.ms', DEFAULT_TRANSACTION_TIMEOUT_MS),
      maxBufferedRecords: positive('max.buffered.records', DEFAULT_MAX_BUFFERED_RECORDS),
      clientFactory: this.clientFactory,
    });
  }
}

/**
 * A two-phase-commit sink for every guarantee (as Flink's KafkaSink): under NONE and AT_LEAST_ONCE it has no
 * committables, the barrier only waits for acknowledgements (AT_LEAST_ONCE).
 */
export class KafkaSink<T> implements TwoPhaseCommittingSink<T, KafkaCommittable> {
  /** @internal use KafkaSink.builder() */
  constructor(private readonly config: SinkConfig<T>) {}

  static builder<T = never>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>();
  }

  getDeliveryGuarantee(): DeliveryGuarantee {
    return this.config.deliveryGuarantee;
  }

  /**
   * At submission. EXACTLY_ONCE needs transaction.timeout.ms > the checkpoint interval: a transaction is open
   * from one barrier to the next and then until the JobMaster commits it, so a timeout at or below the
   * interval would have the broker abort transactions before their checkpoint completes (their records
   * lost; the commit fails). Flink's KafkaSink states the same rule. Without checkpointing, an unbounded job
   * never commits (Flink's KafkaSink too: its transactions are committed by checkpoints, or by the end of a
   * bounded job), so it is refused here instead of running without output; a bounded one commits at its end.
   */
  initializeGlobal(_parallelism: number, job: SinkJobInfo): void {
    const { deliveryGuarantee, transactionTimeoutMs } = this.config;
    if (deliveryGuarantee !== DeliveryGuarantee.EXACTLY_ONCE) return;
    if (job.checkpointInterval === undefined) {
      if (job.bounded) return;
      throw new IllegalStateException(
        'KafkaSink with EXACTLY_ONCE commits its transactions when a checkpoint completes, and this unbounded job has checkpointing off: ' +
          'nothing it writes would ever become visible to read_committed consumers. Enable checkpointing (execution.checkpointing.interval, env.enableCheckpointing(...)) or use AT_LEAST_ONCE.',
      );
    }
    if (transactionTimeoutMs <= job.checkpointInterval) {
      throw new IllegalStateException(
        `KafkaSink with EXACTLY_ONCE: transaction.timeout.ms (${transactionTimeoutMs} ms) must be larger than the checkpoint interval (${job.checkpointInterval} ms): ` +
          'a transaction stays open from one checkpoint to the next and until the checkpoint completes, and the broker aborts it (losing its records) once the timeout passes. ' +
          "Raise transaction.timeout.ms (setProperty('transaction.timeout.ms', ...), at most the broker's transaction.max.timeout.ms) or checkpoint more often.",
      );
    }
  }

  createWriter(context: CommittingSinkWriterContext): KafkaWriter<T> {
    return new KafkaWriter<T>(this.config, context);
  }

  createCommitter(): KafkaCommitter {
    return new KafkaCommitter(this.config.clientFactory({ bootstrapServers: this.config.bootstrapServers, clientId: `${this.config.clientId}-committer` }), this.config.transactionTimeoutMs);
  }
}

/** Something records are sent through: the idempotent producer, or one transaction's producer. */
interface Sender {
  send(records: readonly ProducerRecord[]): Promise<void>;
}

/** Records on their way to one sender: buffered, then sent one batch at a time (in order). */
class Channel<T> {
  buffer: ProducerRecord[] = [];
  /** The buffered records' elements, for a partitioner only. */
  elements: T[] = [];
  /** The batch being sent, settled (never rejected) when it was acknowledged or failed. */
  sending: Promise<void> | null = null;
  /** Records written into this channel in all (a transaction with none is not committed). */
  records = 0;
  /** Records of this channel acknowledged (they are sent and acknowledged in the order written). */
  acknowledged = 0;
  constructor(
    readonly ready: Promise<Sender>,
    /** The transaction's number (EXACTLY_ONCE), -1 otherwise. */
    readonly number: number,
    readonly transactionalId: string | undefined,
  ) {
    ready.catch(() => undefined); // its error reaches the writer when a batch is sent
  }
}

/** `record` with copies of its Buffers (key, value, headers), or itself when it has none. */
function ownBytes(record: ProducerRecord): ProducerRecord {
  const { key, value, headers } = record;
  let copiedHeaders: Record<string, Buffer | string> | undefined;
  if (headers !== undefined) {
    for (const name in headers) {
      const h = headers[name]!;
      if (Buffer.isBuffer(h)) (copiedHeaders ??= { ...headers })[name] = Buffer.from(h);
    }
  }
  if (!Buffer.isBuffer(key) && !Buffer.isBuffer(value) && copiedHeaders === undefined) return record;
  return {
    ...record,
    ...(Buffer.isBuffer(key) ? { key: Buffer.from(key) } : {}),
    ...(Buffer.isBuffer(value) ? { value: Buffer.from(value) } : {}),
    ...(copiedHeaders === undefined ? {} : { headers: copiedHeaders }),
  };
}

/** Flink's KafkaWriter. */
export class KafkaWriter<T> implements CommittingSinkWriter<T, KafkaCommittable>, KafkaSinkContext {
  private readonly client: KafkaClient;
  private readonly exactlyOnce: boolean;
  private readonly subtask: number;
  private readonly parallelism: number;
  private readonly serializer: KafkaRecordSerializationSchema<T>;
  private readonly partitioner: FlinkKafkaPartitioner<T> | undefined;
  /** Where write() puts records; null between the last prepareCommit and the end (EXACTLY_ONCE). */
  private current: Channel<T> | null;
  /** The number of the newest transaction opened (EXACTLY_ONCE). */
  private lastNumber = 0;
  /** Transactional producers are initialized one after another, in number order (see openTransaction). */
  private initChain: Promise<void> = Promise.resolve();
  private readonly producers = new Set<KafkaProducer | KafkaTransactionalProducer>();
  /**
   * Transactional producers whose transaction was pre-committed (or that only probed an id), kept to be reused
   * for the next transactional id (Flink's KafkaWriter producer pool): their connections stay open.
   */
  private readonly idle: KafkaTransactionalProducer[] = [];
  /**
   * EXACTLY_ONCE: the transactions opened and not (yet) handed over as a committable — the open one, and one
   * whose pre-commit is still flushing. close() aborts them: nobody else knows them.
   */
  private readonly unhanded = new Set<Channel<T>>();
  /** Records written and not yet acknowledged, in every channel. */
  private unacknowledged = 0;
  private waiter: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  private error: unknown = undefined;
  private closed = false;
  private admin: Promise<KafkaAdmin> | undefined;
  private readonly partitions = new Map<string, Promise<number[]>>();

  constructor(
    private readonly config: SinkConfig<T>,
    context: CommittingSinkWriterContext,
  ) {
    this.subtask = context.getIndexOfSubtask();
    this.parallelism = context.currentParallelism();
    this.client = config.clientFactory({ bootstrapServers: config.bootstrapServers, clientId: `${config.clientId}-${this.subtask}` });
    this.exactlyOnce = config.deliveryGuarantee === DeliveryGuarantee.EXACTLY_ONCE;
    // Each writer opens its own copies (Flink deserializes one per subtask): inline, subtasks share the sink object.
    this.serializer = ownCopy(config.serializer);
    this.partitioner = config.serializer.partitioner === undefined ? undefined : ownCopy(config.serializer.partitioner);
    this.partitioner?.open?.(this.subtask, this.parallelism);
    this.serializer.open?.(this);
    if (this.exactlyOnce) {
      // Transactions after the restored checkpoint belong to a dead attempt: numbered from restored + 1 on.
      const first = (context.getRestoredCheckpointId?.() ?? 0) + 1;
      this.lastNumber = first;
      const ready = this.abortLingeringTransactions(first).then((producer) => {
        producer.beginTransaction();
        return producer;
      });
      this.initChain = ready.then(
        () => undefined,
        () => undefined,
      );
      this.current = new Channel<T>(ready, first, this.transactionalId(this.subtask, first));
      this.unhanded.add(this.current);
    } else {
      this.current = new Channel<T>(this.track(this.client.producer({ idempotent: true })), -1, undefined);
    }
  }

  // ---- KafkaSinkContext
  getParallelInstanceId(): number {
    return this.subtask;
  }
  getNumberOfParallelInstances(): number {
    return this.parallelism;
  }

  // ---- SinkWriter

  write(element: T, context: SinkRecordContext): void {
    if (this.error !== undefined) throw this.error;
    const serialized = this.serializer.serialize(element, this, context.timestamp());
    if (serialized === null) return;
    // Buffers are copied: the record waits to be sent, and a serializer may reuse the buffer they are a view of.
    const record = ownBytes(serialized);
    const channel = this.current ?? (this.current = this.openTransaction(this.lastNumber + 1));
    channel.buffer.push(record);
    if (this.partitioner !== undefined) channel.elements.push(element);
    channel.records++;
    this.unacknowledged++;
    if (channel.buffer.length >= SEND_BATCH_RECORDS) this.pump(channel);
  }

  flush(endOfInput: boolean): void | Promise<void> {
    if (this.error !== undefined) throw this.error;
    const channel = this.current;
    if (channel === null) return;
    if (!endOfInput) {
      this.pump(channel);
      return;
    }
    // Every guarantee: the end of input waits until everything was acknowledged (a send error fails the job).
    return this.drain(channel);
  }

  isAvailable(): Promise<void> | null {
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.unacknowledged < this.config.maxBufferedRecords) return null;
    if (this.current !== null) this.pump(this.current);
    if (this.waiter === null) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.waiter = { promise, resolve, reject };
    }
    return this.waiter.promise;
  }

  /**
   * At the barrier (and once at the end of input). AT_LEAST_ONCE: resolves when everything written so far was
   * acknowledged. EXACTLY_ONCE: the open transaction is flushed and becomes the committable; records after the
   * barrier go into the next transaction (snapshotState opens it).
   */
  prepareCommit(): KafkaCommittable[] | Promise<KafkaCommittable[]> {
    if (this.error !== undefined) throw this.error;
    const channel = this.current;
    if (channel === null) return [];
    switch (this.config.deliveryGuarantee) {
      case DeliveryGuarantee.NONE:
        return [];
      case DeliveryGuarantee.AT_LEAST_ONCE:
        // The records written before the barrier: those written after it (while these are on their way) are the next checkpoint's.
        return this.drain(channel, channel.records).then(() => []);
      default:
        this.current = null;
        return this.preCommit(channel);
    }
  }

  /** EXACTLY_ONCE: the transaction after checkpoint `checkpointId` is numbered checkpointId + 1 (Flink's). */
  snapshotState(checkpointId: number): void {
    if (!this.exactlyOnce || this.current !== null) return;
    this.current = this.openTransaction(Math.max(checkpointId + 1, this.lastNumber + 1));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // NONE / AT_LEAST_ONCE hand over what they accepted also when the job is canceled or failing (the sink
    // contract), within a bound: a broker that does not answer must not hold the failover up.
    if (!this.exactlyOnce && this.error === undefined && this.current !== null) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.drain(this.current).catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_DRAIN_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    }
    this.closed = true;
    this.error ??= new IllegalStateException('the KafkaSink writer is closed');
    this.waiter?.reject(this.error);
    this.waiter?.promise.catch(() => undefined);
    // The transactions never handed over (the open one, and one whose pre-commit was still flushing) are
    // aborted so read_committed readers do not wait for their timeout (Flink's KafkaWriter.close), once the
    // batch on its way settled (an abort before it would find no partition in the transaction yet, and the
    // records landing after it would open it again). Pre-committed ones are the committer's: their producers
    // only disconnect.
    this.current = null;
    const unhanded = [...this.unhanded].filter((c) => c.records > 0);
    this.unhanded.clear();
    await Promise.all(
      unhanded.map(async (channel) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([channel.sending, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_DRAIN_TIMEOUT_MS)))]);
        clearTimeout(timer);
        const producer = (await channel.ready.catch(() => undefined)) as KafkaTransactionalProducer | undefined;
        if (producer?.inTransaction()) await producer.abortTransaction().catch(() => undefined);
      }),
    );
    await this.initChain;
    this.idle.length = 0;
    const admin = this.admin;
    this.admin = undefined;
    await Promise.allSettled([...[...this.producers].map((p) => p.close()), ...(admin === undefined ? [] : [admin.then((a) => a.close())])]);
    this.producers.clear();
  }

  // ---- sending

  /** Sends the channel's buffer unless a batch of it is on its way (then the next batch goes when that one is acknowledged). */
  private pump(channel: Channel<T>): void {
    if (channel.sending !== null || channel.buffer.length === 0 || this.error !== undefined) return;
    const batch = channel.buffer;
    const elements = channel.elements;
    channel.buffer = [];
    channel.elements = [];
    channel.sending = this.send(channel, batch, elements).then(
      () => {
        channel.sending = null;
        channel.acknowledged += batch.length;
        this.unacknowledged -= batch.length;
        if (this.waiter !== null && this.unacknowledged < this.config.maxBufferedRecords) {
          this.waiter.resolve();
          this.waiter = null;
        }
        this.pump(channel);
      },
      (e: unknown) => {
        channel.sending = null;
        this.fail(e);
      },
    );
  }

  private async send(channel: Channel<T>, batch: ProducerRecord[], elements: T[]): Promise<void> {
    const sender = await channel.ready;
    const records = this.partitioner === undefined ? batch : await this.partition(batch, elements);
    await sender.send(records);
  }

  /**
   * Resolves once everything written into `channel` was acknowledged — or, with `upTo`, its first `upTo`
   * records; rejects with the first send error.
   */
  private async drain(channel: Channel<T>, upTo = Number.POSITIVE_INFINITY): Promise<void> {
    this.pump(channel);
    while (channel.sending !== null && channel.acknowledged < upTo) {
      await channel.sending;
      if (this.error !== undefined) throw this.error;
    }
    if (this.error !== undefined) throw this.error;
    if (channel.records > 0) await channel.ready; // a failed producer start fails the barrier even with nothing left to send
  }

  private fail(e: unknown): void {
    if (this.error !== undefined) return;
    const cause = e instanceof Error ? e.message : String(e);
    this.error = new KafkaClientError(`KafkaSink (subtask ${this.subtask}) could not write to Kafka: ${cause}`, { cause: e });
    this.waiter?.reject(this.error);
    this.waiter?.promise.catch(() => undefined);
    this.waiter = null;
  }

  /** Records without a partition get the partitioner's (it needs the topic's partitions: asked once per topic). */
  private async partition(batch: ProducerRecord[], elements: T[]): Promise<ProducerRecord[]> {
    const out: ProducerRecord[] = new Array<ProducerRecord>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      if (r.partition !== undefined) {
        out[i] = r;
        continue;
      }
      const partitions = await this.partitionsOf(r.topic);
      const bytes = (v: Buffer | string | null | undefined): Buffer | null => (v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v);
      const partition = this.partitioner!.partition(elements[i]!, bytes(r.key), bytes(r.value), r.topic, partitions);
      if (!partitions.includes(partition)) throw new IllegalArgumentException(`The partitioner chose partition ${partition} of ${r.topic}, which has partitions ${partitions.join(', ')}`);
      out[i] = { ...r, partition };
    }
    return out;
  }

  private partitionsOf(topic: string): Promise<number[]> {
    let p = this.partitions.get(topic);
    if (p === undefined) {
      const admin = (this.admin ??= this.client.admin());
      p = admin.then((a) => a.describeTopicPartitions([topic])).then((tps) => tps.map((tp) => tp.partition));
      this.partitions.set(topic, p);
    }
    return p;
  }

  // ---- EXACTLY_ONCE

  private transactionalId(subtask: number, number: number): string {
    return TransactionalIdFactory.buildTransactionalId(this.config.transactionalIdPrefix!, subtask, number);
  }

  private async newTransactionalProducer(transactionalId: string): Promise<KafkaTransactionalProducer> {
    if (this.closed) throw new IllegalStateException('the KafkaSink writer is closed');
    const pooled = this.idle.pop();
    if (pooled !== undefined) {
      pooled.setTransactionalId!(transactionalId);
      return pooled;
    }
    const producer = await this.track(this.client.transactionalProducer(transactionalId, { transactionTimeoutMs: this.config.transactionTimeoutMs }));
    if (this.closed) {
      await this.untrack(producer);
      throw new IllegalStateException('the KafkaSink writer is closed');
    }
    return producer;
  }

  /** Done with `producer` (its transaction pre-committed, or its id probed): pooled when it can take another id. */
  private async release(producer: KafkaTransactionalProducer): Promise<void> {
    if (!this.closed && producer.setTransactionalId !== undefined && this.idle.length < MAX_IDLE_PRODUCERS) this.idle.push(producer);
    else await this.untrack(producer);
  }

  /**
   * Opens transaction `number` (Flink's getTransactionalProducer(checkpointId + 1)). Producers are initialized
   * in number order, and numbers skipped since the last transaction (checkpoints this subtask never saw, e.g.
   * after a restore) are initialized too, empty: so the ids this subtask used are gapless from the restored
   * checkpoint on, and the probing in abortLingeringTransactions (which stops at the first never-used id) cannot
   * stop before a lingering transaction.
   */
  private openTransaction(number: number): Channel<T> {
    const from = this.lastNumber + 1;
    this.lastNumber = number;
    const transactionalId = this.transactionalId(this.subtask, number);
    const ready = this.initChain.then(async () => {
      for (let n = from; n < number; n++) {
        const filler = await this.newTransactionalProducer(this.transactionalId(this.subtask, n));
        try {
          await filler.initTransactions();
        } catch (e) {
          await this.untrack(filler);
          throw e;
        }
        await this.release(filler);
      }
      const producer = await this.newTransactionalProducer(transactionalId);
      await producer.initTransactions();
      producer.beginTransaction();
      return producer;
    });
    this.initChain = ready.then(
      () => undefined,
      () => undefined,
    );
    const channel = new Channel<T>(ready, number, transactionalId);
    this.unhanded.add(channel);
    return channel;
  }

  /** Flushes the transaction; its committable once every record is acknowledged (none for an empty one). */
  private async preCommit(channel: Channel<T>): Promise<KafkaCommittable[]> {
    await this.drain(channel);
    const producer = (await channel.ready) as KafkaTransactionalProducer;
    // close() came first and aborts it: not a committable.
    if (!this.unhanded.delete(channel)) throw this.error ?? new IllegalStateException('the KafkaSink writer is closed');
    const out: KafkaCommittable[] = channel.records === 0 ? [] : [{ transactionalId: producer.transactionalId, ...producer.producerIdAndEpoch() }];
    // The committer resumes it by producer id and epoch: this producer is done with it (nothing is aborted) and
    // serves a later transaction.
    await this.release(producer);
    return out;
  }

  /**
   * Flink's TransactionAborter: the transactions `prefix-s-n` with n >= `first` (after the restored
   * checkpoint) were opened by a dead attempt, and some may still be open, holding back read_committed
   * readers until their timeout. InitProducerId fences each id (the broker aborts its open transaction); an
   * id answered with epoch 0 was never used, and the probing of that subtask stops there. Subtask indices
   * s, s + p, s + 2p ... are probed (those of a larger previous parallelism too) until one had none. The
   * restored checkpoint's own transactions (numbered <= restored id) are not touched: the JobMaster committed
   * them before this writer was created. Returns the producer of this subtask's id `first`, initialized: the
   * first transaction's.
   */
  private async abortLingeringTransactions(first: number): Promise<KafkaTransactionalProducer> {
    let own: KafkaTransactionalProducer | undefined;
    try {
      for (let s = this.subtask; ; s += this.parallelism) {
        let aborted = 0;
        for (let n = first; ; n++) {
          const producer = await this.newTransactionalProducer(this.transactionalId(s, n));
          try {
            await producer.initTransactions();
          } catch (e) {
            await this.untrack(producer);
            throw e;
          }
          const neverUsed = producer.producerIdAndEpoch().epoch === 0;
          if (s === this.subtask && n === first) own = producer;
          else await this.release(producer);
          if (neverUsed) break;
          aborted++;
        }
        if (aborted === 0) break;
      }
    } catch (e) {
      if (own !== undefined) await this.untrack(own);
      throw e;
    }
    return own!;
  }

  private track<P extends KafkaProducer | KafkaTransactionalProducer>(p: Promise<P>): Promise<P> {
    return p.then((producer) => {
      this.producers.add(producer);
      return producer;
    });
  }

  private async untrack(producer: KafkaProducer | KafkaTransactionalProducer): Promise<void> {
    this.producers.delete(producer);
    await producer.close();
  }
}

/**
 * Flink's KafkaCommitter: commits pre-committed transactions by resuming them (transactional id, producer id,
 * epoch) on a new producer (FlinkKafkaInternalProducer.resumeTransaction) and ending them with commit.
 *
 * Idempotent: committing a transaction that is already committed is answered "ok" by the broker (EndTxn
 * commit on a CompleteCommit transaction of the same epoch), so a re-commit after a restore changes nothing.
 * How failures are told apart (Flink's KafkaCommitter sorts them by error class the same way):
 * - PRODUCER_FENCED / INVALID_PRODUCER_EPOCH (kafkajs's name for it on this EndTxn version): a newer producer
 *   of the id bumped the epoch. After a commit that is harmless, and this committer remembers what it
 *   committed, so one it committed itself is skipped without asking the broker. Otherwise the broker cannot
 *   say whether it was committed first (only reused ids, i.e. another job with this prefix, do that) or aborted
 *   — the broker's transaction timeout fences the epoch when it aborts — so it throws KafkaCommitError: the
 *   job fails over rather than go on without knowing its records were written.
 * - INVALID_TXN_STATE: the transaction was aborted (EndTxn commit on CompleteAbort): throws KafkaCommitError.
 * - UNKNOWN_PRODUCER_ID / INVALID_PRODUCER_ID_MAPPING: the id's producer is gone (expired): throws KafkaCommitError.
 * - Anything else (a broker unreachable): thrown as is; the job fails over and the restore commits again.
 */
export class KafkaCommitter implements Committer<KafkaCommittable> {
  /** What the previous commit() calls committed (a restore re-commits the latest checkpoint's: bounded). */
  private committed = new Set<string>();
  private previous = new Set<string>();
  /** Producers kept for the next commits (their connections open), up to MAX_IDLE_COMMITTER_PRODUCERS. */
  private readonly idle: KafkaTransactionalProducer[] = [];
  private closed = false;

  constructor(
    private readonly client: KafkaClient,
    private readonly transactionTimeoutMs: number,
  ) {}

  async commit(committables: readonly KafkaCommittable[]): Promise<void> {
    const results = await Promise.allSettled(committables.map((c) => this.commitOne(c)));
    // Keep the keys of the last two calls: a restore's re-commit follows the commit it repeats.
    const now = new Set(committables.filter((_, i) => results[i]!.status === 'fulfilled').map(key));
    this.previous = this.committed;
    this.committed = now;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  private async commitOne(c: KafkaCommittable): Promise<void> {
    const k = key(c);
    if (this.committed.has(k) || this.previous.has(k)) return;
    // A pooled producer (its connections) is reused for the next transactional id when the client allows it.
    const pooled = this.idle.pop();
    let producer: KafkaTransactionalProducer;
    if (pooled !== undefined) {
      pooled.setTransactionalId!(c.transactionalId);
      producer = pooled;
    } else {
      producer = await this.client.transactionalProducer(c.transactionalId, { transactionTimeoutMs: this.transactionTimeoutMs });
    }
    let reusable = false;
    try {
      producer.resumeTransaction({ producerId: c.producerId, epoch: c.epoch });
      await producer.commitTransaction();
      reusable = true;
    } catch (e) {
      throw commitError(c, e);
    } finally {
      if (reusable && !this.closed && producer.setTransactionalId !== undefined && this.idle.length < MAX_IDLE_COMMITTER_PRODUCERS) this.idle.push(producer);
      else await producer.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.allSettled(idle.map((p) => p.close()));
  }
}

/** A shallow copy with the same prototype: per-writer state (a partitioner's subtask index) is not shared. */
function ownCopy<O extends object>(o: O): O {
  return Object.assign(Object.create(Object.getPrototypeOf(o) as object | null) as O, o);
}

const key = (c: KafkaCommittable): string => `${c.transactionalId}/${c.producerId}/${c.epoch}`;

function commitError(c: KafkaCommittable, e: unknown): unknown {
  const type = e instanceof KafkaClientError ? e.kafkaErrorType : undefined;
  const name = `transaction ${c.transactionalId} (producer id ${c.producerId}, epoch ${c.epoch})`;
  switch (type) {
    case 'PRODUCER_FENCED':
    case 'INVALID_PRODUCER_EPOCH':
      return new KafkaCommitError(
        `Cannot commit ${name}: a newer producer of this transactional id fenced it before this job saw it committed. Either the broker aborted it ` +
          `because transaction.timeout.ms passed before the commit (its records are lost), or another producer uses this transactional id prefix. Failing instead of going on without its records.`,
        { cause: e },
      );
    case 'INVALID_TXN_STATE':
      return new KafkaCommitError(`Cannot commit ${name}: it was aborted (most likely transaction.timeout.ms passed before the commit); its records are lost.`, { cause: e });
    case 'UNKNOWN_PRODUCER_ID':
    case 'INVALID_PRODUCER_ID_MAPPING':
      return new KafkaCommitError(`Cannot commit ${name}: the broker no longer knows its producer (${type}); its records are lost.`, { cause: e });
    default:
      return e;
  }
}
