/**
 * A record that does not deserialize goes, when the user asks for it (setDeserializationFailureOutput), to a
 * side output of the source with where it was (topic, partition, offset) and why; the job goes on. Nothing is
 * skipped silently: without the option the job fails (kafka-source-bounded), and with the option but no one
 * reading that side output it fails too.
 */
import { expect, it } from 'vitest';
import {
  JsonDeserializationSchema,
  KafkaDeserializationError,
  KafkaSource,
  OffsetsInitializer,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaDeserializationFailure,
} from '../../../connectors/kafka/index.ts';
import { JobExecutionException, OutputTag, StreamExecutionEnvironment, WatermarkStrategy } from '../../../lib/index.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

const env = (parallelism: number): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': parallelism, 'taskmanager.numberOfTaskSlots': 4 });

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource, records that do not deserialize (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    const source = (topic: string, tag: OutputTag<KafkaDeserializationFailure>) =>
      KafkaSource.builder()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new JsonDeserializationSchema<{ n: number }>())
        .setDeserializationFailureOutput(tag)
        .setBounded(OffsetsInitializer.latest())
        .setClientFactory(() => adapter.create(broker()))
        .build();

    /** Partition p gets n = 10p .. 10p+9 as JSON, except that every third is broken; returns the broken ones. */
    async function writeMixed(topic: string, partitions: number): Promise<string[]> {
      await admin.createTopics([{ topic, numPartitions: partitions }]);
      const producer = await client.producer();
      const broken: string[] = [];
      const records = [];
      for (let p = 0; p < partitions; p++) {
        for (let i = 0; i < 10; i++) {
          const n = 10 * p + i;
          const bad = i % 3 === 1;
          if (bad) broken.push(`${topic}-${p}@${i}:{"n":${n}`);
          records.push({ topic, partition: p, value: bad ? `{"n":${n}` : JSON.stringify({ n }), timestamp: 1_000 + n });
        }
      }
      await producer.send(records);
      await producer.close();
      return broken;
    }

    for (const parallelism of [1, 2]) {
      it(`go to the side output with topic, partition, offset, value and error; the rest is read (p=${parallelism})`, async () => {
        const topic = uniqueName('malformed-side');
        const broken = await writeMixed(topic, 2);
        const tag = new OutputTag<KafkaDeserializationFailure>('malformed');
        const parsed = env(parallelism).fromSource(source(topic, tag), WatermarkStrategy.noWatermarks(), 'kafka');
        const failures = parsed.getSideOutput(tag).map((f) => {
          expect(f.error).toContain(`${f.topic}-${f.partition} offset ${f.offset}`);
          expect(f.timestamp).toBeGreaterThanOrEqual(1_000);
          return `${f.topic}-${f.partition}@${f.offset}:${Buffer.from(f.value!).toString()}`;
        });
        const out = await parsed.map((v) => `ok:${v.n}`).union(failures).executeAndCollect();
        const expectedOk = Array.from({ length: 20 }, (_, n) => n).filter((n) => n % 10 % 3 !== 1).map((n) => `ok:${n}`);
        expect(out.filter((s) => s.startsWith('ok:')).sort()).toEqual(expectedOk.sort());
        expect(out.filter((s) => !s.startsWith('ok:')).sort()).toEqual(broken.sort());
      });
    }

    it('an operator reading the side output that throws fails the job with its own error, not as a record that did not deserialize', async () => {
      const topic = uniqueName('malformed-reader-throws');
      await writeMixed(topic, 1);
      const tag = new OutputTag<KafkaDeserializationFailure>('malformed');
      const parsed = env(1).fromSource(source(topic, tag), WatermarkStrategy.noWatermarks(), 'kafka');
      const failures = parsed
        .getSideOutput(tag)
        .map((): string => {
          throw new Error('the side output reader failed');
        })
        .name('Side Reader');
      const error = await parsed
        .map((v) => `ok:${v.n}`)
        .union(failures)
        .executeAndCollect()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(JobExecutionException);
      const chain: unknown[] = [];
      for (let c: unknown = error; c instanceof Error; c = c.cause) chain.push(c);
      expect(chain.some((c) => c instanceof KafkaDeserializationError)).toBe(false);
      expect((error as Error).message).toContain("Operator 'Side Reader'");
      expect((error as Error).message).toContain('the side output reader failed');
    });

    it('still fail the job when nothing reads that side output (the record would be lost)', async () => {
      const topic = uniqueName('malformed-unread');
      await writeMixed(topic, 1);
      const tag = new OutputTag<KafkaDeserializationFailure>('nobody-reads-this');
      const error = await env(1)
        .fromSource(source(topic, tag), WatermarkStrategy.noWatermarks(), 'kafka')
        .executeAndCollect()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(JobExecutionException);
      let cause: unknown = error;
      while (cause instanceof Error && !(cause instanceof KafkaDeserializationError)) cause = cause.cause;
      expect(cause).toBeInstanceOf(KafkaDeserializationError);
      expect(cause).toMatchObject({ topic, partition: 0, offset: 1 });
      expect((cause as Error).message).toContain("nothing reads the side output 'nobody-reads-this'");
    });
  });
}
