/**
 * A job started with executeAsync() whose result the job file never asks for: when it fails while
 * the module is still busy with something else, `tidemark run` must not exit 0 as if it finished
 * (the failure is reported, exit 1). A failure the module handled itself, and a cancel it asked for,
 * stay its own business.
 */
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers.ts';

const JOB = 'test/reliability/fixtures/unobserved-job.ts';

describe('tidemark run: a job nobody awaited', () => {
  for (const target of [['-t', 'inline'], ['-t', 'threads', '-p', '2']]) {
    test(`fails before the module ends (${target.join(' ')}): the failure is reported, exit 1`, async () => {
      const r = await runCli(['run', ...target, JOB, '--fail', '--until-ended']);
      expect(r.stdout).toContain('module done, job FAILED');
      expect(r.stderr).toContain('bad record 5');
      expect(r.code).toBe(1);
    });
  }

  test('a failure the module caught itself: exit 0', async () => {
    const r = await runCli(['run', JOB, '--fail', '--catch']);
    expect(r.stdout).toContain('handled: JobExecutionException');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('canceled through its client by the module: exit 0', async () => {
    const r = await runCli(['run', JOB, '--cancel']);
    expect(r.stdout).toContain('module done, job CANCELED');
    expect(r.code).toBe(0);
  });

  test('finishes: exit 0', async () => {
    const r = await runCli(['run', JOB]);
    expect(r.stdout).toContain('module done, job FINISHED');
    expect(r.code).toBe(0);
  });
});
