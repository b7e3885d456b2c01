/**
 * A bounded split can be checkpointed at its stopping offset (its last record emitted, the rest of the fetch
 * still buffered for other partitions when the barrier came): restored, it is finished at once. Its watermark
 * channel came back with the checkpoint (SourceWatermarks.restore), so the reader must release it — else the
 * finished partition's old watermark holds the source's watermark back until the end of the input, and every
 * window of the other partitions fires only then.
 */
import { expect, it } from 'vitest';
import { KafkaSource, OffsetsInitializer, SimpleStringSchema, type KafkaAdmin, type KafkaClient, type KafkaPartitionSplit } from '../../../connectors/kafka/index.ts';
import type { ReaderOutput } from '../../../lib/core/connector/source.ts';
import { ADAPTERS, broker, describeKafka, readerContext, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource restored finished splits (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('a split restored at its stopping offset is released at once: it no longer holds the watermark back', async () => {
      const topic = uniqueName('restored-finished');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const producer = await client.producer();
      await producer.send([
        { topic, partition: 0, value: 'a', timestamp: Date.now() },
        { topic, partition: 1, value: 'b', timestamp: Date.now() },
        { topic, partition: 1, value: 'c', timestamp: Date.now() },
      ]);
      await producer.close();
      const restored: KafkaPartitionSplit[] = [
        { splitId: `${topic}-0`, topic, partition: 0, startingOffset: 1, stoppingOffset: 1 },
        { splitId: `${topic}-1`, topic, partition: 1, startingOffset: 1, stoppingOffset: 2 },
      ];
      const reader = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setBounded(OffsetsInitializer.latest())
        .setClientFactory(() => adapter.create(broker()))
        .build()
        .createReader(readerContext(0, 1, restored));
      await reader.start();
      const values: string[] = [];
      const released: string[] = [];
      const main: ReaderOutput<string> = {
        collect: () => {
          throw new Error('every record goes to a split output');
        },
        createOutputForSplit: () => ({ collect: (r) => values.push(r) }),
        releaseOutputForSplit: (id) => released.push(id),
      };
      try {
        let status = reader.pollNext(main);
        expect(released).toEqual([`${topic}-0`]);
        const deadline = Date.now() + 15_000;
        while (status !== 'END_OF_INPUT' && Date.now() < deadline) {
          if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
          status = reader.pollNext(main);
        }
        expect(status).toBe('END_OF_INPUT');
        expect(values).toEqual(['c']);
        expect(released.sort()).toEqual([`${topic}-0`, `${topic}-1`]);
      } finally {
        await reader.close();
      }
    });
  });
}
