/**
 * Checkpoints of a canceled job stay on disk to resume from (RETAIN_ON_CANCELLATION, the default);
 * DELETE_ON_CANCELLATION removes them when the job is canceled. A job that fails (no restart left)
 * keeps them either way.
 */
import { afterAll, expect, test } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExternalizedCheckpointRetention, JobCancellationException, JobExecutionException, RestartStrategies, StreamExecutionEnvironment } from '../../../lib/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

const completed = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).flatMap((job) => readdirSync(join(dir, job)).filter((c) => existsSync(join(dir, job, c, '_metadata')))) : [];

async function runAndCancel(retention?: ExternalizedCheckpointRetention): Promise<{ dir: string; before: string[] }> {
  const dir = join(tempDir(), 'checkpoints');
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(20);
  env.getCheckpointConfig().setCheckpointStorage(dir);
  if (retention !== undefined) env.getCheckpointConfig().setExternalizedCheckpointRetention(retention);
  env.fromSequence(1, 1e12).uid('numbers').keyBy((x) => x % 10).reduce((a, b) => a + b).uid('sums').sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
  const client = await env.executeAsync('long');
  while (completed(dir).length === 0) await new Promise((r) => setTimeout(r, 10));
  const before = completed(dir);
  await client.cancel();
  await expect(client.getJobExecutionResult()).rejects.toBeInstanceOf(JobCancellationException);
  return { dir, before };
}

test('a canceled job keeps its completed checkpoints by default', async () => {
  const { dir, before } = await runAndCancel();
  expect(before.length).toBeGreaterThan(0);
  expect(completed(dir).length).toBeGreaterThan(0);
});

test('DELETE_ON_CANCELLATION removes them when the job is canceled', async () => {
  const { dir, before } = await runAndCancel(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION);
  expect(before.length).toBeGreaterThan(0);
  expect(completed(dir)).toEqual([]);
});

/** Set by the test once a checkpoint completed: the next record fails the job (module level: inline). */
let failNow = false;

test('a failed job keeps its completed checkpoints, also with DELETE_ON_CANCELLATION', async () => {
  const dir = join(tempDir(), 'checkpoints');
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(20);
  env.setRestartStrategy(RestartStrategies.noRestart());
  env.getCheckpointConfig().setCheckpointStorage(dir).setExternalizedCheckpointRetention(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION);
  failNow = false;
  env
    .fromSequence(1, 1e12)
    .uid('numbers')
    .keyBy((x) => x % 10)
    .reduce((a, b) => a + b)
    .uid('sums')
    .map((x) => {
      if (failNow) throw new Error('failed on purpose');
      return x;
    })
    .sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
  const client = await env.executeAsync('fails');
  while (completed(dir).length === 0) await new Promise((r) => setTimeout(r, 10));
  failNow = true;
  await expect(client.getJobExecutionResult()).rejects.toBeInstanceOf(JobExecutionException);
  expect(completed(dir).length).toBeGreaterThan(0);
});
