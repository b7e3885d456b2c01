/**
 * KafkaWriter without a broker (a fake client): records written but not acknowledged are bounded
 * (`max.buffered.records`: isAvailable pushes back until acknowledgements come); AT_LEAST_ONCE's barrier
 * (prepareCommit) and every guarantee's end of input wait for the acknowledgements; a failed send fails the
 * writer at its next call, and the end of input rejects — never a silent success with records unsent; a
 * NONE / AT_LEAST_ONCE writer closed without its end of input (a canceled job) still sends what it accepted.
 */
import { expect, it } from 'vitest';
import type { CommittingSinkWriterContext, SinkRecordContext } from '../../../lib/index.ts';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, SimpleStringSchema } from '../../../connectors/kafka/index.ts';
import { FakeKafkaClient, settled, tick } from './fake-kafka-client.ts';

const record: SinkRecordContext = { timestamp: () => null, currentWatermark: () => 0 };
const context: CommittingSinkWriterContext = { operatorName: 'sink', getIndexOfSubtask: () => 0, currentParallelism: () => 1 };

function writer(client: FakeKafkaClient, guarantee: DeliveryGuarantee, maxBuffered = 10_000) {
  return KafkaSink.builder<string>()
    .setBootstrapServers('fake:9092')
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema(new SimpleStringSchema()).build())
    .setDeliveryGuarantee(guarantee)
    .setTransactionalIdPrefix('p')
    .setProperty('max.buffered.records', String(maxBuffered))
    .setClientFactory(() => client)
    .build()
    .createWriter(context);
}

it('isAvailable pushes back once max.buffered.records are unacknowledged, and lets go when they are', async () => {
  for (const guarantee of Object.values(DeliveryGuarantee)) {
    const client = new FakeKafkaClient();
    client.holdSends = true;
    const w = writer(client, guarantee, 3);
    w.write('a', record);
    w.write('b', record);
    expect(w.isAvailable()).toBeNull();
    w.write('c', record);
    const waiting = w.isAvailable();
    expect(waiting, guarantee).not.toBeNull();
    expect(await settled(waiting!)).toBe(false);
    client.release();
    expect(await settled(waiting!)).toBe(true);
    expect(w.isAvailable()).toBeNull();
    expect(client.sent.map((r) => r.value)).toEqual(['a', 'b', 'c']);
    await w.close();
  }
});

it('AT_LEAST_ONCE: the barrier waits for every acknowledgement; NONE does not', async () => {
  const client = new FakeKafkaClient();
  client.holdSends = true;
  const alo = writer(client, DeliveryGuarantee.AT_LEAST_ONCE);
  alo.write('a', record);
  alo.flush(false);
  const barrier = Promise.resolve(alo.prepareCommit());
  expect(await settled(barrier)).toBe(false);
  client.release();
  expect(await barrier).toEqual([]);
  expect(client.sent.map((r) => r.value)).toEqual(['a']);

  const none = writer(client, DeliveryGuarantee.NONE);
  none.write('b', record);
  none.flush(false);
  expect(none.prepareCommit()).toEqual([]);
  // ... but its end of input does wait.
  const end = Promise.resolve(none.flush(true));
  expect(await settled(end)).toBe(false);
  client.release();
  await end;
  expect(client.sent.map((r) => r.value)).toEqual(['a', 'b']);
  await Promise.all([alo.close(), none.close()]);
});

it('a failed send fails the writer: the next write or flush throws, the end of input and isAvailable reject', async () => {
  for (const guarantee of Object.values(DeliveryGuarantee)) {
    const client = new FakeKafkaClient();
    client.sendError = new Error('NOT_LEADER_FOR_PARTITION after retries');
    const w = writer(client, guarantee);
    w.write('a', record);
    w.flush(false);
    await tick();
    expect(() => w.write('b', record), guarantee).toThrow(/could not write to Kafka: NOT_LEADER_FOR_PARTITION/);
    expect(() => w.flush(false)).toThrow(/could not write to Kafka/);
    await expect(w.isAvailable()!).rejects.toThrow(/could not write to Kafka/);
    await w.close();
  }
  // A failure on the last batch: flush(true) rejects.
  const client = new FakeKafkaClient();
  client.sendError = new Error('broken');
  const w = writer(client, DeliveryGuarantee.AT_LEAST_ONCE);
  w.write('a', record);
  await expect(Promise.resolve(w.flush(true))).rejects.toThrow(/could not write to Kafka: broken/);
  await w.close();
});

it('NONE / AT_LEAST_ONCE: close() without the end of input (a canceled job) still sends the buffered records', async () => {
  for (const guarantee of [DeliveryGuarantee.NONE, DeliveryGuarantee.AT_LEAST_ONCE]) {
    const client = new FakeKafkaClient();
    const w = writer(client, guarantee);
    w.write('a', record);
    w.write('b', record); // never flushed: still in the writer's buffer
    await w.close();
    expect(client.sent.map((r) => r.value), guarantee).toEqual(['a', 'b']);
  }
});
