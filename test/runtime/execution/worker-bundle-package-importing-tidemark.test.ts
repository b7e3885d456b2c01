/**
 * A package of the project that imports tidemark itself (a library of the user's functions, say) gets
 * the same tidemark in a worker as the job and the worker's runtime: the bundle holds it with them
 * (left outside, it would load a copy of its own — from this repository's sources, none Node can load).
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

test('a package depending on tidemark shares the job\'s tidemark in the workers', async () => {
  const project = tempDir();
  write(join(project, 'package.json'), JSON.stringify({ name: 'my-job', private: true, type: 'module' }));
  write(join(project, 'node_modules', 'tidemark', 'package.json'), JSON.stringify({ name: 'tidemark', type: 'module', exports: { '.': './index.js' } }));
  write(join(project, 'node_modules', 'tidemark', 'index.js'), `export * from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'lib', 'index.ts')).href)};\n`);
  const lib = join(project, 'node_modules', 'my-functions');
  write(join(lib, 'package.json'), JSON.stringify({ name: 'my-functions', type: 'module', exports: './dist/index.js', peerDependencies: { tidemark: '*' } }));
  write(join(lib, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
  write(join(lib, 'dist', 'index.js'), `import { TidemarkError } from 'tidemark';\nexport const isTidemarkError = (e) => e instanceof TidemarkError;\n`);
  write(
    join(project, 'job.ts'),
    `import { StreamExecutionEnvironment, TidemarkError } from 'tidemark';
import { isTidemarkError } from 'my-functions';
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.fromElements(1).map(() => \`same tidemark: \${isTidemarkError(new TidemarkError('x'))}\`).print();
await env.execute('package importing tidemark');
`,
  );
  const r = await runCli(['run', '-t', 'threads', '-p', '1', 'job.ts'], { cwd: project, env: { TIDEMARK_DEBUG: '1' } });
  expect(r.stderr).toMatch(/worker ready .* \(bundle\)/);
  expect(lines(r.stdout)).toEqual(['same tidemark: true']);
  expect(r.code).toBe(0);
});
