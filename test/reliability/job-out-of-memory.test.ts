/**
 * A job that exhausts the heap: the job thread is stopped and the CLI says so in one line, with the
 * way to raise the limit — not Node's internal stack of the worker — and exits 1.
 */
import { execFile } from 'node:child_process';
import { expect, test } from 'vitest';
import { BIN, REPO_ROOT } from '../helpers.ts';

test('out of memory: one clear line, exit 1', async () => {
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--max-old-space-size=128', BIN, 'run', 'test/reliability/fixtures/out-of-memory-job.ts'],
      { cwd: REPO_ROOT, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr: String(stderr) }),
    ),
  );
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('ran out of memory');
  expect(r.stderr).toContain('--max-old-space-size');
  expect(r.stderr).not.toContain('    at ');
}, 70_000);
