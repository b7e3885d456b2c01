/**
 * What the workers' bundle (execution/worker-bundle.ts) must hold for a job to run in threads as it
 * does inline: a template literal import() starting with an expression is a module named at run time
 * (the workers fall back to tsx, and the command says why), and the job's own files reached by a name
 * (package.json `imports`) are bundled with the job: left to Node, such a file importing tidemark would
 * load another tidemark than the worker's (here, from the sources, none at all); import.meta.resolve
 * resolves from the job's own file, not from the bundle's folder.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { REPO_ROOT, lines, removeTempDirs, runCli, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

const threads = ['-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2'];

test('a job importing a helper by a template literal starting with an expression runs in threads (through tsx, said once)', async () => {
  const r = await runCli(['run', ...threads, 'test/fixtures/worker-bundle/template-import-job.ts']);
  expect(r.stderr).not.toContain('Unknown file extension');
  expect(r.code).toBe(0);
  expect(lines(r.stdout).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(['<x>', '<y>']);
  const err = lines(r.stderr);
  expect(err).toHaveLength(1);
  expect(err[0]).toMatch(/through tsx \(slower start\): it could not be bundled: .*template-import-job\.ts:11 imports a module it names at run time/);
});

test("a file of the job imported by its package.json `imports` name shares the worker's tidemark", async () => {
  const project = tempDir();
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(REPO_ROOT, join(project, 'node_modules', 'tidemark'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ type: 'module', imports: { '#stage': './stage.js' } }));
  writeFileSync(join(project, 'stage.js'), "import { OutputTag } from 'tidemark';\nexport const isOutputTag = (t) => t instanceof OutputTag;\n");
  writeFileSync(
    join(project, 'job.ts'),
    [
      "import { OutputTag, StreamExecutionEnvironment } from 'tidemark';",
      "import { isOutputTag } from '#stage';",
      'const env = StreamExecutionEnvironment.getExecutionEnvironment();',
      "env.fromElements('x', 'y').map((w) => `${w} ${isOutputTag(new OutputTag<string>('side'))}`).print();",
      "await env.execute('own imports job');",
    ].join('\n'),
  );
  for (const target of [['-t', 'inline', '-p', '2'], threads]) {
    const r = await runCli(['run', ...target, 'job.ts'], { cwd: project, env: { TIDEMARK_DEBUG: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(['x true', 'y true']);
    if (target === threads) expect(lines(r.stderr).filter((l) => l.endsWith('(bundle)'))).toHaveLength(2);
  }
});

test('import.meta.resolve in the workers resolves from the job file: a file next to it, a package, a builtin', async () => {
  const r = await runCli(['run', ...threads, 'test/fixtures/worker-bundle/meta-resolve-job.ts'], { env: { TIDEMARK_DEBUG: '1' } });
  expect(r.code, r.stderr).toBe(0);
  expect(lines(r.stdout).map((l) => l.replace(/^\d> /, '')).sort()).toEqual(['a true node:fs', 'b true node:fs', 'c true node:fs']);
  expect(lines(r.stderr).filter((l) => l.endsWith('(bundle)'))).toHaveLength(2);
});
