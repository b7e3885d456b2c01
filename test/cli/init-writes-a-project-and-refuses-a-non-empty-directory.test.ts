/**
 * `tidemark init <directory>` (Flink's quickstart archetype): a ready project in a new or empty
 * directory, never a file overwritten. Its job runs here against the sources (node_modules/tidemark
 * links this repository); the proof that the project passes its own `npm test` against the packed
 * package is test/package/packed-package-works-when-installed.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { packageNameFor } from '../../lib/cli/init.ts';
import { REPO_ROOT, removeTempDirs, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const EXPECTED_FILES = [
  'package.json',
  'tsconfig.json',
  '.gitignore',
  'tidemark.yaml',
  'src/job.ts',
  'src/overheat-alert.ts',
  'test/overheat-alert.test.ts',
  'data/readings.jsonl',
  'README.md',
];

describe('tidemark init', () => {
  test('writes a project whose package.json depends on this tidemark, and whose job runs', async () => {
    const parent = tempDir();
    const init = await runCli(['init', 'My Job'], { cwd: parent });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('npm install');
    const dir = join(parent, 'My Job');
    for (const f of EXPECTED_FILES) expect(existsSync(join(dir, f)), f).toBe(true);

    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const ours = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(pkg.name).toBe('my-job');
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies).toEqual({ tidemark: `^${ours.version}` });
    expect(Object.keys(pkg.devDependencies!)).toEqual(expect.arrayContaining(['typescript', 'vitest', '@types/node']));
    expect(pkg.scripts!.test).toContain('vitest run');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/npm install\nnpm test\n[\s\S]*npx tidemark run src\/job\.ts/);

    // the job, run as its README says, against these sources
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'tidemark'), 'dir');
    const run = await runCli(['run', 'src/job.ts', '--input', 'data/readings.jsonl'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('s1 above 90 since 2023-11-14T22:13:25.000Z\n');
  });

  test('refuses a directory that holds anything, and leaves it as it was', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), '{"name":"mine"}');
    const r = await runCli(['init', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not empty (package.json)');
    expect(r.stderr).toContain('overwrites nothing');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe('{"name":"mine"}');
    expect(existsSync(join(dir, 'src'))).toBe(false);
  });

  test('refuses a path that is a file', async () => {
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'keep me');
    const r = await runCli(['init', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is a file, not a directory');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  test('an empty directory is taken; no directory given is a usage error', async () => {
    const dir = tempDir();
    expect((await runCli(['init', dir])).code).toBe(0);
    expect(existsSync(join(dir, 'src', 'job.ts'))).toBe(true);
    const none = await runCli(['init']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('tidemark init <directory>');
  });

  test('the package name is a valid npm name made from the directory name', () => {
    expect(packageNameFor('/tmp/My Job')).toBe('my-job');
    expect(packageNameFor('/tmp/.Hidden__Thing!')).toBe('hidden__thing');
    expect(packageNameFor('/tmp/___')).toBe('tidemark-job');
    expect(packageNameFor('relative/fraud-alerts')).toBe('fraud-alerts');
  });
});
