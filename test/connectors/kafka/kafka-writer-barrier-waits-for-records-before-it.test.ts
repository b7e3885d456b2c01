/**
 * AT_LEAST_ONCE KafkaSink: the barrier's flush (prepareCommit) waits for the records written before the
 * barrier, not for those written after it. It waited until the writer's whole channel was idle: every batch
 * sent after the barrier's own kept it waiting, so under a steady stream of records the checkpoint's
 * acknowledgement never came (its checkpoints expired one after another).
 */
import { expect, it } from 'vitest';
import type { CommittingSinkWriterContext, SinkRecordContext } from '../../../lib/index.ts';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, SimpleStringSchema } from '../../../connectors/kafka/index.ts';
import { FakeKafkaClient, settled, tick } from './fake-kafka-client.ts';

const record: SinkRecordContext = { timestamp: () => null, currentWatermark: () => 0 };
const context: CommittingSinkWriterContext = { operatorName: 'sink', getIndexOfSubtask: () => 0, currentParallelism: () => 1 };

it('AT_LEAST_ONCE: the barrier resolves once the records before it are acknowledged, while later ones are still on their way', async () => {
  const client = new FakeKafkaClient();
  client.holdSends = true;
  const w = KafkaSink.builder<string>()
    .setBootstrapServers('fake:9092')
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema(new SimpleStringSchema()).build())
    .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
    .setClientFactory(() => client)
    .build()
    .createWriter(context);
  w.write('a', record);
  w.write('b', record);
  w.flush(false); // [a, b] on their way
  const barrier = Promise.resolve(w.prepareCommit());
  expect(await settled(barrier)).toBe(false);
  // Records after the barrier, the batch after it on its way as soon as [a, b] is acknowledged, and so on.
  for (let i = 0; i < 5; i++) {
    w.write(`after-${i}`, record);
    w.flush(false);
    client.release();
    await tick();
  }
  expect(client.sent.map((r) => r.value)).toContain('b');
  expect(await settled(barrier)).toBe(true);
  client.holdSends = false;
  client.release();
  await w.flush(true);
  await w.close();
  expect(client.sent.map((r) => r.value)).toEqual(['a', 'b', 'after-0', 'after-1', 'after-2', 'after-3', 'after-4']);
});
