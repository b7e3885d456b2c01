/**
 * A job that fails while a checkpoint is being completed (every subtask acknowledged, the _metadata is
 * being written) restarts from that checkpoint, not from the one before: its committables are
 * committed as soon as it is written, so restoring the older one would produce their records again.
 * drainCommits (what the JobMaster awaits before it picks the checkpoint to restore) waits for it.
 */
import { afterAll, expect, test } from 'vitest';
import { CheckpointCoordinator, type ExecutionAttempt } from '../../../lib/runtime/checkpoint/checkpoint-coordinator.ts';
import { writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';
import type { PendingCommittables } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

test('a checkpoint acknowledged by every subtask before the failure is the one restored, and committed once', async () => {
  const committed: number[] = [];
  const coordinator = new CheckpointCoordinator({
    jobId: 'a'.repeat(32),
    jobName: 'racing',
    checkpointing: {
      interval: 60_000,
      mode: 'EXACTLY_ONCE',
      timeout: 60_000,
      minPauseBetweenCheckpoints: 0,
      maxConcurrentCheckpoints: 1,
      tolerableCheckpointFailureNumber: 0,
      numRetainedCheckpoints: 5,
      directory: tempDir(),
    },
    operators: [{ operatorId: 'src', operatorName: 'Source', parallelism: 1, maxParallelism: 128 }],
    tasks: [{ vertexId: 1, subtaskIndex: 0, name: 'Source (1/1)', upstream: [] }],
    commit: async (cs: readonly PendingCommittables[]) => void committed.push(...cs.map((c) => c.checkpointId)),
    failJob: () => {},
    log: () => {},
  });
  const barriers: CheckpointBarrier[] = [];
  const attempt: ExecutionAttempt = { triggerCheckpoint: (_v, _s, b) => void barriers.push(b), notifyCheckpointComplete: () => {} };
  coordinator.startAttempt(attempt);
  const ack = async (b: CheckpointBarrier) => {
    const handle = await writeSubtaskState(b.location, 1, 0, new Uint8Array([b.checkpointId]));
    const committables: PendingCommittables[] = [{ operatorId: 'src', subtaskIndex: 0, checkpointId: b.checkpointId, committables: [`c${b.checkpointId}`] }];
    coordinator.acknowledge({ checkpointId: b.checkpointId, vertexId: 1, subtaskIndex: 0, handle, committables, syncDurationMs: 0, asyncDurationMs: 0 });
  };

  // Checkpoint 1 completes and is committed.
  const first = coordinator.triggerSavepoint(tempDir(), false);
  await ack(barriers[0]!);
  await first;
  expect(coordinator.latestCompleted()?.checkpointId).toBe(1);

  // Checkpoint 2: the last acknowledgement comes in, and in the same turn the attempt fails.
  const second = coordinator.triggerSavepoint(tempDir(), false);
  await ack(barriers[1]!);
  coordinator.stopAttempt(new Error('boom'));
  await coordinator.drainCommits();
  // The restart picks its checkpoint now: the one whose metadata was being written.
  expect(coordinator.latestCompleted()?.checkpointId).toBe(2);
  expect(committed).toEqual([1, 2]);
  await second;
  coordinator.shutdown(new Error('done'));
});
