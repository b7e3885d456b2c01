/**
 * KafkaCommitter (in the JobMaster): commits a pre-committed transaction from a new producer by its
 * committable; committing it again (the restore of its checkpoint) changes nothing and is no error; a
 * transaction that can no longer be committed — fenced (aborted) by a newer producer of its id, as the broker's
 * transaction timeout does — throws KafkaCommitError instead of losing its records silently.
 */
import { expect, it } from 'vitest';
import {
  DeliveryGuarantee,
  KafkaCommitError,
  KafkaRecordSerializationSchema,
  KafkaSink,
  SimpleStringSchema,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaCommittable,
} from '../../../connectors/kafka/index.ts';
import { committedOutput } from './committed-output.ts';
import { ADAPTERS, broker, describeKafka, uniqueName, useClientAndAdmin } from './kafka-env.ts';

for (const adapter of ADAPTERS) {
  describeKafka(`KafkaCommitter (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => {
      client = c;
      admin = a;
    });

    const sink = (topic: string) =>
      KafkaSink.builder<string>()
        .setBootstrapServers(broker())
        .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(topic).setValueSerializationSchema(new SimpleStringSchema()).build())
        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
        .setTransactionalIdPrefix(uniqueName('committer'))
        .setClientFactory(() => adapter.create(broker()))
        .build();

    /** A transaction prepared by a dead process: its committable. */
    async function prepared(topic: string, transactionalId: string, values: string[]): Promise<KafkaCommittable> {
      const p = await adapter.create(broker()).transactionalProducer(transactionalId);
      await p.initTransactions();
      p.beginTransaction();
      await p.send(values.map((value) => ({ topic, value })));
      const committable = { transactionalId, ...p.producerIdAndEpoch() };
      await p.close();
      return committable;
    }

    it('commits, and committing again (from another committer, as after a restore in a new process) is no error and adds nothing', async () => {
      const topic = uniqueName('commit');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const c = await prepared(topic, uniqueName('tx'), ['a', 'b']);
      await sink(topic).createCommitter().commit([c]);
      await sink(topic).createCommitter().commit([c]);
      const out = await committedOutput(client, topic, 5_000);
      expect(out.values).toEqual(['a', 'b']);
      expect(out.lastStable).toEqual(out.highWatermark);
    });

    it('a transaction aborted before its commit (fenced by a newer producer of its id) throws KafkaCommitError naming it', async () => {
      const topic = uniqueName('fenced');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const transactionalId = uniqueName('tx');
      const c = await prepared(topic, transactionalId, ['lost']);
      const newer = await client.transactionalProducer(transactionalId);
      await newer.initTransactions(); // aborts the open transaction, as the broker's timeout would
      await newer.close();
      const error = await sink(topic).createCommitter().commit([c]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaCommitError);
      expect(String((error as Error).message)).toMatch(new RegExp(`Cannot commit transaction ${transactionalId} .*fenced`));
      expect((await committedOutput(client, topic, 5_000)).values).toEqual([]);
    });

    it('one committed by this committer and fenced afterwards (its id reused) is not an error when it comes again', async () => {
      const topic = uniqueName('reused');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const transactionalId = uniqueName('tx');
      const c = await prepared(topic, transactionalId, ['once']);
      const committer = sink(topic).createCommitter();
      await committer.commit([c]);
      const newer = await client.transactionalProducer(transactionalId);
      await newer.initTransactions();
      await newer.close();
      await committer.commit([c]);
      expect((await committedOutput(client, topic, 5_000)).values).toEqual(['once']);
    });
  });
}
