/**
 * `main()` of the CLI called in-process (not through bin/tidemark.mjs) still runs a job file in a
 * job thread of its own and resolves to the exit code.
 */
import { describe, expect, test } from 'vitest';
import { main } from '../../lib/cli/main.ts';
import { REPO_ROOT } from '../helpers.ts';
import { LIFECYCLE_JOB } from './running-cli.ts';

describe('main() in-process', () => {
  test('a job that finishes resolves 0, one that fails resolves 1, one that sets process.exitCode resolves it', async () => {
    expect(await main(['run', 'test/fixtures/print-config-job.ts'], REPO_ROOT)).toBe(0);
    expect(await main(['run', 'test/fixtures/failing-job.ts'], REPO_ROOT)).toBe(1);
    expect(await main(['run', LIFECYCLE_JOB, '--mode', 'exit-code'], REPO_ROOT)).toBe(3);
    // The job thread's exit code is its own: this process is untouched.
    expect(process.exitCode ?? 0).toBe(0);
  });

  test('a usage error is reported without starting a job thread: 2', async () => {
    expect(await main(['run', '--bogus', 'x.ts'], REPO_ROOT)).toBe(2);
  });
});
