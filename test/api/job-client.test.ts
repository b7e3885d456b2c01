/** executeAsync / JobClient: status, cancel, and the errors of jobs that cannot start. */
import { describe, expect, test } from 'vitest';
import { JobCancellationException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { endlessSource, rejection } from '../helpers.ts';

const env = (extra: Record<string, unknown> = {}): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2, ...extra });

describe('JobClient', () => {
  test('a finished job reports FINISHED and a result', async () => {
    const e = env();
    e.fromElements(1, 2, 3).sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
    const client = await e.executeAsync('three');
    const result = await client.getJobExecutionResult();
    expect(client.getJobStatus()).toBe('FINISHED');
    expect(result.jobName).toBe('three');
    expect(result.getJobID()).toBe(client.getJobID());
    expect(result.getJobID()).toMatch(/^[0-9a-f]{32}$/);
  });

  test('cancel() stops an endless job, closes its reader, and the result rejects with JobCancellationException', async () => {
    const closed = { count: 0 };
    let seen = 0;
    let reached!: () => void;
    const enough = new Promise<void>((r) => (reached = r));
    const e = env();
    e.fromSource(endlessSource({ closed }), 'Endless').sinkTo({
      createWriter: () => ({
        write() {
          if (++seen === 5000) reached();
        },
        flush() {},
        close() {},
      }),
    });
    const client = await e.executeAsync('endless');
    expect(client.getJobStatus()).toBe('RUNNING');
    await enough;
    await client.cancel();
    const err = await rejection(client.getJobExecutionResult());
    expect(err).toBeInstanceOf(JobCancellationException);
    expect(err).toMatchObject({ name: 'JobCancellationException', jobId: client.getJobID(), jobName: 'endless' });
    expect(client.getJobStatus()).toBe('CANCELED');
    expect(closed.count).toBe(1);
  });

  test('executeAndCollect(limit) on an endless parallel source returns exactly limit records', async () => {
    const closed = { count: 0 };
    const out = await env({ 'parallelism.default': 2 }).fromSource(endlessSource({ closed }), 'Endless').executeAndCollect(2500);
    expect(out).toHaveLength(2500);
    expect(closed.count).toBe(2);
  });

  test('a job without sinks cannot execute', async () => {
    const e = env();
    e.fromElements(1).map((x) => x);
    const err = await rejection(e.execute());
    expect((err as Error).message).toContain('No operators defined');
  });

  test("target 'threads' without a job module explains what to do", async () => {
    const e = env({ 'execution.target': 'threads' });
    e.fromElements(1).sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
    const saved = process.argv;
    try {
      // No module to re-evaluate: no CLI context, no pipeline.job-module, no script in argv.
      process.argv = [process.execPath];
      const err = await rejection(e.execute());
      expect((err as Error).message).toContain("execution.target 'threads' needs the job's module");
      expect((err as Error).message).toContain('tidemark run -t threads');
    } finally {
      process.argv = saved;
    }
  });

  test('executeAndCollect rejects a non-positive limit', async () => {
    await expect(env().fromElements(1).executeAndCollect(0)).rejects.toThrow(RangeError);
  });
});
