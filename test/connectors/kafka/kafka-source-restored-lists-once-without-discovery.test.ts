/**
 * With periodic partition discovery off (`partition.discovery.interval.ms` 0), an unbounded KafkaSource still
 * lists its topics once when it starts — on a restore too, as Flink's KafkaSourceEnumerator does (one discovery
 * at start whatever the interval; partitions not in the restored state are new, read from their start). So a
 * partition created while the job was down is read after the restore (by its owner, once), at any parallelism.
 * Against the in-memory cluster.
 */
import { expect, test } from 'vitest';
import { KafkaSource, SimpleStringSchema } from '../../../connectors/kafka/index.ts';
import type { ReaderOutput, SourceReader, SourceSplit } from '../../../lib/core/connector/source.ts';
import { InMemoryKafkaCluster } from './fake-kafka-client.ts';

function source(cluster: InMemoryKafkaCluster, pattern: boolean): KafkaSource<string> {
  const b = KafkaSource.builder<string>()
    .setBootstrapServers('in-memory:9092')
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .setProperty('partition.discovery.interval.ms', '0')
    .setClientFactory(() => cluster.client());
  return (pattern ? b.setTopicPattern(/t|u/) : b.setTopics('t')).build();
}

/** Polls every reader until nothing more comes for a few rounds. */
async function drain(readers: ReadonlyArray<SourceReader<string>>, out: string[]): Promise<void> {
  const output: ReaderOutput<string> = { collect: (v) => void out.push(v) };
  let quiet = 0;
  for (let i = 0; i < 300 && quiet < 5; i++) {
    const before = out.length;
    for (const r of readers) if (r.pollNext(output) === 'NOTHING_AVAILABLE') await r.isAvailable();
    quiet = out.length === before ? quiet + 1 : 0;
  }
}

for (const pattern of [false, true]) {
  test(`${pattern ? 'topic pattern' : 'setTopics'}: restored with discovery off at 2→1→3, partitions (and topics) created while no job ran are read once, from their start`, async () => {
    const cluster = new InMemoryKafkaCluster(() => 3);
    cluster.addPartitions('t', 4, 4);
    const out: string[] = [];
    let splits: SourceSplit[] | undefined;
    let parallelism = 2;
    for (const p of [2, 1, 3]) {
      const s = source(cluster, pattern);
      const readers = Array.from({ length: p }, (_, i) =>
        s.createReader({
          operatorName: 'kafka',
          getIndexOfSubtask: () => i,
          currentParallelism: () => p,
          // As the runtime deals them for a source with getSplitOwner: each split to its owner out of all.
          restoredSplits: splits?.filter((split) => s.getSplitOwner(split, p) === i),
        }),
      );
      for (const r of readers) await r.start();
      await drain(readers, out);
      splits = readers.flatMap((r) => r.snapshotState!(p) as SourceSplit[]);
      for (const r of readers) await r.close();
      parallelism = p;
      // Created while no job runs.
      cluster.addPartitions('t', 2, 3);
      if (pattern) cluster.addPartitions(`u`, 2);
    }
    const s = source(cluster, pattern);
    const last = [0, 1].map((i) => s.createReader({ operatorName: 'kafka', getIndexOfSubtask: () => i, currentParallelism: () => 2, restoredSplits: splits!.filter((split) => s.getSplitOwner(split, 2) === i) }));
    for (const r of last) await r.start();
    await drain(last, out);
    for (const r of last) await r.close();
    expect(parallelism).toBe(3);
    expect(out.sort()).toEqual(cluster.allValues().sort());
  });
}
