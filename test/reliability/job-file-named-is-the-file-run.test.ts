/**
 * `tidemark run job.js` runs job.js, also when a job.ts lies next to it (tsc without outDir puts them
 * side by side): tsx, asked from TypeScript for a `.js` path, would load the `.ts` file of the same
 * name. Inline, and in the worker threads that evaluate the job module again.
 */
import { afterAll, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lines, removeTempDirs, REPO_ROOT, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const job = (label: string): string =>
  `import { StreamExecutionEnvironment } from '${pathToFileURL(join(REPO_ROOT, 'lib', 'index.ts')).href}';\n` +
  'const env = StreamExecutionEnvironment.getExecutionEnvironment();\n' +
  `env.fromElements(1, 2).map((x) => '${label} ' + x).print();\n` +
  "await env.execute('which file');\n";

test.each([
  { mode: 'inline', args: [] as string[] },
  { mode: 'threads', args: ['-t', 'threads', '-p', '2'] },
])('$mode: job.js runs job.js, not the job.ts beside it', async ({ args }) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'job.js'), job('from js'));
  writeFileSync(join(dir, 'job.ts'), job('from ts'));
  const js = await runCli(['run', ...args, join(dir, 'job.js')]);
  expect(js.code, js.stderr).toBe(0);
  expect(lines(js.stdout).map((l) => l.replace(/^\d+> /, '')).sort()).toEqual(['from js 1', 'from js 2']);
  const ts = await runCli(['run', ...args, join(dir, 'job.ts')]);
  expect(ts.code, ts.stderr).toBe(0);
  expect(lines(ts.stdout).map((l) => l.replace(/^\d+> /, '')).sort()).toEqual(['from ts 1', 'from ts 2']);
});
