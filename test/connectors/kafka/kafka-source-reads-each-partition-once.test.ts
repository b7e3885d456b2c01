/**
 * KafkaSource's readers list the topics each on their own, at start and at each discovery; partitions (and,
 * with a topic pattern, topics) created in between whatever the interleaving are read by exactly one reader,
 * from their start: every record once, none lost. The same after a restore at another parallelism (the splits
 * dealt as the runtime deals them for a source with getSplitOwner: each to its owner out of all readers'),
 * with partitions created before and after the checkpoint. Against the in-memory cluster; fast-check draws the
 * partitions, the order in which the readers start (and list), the creations and polls in between.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { KafkaSource, SimpleStringSchema, splitOwner, type KafkaPartitionSplit } from '../../../connectors/kafka/index.ts';
import type { ReaderOutput, SourceReader, SourceSplit } from '../../../lib/core/connector/source.ts';
import { InMemoryKafkaCluster } from './fake-kafka-client.ts';

/** The topics: setTopics('t'), or setTopicPattern(/[tu]/) (topic 'x' never matches). */
function source(cluster: InMemoryKafkaCluster, pattern: boolean): KafkaSource<string> {
  const b = KafkaSource.builder<string>()
    .setBootstrapServers('in-memory:9092')
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .setProperty('max.poll.records', '3')
    .setProperty('partition.discovery.interval.ms', '1')
    .setClientFactory(() => cluster.client());
  return (pattern ? b.setTopicPattern(/[tu]/) : b.setTopics('t')).build();
}

function reader(cluster: InMemoryKafkaCluster, pattern: boolean, index: number, parallelism: number, restoredSplits?: readonly SourceSplit[]): SourceReader<string> {
  return source(cluster, pattern).createReader({ operatorName: 'kafka', getIndexOfSubtask: () => index, currentParallelism: () => parallelism, restoredSplits });
}

/** The splits of all readers dealt as the runtime deals them on restore (SourceStreamTask: by getSplitOwner). */
function deal(cluster: InMemoryKafkaCluster, splits: readonly SourceSplit[], parallelism: number): SourceSplit[][] {
  const s = source(cluster, false);
  const out: SourceSplit[][] = Array.from({ length: parallelism }, () => []);
  for (const split of splits) out[s.getSplitOwner(split, parallelism)]!.push(split);
  return out;
}

type Op = { kind: 'poll' } | { kind: 'add'; topic: string; counts: number[] };

const countsArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 2 });
const opArb = (pattern: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.constant<Op>({ kind: 'poll' }),
    fc.record({ kind: fc.constant('add' as const), topic: pattern ? fc.constantFrom('t', 'u', 'x') : fc.constant('t'), counts: countsArb }),
  );

/** Which values the readers may read: the subscribed topics'. */
function expected(cluster: InMemoryKafkaCluster, pattern: boolean): string[] {
  return cluster.allValues().filter((v) => (pattern ? /^[tu]\//.test(v) : v.startsWith('t/'))).sort();
}

class Run {
  readonly emitted: string[] = [];
  readonly output: ReaderOutput<string> = { collect: (v) => void this.emitted.push(v) };
  readonly readers: SourceReader<string>[] = [];

  constructor(private readonly cluster: InMemoryKafkaCluster) {}

  /** One poll of every started reader (waiting for its fetch, and the discovery before it, when it has nothing). */
  async round(): Promise<void> {
    for (const r of this.readers) if (r.pollNext(this.output) === 'NOTHING_AVAILABLE') await r.isAvailable();
  }

  async apply(op: Op): Promise<void> {
    if (op.kind === 'poll') await this.round();
    else this.cluster.addPartitions(op.topic, ...op.counts);
  }

  /**
   * Polls until `want` records were emitted, then a few rounds more with time passing, so that every reader
   * discovers again after the last creation (a partition read twice would show).
   */
  async drain(want: number): Promise<void> {
    let after = 0;
    for (let i = 0; i < 500 && after < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await this.round();
      if (this.emitted.length >= want) after++;
    }
  }

  async close(): Promise<void> {
    for (const r of this.readers) await r.close();
  }
}

/** The ops with the readers' starts (in `order`) placed before op `at[k]` (or after all of them). */
async function startInterleaved(run: Run, cluster: InMemoryKafkaCluster, pattern: boolean, p: number, order: readonly number[], at: readonly number[], ops: readonly Op[]): Promise<void> {
  const slots = order.map((index, k) => ({ index, at: at[k]! })).sort((a, b) => a.at - b.at);
  const started: Array<SourceReader<string> | undefined> = Array.from({ length: p }, () => undefined);
  let s = 0;
  const startDue = async (i: number): Promise<void> => {
    for (; s < slots.length && slots[s]!.at <= i; s++) {
      const r = reader(cluster, pattern, slots[s]!.index, p);
      await r.start(); // lists the topics now
      started[slots[s]!.index] = r;
      run.readers.push(r);
    }
  };
  for (let i = 0; i < ops.length; i++) {
    await startDue(i);
    await run.apply(ops[i]!);
  }
  await startDue(Number.POSITIVE_INFINITY);
}

const interleaving = (pattern: boolean) =>
  fc
    .integer({ min: 1, max: 3 })
    .chain((p) =>
      fc.record({
        p: fc.constant(p),
        initial: countsArb,
        order: fc.shuffledSubarray([0, 1, 2].slice(0, p), { minLength: p, maxLength: p }),
        at: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: p, maxLength: p }),
        ops: fc.array(opArb(pattern), { maxLength: 12 }),
      }),
    );

describe('KafkaSource partitions created while its readers list them', () => {
  for (const pattern of [false, true]) {
    test(`${pattern ? 'a topic pattern (topics created too)' : 'setTopics'}: every partition is read once from its start, whichever reader lists first`, async () => {
      await fc.assert(
        fc.asyncProperty(interleaving(pattern), fc.array(opArb(pattern), { maxLength: 4 }), async ({ p, initial, order, at, ops }, later) => {
          const cluster = new InMemoryKafkaCluster();
          cluster.addPartitions('t', ...initial);
          const run = new Run(cluster);
          await startInterleaved(run, cluster, pattern, p, order, at, ops);
          for (const op of later) await run.apply(op);
          const want = expected(cluster, pattern);
          await run.drain(want.length);
          await run.close();
          expect(run.emitted.sort()).toEqual(want);
        }),
        { numRuns: 60 },
      );
    }, 120_000);
  }

  test('restored at another parallelism (1→2, 2→3, 3→1, ...): no partition read twice, those created before or after the checkpoint read once', async () => {
    await fc.assert(
      fc.asyncProperty(
        interleaving(false),
        fc.integer({ min: 1, max: 3 }),
        fc.array(opArb(false), { maxLength: 3 }),
        fc.array(opArb(false), { maxLength: 6 }),
        fc.array(opArb(false), { maxLength: 6 }),
        async ({ p, initial, order, at, ops }, q, beforeSnapshot, betweenRuns, afterRestore) => {
          const cluster = new InMemoryKafkaCluster();
          cluster.addPartitions('t', ...initial);
          const first = new Run(cluster);
          await startInterleaved(first, cluster, false, p, order, at, ops);
          for (const op of beforeSnapshot) await first.apply(op);
          // Discovery has run at least once in every reader before the checkpoint.
          await new Promise((resolve) => setTimeout(resolve, 2));
          await first.round();
          await first.round();
          const splits = structuredClone(first.readers.flatMap((r) => r.snapshotState!(1)));
          const before = first.emitted.slice();
          await first.close();

          for (const op of betweenRuns) if (op.kind === 'add') cluster.addPartitions(op.topic, ...op.counts);
          const second = new Run(cluster);
          for (const [i, mine] of deal(cluster, splits, q).entries()) second.readers.push(reader(cluster, false, i, q, mine));
          for (const r of second.readers) await r.start();
          for (const op of afterRestore) await second.apply(op);
          const want = expected(cluster, false);
          await second.drain(want.length - before.length);
          await second.close();
          expect([...before, ...second.emitted].sort(), `p=${p} q=${q} splits ${JSON.stringify(splits)}`).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('KafkaSource restore', () => {
  test("a checkpoint of the earlier version (knownPartitions on partition 0, a partition held twice, one never read) restores: the rest of each partition once", async () => {
    const cluster = new InMemoryKafkaCluster();
    cluster.addPartitions('t', 5, 5, 5, 5);
    // The earlier version's race: partition 2 read by two readers, partition 3 by none.
    const old = [
      { splitId: 't-0', topic: 't', partition: 0, startingOffset: 2, knownPartitions: 3 },
      { splitId: 't-1', topic: 't', partition: 1, startingOffset: 1 },
      { splitId: 't-2', topic: 't', partition: 2, startingOffset: 1 },
      { splitId: 't-2', topic: 't', partition: 2, startingOffset: 3 },
    ];
    for (const q of [1, 2, 3]) {
      const run = new Run(cluster);
      for (const [i, mine] of deal(cluster, old, q).entries()) run.readers.push(reader(cluster, false, i, q, mine));
      for (const r of run.readers) await r.start();
      await run.drain(3 + 4 + 2 + 5);
      await run.close();
      expect(run.emitted.sort(), `q=${q}`).toEqual(['t/0:2', 't/0:3', 't/0:4', 't/1:1', 't/1:2', 't/1:3', 't/1:4', 't/2:3', 't/2:4', 't/3:0', 't/3:1', 't/3:2', 't/3:3', 't/3:4']);
      const snapshot = run.readers.flatMap((r) => r.snapshotState!(2) as KafkaPartitionSplit[]);
      expect(snapshot.some((s) => 'knownPartitions' in s)).toBe(false);
    }
  });

  test('a restored split given to a reader that does not own it fails, naming the split and its owner', async () => {
    const cluster = new InMemoryKafkaCluster();
    cluster.addPartitions('t', 1, 1);
    const notOwner = 1 - splitOwner({ topic: 't', partition: 0 }, 2);
    const r = reader(cluster, false, notOwner, 2, [{ splitId: 't-0', topic: 't', partition: 0, startingOffset: 0 } as KafkaPartitionSplit]);
    await expect(r.start()).rejects.toThrow(`restored split t-0 belongs to reader ${1 - notOwner} of 2, not to reader ${notOwner}`);
    await r.close();
  });
});
