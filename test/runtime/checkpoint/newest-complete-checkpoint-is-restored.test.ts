/**
 * loadCompletedCheckpoint takes the newest complete checkpoint at or under the folder it is given (a
 * chk-<n> folder, its _metadata, a job folder, a folder of several jobs, savepoints included): newest
 * by the timestamp in the metadata, then the checkpoint id. A folder without a complete _metadata (an
 * in-progress checkpoint, one whose _metadata was never renamed into place) is never used.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FsCheckpointStorage, loadCompletedCheckpoint, writeSubtaskState } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { CheckpointRestoreException } from '../../../lib/core/errors.ts';
import { serializeSubtaskState } from '../../../lib/runtime/checkpoint/state-serializer.ts';
import { DEFAULT_VERTICES, markedSubtask, markerOf, writeMarkedCheckpoint, writeMarkedJobCheckpoint } from './checkpoint-fixtures.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tidemark-ckpt-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const JOB_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const JOB_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** An in-progress checkpoint: state files written, no _metadata (the process died before it). */
async function inProgress(base: string, jobId: string, id: number): Promise<string> {
  const location = new FsCheckpointStorage(base, jobId).initializeCheckpoint(id);
  await writeSubtaskState(location, 1, 0, serializeSubtaskState(markedSubtask(DEFAULT_VERTICES[0]!, 0, 'in-progress')));
  return location;
}

describe('the newest complete checkpoint', () => {
  test('under a folder of several jobs: the highest timestamp wins, whatever the job or the id', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB_A, 1, 1_000, 'a1');
    await writeMarkedJobCheckpoint(base, JOB_A, 2, 2_000, 'a2');
    await writeMarkedJobCheckpoint(base, JOB_B, 1, 3_000, 'b1'); // newest, though its id is low
    await writeMarkedJobCheckpoint(base, JOB_B, 9, 500, 'b9');
    const c = await loadCompletedCheckpoint(base);
    expect(markerOf(c)).toBe('b1');
    expect(c.jobId).toBe(JOB_B);
    expect(c.path).toBe(join(base, JOB_B, 'chk-1'));
  });

  test('equal timestamps: the highest checkpoint id wins', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB_A, 3, 1_000, 'a3');
    await writeMarkedJobCheckpoint(base, JOB_A, 5, 1_000, 'a5');
    await writeMarkedJobCheckpoint(base, JOB_A, 4, 1_000, 'a4');
    expect(markerOf(await loadCompletedCheckpoint(join(base, JOB_A)))).toBe('a5');
  });

  test('a job folder, a chk-<n> folder and its _metadata file are each accepted', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB_A, 1, 1_000, 'a1');
    await writeMarkedJobCheckpoint(base, JOB_A, 2, 2_000, 'a2');
    await writeMarkedJobCheckpoint(base, JOB_B, 1, 5_000, 'b1');
    expect(markerOf(await loadCompletedCheckpoint(join(base, JOB_A)))).toBe('a2');
    expect(markerOf(await loadCompletedCheckpoint(join(base, JOB_A, 'chk-1')))).toBe('a1');
    expect(markerOf(await loadCompletedCheckpoint(join(base, JOB_A, 'chk-1', '_metadata')))).toBe('a1');
  });

  test('a savepoint under the folder counts as a checkpoint', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB_A, 7, 1_000, 'a7');
    const storage = new FsCheckpointStorage(base, JOB_A);
    await writeMarkedCheckpoint(storage.initializeSavepoint(join(base, 'savepoints')), { jobId: JOB_A, checkpointId: 8, timestamp: 2_000, marker: 'sp', isSavepoint: true });
    const c = await loadCompletedCheckpoint(base);
    expect(markerOf(c)).toBe('sp');
    expect(c.isSavepoint).toBe(true);
  });

  test('in-progress folders (no _metadata, or only its temp file) are ignored, even when newer', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB_A, 1, 1_000, 'a1');
    await inProgress(base, JOB_A, 2);
    const renamedNever = await inProgress(base, JOB_A, 3);
    writeFileSync(join(renamedNever, '_metadata.inprogress'), 'TIDEMARK-CHECKPOINT-METADATA v1 length=');
    const logged: string[] = [];
    const c = await loadCompletedCheckpoint(base, (l) => logged.push(l));
    expect(markerOf(c)).toBe('a1');
    expect(logged).toEqual([]); // not a problem: an in-progress checkpoint is simply not one
  });

  test('only in-progress folders: a clear error naming them', async () => {
    const base = temp();
    const a = await inProgress(base, JOB_A, 1);
    const err = await loadCompletedCheckpoint(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointRestoreException);
    expect((err as Error).message).toContain(`No complete checkpoint or savepoint under '${base}'`);
    expect((err as Error).message).toContain(a);
    await expect(loadCompletedCheckpoint(a)).rejects.toThrow(/without _metadata/);
  });

  test('an empty folder: a clear error', async () => {
    await expect(loadCompletedCheckpoint(temp())).rejects.toThrow(/No complete checkpoint or savepoint under .*no folder with a _metadata file/);
  });

  test('initializeCheckpoint empties a folder left incomplete by an earlier attempt and never overwrites a completed one', async () => {
    const base = temp();
    const stale = await inProgress(base, JOB_A, 4);
    const storage = new FsCheckpointStorage(base, JOB_A);
    expect(storage.initializeCheckpoint(4)).toBe(stale);
    expect(readdirSync(stale)).toEqual([]);
    await writeMarkedJobCheckpoint(base, JOB_A, 5, 1_000, 'a5');
    expect(() => storage.initializeCheckpoint(5)).toThrow(/already completed/);
    expect(markerOf(await loadCompletedCheckpoint(base))).toBe('a5');
  });

  test('_metadata is written atomically: no temp file is left, and the folder holds only state files and _metadata', async () => {
    const base = temp();
    const location = await writeMarkedJobCheckpoint(base, JOB_A, 1, 1_000, 'a1');
    expect(readdirSync(location).sort()).toEqual(['_metadata', 'v1-s0.state', 'v1-s1.state', 'v2-s0.state', 'v2-s1.state', 'v2-s2.state']);
  });
});
