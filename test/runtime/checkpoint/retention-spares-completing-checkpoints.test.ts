/**
 * Retention (after a checkpoint completed) removes in-progress checkpoint folders older than the newest completed
 * one — but not the folder of an older checkpoint that is still completing (its acknowledgements all came in, its
 * _metadata is being written: possible with concurrent checkpoints, the older one writing more). Before, it was
 * removed under the completing checkpoint: the checkpoint failed although every task had acknowledged it, or —
 * when its _metadata rename landed while the removal ran — a folder with a _metadata and missing state files stayed
 * behind ("state file … is missing" when restoring from the job folder).
 */
import { afterAll, expect, test, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointCoordinator } from '../../../lib/runtime/checkpoint/checkpoint-coordinator.ts';
import { writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import type { CheckpointBarrier } from '../../../lib/runtime/elements.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

/** The real file system; only the rename that makes checkpoint 1's _metadata waits for the test. */
const gate: { folder?: string; open?: Promise<void>; reached?: () => void } = {};
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    rename: async (from: string, to: string) => {
      if (gate.folder !== undefined && String(from).startsWith(gate.folder)) {
        gate.reached?.();
        await gate.open;
      }
      return real.rename(from, to);
    },
  };
});

afterAll(removeTempDirs);

test('a checkpoint still completing is not removed by the retention of a newer one', async () => {
  const directory = join(tempDir(), 'checkpoints');
  const logs: string[] = [];
  const failures: unknown[] = [];
  const coordinator = new CheckpointCoordinator({
    jobId: 'job1',
    jobName: 'job',
    checkpointing: {
      interval: 10,
      mode: 'EXACTLY_ONCE',
      timeout: 60_000,
      minPauseBetweenCheckpoints: 0,
      maxConcurrentCheckpoints: 2,
      tolerableCheckpointFailureNumber: 0,
      numRetainedCheckpoints: 2,
      directory,
    },
    operators: [{ operatorId: 'src', operatorName: 'Source', parallelism: 1, maxParallelism: 128 }],
    tasks: [{ vertexId: 1, subtaskIndex: 0, name: 'Source (1/1)', upstream: [] }],
    commit: async () => {},
    failJob: (e) => failures.push(e),
    log: (line) => logs.push(line),
  });
  const barriers: CheckpointBarrier[] = [];
  let wake: (() => void) | undefined;
  coordinator.startAttempt({
    triggerCheckpoint: (_v, _s, b) => {
      barriers.push(b);
      wake?.();
    },
    notifyCheckpointComplete: () => {},
  });
  const barrier = async (n: number): Promise<CheckpointBarrier> => {
    while (barriers.length < n) await new Promise<void>((r) => (wake = r));
    return barriers[n - 1]!;
  };
  const ack = async (b: CheckpointBarrier): Promise<void> => {
    const bytes = serializeSubtaskState({ vertexId: 1, subtaskIndex: 0, finished: false, operators: [], committables: [] });
    const handle = await writeSubtaskState(b.location, 1, 0, bytes);
    coordinator.acknowledge({ checkpointId: b.checkpointId, vertexId: 1, subtaskIndex: 0, handle, committables: [], syncDurationMs: 0, asyncDurationMs: 0 });
  };
  const first = await barrier(1);
  let open!: () => void;
  gate.open = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (gate.reached = r));
  gate.folder = first.location;
  await ack(first); // checkpoint 1 completes, its _metadata rename waits
  await reached;
  const second = await barrier(2);
  await ack(second); // checkpoint 2 completes and runs retention while 1 still completes
  while (coordinator.latestCompleted()?.checkpointId !== second.checkpointId) await new Promise((r) => setTimeout(r, 2));
  await new Promise((r) => setTimeout(r, 50)); // retention ran
  open();
  coordinator.shutdown(new Error('done'));
  await coordinator.quiesced();
  expect(logs.filter((l) => l.includes('could not be written'))).toEqual([]);
  expect(existsSync(join(first.location, '_metadata'))).toBe(true);
  expect(existsSync(join(first.location, 'v1-s0.state'))).toBe(true);
  expect(failures).toEqual([]);
});
