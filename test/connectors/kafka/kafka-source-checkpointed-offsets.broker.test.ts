import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  KafkaSource,
  OffsetsInitializer,
  SimpleStringSchema,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaPartitionSplit,
} from '../../../connectors/kafka/index.ts';
import { ADAPTERS, broker, describeKafka, driveReader, readerContext, uniqueName } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource offsets in checkpoints (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    let topic: string;
    const all: string[] = [];
    beforeAll(async () => {
      client = adapter.create(broker());
      admin = await client.admin();
      topic = uniqueName('rewind');
      await admin.createTopics([{ topic, numPartitions: 4 }]);
      const producer = await client.producer();
      for (let i = 0; i < 48; i++) all.push(`r${i}`);
      await producer.send(all.map((value, i) => ({ topic, partition: i % 4, value })));
      await producer.close();
    });
    afterAll(async () => {
      await admin?.close();
    });

    const build = (bounded: boolean, groupId?: string) => {
      let b = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setProperty('max.poll.records', '1') // a snapshot may fall between any two records
        .setClientFactory(() => adapter.create(broker()));
      if (bounded) b = b.setBounded(OffsetsInitializer.latest());
      if (groupId !== undefined) b = b.setGroupId(groupId);
      return b.build();
    };

    it('a reader restored from a snapshot reads on after the last record emitted: nothing lost, nothing twice, at any new parallelism (fast-check)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.nat({ max: 20 }), { minLength: 3, maxLength: 3 }), async (p1, p2, cuts) => {
          const source = build(true);
          const before: string[] = [];
          const splits: KafkaPartitionSplit[] = [];
          for (let i = 0; i < p1; i++) {
            const reader = source.createReader(readerContext(i, p1));
            await reader.start();
            await driveReader(reader, before, before.length + cuts[i]!);
            splits.push(...structuredClone(reader.snapshotState!(1) as KafkaPartitionSplit[]));
            await reader.close();
          }
          const after: string[] = [];
          for (let i = 0; i < p2; i++) {
            // Each split to its owner out of all, as the runtime deals them for a source with getSplitOwner.
            const mine = splits.filter((s) => source.getSplitOwner(s, p2) === i);
            const reader = source.createReader(readerContext(i, p2, mine));
            await reader.start();
            expect(await driveReader(reader, after)).toBe(true);
            await reader.close();
          }
          expect([...before, ...after].sort()).toEqual([...all].sort());
        }),
        { numRuns: 6 },
      );
    });

    it('a completed checkpoint commits its offsets to the group (for lag monitoring); one not completed does not', async () => {
      const groupId = uniqueName('rewind-group');
      const reader = build(false, groupId).createReader(readerContext(0, 1));
      await reader.start();
      const out: string[] = [];
      await driveReader(reader, out, 20);
      const snapshot = reader.snapshotState!(7) as KafkaPartitionSplit[];
      await driveReader(reader, out, 30);
      reader.snapshotState!(8); // never completes
      reader.notifyCheckpointComplete!(7);
      await reader.close(); // waits for the commit
      const committed = await admin.listConsumerGroupOffsets(groupId, snapshot.map((s) => ({ topic: s.topic, partition: s.partition })));
      expect(committed.sort((a, b) => a.partition - b.partition)).toEqual(
        snapshot.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.startingOffset })).sort((a, b) => a.partition - b.partition),
      );
      expect(snapshot.reduce((n, s) => n + s.startingOffset, 0)).toBe(20);
    });

    it('unbounded, it waits for records written after it started and never ends', async () => {
      const live = uniqueName('live');
      await admin.createTopics([{ topic: live, numPartitions: 2 }]);
      const source = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(live)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setStartingOffsets(OffsetsInitializer.latest())
        .setProperty('fetch.max.wait.ms', '100')
        .build();
      expect(source.boundedness).toBe('CONTINUOUS_UNBOUNDED');
      const reader = source.createReader(readerContext(0, 1));
      await reader.start();
      const out: string[] = [];
      expect(await driveReader(reader, out, 1, 500)).toBe(false);
      expect(out).toEqual([]);
      const producer = await client.producer();
      await producer.send([{ topic: live, partition: 0, value: 'x' }, { topic: live, partition: 1, value: 'y' }]);
      expect(await driveReader(reader, out, 2)).toBe(false);
      expect(out.sort()).toEqual(['x', 'y']);
      await producer.send([{ topic: live, partition: 1, value: 'z' }]);
      expect(await driveReader(reader, out, 3)).toBe(false);
      expect(out[2]).toBe('z');
      await producer.close();
      await reader.close();
    });
  });
}
