/**
 * Backpressure keeps memory bounded: a fast source feeding a sink that can take one batch at a time
 * (its SinkWriter.isAvailable() hands back a promise the test releases) never runs far ahead of it.
 *
 * Deterministic step protocol, no timing: after each release the test waits until the job is
 * quiescent (no counter moves over several event-loop turns while the sink is blocked), then
 * releases the next step. The distance between records produced before the sink and records
 * written is checked on every single record, inside the map.
 */
import { describe, expect, test } from 'vitest';
import { StreamExecutionEnvironment, type Sink } from '../../lib/index.ts';

const BATCH = 1024;
/** Records a producer subtask may have in flight: a few batches of channel credit, far below N. */
const BOUND_PER_PRODUCER = 10 * BATCH;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits until `probe()` stays the same over 3 consecutive event-loop turns (or `done()`). */
async function quiescent(probe: () => string, done: () => boolean): Promise<void> {
  let last = probe();
  let still = 0;
  while (still < 3 && !done()) {
    await turn();
    const now = probe();
    if (now === last) still++;
    else {
      still = 0;
      last = now;
    }
  }
}

interface Scenario {
  name: string;
  parallelism: number;
  build(env: StreamExecutionEnvironment, n: number, onEmit: () => void, sink: Sink<number>): void;
}

const scenarios: Scenario[] = [
  {
    name: 'sink in its own task (credit-based channel between tasks)',
    parallelism: 1,
    build: (env, n, onEmit, sink) => {
      env.fromSequence(1, n).map((x) => (onEmit(), x)).sinkTo(sink).disableChaining();
    },
  },
  {
    name: 'sink chained to the source (the whole task waits)',
    parallelism: 1,
    build: (env, n, onEmit, sink) => {
      env.fromSequence(1, n).map((x) => (onEmit(), x)).sinkTo(sink);
    },
  },
  {
    name: 'keyBy between a parallel source and a parallel sink',
    parallelism: 2,
    build: (env, n, onEmit, sink) => {
      env.fromSequence(1, n).map((x) => (onEmit(), x)).keyBy((x) => x % 7).sinkTo(sink);
    },
  },
];

describe('backpressure from a slow sink', () => {
  for (const scenario of scenarios) {
    test(scenario.name, async () => {
      const N = 100_000;
      const bound = BOUND_PER_PRODUCER * scenario.parallelism;
      let emitted = 0;
      let written = 0;
      let maxAhead = 0;
      let sum = 0;
      const pending: Array<() => void> = [];
      const sink: Sink<number> = {
        createWriter: () => ({
          write(x: number) {
            written++;
            sum += x;
          },
          flush() {},
          // Never available on its own: every step needs a release from the test.
          isAvailable: () => new Promise<void>((resolve) => pending.push(resolve)),
          close() {},
        }),
      };
      const env = StreamExecutionEnvironment.create({
        'parallelism.default': scenario.parallelism,
        'taskmanager.numberOfTaskSlots': 2,
      });
      scenario.build(
        env,
        N,
        () => {
          emitted++;
          if (emitted - written > maxAhead) maxAhead = emitted - written;
        },
        sink,
      );
      let done = false;
      let failure: unknown;
      const job = env.execute('backpressure').then(
        () => {
          done = true;
        },
        (e: unknown) => {
          done = true;
          failure = e;
        },
      );
      let steps = 0;
      while (!done) {
        await quiescent(() => `${emitted}/${written}/${pending.length}`, () => done);
        if (done) break;
        // Every record written and no sink waiting: the job is ending (it gives the event loop one
        // timer turn after its last task, see TaskExecutor), not stuck.
        if (written === N && pending.length === 0) break;
        // The job is stuck on the sink now: the source must not have run far ahead.
        expect(emitted - written).toBeLessThanOrEqual(bound);
        expect(pending.length).toBeGreaterThan(0); // else the job hangs for a reason other than the sink
        for (const release of pending.splice(0)) release();
        steps++;
      }
      await job;
      expect(failure).toBeUndefined();
      expect(written).toBe(N);
      expect(sum).toBe((N * (N + 1)) / 2);
      expect(maxAhead).toBeLessThanOrEqual(bound);
      // The protocol engaged: the sink really held the job back many times.
      expect(steps).toBeGreaterThanOrEqual(Math.floor(N / BATCH / scenario.parallelism / 2));
    });
  }
});
