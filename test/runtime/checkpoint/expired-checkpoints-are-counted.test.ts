/**
 * A checkpoint that is not acknowledged within the checkpoint timeout expires: it is declined and
 * counted (logged, naming the tasks that did not acknowledge), not fatal while the count of failures
 * in a row stays within tolerable-failed-checkpoints; one more fails the job over with
 * "Exceeded checkpoint tolerable failure threshold". A completed checkpoint resets the count.
 */
import { afterAll, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { CheckpointCoordinator, type ExecutionAttempt } from '../../../lib/runtime/checkpoint/checkpoint-coordinator.ts';
import { writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import { CheckpointException } from '../../../lib/core/errors.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';

afterAll(removeTempDirs);

function coordinatorWith(tolerable: number, acknowledge: (b: CheckpointBarrier) => boolean, timeout = 30) {
  const logged: string[] = [];
  const failures: unknown[] = [];
  let coordinator: CheckpointCoordinator;
  const attempt: ExecutionAttempt = {
    triggerCheckpoint: (_v, _s, barrier) => {
      if (!acknowledge(barrier)) return; // this one never acknowledges: it expires
      const bytes = serializeSubtaskState({ vertexId: 1, subtaskIndex: 0, finished: false, operators: [{ operatorId: 'source', operator: {} }], committables: [] });
      void writeSubtaskState(barrier.location, 1, 0, bytes).then((handle) =>
        coordinator.acknowledge({ checkpointId: barrier.checkpointId, vertexId: 1, subtaskIndex: 0, handle, committables: [], syncDurationMs: 0, asyncDurationMs: 0 }),
      );
    },
    notifyCheckpointComplete: () => {},
  };
  coordinator = new CheckpointCoordinator({
    jobId: 'abcdefabcdefabcdefabcdefabcdefab',
    jobName: 'expiring',
    checkpointing: {
      interval: 5,
      mode: 'EXACTLY_ONCE',
      timeout,
      minPauseBetweenCheckpoints: 0,
      maxConcurrentCheckpoints: 1,
      tolerableCheckpointFailureNumber: tolerable,
      numRetainedCheckpoints: 1,
      directory: tempDir(),
    },
    operators: [{ operatorId: 'source', operatorName: 'Source', parallelism: 1, maxParallelism: 128 }],
    tasks: [{ vertexId: 1, subtaskIndex: 0, name: 'Source (1/1)', upstream: [] }],
    commit: async () => {},
    failJob: (e) => void failures.push(e),
    log: (m) => void logged.push(m),
  });
  coordinator.startAttempt(attempt);
  return { coordinator, logged, failures };
}

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
}

test('expired checkpoints within the tolerable count are logged, not fatal; one more fails the job over', async () => {
  const { coordinator, logged, failures } = coordinatorWith(2, () => false);
  await until(() => failures.length > 0);
  coordinator.shutdown(new Error('end'));
  expect(logged).toHaveLength(3);
  expect(logged[0]).toMatch(/^Checkpoint 1 of job 'expiring' expired after 30 ms before every task acknowledged it \(missing: Source \(1\/1\)\)/);
  expect(failures).toHaveLength(1);
  const failure = failures[0] as CheckpointException;
  expect(failure).toBeInstanceOf(CheckpointException);
  expect(failure.message).toMatch(/^Exceeded checkpoint tolerable failure threshold \(2\): Checkpoint 3 of job 'expiring' expired after 30 ms/);
}, 10_000);

test('a completed checkpoint resets the count of failures in a row', async () => {
  // Checkpoints 1, 2 expire, 3 completes, 4, 5 expire, 6 completes...: never more than 2 in a row.
  // The timeout leaves an acknowledging checkpoint time to write its file on a loaded machine.
  const { coordinator, logged, failures } = coordinatorWith(2, (b) => b.checkpointId % 3 === 0, 400);
  await until(() => coordinator.stats.length >= 3);
  coordinator.shutdown(new Error('end'));
  expect(failures).toEqual([]);
  expect(logged.length).toBeGreaterThanOrEqual(6);
  expect(coordinator.stats.map((s) => s.checkpointId).slice(0, 3)).toEqual([3, 6, 9]);
}, 10_000);
