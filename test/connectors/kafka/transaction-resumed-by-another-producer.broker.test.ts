import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaClientError, type KafkaAdmin, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, broker, describeKafka, readAll, uniqueName, valuesOf } from './kafka-env.ts';

// What Flink's KafkaSink needs after a crash between checkpoint completion and commit: the transaction a dead
// process prepared is named by (transactional id, producer id, epoch) and committed by a new producer.
for (const adapter of ADAPTERS) {
  describeKafka(`resuming a transaction from another process (${adapter.name})`, () => {
    let admin: KafkaAdmin;
    beforeAll(async () => {
      admin = await adapter.create(broker()).admin();
    });
    afterAll(async () => {
      await admin?.close();
    });

    /** A producer on its own client (its own connections), as a restarted process would have. */
    const freshClient = (): KafkaClient => adapter.create(broker());

    it('a new producer commits the prepared transaction by producer id and epoch; it becomes visible', async () => {
      const topic = uniqueName('resume');
      const transactionalId = uniqueName('sink-0');
      await admin.createTopics([{ topic, numPartitions: 2 }]);
      const dead = await freshClient().transactionalProducer(transactionalId);
      await dead.initTransactions();
      dead.beginTransaction();
      await dead.send([{ topic, partition: 0, value: 'a' }, { topic, partition: 1, value: 'b' }]);
      const committable = dead.producerIdAndEpoch();
      expect(committable.producerId).toBeGreaterThanOrEqual(0);
      await dead.close(); // the process dies before committing: its connections go, the transaction stays open

      expect(valuesOf(await readAll(freshClient(), topic, 'read_committed', 500))).toEqual([]);

      const recovered = await freshClient().transactionalProducer(transactionalId);
      try {
        recovered.resumeTransaction(committable);
        expect(recovered.inTransaction()).toBe(true);
        expect(recovered.producerIdAndEpoch()).toEqual(committable);
        await expect(recovered.send([{ topic, value: 'no' }])).rejects.toThrow(/resumed transaction can only be committed or aborted/);
        await recovered.commitTransaction();
        expect(recovered.inTransaction()).toBe(false);
        expect(valuesOf(await readAll(freshClient(), topic)).sort()).toEqual(['a', 'b']);
        // Committing the same committable again (a committer retried after a lost answer) succeeds and adds nothing.
        recovered.resumeTransaction(committable);
        await recovered.commitTransaction();
        expect(valuesOf(await readAll(freshClient(), topic)).sort()).toEqual(['a', 'b']);
      } finally {
        await recovered.close();
      }
    });

    it('initTransactions fences the earlier producer and aborts its lingering transaction; the old epoch cannot commit', async () => {
      const topic = uniqueName('fence');
      const transactionalId = uniqueName('sink-1');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const old = await freshClient().transactionalProducer(transactionalId);
      await old.initTransactions();
      old.beginTransaction();
      await old.send([{ topic, value: 'lingering' }]);
      const lingering = old.producerIdAndEpoch();

      const next = await freshClient().transactionalProducer(transactionalId);
      try {
        await next.initTransactions();
        expect(next.producerIdAndEpoch().producerId).toBe(lingering.producerId);
        expect(next.producerIdAndEpoch().epoch).toBeGreaterThan(lingering.epoch);
        // The lingering transaction is aborted: it no longer holds back read_committed readers.
        next.beginTransaction();
        await next.send([{ topic, value: 'after' }]);
        await next.commitTransaction();
        expect(valuesOf(await readAll(freshClient(), topic))).toEqual(['after']);

        const error = await old.commitTransaction().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(KafkaClientError);
        expect((error as KafkaClientError).retriable).toBe(false);

        const stale = await freshClient().transactionalProducer(transactionalId);
        stale.resumeTransaction(lingering);
        await expect(stale.commitTransaction()).rejects.toThrow(KafkaClientError);
        await stale.close();
        expect(valuesOf(await readAll(freshClient(), topic))).toEqual(['after']);
      } finally {
        await Promise.all([old.close(), next.close()]);
      }
    });

    it('aborting a resumed transaction discards its records', async () => {
      const topic = uniqueName('resume-abort');
      const transactionalId = uniqueName('sink-2');
      await admin.createTopics([{ topic, numPartitions: 1 }]);
      const dead = await freshClient().transactionalProducer(transactionalId);
      await dead.initTransactions();
      dead.beginTransaction();
      await dead.send([{ topic, value: 'x' }]);
      const committable = dead.producerIdAndEpoch();
      await dead.close();
      const recovered = await freshClient().transactionalProducer(transactionalId);
      recovered.resumeTransaction(committable);
      await recovered.abortTransaction();
      await recovered.close();
      const plain = await freshClient().producer();
      await plain.send([{ topic, value: 'y' }]);
      await plain.close();
      expect(valuesOf(await readAll(freshClient(), topic))).toEqual(['y']);
    });

    it('misuse fails with a clear error instead of writing outside a transaction', async () => {
      const p = await freshClient().transactionalProducer(uniqueName('misuse'));
      try {
        expect(() => p.beginTransaction()).toThrow(/before initTransactions/);
        await p.initTransactions();
        await expect(p.send([{ topic: 'x', value: 'v' }])).rejects.toThrow(/without an open transaction/);
        await expect(p.commitTransaction()).rejects.toThrow(/without an open transaction/);
        p.beginTransaction();
        expect(() => p.beginTransaction()).toThrow(/already open/);
        await p.commitTransaction(); // empty: nothing reached the coordinator
      } finally {
        await p.close();
      }
    });
  });
}
