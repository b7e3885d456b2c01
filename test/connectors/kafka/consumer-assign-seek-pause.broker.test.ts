import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KafkaAdmin, KafkaClient, KafkaPartitionConsumer } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, broker, describeKafka, readUntil, uniqueName, valuesOf } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`consumer of assigned partitions (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    let topic: string;
    const p = (partition: number) => ({ topic, partition });
    beforeAll(async () => {
      client = adapter.create(broker());
      admin = await client.admin();
      topic = uniqueName('consume');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const producer = await client.producer();
      await producer.send([
        ...[0, 1, 2, 3, 4].map((i) => ({ topic, partition: 0, value: `p0-${i}` })),
        ...[0, 1, 2].map((i) => ({ topic, partition: 1, value: `p1-${i}` })),
      ]);
      await producer.close();
    });
    afterAll(async () => {
      await admin?.close();
    });

    const withConsumer = async (
      options: Parameters<KafkaClient['consumer']>[0],
      fn: (c: KafkaPartitionConsumer) => Promise<void>,
    ): Promise<void> => {
      const consumer = await client.consumer(options);
      try {
        await fn(consumer);
      } finally {
        await consumer.close();
      }
    };

    it('reads only assigned partitions, from the seeked offsets, in offset order, and advances positions', async () => {
      await withConsumer({}, async (c) => {
        c.assign([p(0)]);
        expect(c.assignment()).toEqual([p(0)]);
        expect(c.position(p(0))).toBeUndefined();
        c.seek(p(0), 2);
        const records = await readUntil(c, (rs) => rs.length >= 3);
        expect(valuesOf(records)).toEqual(['p0-2', 'p0-3', 'p0-4']);
        expect(records.map((r) => r.offset)).toEqual([2, 3, 4]);
        expect(c.position(p(0))).toBe(5);
        expect(await c.poll(300)).toEqual([]);
        expect(() => c.seek(p(1), 0)).toThrow(/not assigned/);
      });
    });

    it('a paused partition yields nothing until resumed; a re-assignment keeps the positions of kept partitions', async () => {
      await withConsumer({}, async (c) => {
        c.assign([p(0), p(1)]);
        c.seek(p(0), 0);
        c.seek(p(1), 0);
        c.pause([p(0)]);
        expect(c.paused()).toEqual([p(0)]);
        const first = await readUntil(c, (rs) => rs.length >= 3);
        expect(valuesOf(first)).toEqual(['p1-0', 'p1-1', 'p1-2']);
        expect(await c.poll(300)).toEqual([]);
        expect(c.position(p(0))).toBe(0);

        c.assign([p(1), p(0)]);
        expect(c.position(p(1))).toBe(3);
        expect(c.paused()).toEqual([p(0)]);
        c.resume([p(0)]);
        const rest = await readUntil(c, (rs) => rs.length >= 5);
        expect(valuesOf(rest)).toEqual(['p0-0', 'p0-1', 'p0-2', 'p0-3', 'p0-4']);
      });
    });

    it('without a seek, or past the end, a partition starts per autoOffsetReset', async () => {
      await withConsumer({ autoOffsetReset: 'earliest' }, async (c) => {
        c.assign([p(1)]);
        expect(valuesOf(await readUntil(c, (rs) => rs.length >= 3))).toEqual(['p1-0', 'p1-1', 'p1-2']);
        c.seek(p(1), 1_000); // out of range: reset to earliest
        expect(valuesOf(await readUntil(c, (rs) => rs.length >= 3))).toEqual(['p1-0', 'p1-1', 'p1-2']);
      });
      await withConsumer({ autoOffsetReset: 'latest' }, async (c) => {
        c.assign([p(1)]);
        expect(await c.poll(300)).toEqual([]);
        expect(c.position(p(1))).toBe(3);
      });
      await withConsumer({ autoOffsetReset: 'none' }, async (c) => {
        c.assign([p(1)]);
        await expect(c.poll(100)).rejects.toThrow(/autoOffsetReset is 'none'/);
      });
    });
  });
}
