import type { Admin } from 'kafkajs';
import {
  KafkaClientError,
  type IsolationLevel,
  type KafkaAdmin,
  type NewTopic,
  type OffsetSpec,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../client.ts';
import { onCoordinator } from './coordinator.ts';
import { COORDINATOR_GROUP, READ_COMMITTED, READ_UNCOMMITTED, type Cluster, type KafkajsError } from './internals.ts';

/** A kafkajs error as a KafkaClientError saying what was being done. */
export function clientError(what: string, e: unknown): KafkaClientError {
  if (e instanceof KafkaClientError) return e;
  const err = e as KafkajsError;
  const type = typeof err?.type === 'string' ? err.type : undefined;
  return new KafkaClientError(`${what}: ${err?.message ?? String(e)}`, {
    cause: e,
    retriable: err?.retriable === true,
    ...(type === undefined ? {} : { kafkaErrorType: type }),
  });
}

/** ListOffsets' special timestamps. */
const LATEST_TIMESTAMP = -1;
const EARLIEST_TIMESTAMP = -2;

/** Groups partitions by topic, keeping first-seen order. */
export function byTopic<T extends TopicPartition>(partitions: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const tp of partitions) {
    let list = out.get(tp.topic);
    if (list === undefined) out.set(tp.topic, (list = []));
    list.push(tp);
  }
  return out;
}

/** Topic creation and metadata through kafkajs's Admin; offsets by broker-level ListOffsets to each leader. */
export class KafkajsAdmin implements KafkaAdmin {
  constructor(
    private readonly admin: Admin,
    private readonly cluster: Cluster,
  ) {}

  async createTopics(topics: readonly NewTopic[]): Promise<boolean> {
    try {
      const created = await this.admin.createTopics({
        // kafkajs's own wait fails now and then on a fresh broker (UNKNOWN_TOPIC_OR_PARTITION while the
        // partitions load): waitForLeaders below retries that.
        waitForLeaders: false,
        topics: topics.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: -1,
          configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      await this.waitForLeaders(topics);
      return created;
    } catch (e) {
      throw clientError(`creating topics ${topics.map((t) => t.topic).join(', ')}`, e);
    }
  }

  /** Until every partition of `topics` has a leader in fresh metadata (10 s at most). */
  private async waitForLeaders(topics: readonly NewTopic[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (let backoff = 20; ; backoff = Math.min(backoff * 2, 500)) {
      try {
        await this.cluster.addMultipleTargetTopics(topics.map((t) => t.topic));
        await this.cluster.refreshMetadata();
        const ready = topics.every((t) => {
          const partitions = this.cluster.findTopicPartitionMetadata(t.topic);
          return partitions.length >= t.numPartitions && partitions.every((p) => p.leader >= 0);
        });
        if (ready) return;
      } catch (e) {
        const type = (e as KafkajsError).type;
        if (type === undefined || !STALE_METADATA.has(type)) throw e;
      }
      if (Date.now() > deadline) throw new KafkaClientError(`the partitions of ${topics.map((t) => t.topic).join(', ')} have no leader after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }

  async createPartitions(topic: string, totalCount: number): Promise<void> {
    try {
      await this.admin.createPartitions({ validateOnly: false, topicPartitions: [{ topic, count: totalCount }] });
    } catch (e) {
      throw clientError(`growing topic ${topic} to ${totalCount} partitions`, e);
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    try {
      await this.admin.deleteTopics({ topics: [...topics] });
    } catch (e) {
      throw clientError(`deleting topics ${topics.join(', ')}`, e);
    }
  }

  async listTopics(): Promise<string[]> {
    try {
      return await this.admin.listTopics();
    } catch (e) {
      throw clientError('listing topics', e);
    }
  }

  async describeTopicPartitions(topics: readonly string[]): Promise<TopicPartition[]> {
    try {
      // Fresh metadata every time: partitions added since the last call are what discovery looks for. Of these
      // topics only: kafkajs refreshes every topic it was ever asked about, and one deleted since (a topic of a
      // pattern) would fail every later describe of a kept admin (KafkaSource's discovery), naming none of it.
      this.cluster.targetTopics = new Set(topics);
      await this.cluster.refreshMetadata();
      const out: TopicPartition[] = [];
      for (const topic of topics) {
        const partitions = this.cluster.findTopicPartitionMetadata(topic);
        if (partitions.length === 0) throw new KafkaClientError(`no such topic: ${topic}`);
        for (const p of partitions) out.push({ topic, partition: p.partitionId });
      }
      return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    } catch (e) {
      throw clientError(`describing topics ${topics.join(', ')}`, e);
    }
  }

  async listOffsets(
    partitions: readonly TopicPartition[],
    spec: OffsetSpec,
    isolationLevel: IsolationLevel = 'read_committed',
  ): Promise<TopicPartitionOffset[]> {
    const timestamp = spec.kind === 'earliest' ? EARLIEST_TIMESTAMP : spec.kind === 'latest' ? LATEST_TIMESTAMP : spec.timestamp;
    try {
      return await listOffsetsOnLeaders(this.cluster, partitions, timestamp, isolationLevel);
    } catch (e) {
      throw clientError(`listing ${spec.kind} offsets`, e);
    }
  }

  async listConsumerGroupOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    try {
      if (partitions.length === 0) return [];
      const topics = [...byTopic(partitions)].map(([topic, tps]) => ({ topic, partitions: tps.map((tp) => ({ partition: tp.partition })) }));
      const { responses } = await onCoordinator(this.cluster, { groupId, coordinatorType: COORDINATOR_GROUP }, (broker) =>
        broker.offsetFetch({ groupId, topics }),
      );
      const out: TopicPartitionOffset[] = [];
      for (const { topic, partitions: ps } of responses) {
        for (const p of ps) {
          const offset = Number(p.offset);
          if (offset >= 0) out.push({ topic, partition: p.partition, offset }); // -1: nothing committed
        }
      }
      return out;
    } catch (e) {
      throw clientError(`reading the committed offsets of group ${groupId}`, e);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.admin.disconnect(), this.cluster.disconnect()]);
  }
}

/** Answers after which fresh metadata (a partition's new or first leader) lets the same request succeed. */
export const STALE_METADATA = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REPLICA_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
]);

/**
 * ListOffsets sent to each partition's leader; `timestamp` -1 latest, -2 earliest, else the first at/after it.
 * A partition created a moment ago may have no leader yet: that is retried with fresh metadata for up to 10 s.
 */
export async function listOffsetsOnLeaders(
  cluster: Cluster,
  partitions: readonly TopicPartition[],
  timestamp: number,
  isolationLevel: IsolationLevel,
): Promise<TopicPartitionOffset[]> {
  const deadline = Date.now() + 10_000;
  for (let backoff = 20; ; backoff = Math.min(backoff * 2, 500)) {
    try {
      return await listOffsetsOnce(cluster, partitions, timestamp, isolationLevel);
    } catch (e) {
      const type = (e as KafkajsError).type;
      if (type === undefined || !STALE_METADATA.has(type) || Date.now() > deadline) throw e;
      await cluster.refreshMetadata().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

async function listOffsetsOnce(
  cluster: Cluster,
  partitions: readonly TopicPartition[],
  timestamp: number,
  isolationLevel: IsolationLevel,
): Promise<TopicPartitionOffset[]> {
  if (partitions.length === 0) return [];
  const topics = byTopic(partitions);
  await cluster.addMultipleTargetTopics([...topics.keys()]);
  await cluster.refreshMetadataIfNecessary();
  const known = (tp: TopicPartition): boolean => cluster.findTopicPartitionMetadata(tp.topic).some((p) => p.partitionId === tp.partition);
  // A partition added since this client read its metadata: read it anew.
  if (!partitions.every(known)) await cluster.refreshMetadata();
  const perLeader = new Map<string, Map<string, number[]>>();
  for (const [topic, tps] of topics) {
    const leaders = cluster.findLeaderForPartitions(topic, tps.map((tp) => tp.partition));
    const found = new Set(Object.values(leaders).flat());
    const missing = tps.filter((tp) => !found.has(tp.partition));
    if (missing.length > 0) throw new KafkaClientError(`no such partitions: ${missing.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}`);
    for (const [nodeId, ps] of Object.entries(leaders)) {
      let forNode = perLeader.get(nodeId);
      if (forNode === undefined) perLeader.set(nodeId, (forNode = new Map()));
      forNode.set(topic, ps);
    }
  }
  const responses = await Promise.all(
    [...perLeader].map(async ([nodeId, forNode]) => {
      const broker = await cluster.findBroker({ nodeId });
      return broker.listOffsets({
        isolationLevel: isolationLevel === 'read_committed' ? READ_COMMITTED : READ_UNCOMMITTED,
        topics: [...forNode].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp })) })),
      });
    }),
  );
  const out: TopicPartitionOffset[] = [];
  for (const { responses: rs } of responses) {
    for (const r of rs) for (const p of r.partitions) out.push({ topic: r.topic, partition: p.partition, offset: Number(p.offset) });
  }
  // In the order asked.
  const index = new Map(out.map((o) => [`${o.topic}-${o.partition}`, o]));
  return partitions.map((tp) => index.get(`${tp.topic}-${tp.partition}`)!);
}
