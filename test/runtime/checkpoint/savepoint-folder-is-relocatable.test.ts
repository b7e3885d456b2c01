/**
 * A savepoint folder names its files relative to itself: copied or moved elsewhere (and the original
 * deleted), it restores the same state.
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { FsCheckpointStorage, loadCompletedCheckpoint } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { markerOf, writeMarkedCheckpoint } from './checkpoint-fixtures.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tidemark-ckpt-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const JOB = 'f00dcafe0123456789abcdef01234567';

test('a savepoint is created as savepoint-<first 6 of the job id>-<12 hex> under the target folder', () => {
  const target = join(temp(), 'savepoints', 'nested');
  const storage = new FsCheckpointStorage(temp(), JOB);
  const a = storage.initializeSavepoint(target);
  const b = storage.initializeSavepoint(target);
  expect(basename(a)).toMatch(/^savepoint-f00dca-[0-9a-f]{12}$/);
  expect(a.startsWith(target)).toBe(true);
  expect(a).not.toBe(b);
});

test('a savepoint copied elsewhere (the original deleted) restores the same state', async () => {
  const storage = new FsCheckpointStorage(temp(), JOB);
  const original = await writeMarkedCheckpoint(storage.initializeSavepoint(temp()), { jobId: JOB, checkpointId: 4, timestamp: 100, marker: 'sp', isSavepoint: true });
  const expected = await loadCompletedCheckpoint(original);
  // The metadata holds no absolute path.
  expect(readFileSync(join(original, '_metadata'), 'utf8')).not.toContain(original);

  const copy = join(temp(), 'copied', basename(original));
  cpSync(original, copy, { recursive: true });
  rmSync(original, { recursive: true });
  const loaded = await loadCompletedCheckpoint(copy);
  expect(markerOf(loaded)).toBe('sp');
  expect(loaded.isSavepoint).toBe(true);
  expect(loaded.path).toBe(copy);
  expect({ ...loaded, path: '' }).toStrictEqual({ ...expected, path: '' });

  // Moved (renamed) too, and found from the folder above it.
  const moved = join(temp(), 'renamed-savepoint');
  renameSync(copy, moved);
  const again = await loadCompletedCheckpoint(join(moved, '..'));
  expect({ ...again, path: '' }).toStrictEqual({ ...expected, path: '' });
  expect(again.path).toBe(moved);
});
