/**
 * A restored file reader that takes a checkpoint before it read anything (a barrier right after a
 * restart: the threads target triggers as soon as the slots are deployed) holds its restored
 * position — not the start of the file, which would make the next restore read the file again.
 */
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextLineSource } from '../../connectors/file/index.ts';
import type { ReaderOutput, SourceReader, SourceSplit } from '../../lib/core/connector/source.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

function reader(path: string, restoredSplits?: readonly SourceSplit[]): SourceReader<string> {
  return new TextLineSource(path).createReader({ operatorName: 'lines', getIndexOfSubtask: () => 0, currentParallelism: () => 1, restoredSplits });
}

/** Reads `n` lines (or all), then returns them. */
async function read(r: SourceReader<string>, n = Number.POSITIVE_INFINITY): Promise<string[]> {
  const out: string[] = [];
  const output: ReaderOutput<string> = { collect: (l) => void out.push(l) };
  while (out.length < n) {
    const s = r.pollNext(output);
    if (s === 'END_OF_INPUT') break;
    if (s === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
  return out;
}

test('restore, snapshot at once, restore again: every line once, in order', async () => {
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(i % 17)}`);
  const path = join(tempDir(), 'in.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 500 }), async (cut) => {
      const first = reader(path);
      await first.start();
      const before = await read(first, cut);
      const at = first.snapshotState!(1);
      await first.close();
      // Restored, and checkpointed again before its first poll.
      const second = reader(path, at);
      await second.start();
      const again = second.snapshotState!(2);
      await second.close();
      expect(again).toEqual(at);
      const third = reader(path, again);
      await third.start();
      const rest = await read(third);
      await third.close();
      expect([...before, ...rest]).toEqual(lines);
    }),
    { numRuns: 40 },
  );
});
