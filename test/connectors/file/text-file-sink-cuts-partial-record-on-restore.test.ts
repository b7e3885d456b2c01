/**
 * writeAsText restored from a checkpoint appends to the in-progress file its earlier run left (at least
 * once). A run killed in the middle of a write may have left part of a record at the file's end: the
 * restored writer cuts it away (that record comes again from the checkpoint) instead of running the next
 * record into it — every line of the output is then a whole record.
 */
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inProgressPath, TextFileSink } from '../../../connectors/file/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

const restored = { getIndexOfSubtask: () => 0, currentParallelism: () => 1, getAttemptNumber: () => 0, getRestoredCheckpointId: () => 7, operatorName: 'out' };

test('a partial last record left by a killed run is cut before the restored writer appends', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('\n', '\r\n', '||', 'é'),
      // Records without the delimiter's characters; some longer than the 64 KiB the writer reads backwards at a time.
      fc.array(fc.oneof(fc.stringMatching(/^[a-z0-9 ,]{0,12}$/), fc.integer({ min: 60_000, max: 140_000 }).map((n) => 'x'.repeat(n))), { maxLength: 6 }),
      fc.oneof(fc.stringMatching(/^[a-z0-9 ,]{1,12}$/), fc.integer({ min: 1, max: 140_000 }).map((n) => 'y'.repeat(n))),
      fc.boolean(),
      fc.array(fc.stringMatching(/^[a-z0-9]{0,8}$/), { maxLength: 4 }),
      (delimiter, whole, partial, cutInsideDelimiter, next) => {
        const out = join(tempDir(), 'out.txt');
        // What the killed run left: whole records, then a record cut off (possibly inside its delimiter).
        const cut = cutInsideDelimiter && delimiter.length > 1 ? partial + delimiter.slice(0, 1) : partial;
        writeFileSync(inProgressPath(out), whole.map((r) => r + delimiter).join('') + cut);
        const sink = new TextFileSink<string>(out, { rowDelimiter: delimiter });
        const writer = sink.createWriter(restored);
        for (const r of next) writer.write(r, { timestamp: () => null, currentWatermark: () => 0 });
        writer.flush(true);
        writer.close();
        expect(readFileSync(inProgressPath(out), 'utf8')).toBe([...whole, ...next].map((r) => r + delimiter).join(''));
      },
    ),
    { numRuns: 120 },
  );
});

test('a file that ends with a whole record is appended to unchanged', () => {
  const out = join(tempDir(), 'out.txt');
  writeFileSync(inProgressPath(out), 'a\nb\n');
  const writer = new TextFileSink<string>(out).createWriter(restored);
  writer.write('c', { timestamp: () => null, currentWatermark: () => 0 });
  writer.flush(true);
  writer.close();
  expect(readFileSync(inProgressPath(out), 'utf8')).toBe('a\nb\nc\n');
});
