/**
 * Canceling is not finishing: after SIGINT/SIGTERM `execute()` rejects with a JobCancellationException
 * (the code after it does not run) and the CLI exits 130 / 143, not 0. Through the API, cancel()
 * makes getJobExecutionResult() reject, naming the job; executeAndCollect(limit), which cancels an
 * unbounded job once it has its records, still resolves.
 */
import { describe, expect, test } from 'vitest';
import { JobCancellationException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { endlessSource, rejection } from '../helpers.ts';
import { LIFECYCLE_JOB, RunningCli, TARGETS } from './running-cli.ts';

describe('tidemark run: a signal cancels the job, and that is not success', () => {
  for (const target of TARGETS) {
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      test(`${signal} (-t ${target.name}): execute() rejects, "job finished" never prints, exit ${code}`, async () => {
        const cli = new RunningCli(['run', ...target.args, LIFECYCLE_JOB, '--mode', 'ticks']);
        await cli.waitForStdout('tick 1');
        cli.kill(signal);
        const exit = await cli.exitWithin(15_000);
        expect(exit.stdout).toContain('execute() rejected: JobCancellationException');
        expect(exit.stdout).not.toContain('job finished');
        expect(exit.stderr).toContain(`Received ${signal}, canceling the job...`);
        expect(exit.stderr).toContain('Job canceled.');
        expect(exit.stderr).not.toContain('    at ');
        expect(exit.code).toBe(code);
      });
    }
  }
});

describe('JobClient.cancel()', () => {
  test('execute() of a canceled job rejects with JobCancellationException carrying the job id and name', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    let seen = 0;
    env.fromSource(endlessSource(), 'Endless').sinkTo({ createWriter: () => ({ write: () => void seen++, flush() {}, close() {} }) });
    const client = await env.executeAsync('to be canceled');
    while (seen < 1000) await new Promise((r) => setTimeout(r, 1));
    await client.cancel();
    const err = await rejection(client.getJobExecutionResult());
    expect(err).toBeInstanceOf(JobCancellationException);
    const e = err as JobCancellationException;
    expect({ name: e.name, jobId: e.jobId, jobName: e.jobName }).toEqual({ name: 'JobCancellationException', jobId: client.getJobID(), jobName: 'to be canceled' });
    expect(e.message).toContain("'to be canceled'");
    expect(client.getJobStatus()).toBe('CANCELED');
  });

  test('cancel() after the job finished changes nothing: the result stays a success', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    env.fromElements(1, 2, 3).sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
    const client = await env.executeAsync('done');
    const result = await client.getJobExecutionResult();
    await client.cancel();
    expect(client.getJobStatus()).toBe('FINISHED');
    expect(await client.getJobExecutionResult()).toBe(result);
  });

  test('executeAndCollect(limit) cancels the unbounded job itself and resolves with the records', async () => {
    const out = await StreamExecutionEnvironment.create({ 'parallelism.default': 1 }).fromSource(endlessSource(), 'Endless').executeAndCollect(10);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
