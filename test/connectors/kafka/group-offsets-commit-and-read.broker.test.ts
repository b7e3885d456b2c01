import { expect, it } from 'vitest';
import type { KafkaAdmin, KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`group offsets (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('a consumer commits offsets without joining the group; the admin reads them back, none before', async () => {
      const topic = uniqueName('group');
      const groupId = uniqueName('g');
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const partitions = [0, 1, 2].map((partition) => ({ topic, partition }));
      expect(await admin.listConsumerGroupOffsets(groupId, partitions)).toEqual([]);

      const consumer = await client.consumer({ groupId });
      try {
        consumer.assign(partitions);
        await consumer.commitOffsets([{ topic, partition: 0, offset: 5 }, { topic, partition: 2, offset: 7 }]);
        expect(await admin.listConsumerGroupOffsets(groupId, partitions)).toEqual(
          expect.arrayContaining([{ topic, partition: 0, offset: 5 }, { topic, partition: 2, offset: 7 }]),
        );
        expect(await admin.listConsumerGroupOffsets(groupId, partitions)).toHaveLength(2);
        await consumer.commitOffsets([{ topic, partition: 0, offset: 6 }]);
        expect(await admin.listConsumerGroupOffsets(groupId, [{ topic, partition: 0 }])).toEqual([{ topic, partition: 0, offset: 6 }]);
      } finally {
        await consumer.close();
      }
      const noGroup = await client.consumer();
      await expect(noGroup.commitOffsets([{ topic, partition: 0, offset: 1 }])).rejects.toThrow(/groupId/);
      await noGroup.close();
    });

    it('offsets sent to a transaction are committed with it, and dropped when it aborts', async () => {
      const topic = uniqueName('txn-offsets');
      const groupId = uniqueName('g');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const tp = { topic, partition: 0 };
      const tx = await client.transactionalProducer(uniqueName('offsets-tx'));
      try {
        await tx.initTransactions();
        tx.beginTransaction();
        await tx.sendOffsetsToTransaction([{ ...tp, offset: 3 }], groupId);
        await tx.abortTransaction();
        expect(await admin.listConsumerGroupOffsets(groupId, [tp])).toEqual([]);
        tx.beginTransaction();
        await tx.sendOffsetsToTransaction([{ ...tp, offset: 4 }], groupId);
        await tx.commitTransaction();
        await expect.poll(() => admin.listConsumerGroupOffsets(groupId, [tp])).toEqual([{ ...tp, offset: 4 }]);
      } finally {
        await tx.close();
      }
    });
  });
}
