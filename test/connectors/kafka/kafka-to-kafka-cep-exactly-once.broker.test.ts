/**
 * Kafka to Kafka, exactly once, through CEP: KafkaSource (bounded, 3 partitions, event time = a field of the
 * record, out of order within the bound) → keyed `begin('a').next('b')` (strict contiguity in event-time
 * order per key) → KafkaSink EXACTLY_ONCE, with the sink writer failing once mid-transaction at a random
 * match. The CEP operator's buffered events and partial matches come back from the checkpoint, the source
 * rewinds to its offsets, the dead attempt's transactions are aborted: a read_committed reader sees exactly
 * the matches of a reference model (per key, events sorted by timestamp, every `a` directly followed by `b`).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it, vi } from 'vitest';
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, type CommittingSinkWriterContext } from '../../../lib/index.ts';
import { CEP, Pattern } from '../../../lib/api/cep/index.ts';
import {
  DeliveryGuarantee,
  JsonDeserializationSchema,
  KafkaRecordSerializationSchema,
  KafkaSink,
  KafkaSource,
  OffsetsInitializer,
  SimpleStringSchema,
  type KafkaAdmin,
  type KafkaClient,
} from '../../../connectors/kafka/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { compareMultisets } from '../../runtime/failover/exactly-once-model.ts';
import { committedOutput } from './committed-output.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

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

    it('a → b matches per key survive a sink failure at a random match, exactly once', async () => {
      let runs = 0;
      let restoredWriters = 0;
      let restoredRuns = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom<Ev['type']>('a', 'b', 'x'), { minLength: 120, maxLength: 200 }),
          fc.integer({ min: 2, max: 6 }),
          fc.integer({ min: 1, max: 3 }),
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          async (types, keys, parallelism, failFraction) => {
            const events: Ev[] = types.map((type, n) => ({ key: `k${n % keys}`, n, type, ts: eventTime(n) }));
            const expected = expectedMatches(events);
            fc.pre(expected.length > 0); // a failure needs a match to fail at
            const failAt = 1 + Math.floor(failFraction * expected.length);
            const restoredBefore = restoredWriters;

            const input = uniqueName('k2k-cep-in');
            const output = uniqueName('k2k-cep-out');
            await admin.createTopics([{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 3 }]);
            const producer = await client.producer();
            await producer.send(events.map((e) => ({ topic: input, key: e.key, value: JSON.stringify(e) })));
            await producer.close();

            const sink = KafkaSink.builder<string>()
              .setBootstrapServers(broker())
              .setRecordSerializer(
                KafkaRecordSerializationSchema.builder<string>()
                  .setTopic(output)
                  .setKeySerializationSchema((line: string) => line.split(' ')[0]!)
                  .setValueSerializationSchema(new SimpleStringSchema())
                  .build(),
              )
              .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
              .setTransactionalIdPrefix(`${output}-tx`)
              .build();
            let written = 0;
            let failed = false;
            runs++;
            const failingSink = {
              createCommitter: () => sink.createCommitter(),
              createWriter(context: CommittingSinkWriterContext) {
                const w = sink.createWriter(context);
                if (context.getRestoredCheckpointId?.() !== undefined) restoredWriters++;
                return {
                  write(line: string, c: Parameters<typeof w.write>[1]) {
                    if (!failed && ++written >= failAt) {
                      failed = true;
                      throw new Error(`injected: sink record ${written}`);
                    }
                    w.write(line, c);
                  },
                  flush: (end: boolean) => w.flush(end),
                  isAvailable: () => w.isAvailable(),
                  prepareCommit: () => w.prepareCommit(),
                  snapshotState: (checkpointId: number) => w.snapshotState(checkpointId),
                  close: () => w.close(),
                };
              },
            };

            const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(tempDir(), 'checkpoints') });
            env.setParallelism(parallelism);
            env.enableCheckpointing(20);
            env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
            const source = KafkaSource.builder<Ev>()
              .setBootstrapServers(broker())
              .setTopics(input)
              .setBounded(OffsetsInitializer.latest())
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
              .sinkTo(failingSink)
              .uid('output');
            const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
            try {
              await env.execute('kafka to kafka through CEP');
            } finally {
              warn.mockRestore();
            }
            expect(failed, 'the failure fired').toBe(true);
            const out = await committedOutput(client, output, 5_000);
            const { lost, duplicated } = compareMultisets(expected, out.values);
            if (lost.length > 0 || duplicated.length > 0) {
              throw new Error(`${lost.length} lost ${JSON.stringify(lost.slice(0, 5))}, ${duplicated.length} duplicated or wrong ${JSON.stringify(duplicated.slice(0, 5))}`);
            }
            expect(out.values).toHaveLength(expected.length);
            expect(out.lastStable).toEqual(out.highWatermark);
            if (restoredWriters > restoredBefore) restoredRuns++;
          },
        ),
        { numRuns: 3, seed, endOnFailure: true }, // no shrinking: each run is a job against the broker
      );
      // Whether a run restarts from a checkpoint or from scratch depends on timing (the failure may come
      // before the first checkpoint completed); both must be exactly once. Logged to see the mix.
      console.log(`kafka-to-kafka-cep-exactly-once: ${runs} runs, ${restoredRuns} restarted from a checkpoint`);
    }, 60_000);
  });
}
