/**
 * `npm run build` builds dist/ incrementally (tsc trusts dist/.tsbuildinfo). Outputs deleted from dist/
 * since the last build must come back, or `npm pack` ships a package without them. Runs the repository's
 * build scripts and tsconfigs on a small tree of sources in a temporary folder.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'tidemark-build-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['run', '--silent', 'build'], { cwd: root, timeout: 120_000 }, (error, stdout, stderr) =>
      error === null ? resolve() : reject(new Error(`npm run build failed: ${error.message}\n${stdout}\n${stderr}`)),
    );
  });
}

test('npm run build writes again the outputs deleted from dist/ since the last build', async () => {
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build-finish.mjs', 'scripts/build-prepare.mjs']) {
    if (!existsSync(join(REPO_ROOT, file))) continue; // (a script the build does not have is not copied)
    mkdirSync(dirname(join(root, file)), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(root, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  write('lib/index.ts', "export { twice } from './twice.ts';\n");
  write('lib/twice.ts', 'export const twice = (n: number): number => 2 * n;\n');
  write('connectors/echo/index.ts', "import { twice } from '../../lib/index.ts';\nexport const echo = (n: number): number => twice(n) / 2;\n");

  await build();
  const outputs = ['dist/lib/index.js', 'dist/lib/twice.js', 'dist/lib/twice.d.ts', 'dist/lib/twice.js.map', 'dist/connectors/echo/index.js'];
  expect(outputs.filter((f) => !existsSync(join(root, f)))).toEqual([]);

  rmSync(join(root, 'dist/lib'), { recursive: true });
  rmSync(join(root, 'dist/connectors/echo/index.d.ts'));
  await build();
  expect(outputs.filter((f) => !existsSync(join(root, f)))).toEqual([]);
  expect(existsSync(join(root, 'dist/connectors/echo/index.d.ts'))).toBe(true);
});
