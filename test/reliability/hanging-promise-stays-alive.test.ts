/**
 * A job whose tasks all wait on promises that never settle (a sink flush, a source's isAvailable(),
 * an async function without a timeout) is a running job: it stays alive (no silent exit 13), says
 * what it waits on when asked to stop, and stops, even when closing awaits such a promise too.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from '../helpers.ts';
import { LIFECYCLE_JOB, RunningCli, TARGETS } from './running-cli.ts';

afterAll(removeTempDirs);

/** Long enough that an exit-13 (an emptied event loop) would have happened already. */
const SETTLE_MS = 500;

const CASES = [
  { mode: 'hang-flush', ready: 'wrote 3', says: /Sink: Hanging \(\d\/\d\) is waiting for its writer's flush\(\) to settle/ },
  { mode: 'hang-available', ready: 'only record', says: /Source: Stuck \(1\/1\) is waiting for isAvailable\(\)/ },
  { mode: 'hang-async', ready: 'calling 1', says: /Async Wait \(unordered\) \(\d\/\d\) is waiting for its \d+ async call\(s\) in flight to complete \(no timeout set\)/ },
] as const;

describe('a job waiting on a promise that never settles', () => {
  for (const target of TARGETS) {
    for (const c of CASES) {
      test(`${c.mode} (-t ${target.name}): still running, then Ctrl-C names what it waits on; exit 130`, async () => {
        const cli = new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', c.mode]);
        await cli.waitForStdout(c.ready);
        let ended = false;
        void cli.exited.then(() => (ended = true));
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        expect({ ended, stderr: cli.stderr }).toEqual({ ended: false, stderr: '' });
        cli.kill('SIGINT');
        const exit = await cli.exitWithin(15_000);
        expect(exit.stderr).toMatch(c.says);
        expect(exit.stderr).toContain('Job canceled.');
        expect(exit.stdout).not.toContain('job finished');
        expect(exit.code).toBe(130);
      });
    }
  }

  test('a writer whose close() never settles either: the cancel gives up on it after a grace period and says so', async () => {
    const cli = new RunningCli(['run', LIFECYCLE_JOB, '--mode', 'hang-flush', '--close-hangs']);
    await cli.waitForStdout('wrote 3');
    cli.kill('SIGINT');
    const exit = await cli.exitWithin(15_000);
    expect(exit.stderr).toContain("Sink: Hanging (1/1) is waiting for its writer's flush() to settle");
    expect(exit.stderr).toMatch(/Hanging \(1\/1\) did not close within \d+ s/);
    expect(exit.code).toBe(130);
  });

  for (const target of TARGETS) {
    test(`a commit that never ends (-t ${target.name}): the cancel gives up on it after a grace period and says so; exit 130`, async () => {
      const cli = new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', 'hang-commit', '--checkpoints', tempDir()]);
      await cli.waitForStdout('commit hangs');
      cli.kill('SIGINT');
      const exit = await cli.exitWithin(15_000);
      expect(exit.stderr).toMatch(/the commit of checkpoint \d+ did not end within \d+ s/);
      expect(exit.stderr).toContain('Job canceled.');
      expect(exit.stderr).not.toContain('did not stop within');
      expect(exit.code).toBe(130);
    });
  }

  test('a job file that awaits a promise nothing can settle, before any job: a message and exit 1, not a silent 13', async () => {
    const cli = new RunningCli(['run', LIFECYCLE_JOB, '--mode', 'never-settles']);
    const exit = await cli.exitWithin(30_000);
    expect(exit.stderr).toContain(`the job file ${LIFECYCLE_JOB} awaits a promise that never settles`);
    expect(exit.code).toBe(1);
  });
});

describe('JobClient.cancel() of a job that waits on a promise that never settles', () => {
  test('resolves (bounded even when close() hangs) and the JobCancellationException names the wait and what did not stop', async () => {
    const { StreamExecutionEnvironment, JobCancellationException } = await import('../../lib/index.ts');
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    let wrote!: () => void;
    const written = new Promise<void>((r) => (wrote = r));
    env.fromElements(1, 2, 3).sinkTo(
      { createWriter: () => ({ write: () => wrote(), flush: () => new Promise<void>(() => {}), close: () => new Promise<void>(() => {}) }) },
      'Sink: Stuck',
    );
    const client = await env.executeAsync('stuck');
    await written;
    await client.cancel();
    const err = await client.getJobExecutionResult().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobCancellationException);
    const e = err as InstanceType<typeof JobCancellationException>;
    expect(e.waiting).toEqual(["Sink: Stuck (1/1) is waiting for its writer's flush() to settle"]);
    expect(e.notStopped).toEqual([expect.stringMatching(/Sink: Stuck \(1\/1\) did not close within \d+ s$/)]);
  });
});
