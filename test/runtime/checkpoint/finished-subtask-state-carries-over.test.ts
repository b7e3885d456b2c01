/**
 * FLIP-147: a subtask that finished keeps its final state in every later checkpoint. copySubtaskState
 * puts its state file into the new checkpoint folder, so each folder stays self-contained: the older
 * checkpoint may be deleted by retention and the newer one still restores, with the operators whose
 * every subtask finished listed in finishedOperators.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import {
  FsCheckpointStorage,
  copySubtaskState,
  loadCompletedCheckpoint,
  retainCheckpoints,
  writeCheckpointMetadata,
  writeSubtaskState,
  type SubtaskStateHandle,
} from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import { markedSubtask, type VertexSpec } from './checkpoint-fixtures.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const JOB = '1234567890abcdef1234567890abcdef';
const source: VertexSpec = { vertexId: 1, parallelism: 2, operators: ['source'], finished: true };
const counter: VertexSpec = { vertexId: 2, parallelism: 1, operators: ['counter', 'sink'] };
const operators = [
  { operatorId: 'source', operatorName: 'Source: file', parallelism: 2, maxParallelism: 128 },
  { operatorId: 'counter', operatorName: 'Counter', parallelism: 1, maxParallelism: 128 },
  { operatorId: 'sink', operatorName: 'Sink', parallelism: 1, maxParallelism: 128 },
];

test("a finished subtask's state copied into later checkpoints restores after the older folder is gone", async () => {
  const base = mkdtempSync(join(tmpdir(), 'tidemark-ckpt-'));
  dirs.push(base);
  const storage = new FsCheckpointStorage(base, JOB);
  const header = (checkpointId: number) => ({ jobId: JOB, jobName: 'finishing', checkpointId, timestamp: checkpointId * 1_000, isSavepoint: false, operators });

  // Checkpoint 1: the source subtasks acknowledge their final state.
  const chk1 = storage.initializeCheckpoint(1);
  const finals: SubtaskStateHandle[] = [];
  for (const s of [0, 1]) finals.push({ vertexId: 1, subtaskIndex: s, finished: true, handle: await writeSubtaskState(chk1, 1, s, serializeSubtaskState(markedSubtask(source, s, 'final'))) });
  const c1 = { vertexId: 2, subtaskIndex: 0, finished: false, handle: await writeSubtaskState(chk1, 2, 0, serializeSubtaskState(markedSubtask(counter, 0, 'one'))) };
  await writeCheckpointMetadata(chk1, header(1), [...finals, c1]);

  // Checkpoint 2: the finished sources' state is carried over; only the counter writes anew.
  const chk2 = storage.initializeCheckpoint(2);
  const carried = await Promise.all(finals.map(async (f) => ({ ...f, handle: await copySubtaskState(chk1, f.handle, chk2) })));
  const c2 = { vertexId: 2, subtaskIndex: 0, finished: false, handle: await writeSubtaskState(chk2, 2, 0, serializeSubtaskState(markedSubtask(counter, 0, 'two'))) };
  await writeCheckpointMetadata(chk2, header(2), [...carried, c2]);

  await retainCheckpoints(storage.jobDirectory, 1);
  expect(existsSync(chk1)).toBe(false);

  const loaded = await loadCompletedCheckpoint(base);
  expect(loaded.checkpointId).toBe(2);
  expect(loaded.operators.find((o) => o.operatorId === 'source')!.subtasks.map((s) => s.operator.marker!.entries)).toEqual([['final/source/0'], ['final/source/1']]);
  expect(loaded.operators.find((o) => o.operatorId === 'counter')!.subtasks[0]!.operator.marker!.entries).toEqual(['two/counter/0']);
  expect(loaded.finishedOperators).toEqual(['source']);
  expect(loaded.committables).toEqual([{ operatorId: 'sink', subtaskIndex: 0, checkpointId: 0, committables: ['two-c0'] }]);
});
