/**
 * A checkpoint whose acknowledgements all arrived is completing (its _metadata being written) when
 * the job fails: the restart must wait for it and restore it — its data is committed, so restoring
 * an older one would produce that data again (duplicates in an exactly-once sink).
 */
import { afterAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { CheckpointCoordinator } from '../../../lib/runtime/checkpoint/checkpoint-coordinator.ts';
import { writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

test('settle() waits for a completing checkpoint and its commit before the restart picks the latest', async () => {
  const committed: unknown[] = [];
  const coordinator = new CheckpointCoordinator({
    jobId: 'job1',
    jobName: 'job',
    checkpointing: {
      interval: 10,
      mode: 'EXACTLY_ONCE',
      timeout: 60_000,
      minPauseBetweenCheckpoints: 0,
      maxConcurrentCheckpoints: 1,
      tolerableCheckpointFailureNumber: 0,
      numRetainedCheckpoints: 1,
      directory: join(tempDir(), 'checkpoints'),
    },
    operators: [{ operatorId: 'src', operatorName: 'Source', parallelism: 1, maxParallelism: 128 }],
    tasks: [{ vertexId: 1, subtaskIndex: 0, name: 'Source (1/1)', upstream: [] }],
    commit: async (c) => {
      await new Promise((r) => setTimeout(r, 20)); // a commit that takes a while
      committed.push(...c);
    },
    failJob: (e) => {
      throw e;
    },
    log: () => {},
  });
  const barrier = await new Promise<CheckpointBarrier>((resolve) => coordinator.startAttempt({ triggerCheckpoint: (_v, _s, b) => resolve(b), notifyCheckpointComplete: () => {} }));
  const committables = [{ operatorId: 'sink', subtaskIndex: 0, checkpointId: barrier.checkpointId, committables: ['x'] }];
  const bytes = serializeSubtaskState({ vertexId: 1, subtaskIndex: 0, finished: false, operators: [{ operatorId: 'src', operator: {} } as never], committables });
  const handle = await writeSubtaskState(barrier.location, 1, 0, bytes);
  coordinator.acknowledge({ checkpointId: barrier.checkpointId, vertexId: 1, subtaskIndex: 0, handle, committables, syncDurationMs: 0, asyncDurationMs: 0 });
  // The attempt fails right after the last acknowledgement, while the metadata is being written.
  coordinator.stopAttempt(new Error('boom'));
  expect(coordinator.latestCompleted()).toBeUndefined();
  await coordinator.settle();
  expect(coordinator.latestCompleted()?.checkpointId).toBe(barrier.checkpointId);
  expect(committed).toEqual(committables);
  coordinator.shutdown(new Error('done'));
});
