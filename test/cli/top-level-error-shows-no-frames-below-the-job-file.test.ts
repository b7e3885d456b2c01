/**
 * An error thrown where the job module runs (its top level, not a job) is shown with its stack down to
 * the job file's last frame: not the frames of Node's module loader and of the command below it, which
 * evaluated the module (a job failure's stack is cut the same way).
 */
import { afterAll, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

function jobFile(body: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const job = join(dir, 'job.ts');
  writeFileSync(job, `import { StreamExecutionEnvironment } from '${join(REPO_ROOT, 'lib', 'index.ts')}';\n${body}`);
  return job;
}

const frames = (stderr: string): string[] => stderr.split('\n').filter((l) => /^\s+at /.test(l));

test('a throw at the top level of the job file: its message and the job file frame, nothing below', async () => {
  const job = jobFile(`const env = StreamExecutionEnvironment.getExecutionEnvironment();\nthrow new Error('config missing');\n`);
  const r = await runCli(['run', job]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^Error: config missing\n/);
  expect(frames(r.stderr), r.stderr).toEqual([`    at <anonymous> (${job}:3:7)`]);
});

test("an API call refused at the top level: tidemark's frame where it was refused, then the user's call, nothing below", async () => {
  const job = jobFile(`const env = StreamExecutionEnvironment.getExecutionEnvironment();\nenv.fromElements(1).keyBy(undefined as never);\n`);
  const r = await runCli(['run', job]);
  expect(r.code).toBe(1);
  const f = frames(r.stderr);
  expect(f.at(-1), r.stderr).toContain(`${job}:3:`);
  expect(f.filter((l) => l.includes('node:internal') || l.includes(join('lib', 'cli'))), r.stderr).toEqual([]);
});
