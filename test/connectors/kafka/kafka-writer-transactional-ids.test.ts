/**
 * KafkaWriter (EXACTLY_ONCE) names its transactions as Flink's KafkaSink does — `prefix-subtask-n`, the first
 * after a restore of checkpoint r numbered r + 1, the one after barrier c numbered c + 1 — and on start probes
 * `prefix-s-(r+1)`, `prefix-s-(r+2)` ... until an id was never used (epoch 0), for its own subtask index s and
 * s + p, s + 2p ... (a larger previous parallelism) until one had none: InitProducerId fences each, aborting what
 * a dead attempt left open. Ids it skips (checkpoints it never saw) are initialized too, so the ids in use stay
 * gapless and the probing of a later restore cannot stop early.
 */
import { expect, it } from 'vitest';
import type { CommittingSinkWriterContext, SinkRecordContext } from '../../../lib/index.ts';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, SimpleStringSchema, type KafkaCommittable } from '../../../connectors/kafka/index.ts';
import { FakeKafkaClient } from './fake-kafka-client.ts';

const record: SinkRecordContext = { timestamp: () => null, currentWatermark: () => 0 };

function writer(client: FakeKafkaClient, subtask: number, parallelism: number, restoredCheckpointId: number | undefined) {
  const sink = KafkaSink.builder<string>()
    .setBootstrapServers('fake:9092')
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema(new SimpleStringSchema()).build())
    .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
    .setTransactionalIdPrefix('p')
    .setClientFactory(() => client)
    .build();
  const context: CommittingSinkWriterContext = {
    operatorName: 'sink',
    getIndexOfSubtask: () => subtask,
    currentParallelism: () => parallelism,
    getRestoredCheckpointId: () => restoredCheckpointId,
  };
  return sink.createWriter(context);
}

it('a fresh start probes from 1; transactions follow the checkpoint ids, skipped ids are initialized empty', async () => {
  const client = new FakeKafkaClient();
  const w = writer(client, 0, 1, undefined);
  w.write('a', record);
  w.flush(false);
  const first = (await w.prepareCommit()) as KafkaCommittable[];
  expect(first).toEqual([{ transactionalId: 'p-0-1', producerId: 1, epoch: 0 }]);
  w.snapshotState(1); // next: p-0-2
  w.write('b', record);
  const second = (await w.prepareCommit()) as KafkaCommittable[];
  expect(second.map((c) => c.transactionalId)).toEqual(['p-0-2']);
  w.snapshotState(4); // checkpoints 2 and 3 never reached this subtask: p-0-3, p-0-4 are filled, p-0-5 is next
  w.write('c', record);
  expect(((await w.prepareCommit()) as KafkaCommittable[]).map((c) => c.transactionalId)).toEqual(['p-0-5']);
  await w.close();
  expect(client.log.filter((l) => l.startsWith('init'))).toEqual(['init p-0-1 0', 'init p-0-2 0', 'init p-0-3 0', 'init p-0-4 0', 'init p-0-5 0']);
  expect(client.sent.map((r) => r.value)).toEqual(['a', 'b', 'c']);
});

it('a restore of checkpoint r probes r+1, r+2 ... until a never-used id, for s, s+p, s+2p ... of the old parallelism; the restored ids are not touched', async () => {
  const client = new FakeKafkaClient();
  // A dead attempt at parallelism 3 used ids up to 7 (subtasks 0, 2) and 6 (subtask 1); checkpoint 5 was restored.
  for (const id of ['p-0-5', 'p-0-6', 'p-0-7', 'p-1-5', 'p-1-6', 'p-2-5', 'p-2-6', 'p-2-7']) client.epochs.set(id, { producerId: 100, epoch: 0 });
  const w0 = writer(client, 0, 2, 5);
  const w1 = writer(client, 1, 2, 5);
  w0.write('x', record);
  w1.write('y', record);
  expect(((await w0.prepareCommit()) as KafkaCommittable[]).map((c) => c.transactionalId)).toEqual(['p-0-6']);
  expect(((await w1.prepareCommit()) as KafkaCommittable[]).map((c) => c.transactionalId)).toEqual(['p-1-6']);
  await Promise.all([w0.close(), w1.close()]);
  const inits = client.log.filter((l) => l.startsWith('init')).map((l) => l.split(' ')[1]);
  // Subtask 0: its own 6, 7 (fenced), 8 (never used: stop); then old subtask 2: 6, 7, 8 (stop); then 4: 6 (none: done).
  expect(inits.filter((id) => /^p-[024]-/.test(id!))).toEqual(['p-0-6', 'p-0-7', 'p-0-8', 'p-2-6', 'p-2-7', 'p-2-8', 'p-4-6']);
  // Subtask 1: 6 (fenced), 7 (never used); then old subtask 3: 6 (none: done).
  expect(inits.filter((id) => /^p-[13]-/.test(id!))).toEqual(['p-1-6', 'p-1-7', 'p-3-6']);
  // The restored checkpoint's transactions (numbered <= 5) are the committer's: never fenced here.
  expect(inits.some((id) => id!.endsWith('-5'))).toBe(false);
});

it('close() aborts the open transaction (never pre-committed), not the pre-committed ones', async () => {
  const client = new FakeKafkaClient();
  const w = writer(client, 0, 1, undefined);
  w.write('a', record);
  await w.prepareCommit();
  w.snapshotState(1);
  w.write('b', record);
  w.flush(false);
  await new Promise((resolve) => setTimeout(resolve, 10)); // 'b' is sent: the transaction is open at the broker
  expect(client.sent.map((r) => r.value)).toEqual(['a', 'b']);
  await w.close();
  expect(client.log.filter((l) => l.startsWith('abort'))).toEqual(['abort p-0-2']);
});

it('close() waits for the batch on its way before it aborts the open transaction (an abort first would leave it open)', async () => {
  const client = new FakeKafkaClient();
  const w = writer(client, 0, 1, undefined);
  w.write('a', record);
  await w.prepareCommit();
  w.snapshotState(1);
  client.holdSends = true;
  w.write('b', record);
  w.flush(false);
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(client.heldSends).toBe(1);
  const closed = w.close();
  setTimeout(() => client.release(), 20);
  await closed;
  const tail = client.log.filter((l) => l.includes('p-0-2') && !l.startsWith('init'));
  expect(tail).toEqual(['sent p-0-2 1', 'abort p-0-2']);
});

it('close() during a pre-commit that is still flushing aborts that transaction (it was never handed over)', async () => {
  const client = new FakeKafkaClient();
  const w = writer(client, 0, 1, undefined);
  await new Promise((resolve) => setTimeout(resolve, 10));
  client.holdSends = true;
  w.write('a', record);
  const preCommitted = Promise.resolve(w.prepareCommit());
  preCommitted.catch(() => undefined);
  w.snapshotState(1);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const closed = w.close();
  setTimeout(() => client.release(), 20);
  await closed;
  await expect(preCommitted).rejects.toThrow(/closed/);
  expect(client.log.filter((l) => l.includes('p-0-1') && !l.startsWith('init'))).toEqual(['sent p-0-1 1', 'abort p-0-1']);
});
