/**
 * KafkaSource's reader checkpointed at any step — between polls, in the middle of a fetched buffer, while a
 * fetch (and a partition discovery) is in flight — holds exactly what it emitted: a reader restored from that
 * snapshot (at the same parallelism or another, each split given to its owner out of all readers' splits, as
 * the runtime deals them for a source with getSplitOwner) emits the rest of every partition, each record once, in offset order. Against an in-memory consumer
 * whose partitions have offset gaps (transaction markers, aborted records) and whose polls return random
 * amounts; fast-check draws the data, the poll sizes, the snapshot steps and the partitions added meanwhile.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  KafkaSource,
  OffsetsInitializer,
  SimpleStringSchema,
  type ConsumerRecord,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaPartitionConsumer,
  type KafkaPartitionSplit,
  type OffsetSpec,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../../../connectors/kafka/index.ts';
import type { ReaderOutput, SourceReader, SourceSplit } from '../../../lib/core/connector/source.ts';
import { seededRandom } from '../../helpers.ts';

const TOPIC = 't';

/** A partition's records: offsets ascending with gaps; `end` is the log end offset (past a trailing marker). */
interface Partition {
  offsets: number[];
  end: number;
}

/** The cluster: one topic's partitions (more may be added while readers run), and a seeded poll size. */
class Cluster {
  constructor(
    readonly partitions: Partition[],
    private readonly next: () => number,
  ) {}
  pollSize(): number {
    return 1 + Math.floor(this.next() * 4);
  }
  client(): KafkaClient {
    return new FakeClient(this);
  }
}

class FakeClient implements KafkaClient {
  constructor(private readonly cluster: Cluster) {}
  async admin(): Promise<KafkaAdmin> {
    const cluster = this.cluster;
    return {
      createTopics: async () => true,
      createPartitions: async () => {},
      deleteTopics: async () => {},
      listTopics: async () => [TOPIC],
      describeTopicPartitions: async () => {
        await Promise.resolve();
        return cluster.partitions.map((_p, partition) => ({ topic: TOPIC, partition }));
      },
      listOffsets: async (tps: readonly TopicPartition[], spec: OffsetSpec) =>
        tps.map((tp) => ({ ...tp, offset: spec.kind === 'latest' ? cluster.partitions[tp.partition]!.end : 0 })),
      listConsumerGroupOffsets: async () => [],
      close: async () => {},
    };
  }
  async consumer(): Promise<KafkaPartitionConsumer> {
    const cluster = this.cluster;
    const positions = new Map<number, number | undefined>();
    const key = (tp: TopicPartition): number => tp.partition;
    return {
      assign(tps) {
        const keep = new Map(positions);
        positions.clear();
        for (const tp of tps) positions.set(key(tp), keep.get(key(tp)));
      },
      assignment: () => [...positions.keys()].map((partition) => ({ topic: TOPIC, partition })),
      seek(tp, offset) {
        positions.set(key(tp), offset);
      },
      position: (tp) => positions.get(key(tp)),
      pause() {},
      resume() {},
      paused: () => [],
      async poll(): Promise<ConsumerRecord[]> {
        // The answer comes later: a snapshot may be taken meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        const out: ConsumerRecord[] = [];
        for (const [partition, at] of positions) {
          const p = cluster.partitions[partition]!;
          const from = at ?? 0;
          const rest = p.offsets.filter((o) => o >= from);
          const take = rest.slice(0, cluster.pollSize());
          for (const offset of take) out.push({ topic: TOPIC, partition, offset, timestamp: offset, key: null, value: Buffer.from(`${partition}:${offset}`), headers: {} });
          // Past everything fetched; a fetch that reached the end is past the trailing markers too.
          positions.set(partition, take.length === rest.length ? Math.max(from, p.end) : take[take.length - 1]! + 1);
        }
        return out;
      },
      commitOffsets: async (_o: readonly TopicPartitionOffset[]) => {},
      close: async () => {},
    };
  }
  producer(): never {
    throw new Error('not in the fake');
  }
  transactionalProducer(): never {
    throw new Error('not in the fake');
  }
}

function source(cluster: Cluster, bounded: boolean): KafkaSource<string> {
  const b = KafkaSource.builder<string>()
    .setBootstrapServers('fake:9092')
    .setTopics(TOPIC)
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .setProperty('max.poll.records', '3')
    .setClientFactory(() => cluster.client());
  if (bounded) b.setBounded(OffsetsInitializer.latest());
  else b.setProperty('partition.discovery.interval.ms', '1');
  return b.build();
}

function reader(cluster: Cluster, bounded: boolean, index: number, parallelism: number, restoredSplits?: readonly SourceSplit[]): SourceReader<string> {
  return source(cluster, bounded).createReader({ operatorName: 'kafka', getIndexOfSubtask: () => index, currentParallelism: () => parallelism, restoredSplits });
}

const partitionsArb = fc.array(
  fc.record({ count: fc.integer({ min: 0, max: 12 }), gaps: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 13, maxLength: 13 }), tail: fc.integer({ min: 0, max: 2 }) }),
  { minLength: 1, maxLength: 4 },
);

function build(specs: ReadonlyArray<{ count: number; gaps: readonly number[]; tail: number }>): Partition[] {
  return specs.map(({ count, gaps, tail }) => {
    const offsets: number[] = [];
    let o = 0;
    for (let i = 0; i < count; i++) {
      o += gaps[i]!;
      offsets.push(o++);
    }
    return { offsets, end: o + tail };
  });
}

/** Every partition's records as `partition:offset`, grouped by partition. */
function byPartition(values: readonly string[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const v of values) {
    const [p, o] = v.split(':').map(Number) as [number, number];
    let list = out.get(p);
    if (list === undefined) out.set(p, (list = []));
    list.push(o);
  }
  return out;
}

function expected(partitions: readonly Partition[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  partitions.forEach((p, i) => {
    if (p.offsets.length > 0) out.set(i, p.offsets);
  });
  return out;
}

/**
 * Runs `readers` round robin, one poll each per step, until `stop` says so (or they all ended); at step
 * `snapshotAt` (and, when `inFlight`, while a reader's fetch is in flight) snapshots them all, and at step
 * `addAt` adds the partitions `added`. Returns what each emitted and the snapshot with what had been emitted by then.
 */
async function run(
  cluster: Cluster,
  readers: SourceReader<string>[],
  opts: { snapshotAt?: number; inFlight?: boolean; addAt?: number; added?: Partition[]; stop: (emitted: string[]) => boolean },
): Promise<{ emitted: string[]; snapshot?: { splits: SourceSplit[]; emitted: number } }> {
  const emitted: string[] = [];
  const output: ReaderOutput<string> = { collect: (v) => void emitted.push(v) };
  let snapshot: { splits: SourceSplit[]; emitted: number } | undefined;
  const ended = readers.map(() => false);
  const take = (): void => {
    snapshot = { splits: readers.flatMap((r, i) => (ended[i] ? [] : r.snapshotState!(1))), emitted: emitted.length };
  };
  const done = (): boolean => ended.every((e) => e) || (opts.snapshotAt === undefined ? opts.stop(emitted) : snapshot !== undefined);
  for (let step = 0; step < 2_000 && !done(); step++) {
    if (step === opts.addAt) cluster.partitions.push(...opts.added!);
    for (let i = 0; i < readers.length; i++) {
      if (ended[i]) continue;
      const s = readers[i]!.pollNext(output);
      if (s === 'END_OF_INPUT') ended[i] = true;
      else if (s === 'NOTHING_AVAILABLE') {
        if (snapshot === undefined && opts.inFlight === true && step >= opts.snapshotAt!) take();
        await readers[i]!.isAvailable();
      }
    }
    if (snapshot === undefined && step === opts.snapshotAt && opts.inFlight !== true) take();
  }
  if (snapshot === undefined && opts.snapshotAt !== undefined) take();
  for (const r of readers) await r.close();
  return { emitted, snapshot };
}

/** Deals `splits` to `parallelism` readers by the source's getSplitOwner, as the runtime does on restore. */
function deal(splits: readonly SourceSplit[], parallelism: number): SourceSplit[][] {
  const owner = source(new Cluster([], () => 0), false);
  const out: SourceSplit[][] = Array.from({ length: parallelism }, () => []);
  for (const s of splits) out[owner.getSplitOwner(s, parallelism)]!.push(s);
  return out;
}

test.each([
  ['bounded (stopping at the latest offsets)', true],
  ['unbounded, with partitions added while it runs', false],
])('%s: the emitted records before a snapshot at any step and the restored reader\'s after it are every record once', async (_name, bounded) => {
  await fc.assert(
    fc.asyncProperty(
      partitionsArb,
      partitionsArb,
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 40 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 30 }),
      fc.integer(),
      async (specs, addedSpecs, p, q, snapshotAt, inFlight, addAt, seed) => {
        const partitions = build(specs);
        const added = bounded ? [] : build(addedSpecs);
        const all = expected([...partitions, ...added]);
        const total = [...all.values()].reduce((n, l) => n + l.length, 0);
        const cluster = new Cluster([...partitions], seededRandom(seed));
        const readers: SourceReader<string>[] = [];
        for (let i = 0; i < p; i++) readers.push(reader(cluster, bounded, i, p));
        for (const r of readers) await r.start();
        // Unbounded: added before the snapshot or after it (then discovered by the restored reader).
        const first = await run(cluster, readers, { snapshotAt, inFlight, addAt, added, stop: () => true });
        const before = first.emitted.slice(0, first.snapshot!.emitted);
        if (!bounded && cluster.partitions.length < partitions.length + added.length) cluster.partitions.push(...added);
        const restored = deal(first.snapshot!.splits, q).map((splits, i) => reader(cluster, bounded, i, q, splits));
        for (const r of restored) await r.start();
        const second = await run(cluster, restored, { stop: (e) => before.length + e.length >= total });
        const got = byPartition([...before, ...second.emitted]);
        expect(got, `splits ${JSON.stringify(first.snapshot!.splits as KafkaPartitionSplit[])}`).toEqual(all);
      },
    ),
    { numRuns: 150 },
  );
}, 120_000);
