import { expect, it } from 'vitest';
import {
  JsonDeserializationSchema,
  KafkaDeserializationError,
  KafkaSource,
  OffsetsInitializer,
  SimpleStringSchema,
  type KafkaAdmin,
  type KafkaClient,
} from '../../../connectors/kafka/index.ts';
import { JobExecutionException, ProcessFunction, StreamExecutionEnvironment, WatermarkStrategy, type Collector, type ProcessContext } from '../../../lib/index.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

/** Each value's `i` with the record's event timestamp. */
class WithTimestamp extends ProcessFunction<{ i: number }, [number, number | null]> {
  processElement(value: { i: number }, ctx: ProcessContext, out: Collector<[number, number | null]>): void {
    out.collect([value.i, ctx.timestamp()]);
  }
}

const env = (parallelism: number): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': parallelism, 'taskmanager.numberOfTaskSlots': 4 });

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource, bounded (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    const source = (topic: string) =>
      KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setClientFactory(() => adapter.create(broker()));

    it('reads every committed record of every partition up to the offsets seen at start, then the job ends', async () => {
      const topic = uniqueName('bounded');
      await admin.createTopics([{ topic, numPartitions: 3 }]);
      const producer = await client.producer();
      const values = Array.from({ length: 60 }, (_, i) => `v${i}`);
      await producer.send(values.map((value, i) => ({ topic, partition: i % 3, value })));
      const tx = await client.transactionalProducer(uniqueName('bounded-tx'));
      await tx.initTransactions();
      tx.beginTransaction();
      await tx.send([{ topic, partition: 0, value: 'committed-in-tx' }]);
      await tx.commitTransaction();
      tx.beginTransaction();
      await tx.send([{ topic, partition: 1, value: 'aborted' }]);
      await tx.abortTransaction();
      tx.beginTransaction();
      await tx.send([{ topic, partition: 2, value: 'open-at-start' }]);
      try {
        const kafka = source(topic).setBounded(OffsetsInitializer.latest()).build();
        expect(kafka.boundedness).toBe('BOUNDED');
        const out = await env(2).fromSource(kafka, WatermarkStrategy.noWatermarks<string>(), 'kafka').executeAndCollect();
        expect(out.sort()).toEqual([...values, 'committed-in-tx'].sort());
      } finally {
        await tx.abortTransaction();
        await Promise.all([producer.close(), tx.close()]);
      }
    });

    it('per partition in offset order, with the Kafka timestamp as event time', async () => {
      const topic = uniqueName('order');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const producer = await client.producer();
      await producer.send(Array.from({ length: 20 }, (_, i) => ({ topic, partition: i % 2, value: JSON.stringify({ i }), timestamp: 1_000 + i })));
      await producer.close();
      const kafka = KafkaSource.builder()
        .setBootstrapServers(broker())
        .setTopics([topic])
        .setValueOnlyDeserializer(new JsonDeserializationSchema<{ i: number }>())
        .setBounded(OffsetsInitializer.latest())
        .build();
      const out = await env(1)
        .fromSource(kafka, WatermarkStrategy.forMonotonousTimestamps<{ i: number }>(), 'kafka')
        .process(new WithTimestamp())
        .executeAndCollect();
      const even = out.filter(([i]) => i % 2 === 0);
      const odd = out.filter(([i]) => i % 2 === 1);
      expect(even.map(([i]) => i)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      expect(odd.map(([i]) => i)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
      for (const [i, ts] of out) expect(ts).toBe(1_000 + i);
    });

    it('a record that does not deserialize fails the job naming topic, partition and offset', async () => {
      const topic = uniqueName('malformed');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const producer = await client.producer();
      await producer.send([{ topic, value: '{"ok":1}' }, { topic, value: '{"ok":' }, { topic, value: '{"ok":3}' }]);
      await producer.close();
      const kafka = KafkaSource.builder()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new JsonDeserializationSchema<{ ok: number }>())
        .setBounded(OffsetsInitializer.latest())
        .build();
      const error = await env(1).fromSource(kafka, WatermarkStrategy.noWatermarks(), 'kafka').executeAndCollect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JobExecutionException);
      const message = String((error as Error).message) + String(((error as Error).cause as Error | undefined)?.message);
      expect(message).toContain(`${topic}-0 offset 1`);
      let cause: unknown = error;
      while (cause instanceof Error && !(cause instanceof KafkaDeserializationError)) cause = cause.cause;
      expect(cause).toBeInstanceOf(KafkaDeserializationError);
      expect(cause).toMatchObject({ topic, partition: 0, offset: 1 });
    });

    it('setDeserializer sees key, headers, timestamp, partition and offset; topics by pattern', async () => {
      const prefix = uniqueName('pattern');
      const a = `${prefix}-a`;
      const b = `${prefix}-b`;
      await admin.createTopics([{ topic: a, numPartitions: 1 }, { topic: b, numPartitions: 1 }, { topic: `${prefix}-a-not`, numPartitions: 1 }]);
      const producer = await client.producer();
      await producer.send([
        { topic: a, key: 'k', value: 'x', headers: { h: '1' }, timestamp: 5 },
        { topic: b, value: 'y', timestamp: 6 },
        { topic: `${prefix}-a-not`, value: 'z' },
      ]);
      await producer.close();
      const kafka = KafkaSource.builder()
        .setBootstrapServers(broker())
        .setTopicPattern(new RegExp(`${prefix}-(a|b)`))
        .setDeserializer((r) => `${r.topic.slice(prefix.length)}/${r.partition}/${r.offset}/${r.key?.toString() ?? '-'}/${String(r.headers.h ?? '-')}/${r.timestamp}/${r.value?.toString()}`)
        .setBounded(OffsetsInitializer.latest())
        .build();
      const out = await env(2).fromSource(kafka, WatermarkStrategy.noWatermarks(), 'kafka').executeAndCollect();
      expect(out.sort()).toEqual(['-a/0/0/k/1/5/x', '-b/0/0/-/-/6/y']);
    });
  });
}
