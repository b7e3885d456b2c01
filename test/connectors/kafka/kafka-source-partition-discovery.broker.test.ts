import { expect, it } from 'vitest';
import { KafkaSource, SimpleStringSchema, splitOwner, type KafkaAdmin, type KafkaClient, type KafkaPartitionSplit } from '../../../connectors/kafka/index.ts';
import type { SourceReader } from '../../../lib/core/connector/source.ts';
import { ADAPTERS, broker, describeKafka, driveReader, readerContext, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource partition discovery (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    /** A source of `topic` that looks for new partitions every 100 ms. */
    const discoveringSource = (topic: string) =>
      KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setProperty('partition.discovery.interval.ms', '100')
        .setProperty('fetch.max.wait.ms', '100')
        .setClientFactory(() => adapter.create(broker()))
        .build();

    /** Drives all readers at once until `out` holds `count` records (or `timeoutMs` pass). */
    const driveAll = (readers: ReadonlyArray<SourceReader<string>>, out: string[], count: number, timeoutMs = 20_000) =>
      Promise.all(readers.map((r) => driveReader(r, out, count, timeoutMs)));

    it('partitions added while it runs are read from their start, each by one reader, also after a restore at another parallelism', async () => {
      const topic = uniqueName('discover');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const source = discoveringSource(topic);
      const producer = await client.producer();
      try {
        const first = [source.createReader(readerContext(0, 2)), source.createReader(readerContext(1, 2))];
        for (const r of first) await r.start();
        const out: string[] = [];
        await producer.send([{ topic, partition: 0, value: 'p0-a' }]);
        await driveAll(first, out, 1);
        await admin.createPartitions(topic, 3);
        // Written before any reader saw the new partitions: read from their start, not from their end.
        await producer.send([{ topic, partition: 1, value: 'p1-a' }, { topic, partition: 2, value: 'p2-a' }, { topic, partition: 0, value: 'p0-b' }]);
        await driveAll(first, out, 4);
        expect(out.sort()).toEqual(['p0-a', 'p0-b', 'p1-a', 'p2-a']);

        const snapshots = first.map((r) => structuredClone(r.snapshotState!(1) as KafkaPartitionSplit[]));
        for (const r of first) await r.close();
        const splits = snapshots.flat();
        expect(splits.map((s) => s.splitId).sort()).toEqual([`${topic}-0`, `${topic}-1`, `${topic}-2`]);
        // Each partition was read (and discovered) by its owner only.
        snapshots.forEach((mine, i) => expect(mine.every((s) => splitOwner(s, 2) === i)).toBe(true));

        // Restored at parallelism 3: each reader gets the splits it owns out of all (as the runtime deals them).
        const restored = [0, 1, 2].map((i) => source.createReader(readerContext(i, 3, splits.filter((s) => source.getSplitOwner(s, 3) === i))));
        for (const r of restored) await r.start();
        await admin.createPartitions(topic, 4);
        await producer.send([{ topic, partition: 3, value: 'p3-a' }, { topic, partition: 1, value: 'p1-b' }]);
        const after: string[] = [];
        await driveAll(restored, after, 2);
        // Give a second reader the chance to read p3 again if it (wrongly) discovered it too.
        await driveAll(restored, after, 3, 1_500);
        expect(after.sort()).toEqual(['p1-b', 'p3-a']);
        for (const r of restored) await r.close();
      } finally {
        await producer.close();
      }
    });

    it('partitions created while two readers start (either listing first) are read once each, from their start', async () => {
      for (const firstToStart of [0, 1]) {
        const topic = uniqueName('discover-race');
        await admin.createTopics([{ topic, numPartitions: 2 }]);
        const source = discoveringSource(topic);
        const producer = await client.producer();
        const readers = [source.createReader(readerContext(0, 2)), source.createReader(readerContext(1, 2))];
        try {
          await readers[firstToStart]!.start();
          // Created after one reader listed and before the other did.
          await admin.createPartitions(topic, 4);
          await producer.send([0, 1, 2, 3].map((partition) => ({ topic, partition, value: `p${partition}` })));
          await readers[1 - firstToStart]!.start();
          const out: string[] = [];
          await driveAll(readers, out, 4);
          // Time for a wrong second reading (a discovery, a fetch) to show.
          await driveAll(readers, out, 5, 1_500);
          expect(out.sort(), `reader ${firstToStart} listed first`).toEqual(['p0', 'p1', 'p2', 'p3']);
        } finally {
          for (const r of readers) await r.close();
          await producer.close();
        }
      }
    });

    it('is off for a bounded source and when the interval is 0 or less', () => {
      const build = (interval?: string) => {
        let b = KafkaSource.builder<string>().setBootstrapServers(broker()).setTopics('t').setValueOnlyDeserializer(new SimpleStringSchema());
        if (interval !== undefined) b = b.setProperty('partition.discovery.interval.ms', interval);
        return b.build();
      };
      expect(() => build('soon')).toThrow(/partition.discovery.interval.ms/);
      expect(() => KafkaSource.builder().setProperty('no.such.property', '1')).toThrow(/does not understand the property 'no.such.property'/);
      expect(build('-1').boundedness).toBe('CONTINUOUS_UNBOUNDED');
    });
  });
}
