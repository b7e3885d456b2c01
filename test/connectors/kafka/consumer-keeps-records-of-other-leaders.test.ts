/**
 * The consumer fetches from each partition leader at once. With several brokers, one leader's fetch can fail
 * with an answer the consumer recovers from (NOT_LEADER_OR_FOLLOWER during a leader change, an offset out of
 * range) while another leader's fetch succeeded — and that fetch already moved its partitions' positions past
 * the records it returned. Returning nothing then would skip those records for good (data loss on a rolling
 * restart of a real cluster); they must be returned. One local broker leads every partition, so two leaders
 * are given here by a stand-in for kafkajs's Cluster.
 */
import { expect, it } from 'vitest';
import { KafkajsPartitionConsumer } from '../../../connectors/kafka/kafkajs/consumer.ts';
import type { Broker, Cluster, FetchedRecord } from '../../../connectors/kafka/kafkajs/internals.ts';

function record(offset: number, value: string): FetchedRecord {
  return { offset: String(offset), timestamp: '1000', key: null, value: Buffer.from(value), headers: {}, batchContext: { producerId: '-1', inTransaction: false } };
}

function leaderError(type: string): Error {
  return Object.assign(new Error(`This server is not the leader for that topic-partition (${type})`), { type, retriable: true, name: 'KafkaJSProtocolError' });
}

/** An out-of-range position is reset (earliest: 0) before the next fetch. */
const listOffsets = async (req: { topics: Array<{ topic: string; partitions: Array<{ partition: number }> }> }) => ({
  responses: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, offset: '0' })) })),
});

function twoLeaders(failing: Error): Cluster {
  const good = {
    listOffsets,
    fetch: async (req: { topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string }> }> }) => ({
      responses: req.topics.map((t) => ({
        topicName: t.topic,
        partitions: t.partitions.map((p) => ({
          partition: p.partition,
          highWatermark: '2',
          messages: [record(Number(p.fetchOffset), 'a'), record(Number(p.fetchOffset) + 1, 'b')].filter((r) => Number(r.offset) < 2),
        })),
      })),
    }),
  } as unknown as Broker;
  const bad = {
    fetch: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // after the good leader answered
      throw failing;
    },
    listOffsets,
  } as unknown as Broker;
  return {
    connect: async () => {},
    disconnect: async () => {},
    refreshMetadata: async () => {},
    refreshMetadataIfNecessary: async () => {},
    addMultipleTargetTopics: async () => {},
    findTopicPartitionMetadata: () => [],
    findLeaderForPartitions: (_topic: string, partitions: readonly number[]) => ({ '1': partitions.filter((p) => p === 0), '2': partitions.filter((p) => p === 1) }),
    findBroker: async ({ nodeId }: { nodeId: string | number }) => (String(nodeId) === '1' ? good : bad),
    findGroupCoordinator: async () => good,
    findControllerBroker: async () => good,
    metadata: async () => ({ topicMetadata: [{ topic: 't' }] }),
  };
}

for (const [what, error] of [
  ['NOT_LEADER_OR_FOLLOWER', leaderError('NOT_LEADER_OR_FOLLOWER')],
  ['an offset out of range', Object.assign(new Error('The requested offset is not within the range of offsets maintained by the server'), { name: 'KafkaJSOffsetOutOfRange', topic: 't', partition: 1, type: 'OFFSET_OUT_OF_RANGE' })],
] as const) {
  it(`records of a leader that answered are returned when another leader's fetch fails with ${what}`, async () => {
    const consumer = new KafkajsPartitionConsumer(twoLeaders(error), { maxWaitMs: 10 });
    consumer.assign([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
    consumer.seek({ topic: 't', partition: 0 }, 0);
    consumer.seek({ topic: 't', partition: 1 }, 0);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) for (const r of await consumer.poll(10)) seen.push(`${r.partition}:${r.offset}`);
    expect(seen).toEqual(['0:0', '0:1']);
    expect(consumer.position({ topic: 't', partition: 0 })).toBe(2);
  });
}
