/**
 * A KafkaSource reader closed while its start() is still listing the topics (a job canceled or failed while
 * its sources start) closes the consumer that start() goes on to open: nothing stays connected. Against the
 * in-memory cluster, its listing held until the close.
 */
import { expect, test } from 'vitest';
import { KafkaSource, SimpleStringSchema, type KafkaClient } from '../../../connectors/kafka/index.ts';
import { InMemoryKafkaCluster } from './fake-kafka-client.ts';

test('closed while start() lists the topics: the consumer start() opens afterwards is closed too', async () => {
  const cluster = new InMemoryKafkaCluster();
  cluster.addPartitions('t', 3, 3);
  let open = 0;
  let releaseListing!: () => void;
  const listingHeld = new Promise<void>((resolve) => (releaseListing = resolve));
  const client = (): KafkaClient => {
    const inner = cluster.client();
    return {
      ...inner,
      admin: async () => {
        const admin = await inner.admin();
        return {
          ...admin,
          describeTopicPartitions: async (topics) => {
            await listingHeld;
            return admin.describeTopicPartitions(topics);
          },
        };
      },
      consumer: async (options) => {
        const consumer = await inner.consumer(options);
        open++;
        return { ...consumer, close: async () => void open-- };
      },
    };
  };
  const source = KafkaSource.builder<string>().setBootstrapServers('in-memory:9092').setTopics('t').setValueOnlyDeserializer(new SimpleStringSchema()).setClientFactory(client).build();
  const reader = source.createReader({ operatorName: 'kafka', getIndexOfSubtask: () => 0, currentParallelism: () => 1 });
  const started = Promise.resolve(reader.start()).catch(() => undefined);
  const closed = reader.close();
  releaseListing();
  await started;
  await closed;
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(open, 'consumers left open').toBe(0);
});
