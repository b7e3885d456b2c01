/**
 * vitest globalSetup of the `kafka` project: starts the real broker (connectors/kafka/broker/broker.ts, the
 * script behind `npm run kafka:start`) once for all Kafka test files and stops it at the end — unless a
 * broker of this repository was already running, which is reused and left running.
 * Without java the Kafka tests are skipped with one loud line; with CI=true they must run.
 */
import type { TestProject } from 'vitest/node';
import { checkPrerequisites, startBroker, stopBroker } from '../../../connectors/kafka/broker/broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The broker's address, or null when this machine cannot run one (the Kafka tests then skip). */
    kafkaBootstrapServers: string | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const prerequisites = checkPrerequisites();
  if (!prerequisites.ok) {
    const message = `Kafka tests cannot run: ${prerequisites.missing}`;
    if (process.env.CI === 'true') throw new Error(`${message} (CI=true: they must run)`);
    console.warn(`\n!!!!! SKIPPING ALL KAFKA TESTS: ${prerequisites.missing}. Install Java 17 and Maven, or set CI=true to make this fail. !!!!!\n`);
    project.provide('kafkaBootstrapServers', null);
    return undefined;
  }
  const broker = await startBroker({ fresh: true });
  project.provide('kafkaBootstrapServers', broker.bootstrapServers);
  if (!broker.started) return undefined;
  return async () => {
    await stopBroker();
  };
}
