/**
 * Retention (state.checkpoints.num-retained) keeps exactly the newest N completed checkpoints of a
 * job, removes in-progress folders older than the newest completed one (a newer one may still be
 * written), and never touches savepoints. A declined checkpoint's folder is discarded.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { FsCheckpointStorage, discardCheckpoint, loadCompletedCheckpoint, retainCheckpoints } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { markerOf, writeMarkedCheckpoint, writeMarkedJobCheckpoint } from './checkpoint-fixtures.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tidemark-ckpt-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const JOB = 'cafebabe0123456789abcdef01234567';

test('keeps exactly the newest N completed checkpoints, newer in-progress ones and savepoints', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 0, maxLength: 8 }),
      fc.uniqueArray(fc.integer({ min: 31, max: 60 }), { maxLength: 4 }),
      fc.integer({ min: 1, max: 4 }),
      async (completedIds, idsForInProgress, n) => {
        const base = temp();
        const storage = new FsCheckpointStorage(base, JOB);
        for (const id of completedIds) await writeMarkedJobCheckpoint(base, JOB, id, id * 10, `c${id}`);
        // In-progress ids on both sides of the newest completed one (odd: 1..30, even: above the newest).
        const newest = Math.max(0, ...completedIds);
        const inProgress = idsForInProgress.map((id) => id - 30 + (id % 2 === 0 ? newest : 0));
        for (const id of inProgress) if (!completedIds.includes(id)) storage.initializeCheckpoint(id);
        const savepoint = await writeMarkedCheckpoint(storage.initializeSavepoint(storage.jobDirectory), { jobId: JOB, checkpointId: 0, timestamp: 1, marker: 'sp', isSavepoint: true });
        mkdirSync(join(storage.jobDirectory, 'not-a-checkpoint'));

        await retainCheckpoints(storage.jobDirectory, n);

        const kept = [...completedIds].sort((a, b) => b - a).slice(0, n);
        const expected = [
          ...kept.map((id) => `chk-${id}`),
          ...inProgress.filter((id) => !completedIds.includes(id) && id > newest).map((id) => `chk-${id}`),
        ];
        const left = readdirSync(storage.jobDirectory).filter((f) => f.startsWith('chk-'));
        expect(left.sort()).toEqual([...new Set(expected)].sort());
        expect(existsSync(savepoint)).toBe(true);
        expect(existsSync(join(storage.jobDirectory, 'not-a-checkpoint'))).toBe(true);
        if (kept.length > 0) expect(markerOf(await loadCompletedCheckpoint(storage.jobDirectory))).toBe(`c${kept[0]}`);
      },
    ),
    { numRuns: 30 },
  );
});

test('num-retained below 1 is refused; a missing job folder is nothing to do', async () => {
  await expect(retainCheckpoints(temp(), 0)).rejects.toThrow(/at least 1/);
  await expect(retainCheckpoints(join(temp(), 'gone'), 1)).resolves.toBeUndefined();
});

test('discardCheckpoint deletes a declined checkpoint or savepoint folder, and nothing else', async () => {
  const base = temp();
  const storage = new FsCheckpointStorage(base, JOB);
  const declined = storage.initializeCheckpoint(3);
  const savepoint = storage.initializeSavepoint(join(base, 'sp'));
  await discardCheckpoint(declined);
  await discardCheckpoint(savepoint);
  expect(existsSync(declined)).toBe(false);
  expect(existsSync(savepoint)).toBe(false);
  await expect(discardCheckpoint(storage.jobDirectory)).rejects.toThrow(/Not a checkpoint or savepoint folder/);
  expect(existsSync(storage.jobDirectory)).toBe(true);
});
