/**
 * EXACTLY_ONCE opens a fresh transactional id per checkpoint (so back-to-back transactions never wait on the
 * previous one's markers, kafkajs#1315), but not a fresh producer: pre-committed producers are pooled and take
 * the next id (Flink's KafkaWriter producer pool, FlinkKafkaInternalProducer.setTransactionalId), and so are the
 * committer's — a long run at a short checkpoint interval opens a handful of connections, not one per
 * checkpoint. The output is still exactly once.
 */
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { StreamExecutionEnvironment, RestartStrategies } from '../../../lib/index.ts';
import {
  DeliveryGuarantee,
  KafkaRecordSerializationSchema,
  KafkaSink,
  SimpleStringSchema,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaTransactionalProducer,
} from '../../../connectors/kafka/index.ts';
import { PacedEvents, type Ev } from '../../fixtures/exactly-once-pipeline.ts';
import { WatermarkStrategy } from '../../../lib/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { committedOutput } from './committed-output.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

afterAll(removeTempDirs);

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaSink reuses its transactional producers (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => {
      client = c;
      admin = a;
    });

    it('many checkpoints, few producers; every record once', async () => {
      const topic = uniqueName('pool');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      let opened = 0;
      const transactionalIds = new Set<string>();
      const counting = (): KafkaClient => {
        const inner = adapter.create(broker());
        return {
          admin: () => inner.admin(),
          consumer: (o) => inner.consumer(o),
          producer: (o) => inner.producer(o),
          async transactionalProducer(id, o): Promise<KafkaTransactionalProducer> {
            opened++;
            const p = await inner.transactionalProducer(id, o);
            const init = p.initTransactions.bind(p);
            p.initTransactions = async () => {
              transactionalIds.add(p.transactionalId);
              await init();
            };
            return p;
          },
        };
      };
      const events: Ev[] = Array.from({ length: 600 }, (_, id) => ({ id, key: `k${id % 4}`, ts: id, kind: 'A' as const }));
      const dir = tempDir();
      const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(dir, 'checkpoints') });
      env.setParallelism(2);
      env.enableCheckpointing(10);
      env.setRestartStrategy(RestartStrategies.noRestart());
      env
        .fromSource(new PacedEvents(events, 3, 5), WatermarkStrategy.noWatermarks<Ev>(), 'events')
        .uid('events')
        .rebalance()
        .map((e: Ev) => String(e.id))
        .sinkTo(
          KafkaSink.builder<string>()
            .setBootstrapServers(broker())
            .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(topic).setValueSerializationSchema(new SimpleStringSchema()).build())
            .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
            .setTransactionalIdPrefix(`${topic}-tx`)
            .setClientFactory(counting)
            .build(),
        )
        .uid('sink');
      await env.execute('pool');
      const out = await committedOutput(client, topic, 5_000);
      expect(out.values.map(Number).sort((a, b) => a - b)).toEqual(events.map((e) => e.id));
      // Two writers each initialized a transactional id per checkpoint (and probed one), on few producers.
      expect(transactionalIds.size, `ids ${transactionalIds.size}, producers ${opened}`).toBeGreaterThan(20);
      expect(opened, `ids ${transactionalIds.size}, producers ${opened}`).toBeLessThan(transactionalIds.size / 2);
    });
  });
}
