import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaSource, OffsetsInitializer, SimpleStringSchema, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, broker, describeKafka, driveReader, readerContext, uniqueName } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource starting offsets (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    let topic: string;
    beforeAll(async () => {
      client = adapter.create(broker());
      admin = await client.admin();
      topic = uniqueName('starts');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const producer = await client.producer();
      // Partition 0: a0..a4 at timestamps 100..500; partition 1: b0..b2 at 150, 250, 350.
      await producer.send([
        ...[0, 1, 2, 3, 4].map((i) => ({ topic, partition: 0, value: `a${i}`, timestamp: 100 * (i + 1) })),
        ...[0, 1, 2].map((i) => ({ topic, partition: 1, value: `b${i}`, timestamp: 150 + 100 * i })),
      ]);
      await producer.close();
    });
    afterAll(async () => {
      await admin?.close();
    });

    /** Everything one reader (parallelism 1) reads from `starting` to the offsets at start. */
    async function readFrom(starting: OffsetsInitializer, groupId?: string): Promise<string[]> {
      let builder = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setStartingOffsets(starting)
        .setBounded(OffsetsInitializer.latest())
        .setClientFactory(() => adapter.create(broker()));
      if (groupId !== undefined) builder = builder.setGroupId(groupId);
      const reader = builder.build().createReader(readerContext(0, 1));
      await reader.start();
      const out: string[] = [];
      try {
        expect(await driveReader(reader, out)).toBe(true);
      } finally {
        await reader.close();
      }
      return out.sort();
    }

    it('earliest reads all, latest nothing', async () => {
      expect(await readFrom(OffsetsInitializer.earliest())).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2']);
      expect(await readFrom(OffsetsInitializer.latest())).toEqual([]);
    });

    it('timestamp starts at the first record at or after it, per partition; a partition with none reads nothing', async () => {
      expect(await readFrom(OffsetsInitializer.timestamp(250))).toEqual(['a2', 'a3', 'a4', 'b1', 'b2']);
      expect(await readFrom(OffsetsInitializer.timestamp(400))).toEqual(['a3', 'a4']);
      expect(await readFrom(OffsetsInitializer.timestamp(10_000))).toEqual([]);
    });

    it('offsets(map) starts where given, the rest per the fallback', async () => {
      expect(await readFrom(OffsetsInitializer.offsets([{ topic, partition: 0, offset: 3 }]))).toEqual(['a3', 'a4', 'b0', 'b1', 'b2']);
      expect(await readFrom(OffsetsInitializer.offsets([{ topic, partition: 1, offset: 2 }], 'LATEST'))).toEqual(['b2']);
    });

    it("committedOffsets starts at the group's offsets; without one the fallback decides, or NONE fails naming the partition", async () => {
      const groupId = uniqueName('starts-group');
      const consumer = await client.consumer({ groupId });
      await consumer.commitOffsets([{ topic, partition: 0, offset: 4 }]);
      await consumer.close();
      expect(await readFrom(OffsetsInitializer.committedOffsets('EARLIEST'), groupId)).toEqual(['a4', 'b0', 'b1', 'b2']);
      expect(await readFrom(OffsetsInitializer.committedOffsets('LATEST'), groupId)).toEqual(['a4']);
      await expect(readFrom(OffsetsInitializer.committedOffsets(), groupId)).rejects.toThrow(`${topic}-1`);
      await expect(readFrom(OffsetsInitializer.committedOffsets('EARLIEST'))).rejects.toThrow(/group id/);
    });
  });
}
