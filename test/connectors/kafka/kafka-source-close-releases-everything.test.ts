/**
 * A KafkaSource reader's close() closes its discovery admin even when closing its consumer fails (a broker gone
 * away): the error still comes out of close(), and nothing stays connected. Against the in-memory cluster.
 */
import { expect, test } from 'vitest';
import { KafkaSource, SimpleStringSchema, type KafkaClient } from '../../../connectors/kafka/index.ts';
import type { ReaderOutput } from '../../../lib/core/connector/source.ts';
import { InMemoryKafkaCluster } from './fake-kafka-client.ts';

test('the discovery admin is closed when closing the consumer fails', async () => {
  const cluster = new InMemoryKafkaCluster();
  cluster.addPartitions('t', 2);
  const admins = { open: 0 };
  const client = (): KafkaClient => {
    const inner = cluster.client();
    return {
      ...inner,
      admin: async () => {
        const admin = await inner.admin();
        admins.open++;
        return { ...admin, close: async () => void admins.open-- };
      },
      consumer: async (options) => ({ ...(await inner.consumer(options)), close: () => Promise.reject(new Error('broker gone')) }),
    };
  };
  const source = KafkaSource.builder<string>()
    .setBootstrapServers('in-memory:9092')
    .setTopics('t')
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .setProperty('partition.discovery.interval.ms', '1')
    .setClientFactory(client)
    .build();
  const reader = source.createReader({ operatorName: 'kafka', getIndexOfSubtask: () => 0, currentParallelism: () => 1 });
  await reader.start();
  const out: string[] = [];
  const output: ReaderOutput<string> = { collect: (v) => void out.push(v) };
  // Polls until a discovery ran (its admin is kept).
  for (let i = 0; i < 50 && out.length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (reader.pollNext(output) === 'NOTHING_AVAILABLE') await reader.isAvailable();
  }
  expect(out).toEqual(['t/0:0', 't/0:1']);
  expect(admins.open).toBe(1);
  await expect(reader.close()).rejects.toThrow('broker gone');
  expect(admins.open, 'admins left open').toBe(0);
});
