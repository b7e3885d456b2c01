/**
 * An admin kept open (KafkaSource's discovery admin, listing the topics of a pattern every interval) describes
 * the topics it is asked about, whatever it described before: a topic it described once and that was deleted
 * since does not fail the describing of others (kafkajs keeps every topic it was asked about as a metadata
 * target; a deleted one failed each later metadata refresh with "This server does not host this
 * topic-partition", naming the topics asked, which exist).
 */
import { expect, it } from 'vitest';
import type { KafkaAdmin, KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`admin describing topics after one it described was deleted (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('describes the remaining topics, and fails naming a deleted one asked about', async () => {
      const kept = uniqueName('kept');
      const gone = uniqueName('gone');
      await admin.createTopics([{ topic: kept, numPartitions: 2 }, { topic: gone, numPartitions: 1 }]);
      const longLived = await client.admin();
      try {
        expect(await longLived.describeTopicPartitions([kept, gone])).toEqual([
          ...[0, 1].map((partition) => ({ topic: kept, partition })),
          { topic: gone, partition: 0 },
        ].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)));
        // Offsets asked of the deleted topic's partition too (discovery does, for a new partition).
        await longLived.listOffsets([{ topic: gone, partition: 0 }], { kind: 'earliest' });
        await admin.deleteTopics([gone]);
        await expect.poll(() => admin.listTopics(), { timeout: 10_000 }).not.toContain(gone);
        expect(await longLived.describeTopicPartitions([kept])).toEqual([0, 1].map((partition) => ({ topic: kept, partition })));
        await expect(longLived.describeTopicPartitions([kept, gone])).rejects.toThrow(gone);
      } finally {
        await longLived.close();
      }
    });
  });
}
