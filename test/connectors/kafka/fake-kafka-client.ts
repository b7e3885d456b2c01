/**
 * An in-memory KafkaClient for KafkaSink's writer logic without a broker: transactional ids get epochs as a
 * transaction coordinator gives them (0 for a never-used id, +1 on each InitProducerId), sends can be held back
 * or made to fail, and every call is logged.
 */
import type {
  ConsumerRecord,
  KafkaAdmin,
  KafkaClient,
  KafkaPartitionConsumer,
  KafkaProducer,
  KafkaTransactionalProducer,
  ProducerIdAndEpoch,
  ProducerRecord,
  TopicPartition,
} from '../../../connectors/kafka/index.ts';

export class FakeKafkaClient implements KafkaClient {
  readonly log: string[] = [];
  /** Transactional id → [producer id, epoch] of its newest InitProducerId. */
  readonly epochs = new Map<string, ProducerIdAndEpoch>();
  readonly sent: ProducerRecord[] = [];
  /** While set, sends wait for `release()`. */
  holdSends = false;
  /** When set, sends reject with it. */
  sendError: Error | undefined;
  private held: Array<() => void> = [];
  private nextProducerId = 1;

  release(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }

  get heldSends(): number {
    return this.held.length;
  }

  private async send(records: readonly ProducerRecord[]): Promise<void> {
    if (this.holdSends) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.sendError !== undefined) throw this.sendError;
    this.sent.push(...records);
  }

  admin(): Promise<KafkaAdmin> {
    throw new Error('not in the fake');
  }
  consumer(): Promise<KafkaPartitionConsumer> {
    throw new Error('not in the fake');
  }
  async producer(): Promise<KafkaProducer> {
    return { send: (records) => this.send(records), close: async () => {} };
  }
  async transactionalProducer(transactionalId: string): Promise<KafkaTransactionalProducer> {
    const client = this;
    let ids: ProducerIdAndEpoch | undefined;
    let open = false;
    return {
      transactionalId,
      async initTransactions() {
        const before = client.epochs.get(transactionalId);
        ids = before === undefined ? { producerId: client.nextProducerId++, epoch: 0 } : { producerId: before.producerId, epoch: before.epoch + 1 };
        client.epochs.set(transactionalId, ids);
        client.log.push(`init ${transactionalId} ${ids.epoch}`);
      },
      beginTransaction() {
        open = true;
      },
      async send(records) {
        await client.send(records);
        client.log.push(`sent ${transactionalId} ${records.length}`);
      },
      async sendOffsetsToTransaction() {},
      async commitTransaction() {
        client.log.push(`commit ${transactionalId}`);
        open = false;
      },
      async abortTransaction() {
        client.log.push(`abort ${transactionalId}`);
        open = false;
      },
      inTransaction: () => open,
      producerIdAndEpoch: () => ids!,
      resumeTransaction(r) {
        ids = r;
        open = true;
      },
      async close() {},
    };
  }
}

/** A few ms of real time: long enough for the fake client's settled sends to be seen. */
export const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

/** Whether `p` settled within a few ms. */
export async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await tick();
  return done;
}

/**
 * An in-memory cluster for KafkaSource's readers without a broker: topics whose partitions hold `count` records
 * each (offsets 0..count-1, value `topic/partition:offset`, timestamp = offset), created and grown by the test
 * at any moment between the readers' steps. Every admin call reads the cluster as it is when it is made; a
 * consumer's poll answers a turn of the event loop later with up to `pollSize` records per assigned partition.
 */
export class InMemoryKafkaCluster {
  /** Topic → record count per partition. */
  readonly topics = new Map<string, number[]>();
  /** describeTopicPartitions calls so far (each reader's listings, initial and discovery). */
  listings = 0;

  constructor(private readonly pollSize: () => number = () => 2) {}

  /** Creates `topic`, or grows it, by partitions holding these record counts. */
  addPartitions(topic: string, ...counts: number[]): void {
    const partitions = this.topics.get(topic) ?? [];
    partitions.push(...counts);
    this.topics.set(topic, partitions);
  }

  /** Every record of the cluster, as values. */
  allValues(): string[] {
    const out: string[] = [];
    for (const [topic, partitions] of this.topics) partitions.forEach((count, p) => {
      for (let o = 0; o < count; o++) out.push(`${topic}/${p}:${o}`);
    });
    return out;
  }

  client(): KafkaClient {
    const cluster = this;
    const partitions = (topic: string): number[] => {
      const p = cluster.topics.get(topic);
      if (p === undefined) throw new Error(`This server does not host this topic-partition: ${topic}`);
      return p;
    };
    const admin: KafkaAdmin = {
      createTopics: async () => true,
      createPartitions: async () => {},
      deleteTopics: async () => {},
      listTopics: async () => [...cluster.topics.keys()],
      describeTopicPartitions: async (topics) => {
        cluster.listings++;
        return topics.flatMap((topic) => partitions(topic).map((_c, partition) => ({ topic, partition })));
      },
      listOffsets: async (tps, spec) => tps.map((tp) => ({ ...tp, offset: spec.kind === 'latest' ? partitions(tp.topic)[tp.partition]! : 0 })),
      listConsumerGroupOffsets: async () => [],
      close: async () => {},
    };
    return {
      admin: async () => admin,
      consumer: async (): Promise<KafkaPartitionConsumer> => {
        const positions = new Map<string, { topic: string; partition: number; at: number | undefined }>();
        const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;
        return {
          assign(tps) {
            const keep = new Map(positions);
            positions.clear();
            for (const tp of tps) positions.set(key(tp), { topic: tp.topic, partition: tp.partition, at: keep.get(key(tp))?.at });
          },
          assignment: () => [...positions.values()].map(({ topic, partition }) => ({ topic, partition })),
          seek(tp, offset) {
            const p = positions.get(key(tp));
            if (p !== undefined) p.at = offset;
          },
          position: (tp) => positions.get(key(tp))?.at,
          pause() {},
          resume() {},
          paused: () => [],
          async poll(): Promise<ConsumerRecord[]> {
            await new Promise((resolve) => setImmediate(resolve));
            const out: ConsumerRecord[] = [];
            for (const p of positions.values()) {
              const end = partitions(p.topic)[p.partition]!;
              const from = p.at ?? 0;
              const to = Math.min(end, from + cluster.pollSize());
              for (let offset = from; offset < to; offset++) {
                out.push({ topic: p.topic, partition: p.partition, offset, timestamp: offset, key: null, value: Buffer.from(`${p.topic}/${p.partition}:${offset}`), headers: {} });
              }
              p.at = to;
            }
            return out;
          },
          commitOffsets: async () => {},
          close: async () => {},
        };
      },
      producer: () => Promise.reject(new Error('not in the in-memory cluster')),
      transactionalProducer: () => Promise.reject(new Error('not in the in-memory cluster')),
    };
  }
}
