/**
 * The `tidemark` command as a user meets it: option parsing, config files (tidemark.yaml, --config,
 * -D precedence), and one clear message with a non-zero exit for each kind of mistake.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, lines, removeTempDirs, REPO_ROOT, runCli, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

interface ConfigReport {
  parallelism: number;
  slots: number;
  mode: string;
  target: string;
  args: string[];
}

function configReport(stdout: string): ConfigReport {
  const line = lines(stdout).find((l) => l.startsWith('CONFIG '));
  if (line === undefined) throw new Error(`no CONFIG line in stdout: ${stdout}`);
  return JSON.parse(line.slice('CONFIG '.length)) as ConfigReport;
}

const PRINT_CONFIG = join(FIXTURES, 'print-config-job.ts');

describe('configuration sources', () => {
  test('tidemark.yaml in the working directory (nested keys), then --config, then -p/-D; job args after the job file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tidemark.yaml'), 'parallelism:\n  default: 2\ntaskmanager:\n  numberOfTaskSlots: 3\n');
    writeFileSync(join(dir, 'other.yaml'), 'parallelism.default: 3\nexecution.runtime-mode: batch\n');

    const fromDefault = await runCli(['run', PRINT_CONFIG, '--x', '1'], { cwd: dir });
    expect(fromDefault.stderr).toBe('');
    expect(fromDefault.code).toBe(0);
    expect(configReport(fromDefault.stdout)).toEqual({ parallelism: 2, slots: 3, mode: 'STREAMING', target: 'inline', args: ['--x', '1'] });

    // --config replaces the default file (its slots setting does not apply).
    const fromFile = await runCli(['run', '--config', 'other.yaml', '-D', 'taskmanager.numberOfTaskSlots=4', PRINT_CONFIG], { cwd: dir });
    expect(fromFile.code).toBe(0);
    expect(configReport(fromFile.stdout)).toMatchObject({ parallelism: 3, slots: 4, mode: 'BATCH' });

    // -p and -D win over the file; options after the job file are the job's own.
    const overridden = await runCli(
      ['run', '--config', 'other.yaml', '-p', '1', '-D', 'execution.runtime-mode=STREAMING', PRINT_CONFIG, '-p', '4', '--flag'],
      { cwd: dir },
    );
    expect(overridden.code).toBe(0);
    expect(configReport(overridden.stdout)).toMatchObject({ parallelism: 1, mode: 'STREAMING', args: ['-p', '4', '--flag'] });
  });

  test('--parallelism=N and -Dkey=value forms', async () => {
    const r = await runCli(['run', '--parallelism=2', '-Dtaskmanager.numberOfTaskSlots=5', '--target=inline', PRINT_CONFIG]);
    expect(r.code).toBe(0);
    expect(configReport(r.stdout)).toMatchObject({ parallelism: 2, slots: 5, target: 'inline' });
  });
});

describe('mistakes get one clear message and a non-zero exit', () => {
  const expectPlainError = (r: { code: number; stderr: string }): void => {
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain('    at ');
    expect(lines(r.stderr)).toHaveLength(1);
  };

  test('invalid YAML in --config names the file and the position', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'parallelism.default: 2\n  broken: [unclosed\n');
    const r = await runCli(['run', '--config', bad, PRINT_CONFIG]);
    expectPlainError(r);
    expect(r.stderr).toContain('Invalid YAML');
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toMatch(/line \d+/);
    expect(r.stdout).toBe('');
  });

  test('an invalid option value in a config file names the key', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'parallelism.default: zero\n');
    const r = await runCli(['run', '--config', bad, PRINT_CONFIG]);
    expectPlainError(r);
    expect(r.stderr).toContain('parallelism.default');
    expect(r.stderr).toContain('zero');
  });

  test('a config file that does not exist', async () => {
    const r = await runCli(['run', '--config', join(tempDir(), 'absent.yaml'), PRINT_CONFIG]);
    expectPlainError(r);
    expect(r.stderr).toContain('absent.yaml');
  });

  test('an unknown option', async () => {
    const r = await runCli(['run', '--bogus', PRINT_CONFIG]);
    expectPlainError(r);
    expect(r.stderr).toContain('--bogus');
    expect(r.stdout).toBe('');
  });

  test('an unknown command', async () => {
    const r = await runCli(['launch', PRINT_CONFIG]);
    expectPlainError(r);
    expect(r.stderr).toContain('launch');
  });

  test('-p 0 and -t with an unknown target', async () => {
    const zero = await runCli(['run', '-p', '0', PRINT_CONFIG]);
    expectPlainError(zero);
    expect(zero.stderr).toContain('parallelism.default');
    const target = await runCli(['run', '-t', 'cluster', PRINT_CONFIG]);
    expectPlainError(target);
    expect(target.stderr).toContain('execution.target');
  });

  test('no job file, and a job file that does not exist', async () => {
    const none = await runCli(['run']);
    expectPlainError(none);
    expect(none.stderr).toContain('No job file');
    const missing = await runCli(['run', 'examples/no-such-job.ts']);
    expectPlainError(missing);
    expect(missing.stderr).toContain('no-such-job.ts');
  });

  test('a job file that never calls execute()', async () => {
    const r = await runCli(['run', 'test/fixtures/no-execute-job.ts']);
    expectPlainError(r);
    expect(r.stderr).toContain('no-execute-job.ts');
    expect(r.stderr).toContain('execute()');
    expect(r.stdout).toBe('');
  });

  test('the never-executed message names the job file even when a job argument repeats an option value', async () => {
    // `-p 2 <job> 2`: the job's first argument equals the value of -p.
    const r = await runCli(['run', '-p', '2', 'test/fixtures/no-execute-job.ts', '2']);
    expectPlainError(r);
    expect(r.stderr).toContain('no-execute-job.ts');
    expect(r.stderr).not.toMatch(/Job file -p\b/);
  });

  test('user code that throws: the job failure names the operator, with the stack of the user code', async () => {
    const r = await runCli(['run', 'test/fixtures/failing-job.ts']);
    expect(r.code).not.toBe(0);
    const first = lines(r.stderr)[0] ?? '';
    expect(first).toContain("'Checker'");
    expect(first).toContain('(subtask 1/1)');
    expect(first).toContain('bad record 2');
    // A bug in code: the stack points into the job file.
    expect(r.stderr).toContain('failing-job.ts');
  });

  test('the same failure in threads mode crosses the worker boundary with operator, subtask and stack', async () => {
    // fromElements (parallelism 1) rebalances to the map at parallelism 2: record 2 goes to subtask 2/2.
    const r = await runCli(['run', '-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2', 'test/fixtures/failing-job.ts']);
    expect(r.code).not.toBe(0);
    const first = lines(r.stderr)[0] ?? '';
    expect(first).toContain("'Checker'");
    expect(first).toContain('(subtask 2/2)');
    expect(first).toContain('bad record 2');
    expect(r.stderr).toContain('failing-job.ts');
  });
});

describe('help and version', () => {
  test('--help prints usage and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: tidemark');
    expect(r.stdout).toContain('-p, --parallelism');
  });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`tidemark ${pkg.version}`);
  });
});
