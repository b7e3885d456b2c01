import { expect, it } from 'vitest';
import { OffsetSpec, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`admin offsets (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('earliest, latest and the first offset at or after a timestamp, per partition; -1 past the last', async () => {
      const topic = uniqueName('offsets');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const p0 = { topic, partition: 0 };
      const p1 = { topic, partition: 1 };
      expect(await admin.listOffsets([p0, p1], OffsetSpec.earliest())).toEqual([{ ...p0, offset: 0 }, { ...p1, offset: 0 }]);
      expect(await admin.listOffsets([p0, p1], OffsetSpec.latest())).toEqual([{ ...p0, offset: 0 }, { ...p1, offset: 0 }]);

      const producer = await client.producer();
      // Timestamps not in offset order: the first offset whose timestamp is >= t wins.
      await producer.send([
        { topic, partition: 0, value: 'a', timestamp: 1_000 },
        { topic, partition: 0, value: 'b', timestamp: 3_000 },
        { topic, partition: 0, value: 'c', timestamp: 2_000 },
        { topic, partition: 0, value: 'd', timestamp: 5_000 },
        { topic, partition: 1, value: 'e', timestamp: 10_000 },
      ]);
      await producer.close();

      expect(await admin.listOffsets([p1, p0], OffsetSpec.latest())).toEqual([{ ...p1, offset: 1 }, { ...p0, offset: 4 }]);
      expect(await admin.listOffsets([p0, p1], OffsetSpec.earliest())).toEqual([{ ...p0, offset: 0 }, { ...p1, offset: 0 }]);
      const at = async (timestamp: number): Promise<number[]> =>
        (await admin.listOffsets([p0, p1], OffsetSpec.forTimestamp(timestamp))).map((o) => o.offset);
      expect(await at(0)).toEqual([0, 0]);
      expect(await at(1_000)).toEqual([0, 0]);
      expect(await at(1_001)).toEqual([1, 0]);
      expect(await at(2_500)).toEqual([1, 0]);
      expect(await at(4_000)).toEqual([3, 0]);
      expect(await at(6_000)).toEqual([-1, 0]);
      expect(await at(10_001)).toEqual([-1, -1]);
    });

    it('latest under read_committed is the last stable offset: it stops before an open transaction', async () => {
      const topic = uniqueName('lso');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const tp = { topic, partition: 0 };
      const plain = await client.producer();
      const tx = await client.transactionalProducer(uniqueName('lso-tx'));
      try {
        await plain.send([{ topic, value: '1' }, { topic, value: '2' }]);
        await tx.initTransactions();
        tx.beginTransaction();
        await tx.send([{ topic, value: 'open' }]);
        await plain.send([{ topic, value: '3' }]);
        expect(await admin.listOffsets([tp], OffsetSpec.latest(), 'read_committed')).toEqual([{ ...tp, offset: 2 }]);
        expect(await admin.listOffsets([tp], OffsetSpec.latest(), 'read_uncommitted')).toEqual([{ ...tp, offset: 4 }]);
        await tx.commitTransaction();
        // The commit marker takes an offset too.
        await expect.poll(async () => (await admin.listOffsets([tp], OffsetSpec.latest(), 'read_committed'))[0]!.offset).toBe(5);
      } finally {
        await Promise.all([plain.close(), tx.close()]);
      }
    });

    it('a partition that does not exist fails naming it', async () => {
      const topic = uniqueName('few');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      await expect(admin.listOffsets([{ topic, partition: 7 }], OffsetSpec.latest())).rejects.toThrow(`${topic}-7`);
    });
  });
}
