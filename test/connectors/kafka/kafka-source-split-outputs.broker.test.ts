import { expect, it } from 'vitest';
import { KafkaSource, OffsetsInitializer, SimpleStringSchema, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import type { ReaderOutput } from '../../../lib/core/connector/source.ts';
import { ADAPTERS, broker, describeKafka, readerContext, uniqueName, useClientAndAdmin } from './kafka-env.ts';

// Each partition is a split with its own output, so the source's watermark strategy runs one generator per
// partition (Flink's per-partition watermarks): a partition that has nothing yet holds the watermark back
// from the start, and a finished one (bounded) is released so it no longer does.
for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource split outputs (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('records go to their partition\'s output with their timestamps; an empty partition (bounded) is finished at once; finished ones are released', async () => {
      const topic = uniqueName('splits');
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const producer = await client.producer();
      await producer.send([
        { topic, partition: 0, value: 'a', timestamp: 10 },
        { topic, partition: 0, value: 'b', timestamp: 20 },
        { topic, partition: 2, value: 'c', timestamp: 5 },
      ]);
      await producer.close();
      const reader = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setBounded(OffsetsInitializer.latest())
        .setClientFactory(() => adapter.create(broker()))
        .build()
        .createReader(readerContext(0, 1));
      await reader.start();
      const bySplit = new Map<string, Array<[string, number | undefined]>>();
      const created: string[] = [];
      const released: string[] = [];
      const main: ReaderOutput<string> = {
        collect: () => {
          throw new Error('every record goes to a split output');
        },
        createOutputForSplit: (id) => {
          created.push(id);
          const list: Array<[string, number | undefined]> = [];
          bySplit.set(id, list);
          return { collect: (r, ts) => list.push([r, ts]) };
        },
        releaseOutputForSplit: (id) => released.push(id),
      };
      try {
        let status = reader.pollNext(main);
        // Partition 1 is empty: its split is finished at once and gets no output; the others get theirs before any record.
        expect(created.sort()).toEqual([`${topic}-0`, `${topic}-2`]);
        const deadline = Date.now() + 15_000;
        while (status !== 'END_OF_INPUT' && Date.now() < deadline) {
          if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
          status = reader.pollNext(main);
        }
        expect(status).toBe('END_OF_INPUT');
        expect(bySplit.get(`${topic}-0`)).toEqual([['a', 10], ['b', 20]]);
        expect(bySplit.get(`${topic}-2`)).toEqual([['c', 5]]);
        expect(released.sort()).toEqual([`${topic}-0`, `${topic}-2`]);
      } finally {
        await reader.close();
      }
    });

    it('unbounded, a partition without records has its output (holding the watermark back) from the first poll', async () => {
      const topic = uniqueName('idle');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const reader = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setClientFactory(() => adapter.create(broker()))
        .build()
        .createReader(readerContext(0, 1));
      await reader.start();
      const created: string[] = [];
      try {
        reader.pollNext({ collect: () => undefined, createOutputForSplit: (id) => (created.push(id), { collect: () => undefined }) });
        expect(created.sort()).toEqual([`${topic}-0`, `${topic}-1`]);
      } finally {
        await reader.close();
      }
    });
  });
}
