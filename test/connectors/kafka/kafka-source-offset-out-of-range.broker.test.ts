/**
 * A split whose position is out of range (here: restored at an offset past the partition's end; in real life
 * also records deleted by retention) goes where the starting OffsetsInitializer's reset strategy says, as
 * Flink's KafkaSource sets the consumer's auto.offset.reset from it: earliest() to the start, latest() to the
 * end, committedOffsets('NONE') fails.
 */
import { expect, it } from 'vitest';
import { KafkaSource, OffsetsInitializer, SimpleStringSchema, type KafkaAdmin, type KafkaClient, type KafkaPartitionSplit } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, broker, describeKafka, driveReader, readerContext, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource, position out of range (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    async function topicWith(values: readonly string[]): Promise<string> {
      const topic = uniqueName('out-of-range');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const producer = await client.producer();
      await producer.send(values.map((value) => ({ topic, value })));
      await producer.close();
      return topic;
    }

    const pastTheEnd = (topic: string): KafkaPartitionSplit => ({ splitId: `${topic}-0`, topic, partition: 0, startingOffset: 100 });

    function reader(topic: string, starting: OffsetsInitializer, groupId?: string) {
      let builder = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setStartingOffsets(starting)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setClientFactory(() => adapter.create(broker()));
      if (groupId !== undefined) builder = builder.setGroupId(groupId);
      return builder.build().createReader(readerContext(0, 1, [pastTheEnd(topic)]));
    }

    it('earliest(): reads the partition from its start', async () => {
      const topic = await topicWith(['a', 'b', 'c']);
      const r = reader(topic, OffsetsInitializer.earliest());
      await r.start();
      const out: string[] = [];
      try {
        await driveReader(r, out, 3);
      } finally {
        await r.close();
      }
      expect(out).toEqual(['a', 'b', 'c']);
    });

    it('latest(): reads only what is written after the reset', async () => {
      const topic = await topicWith(['a', 'b', 'c']);
      const r = reader(topic, OffsetsInitializer.latest());
      await r.start();
      const out: string[] = [];
      try {
        await driveReader(r, out, 1, 2_000); // the reset to the end happens here; nothing is read
        expect(out).toEqual([]);
        const producer = await client.producer();
        await producer.send([{ topic, value: 'd' }, { topic, value: 'e' }]);
        await producer.close();
        await driveReader(r, out, 2);
      } finally {
        await r.close();
      }
      expect(out).toEqual(['d', 'e']);
    });

    it("committedOffsets('NONE'): fails naming the partition", async () => {
      const topic = await topicWith(['a']);
      const r = reader(topic, OffsetsInitializer.committedOffsets('NONE'), uniqueName('group'));
      await r.start();
      try {
        await expect(driveReader(r, [], 1)).rejects.toThrow(`${topic}-0`);
      } finally {
        await r.close();
      }
    });
  });
}
