/**
 * A job file that calls env.execute() without awaiting it: when the job fails, the CLI reports the
 * failure once — not once for the job and again for the rejected promise nobody handled.
 */
import { expect, test } from 'vitest';
import { runCli } from '../helpers.ts';

test('execute() not awaited, the job fails: the failure is printed once, exit 1', async () => {
  const r = await runCli(['run', 'test/reliability/fixtures/execute-not-awaited-job.ts']);
  expect(r.code).toBe(1);
  expect(r.stderr.match(/Job 'not awaited' \([0-9a-f]+\) failed/g)).toHaveLength(1);
  expect(r.stderr).toContain('bad record 5');
});
