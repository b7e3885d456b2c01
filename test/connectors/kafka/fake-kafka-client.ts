/**
 * An in-memory KafkaClient for KafkaSink's writer logic without a broker: transactional ids get epochs as a
 * transaction coordinator gives them (0 for a never-used id, +1 on each InitProducerId), sends can be held back
 * or made to fail, and every call is logged.
 */
import type {
  KafkaAdmin,
  KafkaClient,
  KafkaPartitionConsumer,
  KafkaProducer,
  KafkaTransactionalProducer,
  ProducerIdAndEpoch,
  ProducerRecord,
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
