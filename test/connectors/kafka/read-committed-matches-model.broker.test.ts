import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { KafkaAdmin, KafkaClient, KafkaTransactionalProducer } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, describeKafka, readAll, uniqueName, useClientAndAdmin } from './kafka-env.ts';

// Random interleavings of two transactional producers and a plain one over two partitions; a read_committed
// consumer must then see, per partition, exactly what a model says: plain records and committed transactions'
// records, in the order they were sent. Transactions left open are aborted by fencing (initTransactions
// of a new producer with the same id), as a restarted sink does with lingering transactions.
type Op =
  | { kind: 'plain'; partition: number }
  | { kind: 'send'; producer: number; partition: number }
  | { kind: 'commit'; producer: number }
  | { kind: 'abort'; producer: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('plain' as const), partition: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant('send' as const), producer: fc.integer({ min: 0, max: 1 }), partition: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant('commit' as const), producer: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant('abort' as const), producer: fc.integer({ min: 0, max: 1 }) }),
);

for (const adapter of ADAPTERS) {
  describeKafka(`read_committed against a model (${adapter.name})`, () => {
    let client: KafkaClient;
    let admin: KafkaAdmin;
    useClientAndAdmin(adapter, (c, a) => ((client = c), (admin = a)));

    it('sees exactly the plain and committed records, per partition in write order (fast-check)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
          const topic = uniqueName('model');
          await admin.createTopics([{ topic, numPartitions: 2 }]);
          const ids = [uniqueName('model-tx0'), uniqueName('model-tx1')];
          const plain = await client.producer();
          const txs: KafkaTransactionalProducer[] = [];
          for (const id of ids) txs.push(await client.transactionalProducer(id));
          const expected: string[][] = [[], []];
          // Per producer: the open transaction's records, by partition, until it commits.
          const pending: Array<Array<{ partition: number; value: string }>> = [[], []];
          let n = 0;
          try {
            for (const tx of txs) await tx.initTransactions();
            for (const op of ops) {
              const value = `r${n++}`;
              if (op.kind === 'plain') {
                await plain.send([{ topic, partition: op.partition, value }]);
                expected[op.partition]!.push(value);
              } else if (op.kind === 'send') {
                const tx = txs[op.producer]!;
                if (!tx.inTransaction()) tx.beginTransaction();
                await tx.send([{ topic, partition: op.partition, value }]);
                pending[op.producer]!.push({ partition: op.partition, value });
              } else {
                const tx = txs[op.producer]!;
                if (!tx.inTransaction()) continue;
                if (op.kind === 'commit') {
                  await tx.commitTransaction();
                  for (const r of pending[op.producer]!) expected[r.partition]!.push(r.value);
                } else {
                  await tx.abortTransaction();
                }
                pending[op.producer] = [];
              }
            }
            // Fence whatever is still open (aborts it), as a restarted sink does.
            for (const id of ids) {
              const fencer = await client.transactionalProducer(id);
              await fencer.initTransactions();
              await fencer.close();
            }
            const seen = await readAll(client, topic, 'read_committed', 600);
            for (const partition of [0, 1]) {
              const inPartition = seen.filter((r) => r.partition === partition).map((r) => r.value!.toString());
              // A record takes its offset when sent (sends are awaited one by one), not when its transaction
              // commits: the log order is the send order, r0, r1, ...
              const inSendOrder = [...expected[partition]!].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
              expect(inPartition).toEqual(inSendOrder);
            }
          } finally {
            await Promise.all([plain.close(), ...txs.map((t) => t.close())]);
          }
        }),
        { numRuns: 6 },
      );
    });
  });
}
