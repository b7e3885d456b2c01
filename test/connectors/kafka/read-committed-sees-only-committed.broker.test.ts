import { expect, it } from 'vitest';
import type { KafkaAdmin, KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, describeKafka, readAll, uniqueName, useClientAndAdmin, valuesOf } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`transactional producer and read_committed consumer (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('a read_committed consumer sees plain and committed records, never aborted or open ones; read_uncommitted sees all', async () => {
      const topic = uniqueName('txn');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const plain = await client.producer();
      const txA = await client.transactionalProducer(uniqueName('tx-a'));
      const txB = await client.transactionalProducer(uniqueName('tx-b'));
      try {
        await txA.initTransactions();
        await txB.initTransactions();
        await plain.send([{ topic, value: 'plain-1' }]);

        txA.beginTransaction();
        await txA.send([{ topic, value: 'committed-1' }, { topic, value: 'committed-2' }]);
        txB.beginTransaction();
        await txB.send([{ topic, value: 'aborted-1' }]);
        await txA.commitTransaction();
        await txB.abortTransaction();

        // Back-to-back transactions of one producer (AddPartitionsToTxn right after EndTxn).
        for (let i = 3; i <= 5; i++) {
          txA.beginTransaction();
          await txA.send([{ topic, value: `committed-${i}` }]);
          await txA.commitTransaction();
        }
        await plain.send([{ topic, value: 'plain-2' }]);
        txB.beginTransaction();
        await txB.send([{ topic, value: 'open-1' }]);
        await plain.send([{ topic, value: 'plain-3' }]);
        // txB's transaction stays open: read_committed stops before it (the last stable offset), so even
        // plain-3, written after it, waits.

        expect(valuesOf(await readAll(client, topic, 'read_committed'))).toEqual([
          'plain-1', 'committed-1', 'committed-2', 'committed-3', 'committed-4', 'committed-5', 'plain-2',
        ]);
        expect(valuesOf(await readAll(client, topic, 'read_uncommitted'))).toEqual([
          'plain-1', 'committed-1', 'committed-2', 'aborted-1', 'committed-3', 'committed-4', 'committed-5', 'plain-2', 'open-1', 'plain-3',
        ]);

        await txB.commitTransaction();
        expect(valuesOf(await readAll(client, topic, 'read_committed'))).toEqual([
          'plain-1', 'committed-1', 'committed-2', 'committed-3', 'committed-4', 'committed-5', 'plain-2', 'open-1', 'plain-3',
        ]);
      } finally {
        await Promise.all([plain.close(), txA.close(), txB.close()]);
      }
    });

    it('records keep key, headers, timestamp and the partition asked for; offsets count up per partition', async () => {
      const topic = uniqueName('fields');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const tx = await client.transactionalProducer(uniqueName('tx-fields'));
      try {
        await tx.initTransactions();
        tx.beginTransaction();
        await tx.send([
          { topic, partition: 1, key: 'k1', value: 'v1', headers: { h: 'x' }, timestamp: 1_000 },
          { topic, partition: 1, key: Buffer.from([1, 2]), value: null, timestamp: 2_000 },
          { topic, partition: 0, value: 'v3', timestamp: 3_000 },
        ]);
        await tx.commitTransaction();
        const records = await readAll(client, topic);
        const p1 = records.filter((r) => r.partition === 1);
        expect(p1.map((r) => [r.offset, r.key, r.value?.toString() ?? null, r.timestamp])).toEqual([
          [0, Buffer.from('k1'), 'v1', 1_000],
          [1, Buffer.from([1, 2]), null, 2_000],
        ]);
        expect(p1[0]!.headers).toEqual({ h: Buffer.from('x') });
        expect(records.filter((r) => r.partition === 0).map((r) => [r.offset, r.value?.toString(), r.timestamp])).toEqual([[0, 'v3', 3_000]]);
      } finally {
        await tx.close();
      }
    });
  });
}
