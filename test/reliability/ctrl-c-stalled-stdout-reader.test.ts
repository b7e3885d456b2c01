/**
 * Ctrl-C stops the job within a few seconds even when the reader of stdout has stopped reading
 * (`tidemark run job.ts | less`, paused): the CLI does not wait forever for output nobody takes; it
 * exits 130 after a bounded wait (the job was canceled anyway).
 */
import { spawn } from 'node:child_process';
import { expect, test } from 'vitest';
import { BIN, REPO_ROOT } from '../helpers.ts';
import { LIFECYCLE_JOB } from './running-cli.ts';

test('SIGINT while nobody reads stdout: the CLI exits 130 without waiting for the reader', async () => {
  // --mode exit-call prints 1..n as fast as it can: far more than a pipe holds.
  const child = spawn(process.execPath, [BIN, 'run', LIFECYCLE_JOB, '--mode', 'exit-call', '--n', '100000000'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pause(); // the reader stops reading: the pipe fills up
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise((r) => setTimeout(r, 3000));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 20_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  child.stdout.destroy();
  expect(stderr).toContain('Job canceled.');
  expect(code).toBe(130);
}, 40_000);
