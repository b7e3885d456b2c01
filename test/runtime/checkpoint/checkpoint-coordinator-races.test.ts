/**
 * The CheckpointCoordinator against the JobMaster's restart: once an attempt stopped and the
 * coordinator's commits drained, the restart restores from `latestCompleted()`. A checkpoint that
 * was completing (writing its `_metadata`) when the attempt failed must not complete and commit
 * after that: its sinks' output would be committed while the restarted job, restored from the older
 * checkpoint, produces it again (duplicates in an exactly-once sink). And once every task finished,
 * the final checkpoint is the last one: no periodic checkpoint follows it while it commits.
 */
import { afterAll, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { CheckpointCoordinator, type ExecutionAttempt } from '../../../lib/runtime/checkpoint/checkpoint-coordinator.ts';
import { writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import type { CheckpointingOptions, PendingCommittables } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';

afterAll(removeTempDirs);

function checkpointing(directory: string, overrides: Partial<CheckpointingOptions> = {}): CheckpointingOptions {
  return {
    interval: 5,
    mode: 'EXACTLY_ONCE',
    timeout: 60_000,
    minPauseBetweenCheckpoints: 0,
    maxConcurrentCheckpoints: 1,
    tolerableCheckpointFailureNumber: 0,
    numRetainedCheckpoints: 10,
    directory,
    ...overrides,
  };
}

interface Harness {
  coordinator: CheckpointCoordinator;
  barriers: CheckpointBarrier[];
  committed: string[];
  failures: unknown[];
  attempt: ExecutionAttempt;
  nextBarrier(): Promise<CheckpointBarrier>;
}

function harness(options: Partial<CheckpointingOptions> = {}, commitDelayMs = 0): Harness {
  const barriers: CheckpointBarrier[] = [];
  const committed: string[] = [];
  const failures: unknown[] = [];
  let waiter: ((b: CheckpointBarrier) => void) | null = null;
  const attempt: ExecutionAttempt = {
    triggerCheckpoint: (_v, _s, barrier) => {
      barriers.push(barrier);
      const w = waiter;
      waiter = null;
      w?.(barrier);
    },
    notifyCheckpointComplete: () => {},
  };
  const coordinator = new CheckpointCoordinator({
    jobId: 'abcdefabcdefabcdefabcdefabcdefab',
    jobName: 'races',
    checkpointing: checkpointing(tempDir(), options),
    operators: [{ operatorId: 'source', operatorName: 'Source', parallelism: 1, maxParallelism: 128 }],
    tasks: [{ vertexId: 1, subtaskIndex: 0, name: 'Source (1/1)', upstream: [] }],
    commit: async (c: readonly PendingCommittables[]) => {
      if (commitDelayMs > 0) await new Promise((r) => setTimeout(r, commitDelayMs));
      committed.push(...c.flatMap((x) => x.committables as string[]));
    },
    failJob: (e) => void failures.push(e),
    log: () => {},
  });
  return {
    coordinator,
    barriers,
    committed,
    failures,
    attempt,
    nextBarrier: () => new Promise<CheckpointBarrier>((r) => (waiter = r)),
  };
}

async function ack(h: Harness, barrier: CheckpointBarrier, value: string): Promise<void> {
  const bytes = serializeSubtaskState({ vertexId: 1, subtaskIndex: 0, finished: false, operators: [{ operatorId: 'source', operator: {} }], committables: [] });
  const handle = await writeSubtaskState(barrier.location, 1, 0, bytes);
  const committables = [{ operatorId: 'sink', subtaskIndex: 0, checkpointId: barrier.checkpointId, committables: [value] }];
  h.coordinator.acknowledge({ checkpointId: barrier.checkpointId, vertexId: 1, subtaskIndex: 0, handle, committables, syncDurationMs: 0, asyncDurationMs: 0 });
}

test('a checkpoint completing when its attempt stops is done (completed and committed) or gone before settle() resolves', async () => {
  const h = harness();
  const first = h.nextBarrier();
  h.coordinator.startAttempt(h.attempt);
  const barrier = await first;
  await ack(h, barrier, 'from-checkpoint');
  // The acknowledgement completed the checkpoint's acks: its _metadata is being written. The attempt fails now.
  h.coordinator.stopAttempt(new Error('task failed'));
  await h.coordinator.settle();
  const latest = h.coordinator.latestCompleted();
  const committedAtRestore = [...h.committed];
  await new Promise((r) => setTimeout(r, 100));
  // What the restart restores from and what is committed do not change behind its back.
  expect(h.coordinator.latestCompleted()).toEqual(latest);
  expect(h.committed).toEqual(committedAtRestore);
  if (latest !== undefined) expect(committedAtRestore).toEqual(['from-checkpoint']);
  h.coordinator.shutdown(new Error('end'));
});

test('no periodic checkpoint after the final one, however long its commit takes', async () => {
  const h = harness({ interval: 1 }, 20);
  h.coordinator.startAttempt(h.attempt);
  const bytes = serializeSubtaskState({ vertexId: 1, subtaskIndex: 0, finished: true, operators: [{ operatorId: 'source', operator: {} }], committables: [] });
  h.coordinator.finished({ vertexId: 1, subtaskIndex: 0, bytes, committables: [{ operatorId: 'sink', subtaskIndex: 0, checkpointId: Number.MAX_SAFE_INTEGER, committables: ['last'] }], lastCheckpointId: 0 });
  await new Promise((r) => setTimeout(r, 20)); // periodic checkpoints of the finished job may complete meanwhile
  await h.coordinator.finishJob();
  await h.coordinator.settle();
  const completed = h.coordinator.stats.length;
  await new Promise((r) => setTimeout(r, 80));
  // (The JobMaster shuts the coordinator down after finishJob; until then nothing new starts either.)
  expect(h.coordinator.stats.length).toBe(completed);
  h.coordinator.shutdown(new Error('finished'));
}, 10_000);
