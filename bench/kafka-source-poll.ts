/**
 * KafkaSourceReader.pollNext on its own (no broker): a client whose consumer hands out ready-made records of
 * three partitions, each poll a batch of 500 in runs per partition (as a fetch returns them), and a reader that
 * emits them to a counting output. Prints ns per record (best of the reps).
 *
 *   npx tsx bench/kafka-source-poll.ts [records=3000000] [reps=5]
 */
import type { ReaderOutput } from '../lib/core/connector/source.ts';
import { KafkaSource, SimpleStringSchema, type ConsumerRecord, type KafkaClient, type KafkaPartitionConsumer } from '../connectors/kafka/index.ts';

const TOPIC = 'bench';
const PARTITIONS = 3;
const BATCH = 500;

function fakeClient(total: number): KafkaClient {
  const value = Buffer.from('a record of moderate length');
  const positions = [0, 0, 0];
  let handed = 0;
  const consumer: KafkaPartitionConsumer = {
    assign() {},
    assignment: () => [],
    seek(tp, offset) {
      positions[tp.partition] = offset;
    },
    position: (tp) => positions[tp.partition],
    pause() {},
    resume() {},
    paused: () => [],
    async poll() {
      const out: ConsumerRecord[] = [];
      if (handed >= total) return out;
      for (let p = 0; p < PARTITIONS; p++) {
        for (let i = 0; i < BATCH / PARTITIONS && handed < total; i++, handed++) {
          const offset = positions[p]!++;
          out.push({ topic: TOPIC, partition: p, offset, timestamp: offset, key: null, value, headers: {} });
        }
      }
      return out;
    },
    async commitOffsets() {},
    async close() {},
  };
  const admin = {
    describeTopicPartitions: async () => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition })),
    listOffsets: async (tps: ReadonlyArray<{ topic: string; partition: number }>) => tps.map((tp) => ({ ...tp, offset: 0 })),
    close: async () => {},
  };
  return {
    admin: async () => admin as never,
    consumer: async () => consumer,
    producer: async () => {
      throw new Error('not in this bench');
    },
    transactionalProducer: async () => {
      throw new Error('not in this bench');
    },
  };
}

async function run(total: number): Promise<number> {
  const source = KafkaSource.builder<string>()
    .setBootstrapServers('fake:1')
    .setTopics(TOPIC)
    .setValueOnlyDeserializer(new SimpleStringSchema())
    .setProperty('partition.discovery.interval.ms', '0')
    .setClientFactory(() => fakeClient(total))
    .build();
  const reader = source.createReader({ operatorName: 'bench', getIndexOfSubtask: () => 0, currentParallelism: () => 1 });
  await reader.start();
  let count = 0;
  const output: ReaderOutput<string> = {
    collect: () => {
      count++;
    },
  };
  const started = process.hrtime.bigint();
  while (count < total) {
    if (reader.pollNext(output) === 'NOTHING_AVAILABLE') await reader.isAvailable();
  }
  const ns = Number(process.hrtime.bigint() - started);
  await reader.close();
  return ns / total;
}

const total = Number(process.argv[2] ?? 3_000_000);
const reps = Number(process.argv[3] ?? 5);
let best = Number.POSITIVE_INFINITY;
for (let r = 0; r < reps; r++) best = Math.min(best, await run(total));
console.log(`KafkaSourceReader.pollNext: ${best.toFixed(1)} ns/record (best of ${reps}, ${total} records)`);
