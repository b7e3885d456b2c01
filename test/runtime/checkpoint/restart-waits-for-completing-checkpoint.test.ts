/**
 * A checkpoint whose every task acknowledged is completing (its _metadata being written) when the job
 * fails. The restart must wait for it and restore from it: it goes on to be committed (exactly-once
 * sinks deliver its data), and retention may delete the older checkpoint as soon as its _metadata is
 * on disk. Restoring the older one then replays committed data twice, or finds its files gone
 * ("state file … is missing"). Before the fix, drainCommits() waited only for commits already queued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { CheckpointCoordinator } from '../../../lib/runtime/checkpoint/checkpoint-coordinator.ts';
import { writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('after a failure, drainCommits() waits for a completing checkpoint: the restart restores the newest one', async () => {
  const base = mkdtempSync(join(tmpdir(), 'tidemark-ckpt-'));
  dirs.push(base);
  const committed: number[] = [];
  const coordinator = new CheckpointCoordinator({
    jobId: 'abcdefabcdefabcdefabcdefabcdefab',
    jobName: 'completing',
    checkpointing: {
      interval: 10,
      mode: 'EXACTLY_ONCE',
      timeout: 60_000,
      minPauseBetweenCheckpoints: 0,
      maxConcurrentCheckpoints: 1,
      tolerableCheckpointFailureNumber: 0,
      numRetainedCheckpoints: 1,
      directory: base,
    },
    operators: [{ operatorId: 'source', operatorName: 'Source', parallelism: 1, maxParallelism: 128 }],
    tasks: [{ vertexId: 1, subtaskIndex: 0, name: 'Source (1/1)', upstream: [] }],
    commit: async (c) => {
      for (const x of c) committed.push(x.checkpointId);
    },
    failJob: (e) => {
      throw e;
    },
    log: () => {},
  });
  const barriers: CheckpointBarrier[] = [];
  let triggered!: () => void;
  const firstTrigger = new Promise<void>((r) => (triggered = r));
  coordinator.startAttempt({
    triggerCheckpoint: (_v, _s, barrier) => {
      barriers.push(barrier);
      triggered();
    },
    notifyCheckpointComplete: () => {},
  });
  await firstTrigger;
  const barrier = barriers[0]!;
  const bytes = serializeSubtaskState({ vertexId: 1, subtaskIndex: 0, finished: false, operators: [{ operatorId: 'source', operator: {} }], committables: [] });
  const handle = await writeSubtaskState(barrier.location, 1, 0, bytes);
  const committables = [{ operatorId: 'source', subtaskIndex: 0, checkpointId: barrier.checkpointId, committables: ['c'] }];
  // The last acknowledgement starts the completion (writing _metadata); the job fails right after.
  coordinator.acknowledge({ checkpointId: barrier.checkpointId, vertexId: 1, subtaskIndex: 0, handle, committables, syncDurationMs: 0, asyncDurationMs: 0 });
  coordinator.stopAttempt(new Error('boom'));
  await coordinator.drainCommits();
  expect(coordinator.latestCompleted()?.checkpointId).toBe(barrier.checkpointId);
  expect(committed).toEqual([barrier.checkpointId]);
  coordinator.shutdown(new Error('done'));
});
