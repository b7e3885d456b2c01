/**
 * `tidemark run` takes Flink's restore flags and checkpointing config to the job: `-s/--fromSavepoint`
 * (resolved against the working directory), `-n/--allowNonRestoredState`, `-D
 * execution.checkpointing.interval=1s`; `--savepoint-on-stop <dir>` makes SIGTERM / SIGINT stop the
 * running job with a savepoint, print its path and exit 0, or exit non-zero with the reason. The uid
 * warning is printed once per submission, also when slot workers evaluate the module again.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, lines, removeTempDirs, REPO_ROOT, runCli, tempDir } from '../helpers.ts';
import { RunningCli } from '../reliability/running-cli.ts';

afterAll(removeTempDirs);

const JOB = join(FIXTURES, 'print-execution-parameters-job.ts');

interface Printed {
  checkpointing: Record<string, unknown> | null;
  restartStrategy: Record<string, unknown>;
  savepointRestore: { path: string; allowNonRestoredState: boolean } | null;
}

function parametersIn(stdout: string): Printed {
  const line = lines(stdout).find((l) => l.startsWith('PARAMETERS '));
  if (line === undefined) throw new Error(`no PARAMETERS line in: ${stdout}`);
  return JSON.parse(line.slice('PARAMETERS '.length)) as Printed;
}

describe('flags reach the job', () => {
  test('no flags: no checkpointing, no restore, no restarts', async () => {
    const r = await runCli(['run', JOB]);
    expect(r.code, r.stderr).toBe(0);
    expect(parametersIn(r.stdout)).toEqual({ checkpointing: null, restartStrategy: { type: 'none' }, savepointRestore: null });
    expect(r.stderr).toBe('');
  });

  test('-s <relative path> is resolved against the working directory; -n allows non-restored state', async () => {
    const dir = tempDir();
    const r = await runCli(['run', '-s', 'checkpoints', '-n', JOB], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(parametersIn(r.stdout).savepointRestore).toEqual({ path: join(dir, 'checkpoints'), allowNonRestoredState: true });
  });

  test('--fromSavepoint=<path> and --allowNonRestoredState; without -n the restore is strict', async () => {
    const r = await runCli(['run', '--fromSavepoint=/tmp/sp-1', JOB]);
    expect(r.code, r.stderr).toBe(0);
    expect(parametersIn(r.stdout).savepointRestore).toEqual({ path: '/tmp/sp-1', allowNonRestoredState: false });
    const n = await runCli(['run', '--fromSavepoint', '/tmp/sp-1', '--allowNonRestoredState', JOB]);
    expect(parametersIn(n.stdout).savepointRestore).toEqual({ path: '/tmp/sp-1', allowNonRestoredState: true });
  });

  test('-D execution.checkpointing.interval=1s turns checkpointing on, with the default restart strategy', async () => {
    const r = await runCli(['run', '-D', 'execution.checkpointing.interval=1s', '-D', 'state.checkpoints.dir=cp', JOB]);
    expect(r.code, r.stderr).toBe(0);
    const p = parametersIn(r.stdout);
    expect(p.checkpointing).toMatchObject({ interval: 1000, mode: 'EXACTLY_ONCE', directory: 'cp', numRetainedCheckpoints: 1 });
    expect(p.restartStrategy).toEqual({ type: 'fixed-delay', attempts: 2_147_483_647, delay: 1000 });
  });

  test('tidemark.yaml sets them too; -D wins over the file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tidemark.yaml'), 'execution:\n  checkpointing:\n    interval: 1 min\nrestart-strategy:\n  type: failure-rate\n');
    const r = await runCli(['run', '-D', 'execution.checkpointing.interval=5 s', JOB], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const p = parametersIn(r.stdout);
    expect(p.checkpointing).toMatchObject({ interval: 5000 });
    expect(p.restartStrategy).toMatchObject({ type: 'failure-rate' });
  });

  test('bad values are usage errors before the job runs', async () => {
    const r = await runCli(['run', '-D', 'execution.checkpointing.interval=5ms', JOB]);
    expect(r.code).not.toBe(0);
    expect(lines(r.stderr)).toEqual(["IllegalConfigurationException: execution.checkpointing.interval must be at least 10 ms, got \"5ms\""]);
    expect(r.stdout).toBe('');
    const n = await runCli(['run', '--allowNonRestoredState=yes', JOB]);
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('Option --allowNonRestoredState takes no value');
    const s = await runCli(['run', '-s']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('Option -s needs a value');
  });

  test('the help lists the flags', async () => {
    const r = await runCli(['run', '--help']);
    for (const flag of ['-s, --fromSavepoint <path>', '-n, --allowNonRestoredState', '--savepoint-on-stop <dir>']) expect(r.stdout).toContain(flag);
    expect(r.stdout).not.toContain('not supported yet');
  });
});

describe('uid warning', () => {
  test('with checkpointing: one line, naming the keyed operator without a uid; none for the one with a uid', async () => {
    const r = await runCli(['run', '-D', 'execution.checkpointing.interval=1s', JOB]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr)).toEqual([
      "Warning: stateful operator 'Sum without uid' has no uid(): its state is matched by an id derived from the order the job is built in (op-3), which changes when the job changes, so a savepoint or checkpoint may not restore into a changed job. Set .uid('...') on it.",
    ]);
  });

  test('-s alone warns too; without either, none', async () => {
    expect(lines((await runCli(['run', '-s', '/tmp/sp', JOB])).stderr)).toEqual([expect.stringContaining("'Sum without uid' has no uid()")]);
    expect((await runCli(['run', JOB])).stderr).toBe('');
  });

  test('-t threads -p 2: each line once, though every slot worker evaluates the job module again', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.json');
    writeFileSync(input, JSON.stringify([['a', 1], ['b', 2], ['a', 3]]));
    const r = await runCli([
      'run', '-t', 'threads', '-p', '2', '-D', 'execution.checkpointing.interval=1s', '-D', `state.checkpoints.dir=${join(dir, 'cp')}`,
      join(FIXTURES, 'keyed-sum-job.ts'), '--input', input, '--output', join(dir, 'out'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = lines(r.stderr).filter((l) => l.includes('has no uid()'));
    expect(warnings.map((w) => /operator '([^']+)'/.exec(w)?.[1])).toEqual(['Collection Source', 'Keyed Aggregation']);
  });
});

describe('--savepoint-on-stop <dir>', () => {
  test('SIGTERM stops the running job with a savepoint: one line with its path, exit 0', async () => {
    const cli = new RunningCli(['run', '--savepoint-on-stop', 'savepoints', JOB, '--hold']);
    await cli.waitForStdout('RUNNING');
    cli.kill('SIGTERM');
    const exit = await cli.exitWithin(20_000);
    expect(lines(exit.stdout).filter((l) => l.startsWith('Savepoint'))).toEqual([`Savepoint completed. Path: ${join(REPO_ROOT, 'savepoints')}/savepoint-fake`]);
    expect(exit.stderr).toContain('Job stopped with a savepoint.');
    expect(exit.code).toBe(0);
  });

  test('SIGINT when the savepoint fails: the reason, the job canceled, a non-zero exit', async () => {
    const cli = new RunningCli(['run', '--savepoint-on-stop', '/tmp/sp', JOB, '--hold', '--savepoint-fails']);
    await cli.waitForStdout('RUNNING');
    cli.kill('SIGINT');
    const exit = await cli.exitWithin(20_000);
    expect(exit.stderr).toContain('Savepoint failed: the checkpoint coordinator declined it. Canceling the job instead.');
    expect(exit.stderr).toContain('Job canceled.');
    expect(exit.stdout).not.toContain('Savepoint completed');
    expect(exit.code).toBe(1);
  });

  test('without it, SIGTERM cancels as before: exit 143, no savepoint', async () => {
    const cli = new RunningCli(['run', JOB, '--hold']);
    await cli.waitForStdout('RUNNING');
    cli.kill('SIGTERM');
    const exit = await cli.exitWithin(20_000);
    expect(exit.stdout).not.toContain('Savepoint');
    expect(exit.code).toBe(143);
  });
});
