/**
 * A file reader checkpointed while it reads its next chunk: every line of the chunk before was emitted
 * and the next read is in flight. The position it snapshots must be that of the next line — the read
 * must not be able to change it. (It did: the splitter found the position by scanning the last chunk's
 * bytes, a view of the reader's one read buffer, which the in-flight read was overwriting. When a chunk
 * ended exactly at a line end, a kill -9 and restore from that checkpoint re-read part of a line:
 * one extra, garbled record — seen as 80001 committed lines of 80000 in the kill -9 CLI test.)
 */
import { afterAll, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLines, textLineReader } from './text-line-reader.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const CHUNK = 64 * 1024; // the reader's read size

/** Blocks the event loop so that a read the thread pool is doing lands in its buffer meanwhile. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

test.each([
  ['shorter lines after the first chunk', 7],
  ['longer lines after the first chunk', 29],
])('a checkpoint while the next chunk is read holds the next line (%s)', async (_name, secondLength) => {
  // The first chunk ends exactly at a line end: 4096 lines of 16 bytes.
  const first = Array.from({ length: CHUNK / 16 }, (_, i) => `a${String(i).padStart(14, '0')}`);
  const second = Array.from({ length: 6000 }, (_, i) => `b${String(i).padStart(secondLength - 2, '0')}`);
  const lines = [...first, ...second];
  const path = join(tempDir(), 'in.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  expect(Buffer.byteLength(`${first.join('\n')}\n`)).toBe(CHUNK);

  const r = textLineReader(path);
  await r.start();
  const before = await readLines(r, first.length);
  expect(before).toEqual(first);
  // Every line of the first chunk emitted: this poll starts the read of the second.
  expect(r.pollNext({ collect: () => {} })).toBe('NOTHING_AVAILABLE');
  spin(50);
  const at = r.snapshotState!(1);
  await r.close();
  expect(at).toEqual([{ splitId: path, path, offset: CHUNK, lineNumber: first.length + 1 }]);

  const restored = textLineReader(path, at);
  await restored.start();
  const rest = await readLines(restored);
  await restored.close();
  expect([...before, ...rest]).toEqual(lines);
});
