/**
 * In the workers' bundle (execution/worker-bundle.ts) a package stays external, resolved as Node resolves
 * it: a package whose `exports` name one file under `module` (a bundler's condition) and another under
 * `import` loads the `import` file, as in the client, and once — the job's import of it and another
 * package's import of it are one instance in the worker.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { REPO_ROOT, lines, removeTempDirs, runCli, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

test('a package with `module` and `import` exports loads its `import` file, once, in the workers', async () => {
  const project = tempDir();
  write(join(project, 'package.json'), JSON.stringify({ name: 'my-job', private: true, type: 'module' }));
  // tidemark as the project has it: this repository's sources
  write(join(project, 'node_modules', 'tidemark', 'package.json'), JSON.stringify({ name: 'tidemark', type: 'module', exports: { '.': './index.js' } }));
  write(join(project, 'node_modules', 'tidemark', 'index.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'lib', 'index.ts')).href)};\n`);
  const dual = join(project, 'node_modules', 'dual');
  write(join(dual, 'package.json'), JSON.stringify({ name: 'dual', type: 'module', exports: { module: './bundler.js', import: './node.js' } }));
  write(join(dual, 'bundler.js'), `export const which = 'module';\n`);
  write(join(dual, 'node.js'), `globalThis.dualLoads = (globalThis.dualLoads ?? 0) + 1;\nexport const which = 'import';\n`);
  const user = join(project, 'node_modules', 'dual-user');
  write(join(user, 'package.json'), JSON.stringify({ name: 'dual-user', type: 'module', exports: './index.js' }));
  write(join(user, 'index.js'), `import { which } from 'dual';\nexport const seen = which;\n`);
  write(
    join(project, 'job.ts'),
    `import { StreamExecutionEnvironment } from 'tidemark';
import { which } from 'dual';
import { seen } from 'dual-user';
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromElements(1).map(() => \`\${which} \${seen} loads=\${(globalThis as { dualLoads?: number }).dualLoads}\`).print();
await env.execute('dual package');
`,
  );
  const r = await runCli(['run', '-t', 'threads', '-p', '1', 'job.ts'], { cwd: project, env: { TIDEMARK_DEBUG: '1' } });
  expect(r.code).toBe(0);
  expect(lines(r.stdout)).toEqual(['import import loads=1']);
  expect(r.stderr).toMatch(/worker ready .* \(bundle\)/);
});
