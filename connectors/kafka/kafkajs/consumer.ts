import {
  KafkaClientError,
  topicPartitionKey,
  type ConsumerOptions,
  type ConsumerRecord,
  type IsolationLevel,
  type KafkaPartitionConsumer,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../client.ts';
import { byTopic, clientError, listOffsetsOnLeaders, STALE_METADATA } from './admin.ts';
import { onCoordinator } from './coordinator.ts';
import {
  COORDINATOR_GROUP,
  READ_COMMITTED,
  READ_UNCOMMITTED,
  type Cluster,
  type FetchedRecord,
  type FetchPartitionResponse,
  type KafkajsError,
} from './internals.ts';

interface PartitionState {
  readonly tp: TopicPartition;
  /** The next offset to fetch; undefined until seek or a reset. */
  position: number | undefined;
  paused: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Drops what a read_committed reader must not see from one partition's fetched records (in offset order):
 * control records (transaction markers) and records of aborted transactions. The broker lists the aborted
 * transactions overlapping the fetch (producer id + first offset); a producer's records are aborted from
 * that first offset until its ABORT marker — Java's Fetcher does the same per batch. (kafkajs's own filter
 * takes at most one aborted transaction per record, so two aborts starting before one record slip through.)
 */
export function committedRecords(
  records: readonly FetchedRecord[],
  aborted: ReadonlyArray<{ readonly producerId: string; readonly firstOffset: string }> | undefined,
): FetchedRecord[] {
  if (aborted === undefined || aborted.length === 0) return records.filter((r) => r.isControlRecord !== true);
  const pending = [...aborted].sort((a, b) => Number(a.firstOffset) - Number(b.firstOffset));
  let next = 0;
  const abortedProducers = new Set<string>();
  const out: FetchedRecord[] = [];
  for (const r of records) {
    const offset = Number(r.offset);
    while (next < pending.length && Number(pending[next]!.firstOffset) <= offset) abortedProducers.add(pending[next++]!.producerId);
    const producerId = r.batchContext.producerId;
    if (r.isControlRecord === true) {
      // An ABORT marker (control key type 0) ends that producer's aborted transaction; COMMIT (1) ends nothing here.
      if (r.key !== null && r.key.length >= 4 && r.key.readInt16BE(2) === 0) abortedProducers.delete(producerId);
      continue;
    }
    if (r.batchContext.inTransaction && abortedProducers.has(producerId)) continue;
    out.push(r);
  }
  return out;
}

/**
 * Java's KafkaConsumer#assign on kafkajs: Fetch requests sent straight to each assigned partition's leader
 * (kafkajs's own consumer can only join a group). Offsets are committed with OffsetCommit outside the group
 * (generation -1, no member id), as a Java consumer with assign() does; the broker accepts that while the
 * group has no active members.
 */
export class KafkajsPartitionConsumer implements KafkaPartitionConsumer {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly isolation: IsolationLevel;
  private readonly reset: 'earliest' | 'latest' | 'none';
  private readonly maxWaitMs: number;
  private readonly maxBytesPerPartition: number;
  private closed = false;
  /** Assigned topics the cluster did not list, since when (a deleted topic fails poll instead of hanging it). */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly cluster: Cluster,
    private readonly options: ConsumerOptions,
  ) {
    this.isolation = options.isolationLevel ?? 'read_committed';
    this.reset = options.autoOffsetReset ?? 'earliest';
    this.maxWaitMs = options.maxWaitMs ?? 500;
    this.maxBytesPerPartition = options.maxBytesPerPartition ?? 1 << 20;
  }

  assign(partitions: readonly TopicPartition[]): void {
    const keep = new Map(this.partitions);
    this.partitions.clear();
    for (const tp of partitions) {
      const key = topicPartitionKey(tp);
      this.partitions.set(key, keep.get(key) ?? { tp: { topic: tp.topic, partition: tp.partition }, position: undefined, paused: false });
    }
  }

  assignment(): TopicPartition[] {
    return [...this.partitions.values()].map((s) => s.tp);
  }

  private state(tp: TopicPartition): PartitionState {
    const s = this.partitions.get(topicPartitionKey(tp));
    if (s === undefined) throw new KafkaClientError(`partition ${topicPartitionKey(tp)} is not assigned to this consumer`);
    return s;
  }

  seek(tp: TopicPartition, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new KafkaClientError(`cannot seek ${topicPartitionKey(tp)} to ${offset}`);
    this.state(tp).position = offset;
  }

  position(tp: TopicPartition): number | undefined {
    return this.state(tp).position;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.state(tp).paused = true;
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.state(tp).paused = false;
  }

  paused(): TopicPartition[] {
    return [...this.partitions.values()].filter((s) => s.paused).map((s) => s.tp);
  }

  /** Positions partitions that have none (or lost theirs to OFFSET_OUT_OF_RANGE) per autoOffsetReset. */
  private async resetPositions(states: readonly PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    if (this.reset === 'none') {
      throw new KafkaClientError(`no position for ${states.map((s) => topicPartitionKey(s.tp)).join(', ')} and autoOffsetReset is 'none'`);
    }
    const offsets = await listOffsetsOnLeaders(this.cluster, states.map((s) => s.tp), this.reset === 'earliest' ? -2 : -1, this.isolation);
    for (let i = 0; i < states.length; i++) states[i]!.position = offsets[i]!.offset;
  }

  async poll(timeoutMs: number): Promise<ConsumerRecord[]> {
    if (this.closed) throw new KafkaClientError('the consumer is closed');
    const active = [...this.partitions.values()].filter((s) => !s.paused);
    if (active.length === 0) {
      await sleep(Math.min(timeoutMs, this.maxWaitMs));
      return [];
    }
    try {
      await this.resetPositions(active.filter((s) => s.position === undefined));
      await this.cluster.addMultipleTargetTopics([...new Set(active.map((s) => s.tp.topic))]);
      await this.cluster.refreshMetadataIfNecessary();
      const perLeader = new Map<string, PartitionState[]>();
      let unknown = 0;
      for (const [topic, states] of byTopic(active.map((s) => s.tp))) {
        const leaders = this.cluster.findLeaderForPartitions(topic, states.map((tp) => tp.partition));
        for (const [nodeId, ps] of Object.entries(leaders)) {
          let list = perLeader.get(nodeId);
          if (list === undefined) perLeader.set(nodeId, (list = []));
          for (const partition of ps) list.push(this.state({ topic, partition }));
          unknown -= ps.length;
        }
        unknown += states.length;
      }
      const maxWaitTime = Math.max(0, Math.min(timeoutMs, this.maxWaitMs));
      // A partition this client's metadata does not know yet (created since it was read): read it anew.
      if (unknown > 0) {
        await this.cluster.refreshMetadata();
        if (perLeader.size === 0) await sleep(Math.min(maxWaitTime, 100));
      }
      // Every leader's answer is taken: a fetch that succeeded already moved its partitions' positions past the
      // records it returned, so those are returned even when another leader's fetch failed recoverably.
      const settled = await Promise.allSettled([...perLeader].map(([nodeId, states]) => this.fetchFrom(nodeId, states, maxWaitTime)));
      const records: ConsumerRecord[] = [];
      const failures: unknown[] = [];
      for (const r of settled) {
        if (r.status === 'fulfilled') records.push(...r.value);
        else failures.push(r.reason);
      }
      for (const e of failures) await this.recover(e);
      return records;
    } catch (e) {
      await this.recover(e);
      return [];
    }
  }

  /** Recovers from a fetch error that fresh metadata or a position reset cures; throws any other. */
  private async recover(e: unknown): Promise<void> {
    const err = e as KafkajsError;
    if (err.name === 'KafkaJSOffsetOutOfRange' && err.topic !== undefined && err.partition !== undefined) {
      const s = this.partitions.get(topicPartitionKey({ topic: err.topic, partition: err.partition }));
      if (s !== undefined) {
        s.position = undefined; // the next poll resets it per autoOffsetReset
        if (this.reset === 'none') throw clientError(`fetching ${err.topic}-${err.partition}`, e);
        return;
      }
    }
    if (err.type === 'UNKNOWN_TOPIC_OR_PARTITION') await this.failIfTopicDeleted(e);
    if ((err.type !== undefined && STALE_METADATA.has(err.type)) || err.name === 'KafkaJSTopicMetadataNotLoaded' || err.name === 'KafkaJSBrokerNotFound') {
      await this.cluster.refreshMetadata().catch(() => undefined);
      return;
    }
    throw clientError('fetching records', e);
  }

  /**
   * A fetch said a partition is unknown: transient after a topic was created, for good after it was deleted.
   * An assigned topic the cluster no longer lists, in two looks at least a second apart, fails the poll
   * (a Java consumer, and so Flink's KafkaSource, would go on fetching nothing forever).
   */
  private async failIfTopicDeleted(cause: unknown): Promise<void> {
    const assigned = new Set([...this.partitions.values()].map((s) => s.tp.topic));
    let listed: Set<string>;
    try {
      listed = new Set((await this.cluster.metadata({ topics: [] })).topicMetadata.map((t) => t.topic));
    } catch {
      return; // no answer: the metadata refresh below retries, and the next failed fetch looks again
    }
    const now = Date.now();
    let missing = false;
    for (const topic of assigned) {
      if (listed.has(topic)) {
        this.missingSince.delete(topic);
        continue;
      }
      missing = true;
      const since = this.missingSince.get(topic);
      if (since === undefined) this.missingSince.set(topic, now);
      else if (now - since >= 1_000) {
        throw new KafkaClientError(`topic ${topic} no longer exists (deleted while it was being read); its partitions cannot be read on`, {
          cause,
          kafkaErrorType: 'UNKNOWN_TOPIC_OR_PARTITION',
        });
      }
    }
    if (missing) await sleep(100); // Java's retry.backoff.ms: the next poll does not spin on metadata requests
  }

  private async fetchFrom(nodeId: string, states: readonly PartitionState[], maxWaitTime: number): Promise<ConsumerRecord[]> {
    const broker = await this.cluster.findBroker({ nodeId });
    const requested = new Map(states.map((s) => [topicPartitionKey(s.tp), s.position!]));
    const { responses } = await broker.fetch({
      isolationLevel: this.isolation === 'read_committed' ? READ_COMMITTED : READ_UNCOMMITTED,
      maxWaitTime,
      minBytes: 1,
      maxBytes: this.maxBytesPerPartition * states.length,
      topics: [...byTopic(states.map((s) => s.tp))].map(([topic, tps]) => ({
        topic,
        partitions: tps.map((tp) => ({ partition: tp.partition, fetchOffset: String(this.state(tp).position), maxBytes: this.maxBytesPerPartition })),
      })),
    });
    const out: ConsumerRecord[] = [];
    for (const { topicName, partitions } of responses) {
      for (const p of partitions) this.take(topicName, p, requested, out);
    }
    return out;
  }

  private take(topic: string, p: FetchPartitionResponse, requested: ReadonlyMap<string, number>, out: ConsumerRecord[]): void {
    const key = topicPartitionKey({ topic, partition: p.partition });
    const state = this.partitions.get(key);
    const fetchedAt = requested.get(key);
    // A seek, pause or re-assignment during the fetch makes its answer stale for that partition.
    if (state === undefined || fetchedAt === undefined || state.position !== fetchedAt || state.paused) return;
    // A fetch may return a batch that starts before the offset asked for.
    const raw = p.messages.filter((r) => Number(r.offset) >= fetchedAt);
    if (raw.length === 0) return;
    const visible = this.isolation === 'read_committed' ? committedRecords(raw, p.abortedTransactions) : raw.filter((r) => r.isControlRecord !== true);
    for (const r of visible) {
      out.push({
        topic,
        partition: p.partition,
        offset: Number(r.offset),
        timestamp: Number(r.timestamp),
        key: r.key,
        value: r.value,
        headers: r.headers,
      });
    }
    // Past everything fetched, markers and aborted records included.
    state.position = Number(raw[raw.length - 1]!.offset) + 1;
  }

  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const groupId = this.options.groupId;
    if (groupId === undefined) throw new KafkaClientError('commitOffsets needs the consumer to have a groupId');
    if (offsets.length === 0) return;
    try {
      await onCoordinator(this.cluster, { groupId, coordinatorType: COORDINATOR_GROUP }, (broker) => broker.offsetCommit({
        groupId,
        groupGenerationId: -1,
        memberId: '',
        topics: [...byTopic(offsets)].map(([topic, tps]) => ({
          topic,
          partitions: tps.map((tp) => ({ partition: tp.partition, offset: String(tp.offset) })),
        })),
      }));
    } catch (e) {
      throw clientError(`committing offsets of group ${groupId}`, e);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.cluster.disconnect();
  }
}
