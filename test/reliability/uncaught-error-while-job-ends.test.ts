/**
 * An uncaught error thrown by user code while a job is ending — its tasks are done and the final commit runs
 * (a committer's timer) — is not lost: no attempt takes it any more, so the CLI prints it and exits 1. Before,
 * the CLI handed it to the ending job, which ignored it: "job finished", exit 0, the error never shown.
 */
import { describe, expect, test } from 'vitest';
import { LIFECYCLE_JOB, RunningCli, TARGETS } from './running-cli.ts';

describe('an uncaught error while the job ends', () => {
  for (const target of TARGETS) {
    test(`-t ${target.name}: printed, exit 1`, async () => {
      const exit = await new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', 'timer-throw-during-final-commit']).exitWithin(30_000);
      expect(exit.stderr).toContain('boom during the final commit');
      expect(exit.stdout).not.toContain('job finished');
      expect(exit.code).toBe(1);
    });
  }
});
