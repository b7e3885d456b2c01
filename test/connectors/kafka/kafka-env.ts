/**
 * What Kafka tests share: the broker's address (from broker-setup.ts), the client adapters every contract
 * test runs against, and unique topic names (the broker outlives one test file, and may outlive a run).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import type { ConsumerRecord, IsolationLevel, KafkaAdmin, KafkaClient, KafkaPartitionConsumer } from '../../../connectors/kafka/index.ts';
import { KafkajsClient } from '../../../connectors/kafka/index.ts';
import type { ReaderOutput, SourceReader, SourceReaderContext, SourceSplit } from '../../../lib/core/connector/source.ts';

/** The broker's `host:port`, or null when this machine cannot run one (broker-setup.ts said so, loudly). */
export const bootstrapServers: string | null = inject('kafkaBootstrapServers');

/** `describe` for tests that need the broker: skipped (never silently: see broker-setup.ts) without one. */
export const describeKafka = describe.skipIf(bootstrapServers === null);

export function broker(): string {
  if (bootstrapServers === null) throw new Error('no Kafka broker in this run');
  return bootstrapServers;
}

/** Every KafkaClient implementation the connectors ship: the contract tests run against each. */
export const ADAPTERS: ReadonlyArray<{ readonly name: string; readonly create: (bootstrap: string) => KafkaClient }> = [
  { name: 'kafkajs', create: (bootstrap) => new KafkajsClient({ bootstrapServers: bootstrap, clientId: 'tidemark-test' }) },
];

/**
 * Opens a client of `adapter` and its admin before the tests of the enclosing describe block (handing both to
 * `opened`), and closes the admin after them.
 */
export function useClientAndAdmin(adapter: (typeof ADAPTERS)[number], opened: (client: KafkaClient, admin: KafkaAdmin) => void): void {
  let admin: KafkaAdmin | undefined;
  beforeAll(async () => {
    const client = adapter.create(broker());
    admin = await client.admin();
    opened(client, admin);
  });
  afterAll(async () => {
    await admin?.close();
  });
}

/** A topic or id name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Polls `consumer` until `done(records so far)` or `timeoutMs` passes; returns everything read. */
export async function readUntil(
  consumer: KafkaPartitionConsumer,
  done: (records: readonly ConsumerRecord[]) => boolean,
  timeoutMs = 15_000,
): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(out) && Date.now() < deadline) out.push(...(await consumer.poll(200)));
  return out;
}

/** Reads every partition of `topic` from the start until `quietMs` pass with nothing new (values as strings). */
export async function readAll(
  client: KafkaClient,
  topic: string,
  isolationLevel: IsolationLevel = 'read_committed',
  quietMs = 1_000,
): Promise<ConsumerRecord[]> {
  const admin = await client.admin();
  const partitions = await admin.describeTopicPartitions([topic]);
  await admin.close();
  const consumer = await client.consumer({ isolationLevel, maxWaitMs: 200 });
  try {
    consumer.assign(partitions);
    for (const tp of partitions) consumer.seek(tp, 0);
    const out: ConsumerRecord[] = [];
    let quietSince = Date.now();
    while (Date.now() - quietSince < quietMs) {
      const batch = await consumer.poll(200);
      if (batch.length > 0) quietSince = Date.now();
      out.push(...batch);
    }
    return out;
  } finally {
    await consumer.close();
  }
}

export const valuesOf = (records: readonly ConsumerRecord[]): string[] => records.map((r) => r.value?.toString() ?? '<null>');

/** A reader context as the source task gives one. */
export function readerContext(index: number, parallelism: number, restoredSplits?: readonly SourceSplit[]): SourceReaderContext {
  return {
    operatorName: 'Source: kafka',
    getIndexOfSubtask: () => index,
    currentParallelism: () => parallelism,
    ...(restoredSplits === undefined ? {} : { restoredSplits }),
  };
}

/**
 * Polls `reader` (started) until END_OF_INPUT, until `count` records were emitted, or until `timeoutMs`;
 * returns whether it ended.
 */
export async function driveReader<T>(reader: SourceReader<T>, out: T[], count = Number.POSITIVE_INFINITY, timeoutMs = 20_000): Promise<boolean> {
  const output: ReaderOutput<T> = { collect: (r) => out.push(r) };
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    const status = reader.pollNext(output);
    if (status === 'END_OF_INPUT') return true;
    if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
  }
  return false;
}
