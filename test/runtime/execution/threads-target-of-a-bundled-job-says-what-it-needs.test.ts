/**
 * A job bundled with tidemark into one file (esbuild, as the README shows) runs the inline target; the
 * threads target needs the worker entry, a file of its own that the bundle does not hold. The job
 * fails saying so, not with Node's "Cannot find module" of a path next to the bundle.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidemark-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runNode(file: string, target: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, target], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test("a bundled job runs inline; with execution.target 'threads' it fails saying the threads target needs the installed package", async () => {
  writeFileSync(
    join(dir, 'job.ts'),
    `import { StreamExecutionEnvironment } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'lib', 'index.ts')).pathname)};
const env = StreamExecutionEnvironment.getExecutionEnvironment({ 'execution.target': process.argv[2], 'parallelism.default': 2 });
console.log(JSON.stringify((await env.fromElements(1, 2, 3).map((n) => n * 2).executeAndCollect()).sort()));
`,
  );
  await build({
    entryPoints: [join(dir, 'job.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(dir, 'bundled', 'job.mjs'),
    logLevel: 'silent',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const bundle = join(dir, 'bundled', 'job.mjs');

  const inline = await runNode(bundle, 'inline');
  expect(inline.stderr).toBe('');
  expect(inline.stdout).toBe('[2,4,6]\n');

  const threads = await runNode(bundle, 'threads');
  expect(threads.code).not.toBe(0);
  expect(threads.stderr).toContain("execution.target 'threads' needs tidemark's worker entry");
  expect(threads.stderr).toContain('a bundle of a job runs the inline target');
  expect(threads.stderr).not.toContain('Cannot find module');
});
