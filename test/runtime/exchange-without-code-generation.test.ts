/**
 * Records between worker threads go in columnar / binary frames whose encoders are compiled per record
 * shape (new Function); where code generation from strings is disallowed (node
 * --disallow-code-generation-from-strings, a locked-down host) they go by the fallback (structured
 * clone), and a job gives the output it gives elsewhere.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BIN, FIXTURES, REPO_ROOT } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidemark-nocodegen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], flags: string[], exchange: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, TIDEMARK_EXCHANGE: exchange };
    execFile(process.execPath, [...flags, BIN, ...args], { cwd: REPO_ROOT, timeout: 90_000, env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

// binary: framed bytes in shared rings (io/batch-serializer.ts); port: columnar batches by postMessage (codec.ts).
test.each(['binary', 'port'])('with code generation disallowed, a keyed job across worker threads gives the same output (%s exchange)', async (exchange) => {
  const input = join(dir, `${exchange}-in.json`);
  // Enough records per batch for the columnar / binary encodings, numbers and strings.
  writeFileSync(input, JSON.stringify(Array.from({ length: 3000 }, (_, i) => [i % 2 === 0 ? `k${i % 7}` : i % 5, i])));
  const job = (out: string) => ['run', '-t', 'threads', '-p', '2', join(FIXTURES, 'keyed-sum-job.ts'), '--input', input, '--output', join(dir, out)];
  const normal = await run(job(`${exchange}-normal`), [], exchange);
  expect(normal.code).toBe(0);
  const locked = await run(job(`${exchange}-locked`), ['--disallow-code-generation-from-strings'], exchange);
  expect(locked.stderr).toBe('');
  expect(locked.code).toBe(0);
  const lines = (f: string) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).sort();
  expect(lines(`${exchange}-normal`)).toHaveLength(3000);
  expect(lines(`${exchange}-locked`)).toEqual(lines(`${exchange}-normal`));
});
