/**
 * When a job's end is reported (cancel, stop, failure), nothing writes into or deletes from its
 * checkpoint folder any more: a checkpoint whose acknowledgements all came in before the end has its
 * _metadata written, retention has removed what it removes, and with DELETE_ON_CANCELLATION the job
 * folder is gone for good. Someone restoring from the folder the moment the job ended sees what any
 * later restore sees. (Before, a checkpoint completing at the cancel wrote its _metadata after the
 * cancel was reported, and an aborted one was removed after it: a restore right then took an older
 * checkpoint than a later restore would — the restore-errors test failed in CI so, once.)
 */
import { afterAll, expect, test } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExternalizedCheckpointRetention, JobCancellationException, StreamExecutionEnvironment } from '../../../lib/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

/** Every checkpoint folder under `dir` with whether it has its _metadata. */
function listing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((job) => readdirSync(join(dir, job)).map((c) => `${job}/${c}${existsSync(join(dir, job, c, '_metadata')) ? ' complete' : ''}`))
    .sort();
}

async function cancelWhileCheckpointing(retention: ExternalizedCheckpointRetention, runningMs: number): Promise<{ atEnd: string[]; later: string[] }> {
  const dir = join(tempDir(), 'checkpoints');
  const env = StreamExecutionEnvironment.create({ 'state.checkpoints.num-retained': 2 });
  env.setParallelism(2);
  env.enableCheckpointing(10); // the shortest interval: a checkpoint is nearly always in flight
  env.getCheckpointConfig().setCheckpointStorage(dir).setExternalizedCheckpointRetention(retention);
  const discard = { createWriter: () => ({ write() {}, flush() {}, close() {} }) };
  env.fromSequence(1, 1e12).uid('numbers').keyBy((x) => x % 20_000).reduce((a, b) => a + b).uid('sums').sinkTo(discard);
  // A pipeline that finishes at once: the coordinator writes its final state (MBs) into every later checkpoint
  // as that completes, so a checkpoint is completing for a while.
  env.fromSequence(1, 200_000).uid('finite numbers').keyBy((x) => x).reduce((a, b) => a + b).uid('finite sums').sinkTo(discard);
  const client = await env.executeAsync('canceled while checkpointing');
  await new Promise((r) => setTimeout(r, runningMs));
  await client.cancel();
  await expect(client.getJobExecutionResult()).rejects.toBeInstanceOf(JobCancellationException);
  const atEnd = listing(dir);
  await new Promise((r) => setTimeout(r, 300));
  return { atEnd, later: listing(dir) };
}

// Before the fix, the first RETAIN run already failed (a checkpoint completed after the end).
const runningTimes = [700, 850, 1000, 1150];

test('RETAIN_ON_CANCELLATION: the folder does not change after the cancel is reported', async () => {
  for (const ms of runningTimes) {
    const { atEnd, later } = await cancelWhileCheckpointing(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION, ms);
    expect(later).toEqual(atEnd);
    expect(atEnd.some((l) => l.endsWith(' complete'))).toBe(true);
  }
}, 60_000);

test('DELETE_ON_CANCELLATION: the job folder is gone when the cancel is reported and stays gone', async () => {
  for (const ms of runningTimes) {
    const { atEnd, later } = await cancelWhileCheckpointing(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION, ms);
    expect(atEnd).toEqual([]);
    expect(later).toEqual([]);
  }
}, 60_000);
