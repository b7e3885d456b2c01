/**
 * Kafka to Kafka, exactly once: KafkaSource (bounded, 3 partitions) → running count and sum per key (keyed
 * state) → KafkaSink EXACTLY_ONCE, with the sink writer failing once mid-transaction at a random record. The
 * source rewinds to the restored checkpoint's offsets, the sink's restored transactions are committed and the
 * dead attempt's are aborted: a read_committed reader sees every running total exactly once.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from '../../../lib/index.ts';
import { JsonDeserializationSchema, KafkaSource, OffsetsInitializer, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';
import { FailOnceKafkaSink, executeQuietly, expectExactlyOnce, inputAndOutputTopics } from './kafka-to-kafka-fixture.ts';

afterAll(removeTempDirs);

interface In {
  readonly key: string;
  readonly n: number;
}
interface Total {
  readonly key: string;
  readonly count: number;
  readonly sum: number;
}

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2 ** 31;
console.log(`kafka-to-kafka-exactly-once: fast-check seed ${seed} (FC_SEED=${seed} replays it)`);

for (const adapter of ADAPTERS) {
  describeKafka(`Kafka to Kafka exactly once (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => {
      client = c;
      admin = a;
    });

    it('running totals per key survive a sink failure at a random record, exactly once', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 250 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 8 }), async (failAt, parallelism, keys) => {
          const input = uniqueName('k2k-in');
          const output = uniqueName('k2k-out');
          const records: In[] = Array.from({ length: 300 }, (_, n) => ({ key: `k${n % keys}`, n }));
          await inputAndOutputTopics(client, admin, input, output, records, (r) => r.key);
          // A key's records are in one partition, in order: its running totals are deterministic.
          const expected: string[] = [];
          const totals = new Map<string, Total>();
          for (const r of records) {
            const t = totals.get(r.key) ?? { key: r.key, count: 0, sum: 0 };
            const next = { key: r.key, count: t.count + 1, sum: t.sum + r.n };
            totals.set(r.key, next);
            expected.push(`${next.key} ${next.count} ${next.sum}`);
          }

          const sink = new FailOnceKafkaSink(output, { failAt, armed: true });

          const dir = tempDir();
          const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(dir, 'checkpoints') });
          env.setParallelism(parallelism);
          env.enableCheckpointing(20);
          env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
          const source = KafkaSource.builder<In>()
            .setBootstrapServers(broker())
            .setTopics(input)
            .setBounded(OffsetsInitializer.latest())
            .setValueOnlyDeserializer(new JsonDeserializationSchema<In>())
            .setProperty('max.poll.records', '10')
            .build();
          env
            .fromSource(source, WatermarkStrategy.noWatermarks<In>(), 'input')
            .uid('input')
            .keyBy((r: In) => r.key)
            .map((r: In) => ({ key: r.key, count: 1, sum: r.n }))
            .keyBy((t: Total) => t.key)
            .reduce((a: Total, b: Total) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
            .uid('totals')
            .map((t: Total) => `${t.key} ${t.count} ${t.sum}`)
            .sinkTo(sink)
            .uid('output');
          await executeQuietly(env, 'kafka to kafka');
          expect(sink.failed, 'the failure fired').toBe(true);
          await expectExactlyOnce(client, output, expected);
        }),
        { numRuns: 3, seed },
      );
    }, 60_000);
  });
}
