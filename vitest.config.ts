import { configDefaults, defineConfig } from 'vitest/config';

// Test files that need the real broker end in .broker.test.ts.
const KAFKA_TESTS = 'test/connectors/kafka/**/*.broker.test.ts';

export default defineConfig({
  // `import 'tidemark'` in tests reaches the TypeScript sources (the package's exports name them under
  // this condition; users get dist/). Tests run in Vite's ssr environment; Vitest adds its Node defaults.
  ssr: { resolve: { conditions: ['tidemark-source'] } },
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
