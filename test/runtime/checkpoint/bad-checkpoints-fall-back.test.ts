/**
 * A checkpoint that cannot be trusted is detected (metadata checksum and length, each state file's
 * size and checksum), logged in one line with its path and what is wrong, and the next newest complete
 * checkpoint is restored instead; when none is left, a CheckpointRestoreException names the folder and
 * what was wrong with each candidate. A missing folder is a clear error too.
 */
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FsCheckpointStorage, loadCompletedCheckpoint, writeCheckpointMetadata, type CheckpointMetadataHeader } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { CheckpointRestoreException, TidemarkError } from '../../../lib/core/errors.ts';
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

const JOB = '0123456789abcdef0123456789abcdef';

function flipByte(file: string, at: (size: number) => number): void {
  const bytes = readFileSync(file);
  const i = at(bytes.length);
  bytes[i] = bytes[i]! ^ 0x01;
  writeFileSync(file, bytes);
}

/** How a checkpoint is damaged, and the problem the loader must report. */
const damages: Array<[string, (chk: string) => void, RegExp]> = [
  ['a truncated _metadata', (chk) => truncateSync(join(chk, '_metadata'), Math.floor(readFileSync(join(chk, '_metadata')).length / 2)), /_metadata is truncated/],
  ['an empty _metadata', (chk) => truncateSync(join(chk, '_metadata'), 0), /_metadata is empty/],
  ['a flipped byte in the _metadata body', (chk) => flipByte(join(chk, '_metadata'), (n) => n - 5), /_metadata is corrupted \(its checksum does not match\)/],
  ['a flipped byte in a state file', (chk) => flipByte(join(chk, 'v2-s1.state'), (n) => Math.floor(n / 2)), /state file v2-s1\.state is corrupted/],
  ['a truncated state file', (chk) => truncateSync(join(chk, 'v1-s0.state'), 3), /state file v1-s0\.state has 3 bytes, _metadata says \d+ \(truncated\)/],
  ['a deleted state file', (chk) => rmSync(join(chk, 'v2-s2.state')), /state file v2-s2\.state is missing/],
  [
    'a _metadata of a newer format version',
    (chk) => {
      const text = readFileSync(join(chk, '_metadata'), 'utf8');
      writeFileSync(join(chk, '_metadata'), text.replace(/^TIDEMARK-CHECKPOINT-METADATA v1 /, 'TIDEMARK-CHECKPOINT-METADATA v99 '));
    },
    /_metadata has format version 99; this version of tidemark reads up to version 1/,
  ],
  ['a file that is not tidemark metadata', (chk) => writeFileSync(join(chk, '_metadata'), '{"jobId":"x"}'), /is not a tidemark checkpoint metadata file/],
];

describe('a bad newest checkpoint', () => {
  for (const [what, damage, problem] of damages) {
    test(`${what}: logged with its path, the previous complete checkpoint is restored`, async () => {
      const base = temp();
      await writeMarkedJobCheckpoint(base, JOB, 1, 1_000, 'one');
      await writeMarkedJobCheckpoint(base, JOB, 2, 2_000, 'two');
      const bad = await writeMarkedJobCheckpoint(base, JOB, 3, 3_000, 'three');
      expect(markerOf(await loadCompletedCheckpoint(base))).toBe('three'); // intact, it would be the one

      damage(bad);
      const logged: string[] = [];
      const c = await loadCompletedCheckpoint(base, (l) => logged.push(l));
      expect(markerOf(c)).toBe('two');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(bad);
      expect(logged[0]).toMatch(problem);
    });
  }

  test('a checkpoint that lacks a subtask of an operator is not complete: logged, the previous one is restored', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB, 1, 1_000, 'one');
    const storage = new FsCheckpointStorage(base, JOB);
    // Vertex 2 runs at parallelism 3, but only subtasks 0 and 2 are in the checkpoint.
    const location = storage.initializeCheckpoint(2);
    await writeMarkedCheckpoint(location, { jobId: JOB, checkpointId: 2, timestamp: 2_000, marker: 'two' });
    const metadata = readFileSync(join(location, '_metadata'), 'utf8');
    const body = JSON.parse(metadata.slice(metadata.indexOf('\n') + 1)) as { subtasks: Array<{ vertexId: number; subtaskIndex: number; finished: boolean; file: string; size: number; checksum: string }> };
    const kept = body.subtasks.filter((s) => !(s.vertexId === 2 && s.subtaskIndex === 1));
    await writeCheckpointMetadata(location, { ...(body as unknown as CheckpointMetadataHeader) }, kept.map((s) => ({ vertexId: s.vertexId, subtaskIndex: s.subtaskIndex, finished: s.finished, handle: { file: s.file, size: s.size, checksum: s.checksum } })));
    const logged: string[] = [];
    expect(markerOf(await loadCompletedCheckpoint(base, (l) => logged.push(l)))).toBe('one');
    expect(logged).toEqual([`Skipping checkpoint ${location}: operator 'Op counter' (id 'counter') has parallelism 3 but the state of subtasks [0, 2]`]);
  });

  test('several bad ones: each is logged, the newest good one is restored', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB, 1, 1_000, 'one');
    const two = await writeMarkedJobCheckpoint(base, JOB, 2, 2_000, 'two');
    const three = await writeMarkedJobCheckpoint(base, JOB, 3, 3_000, 'three');
    rmSync(join(two, 'v1-s1.state'));
    flipByte(join(three, 'v1-s0.state'), (n) => n - 1);
    const logged: string[] = [];
    expect(markerOf(await loadCompletedCheckpoint(base, (l) => logged.push(l)))).toBe('one');
    expect(logged).toHaveLength(2);
    expect(logged[0]).toContain(three);
    expect(logged[1]).toContain(two);
  });

  test('none left: a CheckpointRestoreException names the folder and what is wrong with each', async () => {
    const base = temp();
    const one = await writeMarkedJobCheckpoint(base, JOB, 1, 1_000, 'one');
    const two = await writeMarkedJobCheckpoint(base, JOB, 2, 2_000, 'two');
    truncateSync(join(one, '_metadata'), 40);
    rmSync(join(two, 'v2-s0.state'));
    const err = await loadCompletedCheckpoint(base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointRestoreException);
    const e = err as CheckpointRestoreException;
    expect(e.message).toContain(`No usable checkpoint or savepoint under '${base}'`);
    expect(e.message).toContain(`${one}: _metadata is truncated`);
    expect(e.message).toContain(`${two}: state file v2-s0.state is missing`);
    expect(e.rejected.map((r) => r.path).sort()).toEqual([one, two].sort());
    expect(e.retriable).toBe(false);
  });

  test('a chk-<n> folder asked for by name that is bad: an error, no other checkpoint is taken instead', async () => {
    const base = temp();
    await writeMarkedJobCheckpoint(base, JOB, 1, 1_000, 'one');
    const two = await writeMarkedJobCheckpoint(base, JOB, 2, 2_000, 'two');
    rmSync(join(two, 'v1-s0.state'));
    await expect(loadCompletedCheckpoint(two)).rejects.toThrow(/v1-s0\.state is missing/);
  });

  test('a missing folder: a clear error', async () => {
    const missing = join(temp(), 'no-such-checkpoints');
    const err = await loadCompletedCheckpoint(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointRestoreException);
    expect(err).toBeInstanceOf(TidemarkError);
    expect((err as Error).message).toBe(`No checkpoint or savepoint at '${missing}': the folder does not exist`);
  });
});
