/**
 * What Kafka tests share: the broker's address (from broker-setup.ts), the client adapters every contract
 * test runs against, and unique topic names (the broker outlives one test file, and may outlive a run).
 */
import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import type { KafkaClient } from '../../../connectors/kafka/index.ts';
import { KafkajsClient } from '../../../connectors/kafka/index.ts';

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

/** A topic or id name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
