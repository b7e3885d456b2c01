/**
 * vitest globalSetup of the `kafka` project: starts the real broker (connectors/kafka/broker/broker.ts, the
 * script behind `npm run kafka:start`) once for all Kafka test files and stops it at the end — unless a
 * broker of this repository was already running, which is reused and left running: one a user started
 * (`npm run kafka:start`), or one another test run still uses. A broker a test run started but never stopped
 * (that run was killed before its teardown) is adopted and stopped at the end: `.kafka/test-owner` holds the
 * pid of the test run that started the broker, and a dead owner means a leftover.
 * Without java the Kafka tests are skipped with one loud line; with CI=true they must run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { checkPrerequisites, KAFKA_DIR, startBroker, stopBroker } from '../../../connectors/kafka/broker/broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The broker's address, or null when this machine cannot run one (the Kafka tests then skip). */
    kafkaBootstrapServers: string | null;
  }
}

/** The pid of the test run that started the running broker (absent: a user started it). */
export const TEST_OWNER_FILE = path.join(KAFKA_DIR, 'test-owner');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner pid of a running broker a test run started, or undefined (a user's broker). */
function testOwner(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(TEST_OWNER_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export default async function setup(project: Pick<TestProject, 'provide'>): Promise<(() => Promise<void>) | undefined> {
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
  if (!broker.started) {
    const owner = testOwner();
    // A user's broker, or one another test run is using: leave it running.
    if (owner === undefined || alive(owner)) return undefined;
    console.warn(`Kafka tests: adopting the broker (pid ${broker.pid}) left running by an earlier test run (pid ${owner}); it is stopped at the end`);
  }
  fs.writeFileSync(TEST_OWNER_FILE, String(process.pid));
  return async () => {
    await stopBroker(); // removes the owner file too
  };
}
