/**
 * KafkaSink's contract per delivery guarantee, on a real broker: every record of a finished job is in the
 * topic (read_committed), keyed records land on their key's partition, the element's timestamp becomes the
 * record's; EXACTLY_ONCE writes inside transactions that only the committer makes visible.
 */
import { afterAll, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy } from '../../../lib/index.ts';
import {
  DeliveryGuarantee,
  FlinkFixedPartitioner,
  JsonSerializationSchema,
  KafkaRecordSerializationSchema,
  KafkaSink,
  SimpleStringSchema,
  type KafkaAdmin,
  type KafkaClient,
} from '../../../connectors/kafka/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { ADAPTERS, broker, describeKafka, readAll, uniqueName, useClientAndAdmin, valuesOf } from './kafka-env.ts';

afterAll(removeTempDirs);

interface Ev {
  readonly key: string;
  readonly n: number;
  readonly ts: number;
}

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSink delivery guarantees (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => {
      client = c;
      admin = a;
    });

    const events: Ev[] = Array.from({ length: 300 }, (_, n) => ({ key: `k${n % 7}`, n, ts: 1_700_000_000_000 + n }));

    async function runJob(guarantee: DeliveryGuarantee, checkpointInterval: number | undefined, parallelism: number): Promise<string> {
      const topic = uniqueName(`sink-${guarantee}`);
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const dir = tempDir();
      const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(dir, 'checkpoints') });
      env.setParallelism(parallelism);
      if (checkpointInterval !== undefined) env.enableCheckpointing(checkpointInterval);
      env.setRestartStrategy(RestartStrategies.noRestart());
      const sink = KafkaSink.builder<Ev>()
        .setBootstrapServers(broker())
        .setRecordSerializer(
          KafkaRecordSerializationSchema.builder<Ev>()
            .setTopic(topic)
            .setKeySerializationSchema((e: Ev) => e.key)
            .setValueSerializationSchema(new JsonSerializationSchema<Ev>())
            .setHeaderProvider((e) => ({ n: String(e.n) }))
            .build(),
        )
        .setDeliveryGuarantee(guarantee)
        .setTransactionalIdPrefix(uniqueName('tx'))
        .build();
      env
        .fromCollection(events)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
        .rebalance()
        .map((e) => e)
        .sinkTo(sink)
        .uid('kafka-sink');
      await env.execute(`kafka sink ${guarantee}`);
      return topic;
    }

    async function expectAllOnce(topic: string): Promise<void> {
      const records = await readAll(client, topic, 'read_committed', 600);
      const values = valuesOf(records).map((v) => JSON.parse(v) as Ev);
      expect(values.map((e) => e.n).sort((a, b) => a - b)).toEqual(events.map((e) => e.n));
      // Kafka's default partitioning by key: one partition per key.
      const partitionOf = new Map<string, Set<number>>();
      for (const r of records) {
        const key = r.key!.toString();
        (partitionOf.get(key) ?? partitionOf.set(key, new Set()).get(key)!).add(r.partition);
        const e = JSON.parse(r.value!.toString()) as Ev;
        expect(r.timestamp).toBe(e.ts);
        expect(String(r.headers.n)).toBe(String(e.n));
      }
      for (const [key, parts] of partitionOf) expect(parts.size, key).toBe(1);
    }

    it('NONE: every record of the finished job is written (the end of input waits for the acknowledgements)', async () => {
      await expectAllOnce(await runJob(DeliveryGuarantee.NONE, undefined, 2));
    });

    it('AT_LEAST_ONCE with checkpoints: every record, once when nothing failed', async () => {
      await expectAllOnce(await runJob(DeliveryGuarantee.AT_LEAST_ONCE, 20, 2));
    });

    it('EXACTLY_ONCE with checkpoints: every record once, read_committed', async () => {
      await expectAllOnce(await runJob(DeliveryGuarantee.EXACTLY_ONCE, 20, 3));
    });

    it('EXACTLY_ONCE without checkpointing, bounded job: committed at the end of the job', async () => {
      await expectAllOnce(await runJob(DeliveryGuarantee.EXACTLY_ONCE, undefined, 2));
    });

    it('a topic selector and a partitioner pick topic and partition per element', async () => {
      const even = uniqueName('even');
      const odd = uniqueName('odd');
      await admin.createTopics([{ topic: even, numPartitions: 2 }, { topic: odd, numPartitions: 2 }]);
      const env = StreamExecutionEnvironment.create();
      env.setParallelism(2);
      const sink = KafkaSink.builder<string>()
        .setBootstrapServers(broker())
        .setRecordSerializer(
          KafkaRecordSerializationSchema.builder<string>()
            .setTopicSelector((s) => (Number(s) % 2 === 0 ? even : odd))
            .setValueSerializationSchema(new SimpleStringSchema())
            .setPartitioner(new FlinkFixedPartitioner<string>())
            .build(),
        )
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
      env.fromCollection(Array.from({ length: 40 }, (_, i) => String(i))).rebalance().map((s) => s).sinkTo(sink);
      await env.execute('selector');
      const evens = await readAll(client, even, 'read_committed', 500);
      const odds = await readAll(client, odd, 'read_committed', 500);
      expect(valuesOf(evens).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
      expect(valuesOf(odds).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
      // rebalance() alternates subtasks, so one subtask got the evens, the other the odds; FlinkFixedPartitioner:
      // subtask i writes partition i of every topic.
      const evenPartitions = [...new Set(evens.map((r) => r.partition))];
      const oddPartitions = [...new Set(odds.map((r) => r.partition))];
      expect(evenPartitions).toHaveLength(1);
      expect(oddPartitions).toHaveLength(1);
      expect(evenPartitions[0]).not.toBe(oddPartitions[0]);
    });

    it('a send that fails (no such topic) fails the job; it never finishes as if it had written', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const error = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        for (const guarantee of [DeliveryGuarantee.NONE, DeliveryGuarantee.EXACTLY_ONCE]) {
          const env = StreamExecutionEnvironment.create();
          const topic = uniqueName('missing');
          const sink = KafkaSink.builder<string>()
            .setBootstrapServers(broker())
            .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(topic).setValueSerializationSchema(new SimpleStringSchema()).build())
            .setDeliveryGuarantee(guarantee)
            .setTransactionalIdPrefix(uniqueName('tx'))
            .build();
          env.fromElements('a', 'b').sinkTo(sink);
          // The message names the topic (the job's name alone would match /missing/).
          await expect(env.execute('no such topic')).rejects.toThrow(new RegExp(`${topic}`));
        }
      } finally {
        warn.mockRestore();
        error.mockRestore();
      }
    });
  });
}
