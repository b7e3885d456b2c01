import { afterAll, beforeAll, expect, it } from 'vitest';
import { BOOTSTRAP_SERVERS, brokerAnswers, runningPid, startBroker } from '../../../connectors/kafka/broker/broker.ts';
import type { KafkaAdmin } from '../../../connectors/kafka/index.ts';
import { ADAPTERS, broker, describeKafka, uniqueName } from './kafka-env.ts';

describeKafka('the local broker (npm run kafka:start)', () => {
  it('answers a metadata request at the bootstrap address the setup provided', async () => {
    expect(broker()).toBe(BOOTSTRAP_SERVERS);
    expect(BOOTSTRAP_SERVERS).toBe(`127.0.0.1:${process.env.TIDEMARK_KAFKA_PORT || 39092}`);
    expect(await brokerAnswers(broker())).toBe(true);
  });

  it('a second start while it runs starts nothing and names the running one', async () => {
    const pid = runningPid();
    expect(pid).toBeDefined();
    const again = await startBroker();
    expect(again).toEqual({ bootstrapServers: broker(), started: false, pid });
  });

  it('nothing answers where no broker listens', async () => {
    expect(await brokerAnswers('127.0.0.1:1', 500)).toBe(false);
  });
});

for (const adapter of ADAPTERS) {
  describeKafka(`admin (${adapter.name})`, () => {
    let admin: KafkaAdmin;
    beforeAll(async () => {
      admin = await adapter.create(broker()).admin();
    });
    afterAll(async () => {
      await admin?.close();
    });

    it('creates topics with their partitions, grows them, lists and deletes them', async () => {
      const a = uniqueName('admin-a');
      const b = uniqueName('admin-b');
      expect(await admin.createTopics([{ topic: a, numPartitions: 3 }, { topic: b, numPartitions: 1, configs: { 'retention.ms': '-1' } }])).toBe(true);
      expect(await admin.createTopics([{ topic: a, numPartitions: 3 }])).toBe(false);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([a, b]));
      expect(await admin.describeTopicPartitions([b, a])).toEqual([
        { topic: a, partition: 0 },
        { topic: a, partition: 1 },
        { topic: a, partition: 2 },
        { topic: b, partition: 0 },
      ]);
      await admin.createPartitions(b, 2);
      // The broker's metadata cache takes the new partition a moment later.
      await expect.poll(() => admin.describeTopicPartitions([b]), { timeout: 10_000 }).toEqual([
        { topic: b, partition: 0 },
        { topic: b, partition: 1 },
      ]);
      await admin.deleteTopics([a, b]);
      // And the deletion (listTopics right after it still named the topic now and then on a loaded machine).
      await expect.poll(() => admin.listTopics(), { timeout: 10_000 }).not.toEqual(expect.arrayContaining([a]));
    });

    it('fails naming the topic when it does not exist', async () => {
      const missing = uniqueName('missing');
      await expect(admin.describeTopicPartitions([missing])).rejects.toThrow(missing);
    });
  });
}
