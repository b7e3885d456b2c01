/**
 * A user's test that installs fake timers (vi.useFakeTimers, sinon) and runs an event-time job inline:
 * the executor's one timers turn before 'finished' (so that a user's setTimeout(0) error fails the job)
 * uses node:timers, not the faked global setTimeout. Before, executeAndCollect() never settled.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { StreamExecutionEnvironment } from '../../lib/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

test('an inline job finishes while the test has fake timers installed', async () => {
  vi.useFakeTimers();
  const env = StreamExecutionEnvironment.create();
  const out = await env
    .fromElements(1, 2, 3)
    .map((x: number) => x * 2)
    .keyBy((x: number) => x % 4)
    .reduce((a: number, b: number) => a + b)
    .executeAndCollect();
  expect(out.sort()).toEqual([2, 4, 8]); // keys 2, 0, 2: rolling sums 2, 4, 2 + 6
}, 10_000);
