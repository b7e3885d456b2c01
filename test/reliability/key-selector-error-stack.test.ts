/**
 * A keyBy's key selector that throws fails the job with a KeyExtractionError naming the record; the
 * CLI still shows where in the user's code it threw (the user's stack frames), inline and in threads
 * mode (where the error crosses the worker boundary), whether the key is extracted by the keyBy's
 * partitioner (parallelism 2: 'keyBy -> After') or by the keyed operator itself (parallelism 1).
 */
import { expect, test } from 'vitest';
import { lines, runCli } from '../helpers.ts';

const THREADS = ['-t', 'threads', '-D', 'taskmanager.numberOfTaskSlots=2'];

test.each([
  { mode: 'inline, partitioner', args: ['-p', '2'], operator: 'keyBy -> After' },
  { mode: 'threads, partitioner', args: [...THREADS, '-p', '2'], operator: 'keyBy -> After' },
  { mode: 'inline, keyed operator', args: ['-p', '1'], operator: 'After' },
  { mode: 'threads, keyed operator', args: [...THREADS, '-p', '1'], operator: 'After' },
])('$mode: the key selector error keeps the user frames', async ({ args, operator }) => {
  const r = await runCli(['run', ...args, 'test/fixtures/throw-non-error-job.ts', '--throw', 'error', '--where', 'key']);
  expect(r.code).toBe(1);
  const first = lines(r.stderr)[0] ?? '';
  expect(first).toContain(`Operator '${operator}' (subtask 1/1) failed: KeyExtractionError: Could not extract key from 2: bad record 2`);
  // The frame of the user's key function, in the job file.
  expect(r.stderr).toMatch(/at keyOf \(.*throw-non-error-job\.ts:\d+:\d+\)/);
});
