/**
 * The chain compiles a ChainingOutput.collect per operator class (new Function) for the hot path;
 * where code generation from strings is disallowed (node --disallow-code-generation-from-strings, a
 * locked-down host) it falls back to the shared ChainingOutput, and jobs run as they do elsewhere.
 */
import { execFile } from 'node:child_process';
import { expect, test } from 'vitest';
import { BIN, REPO_ROOT } from '../helpers.ts';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--disallow-code-generation-from-strings', BIN, ...args], { cwd: REPO_ROOT, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test.each([[[] as string[]], [['-t', 'threads']]])('with code generation disallowed, a chained job runs and its operator error is attributed as usual (%j)', async (target) => {
  const r = await run(['run', ...target, 'test/fixtures/failing-job.ts']);
  expect(r.stderr).not.toContain('EvalError');
  expect(r.stderr).toMatch(/failed: Operator 'Checker' \(subtask 1\/1\) failed: Error: bad record 2/);
  expect(r.stdout.split('\n').filter(Boolean)).toEqual(['1']);
  expect(r.code).toBe(1);
});
