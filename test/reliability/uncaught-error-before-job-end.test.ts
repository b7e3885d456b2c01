/**
 * An error thrown in a setTimeout(0) callback, or a rejection nobody handles, scheduled by user code
 * of a short bounded job whose tasks finish before the event loop gets to it: it still fails that job
 * (execute() rejects, the code after it does not run, exit 1) and the file sink publishes nothing.
 * Before, inline, the job finished first: its output file was published and "job finished" printed,
 * and only then did the error end the run.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inProgressPath } from '../../connectors/file/index.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';
import { LIFECYCLE_JOB, RunningCli, TARGETS } from './running-cli.ts';

afterAll(removeTempDirs);

const CASES = [
  { mode: 'timer-throw-bounded', message: 'boom in a timer' },
  { mode: 'rejection-bounded', message: 'rejected in a map' },
] as const;

describe('an uncaught error scheduled by user code fails a bounded job that finishes before it runs', () => {
  for (const target of TARGETS) {
    for (const c of CASES) {
      test(`${c.mode} (-t ${target.name}): execute() rejects, exit 1, the output file is not published`, async () => {
        const output = join(tempDir(), 'out.txt');
        const exit = await new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', c.mode, '--output', output]).exitWithin(30_000);
        expect(exit.stdout).toContain('execute() rejected: JobExecutionException');
        expect(exit.stdout).not.toContain('job finished');
        expect(exit.stderr.split('\n')[0]).toMatch(new RegExp(`^Job 'lifecycle ${c.mode}' \\([0-9a-f]{32}\\) failed: ${c.message}$`));
        expect(exit.code).toBe(1);
        expect(existsSync(output), `${exit.stdout}\n${exit.stderr}\n${output}`).toBe(false);
        expect(existsSync(inProgressPath(output))).toBe(true);
      });
    }
  }
});
