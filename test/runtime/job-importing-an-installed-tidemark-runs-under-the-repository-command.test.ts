/**
 * The `tidemark` command of this repository runs from the sources and adds the `tidemark-source`
 * condition to module resolution in its job thread and slot workers (lib/runtime/source-condition.mjs).
 * A job of a project that has tidemark installed (npm install of the package, which ships dist/ and no
 * sources) imports that package: it must resolve as Node resolves it, not to the sources the package
 * does not ship (`node <clone>/bin/tidemark.mjs run` in a project made by `tidemark init`, npm link).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { REPO_ROOT, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

/** A project with an installed tidemark as the package has it: exports naming missing sources under the condition, dist/ under import. */
function projectWithInstalledTidemark(): string {
  const project = tempDir();
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-job', private: true, type: 'module', dependencies: { tidemark: '^0.1.0' } }));
  const installed = join(project, 'node_modules', 'tidemark');
  mkdirSync(join(installed, 'dist', 'lib'), { recursive: true });
  writeFileSync(
    join(installed, 'package.json'),
    JSON.stringify({
      name: 'tidemark',
      version: '0.1.0',
      type: 'module',
      exports: { '.': { 'tidemark-source': './lib/index.ts', types: './dist/lib/index.d.ts', import: './dist/lib/index.js' } },
    }),
  );
  // its build: here, the same API (the two copies agree on the execution context by global symbols)
  writeFileSync(join(installed, 'dist', 'lib', 'index.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'lib', 'index.ts')).href)};\n`);
  writeFileSync(
    join(project, 'job.ts'),
    `import { StreamExecutionEnvironment } from 'tidemark';
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromElements(1, 2, 3).map((n) => n * 10).print();
await env.execute('installed tidemark');
`,
  );
  return project;
}

for (const target of ['inline', 'threads'] as const) {
  test(`a job importing the tidemark installed in its project runs under this repository's command (-t ${target})`, async () => {
    const project = projectWithInstalledTidemark();
    const r = await runCli(['run', '-t', target, '-p', '1', 'job.ts'], { cwd: project });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('10\n20\n30\n');
  });
}
