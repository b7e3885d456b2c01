import { configDefaults, defineConfig } from 'vitest/config';

// Test files that need the real broker end in .broker.test.ts.
const KAFKA_TESTS = 'test/connectors/kafka/**/*.broker.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CLI tests spawn node processes (and worker threads): keep file-level parallelism modest
    // so a 2-core CI machine is not oversubscribed.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, KAFKA_TESTS] },
      },
      {
        // A project of its own so its globalSetup (a real Kafka broker) runs only when a Kafka test is selected.
        extends: true,
        test: {
          name: 'kafka',
          include: [KAFKA_TESTS],
          globalSetup: ['test/connectors/kafka/broker-setup.ts'],
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
