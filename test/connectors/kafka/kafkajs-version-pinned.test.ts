/**
 * The kafkajs adapter is built on kafkajs internals (src/producer/messageProducer, src/retry, the Kafka
 * object's private createCluster symbol: connectors/kafka/kafkajs/internals.ts), which no semver range
 * protects. So kafkajs is pinned exactly, not `^2.2.4` (which a user's install may resolve to a later 2.x),
 * and the installed copy is that version.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

const require = createRequire(import.meta.url);

it('kafkajs is pinned to exactly the version its internals are used for, and that version is installed', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  expect(pkg.dependencies.kafkajs).toBe('2.2.4');
  const lock = JSON.parse(readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string>; version?: string }> };
  expect(lock.packages['']!.dependencies!.kafkajs).toBe('2.2.4');
  expect(lock.packages['node_modules/kafkajs']!.version).toBe('2.2.4');
  expect((require('kafkajs/package.json') as { version: string }).version).toBe('2.2.4');
});
