/**
 * Kafka to Kafka, exactly once, through CEP: KafkaSource (bounded, 3 partitions, event time = a field of the
 * record, out of order within the bound) → keyed `begin('a').next('b')` (strict contiguity in event-time
 * order per key) → KafkaSink EXACTLY_ONCE, with the sink writer failing once mid-transaction at a random
 * match after a checkpoint completed. The CEP operator's buffered events and partial matches come back from
 * that checkpoint (every run restores one), the source rewinds to its offsets, the dead attempt's
 * transactions are aborted: a read_committed reader sees exactly the matches of a reference model (per key,
 * events sorted by timestamp, every `a` directly followed by `b`).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it, vi } from 'vitest';
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from '../../../lib/index.ts';
import { CEP, Pattern } from '../../../lib/api/cep/index.ts';
import { JsonDeserializationSchema, KafkaSource, OffsetsInitializer, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';
import { FailOnceKafkaSink, executeQuietly, expectExactlyOnce } from './kafka-to-kafka-fixture.ts';

afterAll(removeTempDirs);

interface Ev {
  readonly key: string;
  readonly n: number;
  readonly type: 'a' | 'b' | 'x';
  readonly ts: number;
}

/**
 * Record n's event time: up to 48 ms before its place in the topic (ts = 10 n − 12 k, k in 0..4), so events
 * arrive out of order but never behind a 100 ms bounded-out-of-orderness watermark; all distinct.
 */
const eventTime = (n: number): number => 1_000 + 10 * n - 12 * ((n * 7) % 5);

/** The reference: per key, events in timestamp order, each `a` immediately followed by a `b` is a match. */
function expectedMatches(events: readonly Ev[]): string[] {
  const byKey = new Map<string, Ev[]>();
  for (const e of events) (byKey.get(e.key) ?? byKey.set(e.key, []).get(e.key)!).push(e);
  const out: string[] = [];
  for (const [key, evs] of byKey) {
    evs.sort((x, y) => x.ts - y.ts);
    for (let i = 0; i + 1 < evs.length; i++) if (evs[i]!.type === 'a' && evs[i + 1]!.type === 'b') out.push(`${key} ${evs[i]!.n} ${evs[i + 1]!.n}`);
  }
  return out;
}

/**
 * Ten rounds of `a`, `b` for every key after the random events: each key then has an `a` before a `b` more
 * than 48 ms apart with only `a`s and `b`s between them, hence a match. The tail is written into the topic
 * once a checkpoint completed: there are always at least `keys` matches to fail at after that.
 */
function tail(keys: number): Array<Ev['type']> {
  return Array.from({ length: 20 * keys }, (_, i) => (Math.floor(i / keys) % 2 === 0 ? 'a' : 'b'));
}

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
console.log(`kafka-to-kafka-cep-exactly-once: fast-check seed ${seed} (FC_SEED=${seed} replays it)`);

for (const adapter of ADAPTERS) {
  describeKafka(`Kafka to Kafka exactly once through CEP (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => {
      client = c;
      admin = a;
    });

    it('a → b matches per key survive a sink failure at a random match after a checkpoint, exactly once', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom<Ev['type']>('a', 'b', 'x'), { minLength: 60, maxLength: 160 }),
          fc.integer({ min: 2, max: 6 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 2 }),
          async (types, keys, parallelism, failAt) => {
            const events: Ev[] = [...types, ...tail(keys)].map((type, n) => ({ key: `k${n % keys}`, n, type, ts: eventTime(n) }));
            const expected = expectedMatches(events);
            const input = uniqueName('k2k-cep-in');
            const output = uniqueName('k2k-cep-out');
            await admin.createTopics([{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
            // The key's partition is fixed here, so the source's stopping offsets can be known before all is written.
            const partitionOf = (e: Ev): number => (e.n % keys) % 3;
            const ends = [0, 0, 0];
            for (const e of events) ends[partitionOf(e)]!++;
            const produce = async (part: readonly Ev[]): Promise<void> => {
              const producer = await client.producer();
              await producer.send(part.map((e) => ({ topic: input, partition: partitionOf(e), key: e.key, value: JSON.stringify(e) })));
              await producer.close();
            };
            await produce(events.slice(0, types.length));
            // Armed once a checkpoint completed; the tail (written after that) has matches to fail at.
            const sink = new FailOnceKafkaSink(output, { failAt, armed: false });

            const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(tempDir(), 'checkpoints') });
            env.setParallelism(parallelism);
            env.enableCheckpointing(20);
            env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
            const source = KafkaSource.builder<Ev>()
              .setBootstrapServers(broker())
              .setTopics(input)
              .setBounded(OffsetsInitializer.offsets(ends.map((offset, partition) => ({ topic: input, partition, offset }))))
              .setValueOnlyDeserializer(new JsonDeserializationSchema<Ev>())
              .setProperty('max.poll.records', '10')
              .build();
            const stream = env
              .fromSource(source, WatermarkStrategy.forBoundedOutOfOrderness<Ev>(100).withTimestampAssigner((e) => e.ts), 'input')
              .uid('input');
            const pattern = Pattern.begin<Ev>('a')
              .where((e) => e.type === 'a')
              .next('b')
              .where((e) => e.type === 'b');
            CEP.pattern(
              stream.keyBy((e) => e.key),
              pattern,
            )
              .select((m) => `${m.a[0]!.key} ${m.a[0]!.n} ${m.b[0]!.n}`)
              .uid('cep')
              .sinkTo(sink)
              .uid('output');
            await executeQuietly(env, 'kafka to kafka through CEP', async (job) => {
              await vi.waitUntil(() => job.checkpointStats().some((s) => !s.savepoint), { timeout: 20_000, interval: 10 });
              sink.arm();
              await produce(events.slice(types.length));
            });
            expect(sink.failed, 'the failure fired').toBe(true);
            expect(sink.restoredWriters, 'the job restored a checkpoint').toBeGreaterThan(0);
            await expectExactlyOnce(client, output, expected);
          },
        ),
        { numRuns: 3, seed, endOnFailure: true }, // no shrinking: each run is a job against the broker
      );
    }, 60_000);
  });
}
