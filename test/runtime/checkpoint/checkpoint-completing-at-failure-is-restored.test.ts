/**
 * A checkpoint whose every acknowledgement arrived is complete, even when the attempt fails while its
 * `_metadata` is still being written. The restart must wait for it: it restores that checkpoint, and
 * its committables are committed before the restart picks anything. Before, the restart could pick an
 * older checkpoint (or none) while this one completed and committed behind its back: output of
 * records that the restarted attempt then produced again (duplicates; found by
 * test/runtime/failover/exactly-once-under-failures.test.ts).
 */
import { afterAll, expect, test } from 'vitest';
import { CheckpointCoordinator } from '../../../lib/runtime/checkpoint/checkpoint-coordinator.ts';
import { writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import type { PendingCommittables } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

test('a restart waits for the checkpoint that was completing when the attempt failed, restores it and has committed it', async () => {
  const commits: PendingCommittables[][] = [];
  const coordinator = new CheckpointCoordinator({
    jobId: 'job',
    jobName: 'job',
    checkpointing: {
      interval: 10,
      mode: 'EXACTLY_ONCE',
      timeout: 60_000,
      minPauseBetweenCheckpoints: 0,
      maxConcurrentCheckpoints: 1,
      tolerableCheckpointFailureNumber: 0,
      numRetainedCheckpoints: 1,
      directory: tempDir(),
    },
    operators: [{ operatorId: 'sink', operatorName: 'Sink', parallelism: 1, maxParallelism: 128 }],
    tasks: [{ vertexId: 0, subtaskIndex: 0, name: 'Source -> Sink (1/1)', upstream: [] }],
    commit: async (c) => {
      commits.push([...c]);
    },
    failJob: () => {},
    log: () => {},
  });
  const committables: PendingCommittables[] = [{ operatorId: 'sink', subtaskIndex: 0, checkpointId: 1, committables: ['part-0'] }];
  let acknowledged!: () => void;
  const ack = new Promise<void>((r) => (acknowledged = r));
  coordinator.startAttempt({
    triggerCheckpoint: (vertexId: number, subtaskIndex: number, barrier: CheckpointBarrier) => {
      void writeSubtaskState(barrier.location, vertexId, subtaskIndex, new Uint8Array([1, 2, 3])).then((handle) => {
        coordinator.acknowledge({ checkpointId: barrier.checkpointId, vertexId, subtaskIndex, handle, committables, syncDurationMs: 0, asyncDurationMs: 0 });
        // The attempt fails at once, while the coordinator writes checkpoint 1's _metadata.
        coordinator.stopAttempt(new Error('a task failed'));
        acknowledged();
      });
    },
    notifyCheckpointComplete: () => {},
  });
  await ack;
  // What the JobMaster does before it picks the checkpoint to restore.
  await coordinator.drainCommits();
  expect(coordinator.latestCompleted()?.checkpointId).toBe(1);
  expect(commits).toEqual([committables]);
  coordinator.shutdown(new Error('done'));
});
