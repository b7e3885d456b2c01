/**
 * The CEP operator compiles its match object per pattern (new Function) for the hot path; where code
 * generation from strings is disallowed (node --disallow-code-generation-from-strings, a locked-down
 * host) it builds the same object property by property, and CEP jobs run as they do elsewhere.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { BIN, FIXTURES, REPO_ROOT } from '../helpers.ts';

function run(args: string[], flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...flags, BIN, ...args], { cwd: REPO_ROOT, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test('with code generation disallowed, a CEP job gives the same matches, as plain objects keyed by stage name', async () => {
  const job = ['run', join(FIXTURES, 'cep-stage-names-job.ts')];
  const [normal, locked] = await Promise.all([run(job, []), run(job, ['--disallow-code-generation-from-strings'])]);
  expect(normal.code).toBe(0);
  expect(normal.stdout.split('\n').filter(Boolean)).toEqual([
    'true ["2","constructor","say \\"hi\\"\u2028"] [[2],[0],[3]]',
    'true ["2","constructor","say \\"hi\\"\u2028"] [[7],[6],[9]]',
    'true ["2","constructor","say \\"hi\\"\u2028"] [[],[0],[3]]',
    'true ["2","constructor","say \\"hi\\"\u2028"] [[],[6],[9]]',
  ]);
  expect(locked.stderr).not.toContain('EvalError');
  expect(locked.stdout).toBe(normal.stdout);
  expect(locked.code).toBe(0);
});
