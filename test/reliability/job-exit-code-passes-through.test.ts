/**
 * The job module runs in the CLI's job thread: what it does to the process still holds — its
 * process.exitCode and process.exit(n) become the CLI's exit code, with all its output delivered.
 */
import { describe, expect, test } from 'vitest';
import { lines } from '../helpers.ts';
import { LIFECYCLE_JOB, RunningCli, TARGETS } from './running-cli.ts';

describe('exit codes set by the job', () => {
  for (const target of TARGETS) {
    test(`process.exitCode = 3 after execute() (-t ${target.name}): exit 3`, async () => {
      const exit = await new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', 'exit-code']).exitWithin(30_000);
      expect(lines(exit.stdout).at(-1)).toBe('job finished');
      expect(exit.code).toBe(3);
    });
  }

  test('process.exit(4) right after printing 50 000 lines: exit 4 and every line arrives', async () => {
    const exit = await new RunningCli(['run', LIFECYCLE_JOB, '--mode', 'exit-call', '--n', '50000']).exitWithin(60_000);
    expect(exit.code).toBe(4);
    const out = lines(exit.stdout);
    expect(out).toHaveLength(50_000);
    expect(out[0]).toBe('1');
    expect(out.at(-1)).toBe('50000');
  });
});
