/**
 * A CommonJS job file has no top-level await: it imports tidemark with import() and starts its job
 * after the module has finished evaluating. That job runs to the end and its result is the exit
 * code — not "did not execute a job" with exit 1 after the job ran, nor exit 0 when it failed.
 */
import { describe, expect, test } from 'vitest';
import { lines, runCli } from '../helpers.ts';

const JOB = 'test/reliability/fixtures/commonjs-dynamic-import-job.cjs';

describe('a CommonJS job file whose job starts after its evaluation', () => {
  test('finishes: its output, exit 0, no error', async () => {
    const r = await runCli(['run', JOB]);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toEqual(['10', '20', '30', 'job finished']);
    expect(r.code).toBe(0);
  });

  test('finishes on worker threads too (each worker evaluates it again)', async () => {
    const r = await runCli(['run', '-t', 'threads', '-p', '2', JOB]);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out.at(-1)).toBe('job finished');
    expect(out.slice(0, -1).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(['10', '20', '30']);
    expect(r.code).toBe(0);
  });

  test('fails: the failure is reported, exit 1', async () => {
    const r = await runCli(['run', JOB, '--fail']);
    expect(r.stderr).toContain('bad record 2');
    expect(r.stderr).not.toContain('did not execute a job');
    expect(r.code).toBe(1);
  });
});
