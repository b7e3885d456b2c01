import { expect, it } from 'vitest';
import { KafkaClientError, OffsetSpec, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, describeKafka, readAll, uniqueName, useClientAndAdmin, valuesOf } from './kafka-env.ts';

// kafkajs's own producer resolves send() for a partition its metadata does not know (one added since it
// read it) and writes nothing. Ours reads the metadata anew, and fails when the partition does not exist.
for (const adapter of ADAPTERS) {
  describeKafka(`producers never drop records silently (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    for (const kind of ['plain', 'idempotent', 'transactional'] as const) {
      it(`${kind}: writes to a partition added after it started; a partition that does not exist fails the send`, async () => {
        const topic = uniqueName(`grow-${kind}`);
        await admin.createTopics([{ topic, numPartitions: 1 }]);
        const tx = kind === 'transactional' ? await client.transactionalProducer(uniqueName('grow-tx')) : undefined;
        const plain = kind === 'transactional' ? undefined : await client.producer({ idempotent: kind !== 'plain' });
        const send = async (records: Parameters<NonNullable<typeof plain>['send']>[0]): Promise<void> => {
          if (tx === undefined) return plain!.send(records);
          tx.beginTransaction();
          try {
            await tx.send(records);
          } catch (e) {
            await tx.abortTransaction();
            throw e;
          }
          await tx.commitTransaction();
        };
        try {
          await tx?.initTransactions();
          await send([{ topic, partition: 0, value: 'before' }]);
          await admin.createPartitions(topic, 2);
          await send([{ topic, partition: 1, value: 'after' }]);
          const ends = await admin.listOffsets([{ topic, partition: 1 }], OffsetSpec.latest(), 'read_uncommitted');
          expect(ends[0]!.offset).toBeGreaterThan(0);
          expect(valuesOf(await readAll(client, topic)).sort()).toEqual(['after', 'before']);
          const error = await send([{ topic, partition: 5, value: 'nowhere' }]).then(() => undefined, (e: unknown) => e);
          expect(error).toBeInstanceOf(KafkaClientError);
          expect((error as Error).message).toContain(`${topic}-5: no such partition`);
        } finally {
          await Promise.all([tx?.close(), plain?.close()]);
        }
      });
    }
  });
}
