/**
 * A keyBy's key selector that throws on a partitioned edge fails the job as a KeyExtractionError; the
 * CLI still shows where in the user's code it threw (the user's stack frames), inline and in
 * threads mode, where the error crosses the worker boundary.
 */
import { expect, test } from 'vitest';
import { lines, runCli } from '../helpers.ts';

test.each([
  { mode: 'inline', args: ['-p', '2'] },
  { mode: 'threads', args: ['-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2'] },
])('$mode: the key selector error keeps the user frames', async ({ args }) => {
  const r = await runCli(['run', ...args, 'test/fixtures/throw-non-error-job.ts', '--throw', 'error', '--where', 'key']);
  expect(r.code).toBe(1);
  const first = lines(r.stderr)[0] ?? '';
  expect(first).toContain("Operator 'keyBy -> After'");
  expect(first).toContain('Could not extract key from 2: bad record 2');
  // The frame of the user's key function, in the job file.
  expect(r.stderr).toMatch(/at keyOf \(.*throw-non-error-job\.ts:\d+:\d+\)/);
});
