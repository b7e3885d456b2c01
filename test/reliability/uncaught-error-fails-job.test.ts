/**
 * An error thrown in a user's setTimeout callback, or a rejection nobody handles, while a job runs:
 * in both targets it fails the job (execute() rejects with it, the code after it does not run), the
 * CLI prints it as that job's failure and exits 1. After the job, it fails the run the same way.
 */
import { describe, expect, test } from 'vitest';
import { LIFECYCLE_JOB, RunningCli, TARGETS } from './running-cli.ts';

const CASES = [
  { mode: 'timer-throw', message: 'boom in a timer' },
  { mode: 'unhandled-rejection', message: 'rejected in a map' },
] as const;

describe('an uncaught error in user code fails the running job', () => {
  for (const target of TARGETS) {
    for (const c of CASES) {
      test(`${c.mode} (-t ${target.name}): execute() rejects, the job failure is printed, exit 1`, async () => {
        const exit = await new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', c.mode]).exitWithin(30_000);
        expect(exit.stdout).toContain('execute() rejected: JobExecutionException');
        expect(exit.stdout).not.toContain('job finished');
        const first = exit.stderr.split('\n')[0]!;
        expect(first).toMatch(new RegExp(`^Job 'lifecycle ${c.mode}' \\([0-9a-f]{32}\\) failed: ${c.message}$`));
        // The stack points at the user's code.
        expect(exit.stderr).toContain('lifecycle-job.ts');
        expect(exit.code).toBe(1);
      });
    }
  }

  test('a throw in a timer after the job finished still fails the run (exit 1, the error printed)', async () => {
    const exit = await new RunningCli(['run', LIFECYCLE_JOB, '--mode', 'throw-after-job']).exitWithin(30_000);
    expect(exit.stderr).toContain('boom after the job');
    expect(exit.code).toBe(1);
  });
});
