/**
 * With a topic pattern, every reader lists the matching topics at each discovery. A matching topic created
 * (so read by its owner) and then deleted fails the reader that reads it, naming that topic (as for
 * setTopics, kafka-source-deleted-topic-fails.broker.test.ts); the other readers' discoveries go on. Before,
 * every reader's discovery failed with "describing topics <the remaining ones>: This server does not host this
 * topic-partition": the kept discovery admin still refreshed the deleted topic's metadata.
 */
import { expect, it } from 'vitest';
import { KafkaSource, SimpleStringSchema, splitOwner, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, broker, describeKafka, driveReader, readerContext, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource topic pattern, a matching topic deleted (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('fails only the reader reading it, naming the deleted topic', async () => {
      const prefix = uniqueName('pdel');
      const kept = `${prefix}-a`;
      const gone = `${prefix}-c`;
      await admin.createTopics([{ topic: kept, numPartitions: 2 }]);
      const source = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopicPattern(new RegExp(`${prefix}-.*`))
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setProperty('partition.discovery.interval.ms', '100')
        .setProperty('fetch.max.wait.ms', '100')
        .setClientFactory(() => adapter.create(broker()))
        .build();
      const readers = [0, 1].map((i) => source.createReader(readerContext(i, 2)));
      const producer = await client.producer();
      try {
        for (const r of readers) await r.start();
        await admin.createTopics([{ topic: gone, numPartitions: 1 }]);
        await producer.send([{ topic: gone, partition: 0, value: 'c0' }]);
        const out: string[] = [];
        // The owner of the new topic's partition discovers it and reads it.
        await Promise.all(readers.map((r) => driveReader(r, out, 1, 10_000)));
        expect(out).toEqual(['c0']);
        await admin.deleteTopics([gone]);
        const owner = splitOwner({ topic: gone, partition: 0 }, 2);
        const errors: Array<string | undefined> = await Promise.all(
          readers.map((r) => driveReader(r, out, Number.POSITIVE_INFINITY, 4_000).then(() => undefined, (e: unknown) => String(e))),
        );
        expect(errors[owner]).toContain(`topic ${gone} no longer exists`);
        expect(errors[1 - owner]).toBeUndefined();
      } finally {
        for (const r of readers) await Promise.resolve(r.close()).catch(() => undefined);
        await producer.close();
      }
    }, 60_000);
  });
}
