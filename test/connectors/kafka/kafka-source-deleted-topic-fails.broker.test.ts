/**
 * A topic deleted while an unbounded KafkaSource reads it fails the job naming the topic. (Flink's KafkaSource,
 * on Java's consumer, goes on fetching nothing forever, logging UNKNOWN_TOPIC_OR_PARTITION: the job hangs
 * silently. Failing is the better half of that: the job can be restarted or stopped.)
 */
import { expect, it } from 'vitest';
import { KafkaClientError, KafkaSource, SimpleStringSchema, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { JobExecutionException, StreamExecutionEnvironment, WatermarkStrategy } from '../../../lib/index.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSource, topic deleted mid-job (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('fails the job naming the deleted topic instead of hanging', async () => {
      const topic = uniqueName('deleted');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const producer = await client.producer();
      await producer.send([{ topic, partition: 0, value: 'a' }, { topic, partition: 1, value: 'b' }]);
      await producer.close();
      const seen: string[] = [];
      let deleting: Promise<void> | undefined;
      const kafka = KafkaSource.builder<string>()
        .setBootstrapServers(broker())
        .setTopics(topic)
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setClientFactory(() => adapter.create(broker()))
        .build();
      const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
      env
        .fromSource(kafka, WatermarkStrategy.noWatermarks(), 'kafka')
        .map((v) => {
          seen.push(v);
          // Once both records are through, the topic goes away under the running job.
          if (seen.length === 2) deleting = admin.deleteTopics([topic]);
          return v;
        })
        .print();
      const error = await env.execute('deleted topic').then(
        () => undefined,
        (e: unknown) => e,
      );
      await deleting;
      expect(seen.sort()).toEqual(['a', 'b']);
      expect(error).toBeInstanceOf(JobExecutionException);
      let cause: unknown = error;
      while (cause instanceof Error && !(cause instanceof KafkaClientError)) cause = cause.cause;
      expect(cause).toBeInstanceOf(KafkaClientError);
      expect((cause as Error).message).toContain(`topic ${topic} no longer exists`);
    });
  });
}
