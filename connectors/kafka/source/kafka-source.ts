/**
 * KafkaSource (Flink's, under its builder names): each partition is a split, spread over the source's
 * subtasks as Flink's KafkaSourceEnumerator spreads them; each split gets its own watermark inside the source
 * (`fromSource(source, WatermarkStrategy..., name)`) and records carry their Kafka timestamp. A checkpoint holds
 * each split's next offset (recovery reads on from there); committing offsets to the group when a checkpoint
 * completes is for lag monitoring only. `setBounded(OffsetsInitializer.latest())` stops at the offsets found
 * at start (backfills, batch jobs).
 *
 * Every partition has exactly one owner, splitOwner(tp, parallelism), and only its owner ever reads it. Each
 * reader lists the topics on its own at start and takes the partitions it owns; unbounded, every
 * `partition.discovery.interval.ms` (default 5 min, as Flink) it lists them again and adds the partitions it owns
 * and does not hold yet, read from their start (Flink's default for discovered partitions). So a partition
 * created while the readers list at start is read once, whichever reader listed first: its owner saw it at
 * start or discovers it later. With a topic pattern the topics are listed again too, so matching topics created
 * later are read (as Flink). Flink lists in one enumerator instead; the ownership rule gives the same.
 *
 * A restore hands each reader the splits it owns out of ALL readers' checkpointed splits (the source's
 * getSplitOwner; the runtime does the union redistribution), so a reader holds every partition of the job it
 * owns: one the job knew at the checkpoint is never discovered again, one it did not know is discovered from
 * its start by its owner. With periodic discovery off (interval 0) a restored reader still lists once, as
 * Flink's enumerator discovers once at every start. Checkpoints of earlier versions restore too (their
 * `knownPartitions` field on partition 0 is ignored; a partition such a checkpoint holds twice is read on from
 * the furthest position).
 */
import type { Boundedness, InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../../../lib/core/connector/source.ts';
import { IllegalArgumentException, IllegalStateException } from '../../../lib/core/errors.ts';
import type { OutputTag } from '../../../lib/core/output-tag.ts';
import {
  topicPartitionKey,
  type ConsumerRecord,
  type IsolationLevel,
  type KafkaClient,
  type KafkaAdmin,
  type KafkaClientConfig,
  type KafkaPartitionConsumer,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../client.ts';
import { KafkajsClient } from '../kafkajs/client.ts';
import {
  KafkaDeserializationError,
  valueOnly,
  type DeserializationSchema,
  type KafkaDeserializationFailure,
  type KafkaRecordDeserializer,
} from './deserialization.ts';
import { OffsetsInitializer, type OffsetResetStrategy } from './offsets-initializer.ts';

/** A partition and where reading goes on (Flink's KafkaPartitionSplit): what a checkpoint holds. */
export interface KafkaPartitionSplit extends SourceSplit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly startingOffset: number;
  /** Bounded: the first offset not to read. */
  readonly stoppingOffset?: number;
  // Earlier versions wrote `knownPartitions` on partition 0 (a per-topic discovery leader): ignored on restore.
}

/** Java's String#hashCode (UTF-16 code units, int32 arithmetic). */
function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The subtask that reads `tp` (Flink's KafkaSourceEnumerator#getSplitOwner): a topic's partitions round robin from a hashed start. */
export function splitOwner(tp: TopicPartition, numReaders: number): number {
  const startIndex = (Math.imul(javaStringHashCode(tp.topic), 31) & 0x7fffffff) % numReaders;
  return (startIndex + tp.partition) % numReaders;
}

/** The consumer properties the source understands (setProperty); anything else fails at build(). */
const PROPERTIES = {
  'bootstrap.servers': 'host:port[,host:port...]',
  'group.id': 'the consumer group (committed offsets)',
  'client.id.prefix': "the client id's prefix (the subtask index is appended)",
  'isolation.level': "'read_committed' (default) or 'read_uncommitted'",
  'commit.offsets.on.checkpoint': "'true' (default when a group id is set) or 'false'",
  'fetch.max.wait.ms': 'the longest one fetch waits for data (default 500)',
  'max.partition.fetch.bytes': 'the most bytes one fetch returns per partition (default 1048576)',
  'max.poll.records': 'the most records emitted before the task handles its mailbox (checkpoints, timers) again (default 500)',
  'partition.discovery.interval.ms': 'unbounded: how often new partitions are looked for (default 300000; 0 or less: only once, when the job starts or is restored)',
} as const;

interface SourceConfig<T> {
  readonly bootstrapServers: string;
  readonly topics: readonly string[] | undefined;
  readonly topicPattern: RegExp | undefined;
  readonly groupId: string | undefined;
  readonly clientIdPrefix: string;
  readonly startingOffsets: OffsetsInitializer;
  readonly stoppingOffsets: OffsetsInitializer | undefined;
  readonly deserializer: KafkaRecordDeserializer<T>;
  /** Where records that do not deserialize go (setDeserializationFailureOutput); undefined: they fail the job. */
  readonly failureOutput: OutputTag<KafkaDeserializationFailure> | undefined;
  readonly isolationLevel: IsolationLevel;
  readonly commitOffsetsOnCheckpoint: boolean;
  readonly fetchMaxWaitMs: number;
  readonly maxPartitionFetchBytes: number;
  readonly maxPollRecords: number;
  /** 0: no periodic discovery, only the listing at start (and one after a restore, as Flink); bounded sources never discover. */
  readonly discoveryIntervalMs: number;
  readonly clientFactory: (config: KafkaClientConfig) => KafkaClient;
}

export class KafkaSourceBuilder<T> {
  private bootstrapServers: string | undefined;
  private topics: string[] | undefined;
  private topicPattern: RegExp | undefined;
  private groupId: string | undefined;
  private clientIdPrefix: string | undefined;
  private startingOffsets: OffsetsInitializer = OffsetsInitializer.earliest();
  private stoppingOffsets: OffsetsInitializer | undefined;
  private deserializer: KafkaRecordDeserializer<T> | undefined;
  private failureOutput: OutputTag<KafkaDeserializationFailure> | undefined;
  private readonly properties = new Map<string, string>();
  private clientFactory: (config: KafkaClientConfig) => KafkaClient = (config) => new KafkajsClient(config);

  setBootstrapServers(servers: string): this {
    this.bootstrapServers = servers;
    return this;
  }

  /** The topics to read (all their partitions). */
  setTopics(...topics: ReadonlyArray<string | readonly string[]>): this {
    this.topics = topics.flat();
    this.topicPattern = undefined;
    return this;
  }

  /** Every topic whose whole name matches; unbounded, topics created later are found by partition discovery. */
  setTopicPattern(pattern: RegExp): this {
    this.topicPattern = pattern;
    this.topics = undefined;
    return this;
  }

  setGroupId(groupId: string): this {
    this.groupId = groupId;
    return this;
  }

  setClientIdPrefix(prefix: string): this {
    this.clientIdPrefix = prefix;
    return this;
  }

  /** Where each partition starts on a fresh start (default earliest; a restore starts from the checkpoint). */
  setStartingOffsets(initializer: OffsetsInitializer): this {
    this.startingOffsets = initializer;
    return this;
  }

  /** Makes the source bounded: each partition ends at these offsets (e.g. OffsetsInitializer.latest()). */
  setBounded(stoppingOffsets: OffsetsInitializer): this {
    this.stoppingOffsets = stoppingOffsets;
    return this;
  }

  /** Deserializes each record's value (SimpleStringSchema, JsonDeserializationSchema or your own). */
  setValueOnlyDeserializer<U>(schema: DeserializationSchema<U>): KafkaSourceBuilder<U> {
    const self = this as unknown as KafkaSourceBuilder<U>;
    self.deserializer = valueOnly(schema);
    return self;
  }

  /** Deserializes the whole record (key, value, headers, timestamp, topic, partition, offset). */
  setDeserializer<U>(deserializer: KafkaRecordDeserializer<U>): KafkaSourceBuilder<U> {
    const self = this as unknown as KafkaSourceBuilder<U>;
    self.deserializer = deserializer;
    return self;
  }

  /**
   * Records that do not deserialize (the deserializer threw: bad JSON, a tombstone for a value-only schema) go
   * to the side output `tag` instead of failing the job: read them with
   * `env.fromSource(source, ...).getSideOutput(tag)`, as a ProcessFunction's `ctx.output(tag, ...)`. Each
   * carries topic, partition, offset, timestamp, key, value and the error's message. If nothing reads that
   * side output, such a record still fails the job (it would be lost).
   */
  setDeserializationFailureOutput(tag: OutputTag<KafkaDeserializationFailure>): this {
    this.failureOutput = tag;
    return this;
  }

  /** A consumer property (see PROPERTIES for the ones understood). */
  setProperty(key: string, value: string): this {
    if (!(key in PROPERTIES)) {
      throw new IllegalArgumentException(
        `KafkaSource does not understand the property '${key}'; it understands: ${Object.entries(PROPERTIES).map(([k, v]) => `${k} (${v})`).join(', ')}`,
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

  build(): KafkaSource<T> {
    const bootstrapServers = this.properties.get('bootstrap.servers') ?? this.bootstrapServers;
    if (bootstrapServers === undefined) throw new IllegalArgumentException('KafkaSource needs setBootstrapServers(...)');
    if (this.topics === undefined && this.topicPattern === undefined) throw new IllegalArgumentException('KafkaSource needs setTopics(...) or setTopicPattern(...)');
    if (this.topics !== undefined && this.topics.length === 0) throw new IllegalArgumentException('KafkaSource.setTopics() got no topic');
    if (this.deserializer === undefined) throw new IllegalArgumentException('KafkaSource needs setValueOnlyDeserializer(...) or setDeserializer(...)');
    const isolation = this.properties.get('isolation.level') ?? 'read_committed';
    if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw new IllegalArgumentException(`isolation.level must be read_committed or read_uncommitted, not '${isolation}'`);
    const number = (key: string, fallback: number): number => {
      const raw = this.properties.get(key);
      if (raw === undefined) return fallback;
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 0) throw new IllegalArgumentException(`${key} must be a non-negative integer, not '${raw}'`);
      return n;
    };
    const groupId = this.properties.get('group.id') ?? this.groupId;
    return new KafkaSource<T>({
      bootstrapServers,
      topics: this.topics,
      topicPattern: this.topicPattern,
      groupId,
      clientIdPrefix: this.properties.get('client.id.prefix') ?? this.clientIdPrefix ?? groupId ?? 'tidemark-kafka-source',
      startingOffsets: this.startingOffsets,
      stoppingOffsets: this.stoppingOffsets,
      deserializer: this.deserializer,
      failureOutput: this.failureOutput,
      isolationLevel: isolation,
      commitOffsetsOnCheckpoint: groupId !== undefined && (this.properties.get('commit.offsets.on.checkpoint') ?? 'true') === 'true',
      fetchMaxWaitMs: number('fetch.max.wait.ms', 500),
      maxPartitionFetchBytes: number('max.partition.fetch.bytes', 1 << 20),
      maxPollRecords: Math.max(1, number('max.poll.records', 500)),
      discoveryIntervalMs: this.stoppingOffsets !== undefined ? 0 : discoveryInterval(this.properties.get('partition.discovery.interval.ms')),
      clientFactory: this.clientFactory,
    });
  }
}

function discoveryInterval(raw: string | undefined): number {
  if (raw === undefined) return 300_000;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new IllegalArgumentException(`partition.discovery.interval.ms must be an integer, not '${raw}'`);
  return Math.max(0, n);
}

export class KafkaSource<T> implements Source<T> {
  readonly boundedness: Boundedness;

  /** @internal use KafkaSource.builder() */
  constructor(private readonly config: SourceConfig<T>) {
    this.boundedness = config.stoppingOffsets === undefined ? 'CONTINUOUS_UNBOUNDED' : 'BOUNDED';
  }

  static builder<T = never>(): KafkaSourceBuilder<T> {
    return new KafkaSourceBuilder<T>();
  }

  createReader(context: SourceReaderContext): SourceReader<T> {
    return new KafkaSourceReader(this.config, context);
  }

  /** A restore gives each reader the partitions it owns out of all restored ones (see the header). */
  getSplitOwner(split: SourceSplit, numReaders: number): number {
    const s = split as Partial<KafkaPartitionSplit>;
    if (typeof s.topic !== 'string' || !Number.isSafeInteger(s.partition) || typeof s.startingOffset !== 'number') {
      throw new IllegalStateException(
        `restored split '${String(split.splitId)}' is not a KafkaSource split (topic, partition, startingOffset): the state restored for this source was written by another source (was its uid given to another source?)`,
      );
    }
    return splitOwner({ topic: s.topic, partition: s.partition! }, numReaders);
  }
}

interface SplitState<V> {
  readonly splitId: string;
  readonly tp: TopicPartition;
  readonly stoppingOffset: number | undefined;
  /** The next offset to emit. */
  position: number;
  /** The consumer's position after the last fetch: past markers and aborted records, which never reach us. */
  fetchedUpTo: number;
  output: ReaderOutput<V> | undefined;
  finished: boolean;
}

class KafkaSourceReader<V> implements SourceReader<V> {
  private readonly splits = new Map<string, SplitState<V>>();
  private client: KafkaClient | undefined;
  private consumer: KafkaPartitionConsumer | undefined;
  private buffer: ConsumerRecord[] = [];
  private next = 0;
  private fetching: Promise<void> | null = null;
  private failure: unknown = null;
  private outputsFor: ReaderOutput<V> | undefined;
  /** Discovery added splits that have no output yet. */
  private splitsAdded = false;
  private nextDiscovery = 0;
  /**
   * Restored with periodic discovery off: the topics are still listed once (Flink's enumerator discovers once
   * at start whatever the interval), so partitions created while the job was down are read.
   */
  private listOnce = false;
  private discoveryAdmin: KafkaAdmin | undefined;
  /** Offsets to commit per checkpoint once it completes (Flink's offsetsToCommit). */
  private readonly pendingCommits = new Map<number, TopicPartitionOffset[]>();
  private committing: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * Restored splits already at their stopping offset: their watermark channels came back with the checkpoint,
   * so they are released on the first poll (else a finished partition holds the watermark back to the end).
   */
  private finishedOnRestore: string[] = [];
  /** The split of the record polled last (pollNext looks a split up once per run of a partition's records). */
  private lastSplit: SplitState<V> | undefined;

  constructor(
    private readonly config: SourceConfig<V>,
    private readonly context: SourceReaderContext,
  ) {}

  /** start() while it runs: close() waits for it, so what it opens is closed too. */
  private starting: Promise<void> | undefined;

  start(): Promise<void> {
    return (this.starting = this.startReading());
  }

  private async startReading(): Promise<void> {
    const config = this.config;
    const client = config.clientFactory({
      bootstrapServers: config.bootstrapServers,
      clientId: `${config.clientIdPrefix}-${this.context.getIndexOfSubtask()}`,
    });
    this.client = client;
    const restored = this.context.restoredSplits as readonly KafkaPartitionSplit[] | undefined;
    const splits = restored !== undefined ? this.ownRestoredSplits(restored) : await this.initialSplits(client);
    // Fresh: the listing just made was a discovery. Restored: partitions may have come while the job was down.
    if (restored === undefined) this.nextDiscovery = Date.now() + config.discoveryIntervalMs;
    else if (config.stoppingOffsets === undefined && config.discoveryIntervalMs <= 0) this.listOnce = true;
    for (const s of splits) {
      const finished = s.stoppingOffset !== undefined && s.startingOffset >= s.stoppingOffset;
      this.splits.set(s.splitId, {
        splitId: s.splitId,
        tp: { topic: s.topic, partition: s.partition },
        stoppingOffset: s.stoppingOffset,
        position: s.startingOffset,
        fetchedUpTo: s.startingOffset,
        output: undefined,
        finished,
      });
      if (finished && restored !== undefined) this.finishedOnRestore.push(s.splitId);
    }
    // Closed (the job canceled) while the topics were listed: no consumer to open.
    if (this.closed) return;
    this.consumer = await client.consumer({
      ...(config.groupId === undefined ? {} : { groupId: config.groupId }),
      isolationLevel: config.isolationLevel,
      // Out of range (records deleted, a restored offset past the end) goes where the starting offsets say, as Flink.
      autoOffsetReset: autoOffsetReset(config.startingOffsets.getAutoOffsetResetStrategy()),
      maxWaitMs: config.fetchMaxWaitMs,
      maxBytesPerPartition: config.maxPartitionFetchBytes,
    });
    this.reassign();
  }

  /**
   * The restored splits, which the runtime chose by getSplitOwner: all of this reader's partitions the job
   * held. One owned by another reader would be read twice (its owner discovers it): that fails. A partition
   * an earlier version's checkpoint holds twice goes on from the furthest position (what is before it was read).
   */
  private ownRestoredSplits(restored: readonly KafkaPartitionSplit[]): KafkaPartitionSplit[] {
    const index = this.context.getIndexOfSubtask();
    const parallelism = this.context.currentParallelism();
    const byId = new Map<string, KafkaPartitionSplit>();
    for (const s of restored) {
      const owner = splitOwner(s, parallelism);
      if (owner !== index) {
        throw new IllegalStateException(
          `restored split ${s.splitId} belongs to reader ${owner} of ${parallelism}, not to reader ${index}: KafkaSource splits must be restored to their owner (Source.getSplitOwner), else a partition is read twice`,
        );
      }
      const before = byId.get(s.splitId);
      if (before === undefined || s.startingOffset > before.startingOffset) byId.set(s.splitId, s);
    }
    return [...byId.values()];
  }

  /** The topics read: the given ones, or those matching the pattern now. */
  private async subscribedTopics(admin: KafkaAdmin): Promise<string[]> {
    const config = this.config;
    return config.topics?.slice() ?? (await admin.listTopics()).filter((t) => matchesWhole(config.topicPattern!, t)).sort();
  }

  /** The partitions of the subscribed topics this reader owns (splitOwner). */
  private async ownedPartitions(admin: KafkaAdmin): Promise<TopicPartition[]> {
    const topics = await this.subscribedTopics(admin);
    const all = topics.length === 0 ? [] : await admin.describeTopicPartitions(topics);
    const parallelism = this.context.currentParallelism();
    const index = this.context.getIndexOfSubtask();
    return all.filter((tp) => splitOwner(tp, parallelism) === index);
  }

  /** This subtask's partitions with their starting (and stopping) offsets, on a fresh start. */
  private async initialSplits(client: KafkaClient): Promise<KafkaPartitionSplit[]> {
    const config = this.config;
    const admin = await client.admin();
    try {
      const mine = await this.ownedPartitions(admin);
      const ctx = { admin, groupId: config.groupId, isolationLevel: config.isolationLevel };
      const starts = await config.startingOffsets.getPartitionOffsets(mine, ctx);
      const stops = config.stoppingOffsets === undefined ? undefined : await config.stoppingOffsets.getPartitionOffsets(mine, ctx);
      return mine.map((tp, i) => ({
        splitId: topicPartitionKey(tp),
        topic: tp.topic,
        partition: tp.partition,
        startingOffset: starts[i]!.offset,
        ...(stops === undefined ? {} : { stoppingOffset: stops[i]!.offset }),
      }));
    } finally {
      await admin.close();
    }
  }

  /** The consumer reads the unfinished splits, each from its position. */
  private reassign(): void {
    const consumer = this.consumer!;
    const active = [...this.splits.values()].filter((s) => !s.finished);
    consumer.assign(active.map((s) => s.tp));
    for (const s of active) if (consumer.position(s.tp) === undefined) consumer.seek(s.tp, s.position);
  }

  pollNext(output: ReaderOutput<V>): InputStatus {
    if (this.failure !== null) throw this.failure;
    if (this.outputsFor !== output || this.splitsAdded) this.createSplitOutputs(output);
    let emitted = 0;
    const buffer = this.buffer;
    const max = this.config.maxPollRecords;
    const deserializer = this.config.deserializer;
    // A fetch returns each partition's records in a run: the split is looked up once per run, not per record.
    let split = this.lastSplit;
    while (this.next < buffer.length && emitted < max) {
      const record = buffer[this.next++]!;
      if (split === undefined || record.partition !== split.tp.partition || record.topic !== split.tp.topic) {
        split = this.splits.get(topicPartitionKey(record));
        this.lastSplit = split;
      }
      if (split === undefined || split.finished) continue;
      if (split.stoppingOffset !== undefined && record.offset >= split.stoppingOffset) continue;
      let value: V;
      try {
        value = deserializer(record);
      } catch (e) {
        // An error of an operator reading the side output propagates as it is (it is not this record's).
        const unsent = this.toFailureOutput(output, record, new KafkaDeserializationError(record, e));
        if (unsent !== null) {
          this.next--; // the record was not read: a snapshot taken after this points at it
          throw unsent;
        }
        split.position = record.offset + 1;
        emitted++;
        continue;
      }
      split.position = record.offset + 1;
      split.output!.collect(value, record.timestamp);
      emitted++;
    }
    if (this.next < buffer.length || emitted > 0) return 'MORE_AVAILABLE';
    this.finishSplits(output);
    if (this.config.stoppingOffsets !== undefined && this.allFinished()) return 'END_OF_INPUT';
    if (this.fetching === null) this.fetch();
    return 'NOTHING_AVAILABLE';
  }

  /**
   * Sends a record that did not deserialize to the side output set with setDeserializationFailureOutput (null);
   * else returns the error that fails the job: `failure` when there is no such output, and when nobody reads
   * it, `failure` saying so (the record would be lost).
   */
  private toFailureOutput(output: ReaderOutput<V>, record: ConsumerRecord, failure: KafkaDeserializationError): KafkaDeserializationError | null {
    const tag = this.config.failureOutput;
    if (tag === undefined) return failure;
    const side: KafkaDeserializationFailure = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
      error: failure.message,
    };
    if (output.collectSide?.(tag.id, side, record.timestamp) === true) return null;
    return new KafkaDeserializationError(
      record,
      new IllegalStateException(`${failure.cause instanceof Error ? failure.cause.message : String(failure.cause)}; and nothing reads the side output '${tag.id}' it was to go to (call getSideOutput on the stream fromSource returned)`),
    );
  }

  /** Every split gets its output (its own watermark) at once, so one without records yet holds the watermark back. */
  private createSplitOutputs(output: ReaderOutput<V>): void {
    const same = this.outputsFor === output;
    this.outputsFor = output;
    this.splitsAdded = false;
    if (this.finishedOnRestore.length > 0) {
      for (const id of this.finishedOnRestore) output.releaseOutputForSplit?.(id);
      this.finishedOnRestore = [];
    }
    for (const s of this.splits.values()) {
      if (s.finished) s.output = undefined;
      else if (!same || s.output === undefined) s.output = output.createOutputForSplit?.(s.splitId) ?? output;
    }
  }

  /** Ends the bounded splits read to their stopping offset: they no longer hold the watermark back. */
  private finishSplits(output: ReaderOutput<V>): void {
    let changed = false;
    for (const s of this.splits.values()) {
      if (s.finished || s.stoppingOffset === undefined) continue;
      if (s.position >= s.stoppingOffset || s.fetchedUpTo >= s.stoppingOffset) {
        s.finished = true;
        s.position = Math.max(s.position, s.stoppingOffset);
        output.releaseOutputForSplit?.(s.splitId);
        s.output = undefined;
        changed = true;
      }
    }
    if (changed) this.reassign();
  }

  private allFinished(): boolean {
    for (const s of this.splits.values()) if (!s.finished) return false;
    return true;
  }

  private fetch(): void {
    const consumer = this.consumer!;
    const interval = this.config.discoveryIntervalMs;
    const discover = this.listOnce || (interval > 0 && Date.now() >= this.nextDiscovery) ? this.discoverPartitions() : Promise.resolve();
    this.fetching = discover.then(() => consumer.poll(this.config.fetchMaxWaitMs)).then(
      (records) => {
        this.buffer = records;
        this.next = 0;
        for (const s of this.splits.values()) {
          if (s.finished) continue;
          const at = consumer.position(s.tp);
          if (at !== undefined) s.fetchedUpTo = at;
        }
        this.fetching = null;
      },
      (e: unknown) => {
        this.failure = e;
        this.fetching = null;
      },
    );
  }

  /**
   * Adds the partitions this reader owns and does not hold yet. It holds every partition of the job it owns
   * (its initial ones, or all the job's it owns after a restore), so these are new to the job.
   */
  private async discoverPartitions(): Promise<void> {
    this.nextDiscovery = Date.now() + this.config.discoveryIntervalMs;
    if (this.listOnce) {
      // The one listing after a restore with periodic discovery off: its admin is not kept.
      this.listOnce = false;
      const admin = await this.client!.admin();
      try {
        await this.addNewPartitions(admin);
      } finally {
        await admin.close();
      }
      return;
    }
    this.discoveryAdmin ??= await this.client!.admin();
    await this.addNewPartitions(this.discoveryAdmin);
  }

  private async addNewPartitions(admin: KafkaAdmin): Promise<void> {
    const fresh = (await this.ownedPartitions(admin)).filter((tp) => !this.splits.has(topicPartitionKey(tp)));
    if (fresh.length === 0) return;
    // New partitions are read from their start (Flink's default for discovered partitions).
    const starts = await OffsetsInitializer.earliest().getPartitionOffsets(fresh, { admin, groupId: this.config.groupId, isolationLevel: this.config.isolationLevel });
    for (const o of starts) {
      const splitId = topicPartitionKey(o);
      if (this.splits.has(splitId)) continue;
      this.splits.set(splitId, {
        splitId,
        tp: { topic: o.topic, partition: o.partition },
        stoppingOffset: undefined,
        position: o.offset,
        fetchedUpTo: o.offset,
        output: undefined,
        finished: false,
      });
    }
    this.splitsAdded = true;
    this.reassign();
  }

  isAvailable(): Promise<void> {
    return this.fetching ?? Promise.resolve();
  }

  snapshotState(checkpointId: number): KafkaPartitionSplit[] {
    const out: KafkaPartitionSplit[] = [];
    const offsets: TopicPartitionOffset[] = [];
    for (const s of this.splits.values()) {
      offsets.push({ ...s.tp, offset: s.position });
      if (s.finished) continue;
      out.push({
        splitId: s.splitId,
        topic: s.tp.topic,
        partition: s.tp.partition,
        startingOffset: s.position,
        ...(s.stoppingOffset === undefined ? {} : { stoppingOffset: s.stoppingOffset }),
      });
    }
    if (this.config.commitOffsetsOnCheckpoint) this.pendingCommits.set(checkpointId, offsets);
    return out;
  }

  /** Commits the completed checkpoint's offsets to the group, for lag monitoring; a failure only warns (as Flink). */
  notifyCheckpointComplete(checkpointId: number): void {
    const offsets = this.pendingCommits.get(checkpointId);
    for (const id of [...this.pendingCommits.keys()]) if (id <= checkpointId) this.pendingCommits.delete(id);
    if (offsets === undefined || offsets.length === 0 || this.consumer === undefined || this.closed) return;
    const consumer = this.consumer;
    this.committing = this.committing.then(() =>
      consumer.commitOffsets(offsets).catch((e: unknown) => {
        console.warn(`${this.context.operatorName}: committing offsets of checkpoint ${checkpointId} to group ${this.config.groupId} failed: ${e instanceof Error ? e.message : String(e)}`);
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    // A start() still running opens the consumer after this: wait for it (its failure is start()'s to report).
    await this.starting?.catch(() => undefined);
    await this.fetching;
    await this.committing;
    try {
      await this.consumer?.close();
    } finally {
      await this.discoveryAdmin?.close();
    }
  }
}

function autoOffsetReset(strategy: OffsetResetStrategy): 'earliest' | 'latest' | 'none' {
  return strategy === 'EARLIEST' ? 'earliest' : strategy === 'LATEST' ? 'latest' : 'none';
}

/** A whole-name match of `pattern` (Flink's topic pattern), whatever its flags. */
function matchesWhole(pattern: RegExp, topic: string): boolean {
  const whole = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
  return whole.test(topic);
}
