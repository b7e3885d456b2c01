/**
 * A restored file reader that takes a checkpoint before it read anything (a barrier right after a
 * restart: the threads target triggers as soon as the slots are deployed) holds its restored
 * position — not the start of the file, which would make the next restore read the file again.
 */
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLines, textLineReader } from './text-line-reader.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

test('restore, snapshot at once, restore again: every line once, in order', async () => {
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 17)}`);
  const path = join(tempDir(), 'in.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 500 }), async (cut) => {
      const first = textLineReader(path);
      await first.start();
      const before = await readLines(first, cut);
      const at = first.snapshotState!(1);
      await first.close();
      // Restored, and checkpointed again before its first poll.
      const second = textLineReader(path, at);
      await second.start();
      const again = second.snapshotState!(2);
      await second.close();
      expect(again).toEqual(at);
      const third = textLineReader(path, again);
      await third.start();
      const rest = await readLines(third);
      await third.close();
      expect([...before, ...rest]).toEqual(lines);
    }),
    { numRuns: 40 },
  );
});
