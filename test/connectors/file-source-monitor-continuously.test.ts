/**
 * FileSource.forRecordStreamFormat(format, dir).monitorContinuously(interval): files already there and files
 * that appear later are read, each once, hidden ones never; the source does not end. Its checkpoint holds the
 * paths taken, the current file's position and the queued files: a reader restored from any snapshot reads
 * neither a line twice nor skips one, also of files that appeared after the snapshot (fast-check).
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { FileSource, TextLineInputFormat, type FileSourceSplit } from '../../connectors/file/index.ts';
import type { ReaderOutput, SourceReader, SourceSplit } from '../../lib/core/connector/source.ts';
import { StreamExecutionEnvironment, WatermarkStrategy } from '../../lib/index.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

/** Writes a file as a finished file appears: under a hidden name first, then renamed into place. */
function drop(dir: string, name: string, lines: readonly string[]): void {
  const hidden = join(dir, `.${name}.tmp`);
  writeFileSync(hidden, lines.map((l) => `${l}\n`).join(''));
  renameSync(hidden, join(dir, name));
}

function reader(dir: string, restoredSplits?: readonly SourceSplit[]): SourceReader<string> {
  const source = FileSource.forRecordStreamFormat(new TextLineInputFormat(), dir).monitorContinuously(20).build();
  expect(source.boundedness).toBe('CONTINUOUS_UNBOUNDED');
  return source.createReader({ operatorName: 'files', getIndexOfSubtask: () => 0, currentParallelism: () => 1, ...(restoredSplits ? { restoredSplits } : {}) });
}

/** Polls until `count` records were emitted (or `timeoutMs`); a monitoring reader never ends. */
async function drive(r: SourceReader<string>, out: string[], count: number, timeoutMs = 10_000): Promise<void> {
  const output: ReaderOutput<string> = { collect: (v) => out.push(v) };
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    const status = r.pollNext(output);
    expect(status).not.toBe('END_OF_INPUT');
    if (status === 'NOTHING_AVAILABLE') await r.isAvailable();
  }
}

describe('FileSource.monitorContinuously', () => {
  test('reads the files there at the start and those that appear later, each once; skips hidden files; never ends', async () => {
    const dir = tempDir();
    drop(dir, 'a.txt', ['a1', 'a2']);
    writeFileSync(join(dir, '.hidden'), 'h\n');
    writeFileSync(join(dir, '_hidden'), 'h\n');
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2 });
    const source = FileSource.forRecordStreamFormat(new TextLineInputFormat(), dir).monitorContinuously('50 ms').build();
    const later = setTimeout(() => {
      drop(dir, 'b.txt', ['b1']);
      mkdirSync(join(dir, 'sub')); // a folder is not a file
      setTimeout(() => drop(dir, 'c.txt', ['c1', 'c2']), 150);
    }, 150);
    try {
      const out = await env.fromSource(source, WatermarkStrategy.noWatermarks(), 'files').map((l) => l.toUpperCase()).executeAndCollect(5);
      expect(out.sort()).toEqual(['A1', 'A2', 'B1', 'C1', 'C2']);
    } finally {
      clearTimeout(later);
    }
  });

  test('a restore from any snapshot reads on: nothing twice, nothing skipped, new files included (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }), // lines per file there at the start
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }), // lines per file added after the snapshot
        fc.nat(),
        async (before, after, cutSeed) => {
          const dir = tempDir();
          const expected: string[] = [];
          before.forEach((n, f) => {
            const lines = Array.from({ length: n }, (_, i) => `f${f}-l${i}`);
            drop(dir, `f${f}.txt`, lines);
            expected.push(...lines);
          });
          const cut = cutSeed % (expected.length + 1);
          const first: string[] = [];
          const a = reader(dir);
          await a.start();
          await drive(a, first, cut);
          const snapshot = structuredClone(a.snapshotState!(1));
          await a.close();
          // Files that appear after the snapshot: the restored reader must take them too.
          after.forEach((n, f) => {
            const lines = Array.from({ length: n }, (_, i) => `g${f}-l${i}`);
            drop(dir, `g${f}.txt`, lines);
            expected.push(...lines);
          });
          const second: string[] = [];
          const b = reader(dir, snapshot);
          await b.start();
          await drive(b, second, expected.length - cut);
          // Give a wrong re-read the chance to show: one more listing.
          await new Promise((r) => setTimeout(r, 50));
          await drive(b, second, expected.length - cut + 1, 100);
          await b.close();
          expect(first).toEqual(expected.slice(0, cut));
          expect([...first, ...second].sort()).toEqual([...expected].sort());
          expect(snapshot.some((s) => (s as FileSourceSplit).path !== undefined || s.splitId === '__monitored-paths__')).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  test('bounded (the default): reads the files there at the start and ends, spread over subtasks', async () => {
    const dir = tempDir();
    for (let f = 0; f < 5; f++) drop(dir, `f${f}.txt`, [`x${f}`, `y${f}`]);
    const source = FileSource.forRecordStreamFormat(new TextLineInputFormat(), dir).build();
    expect(source.boundedness).toBe('BOUNDED');
    const out = await StreamExecutionEnvironment.create({ 'parallelism.default': 3 }).fromSource(source, 'files').executeAndCollect();
    expect(out.sort()).toEqual(Array.from({ length: 5 }, (_, f) => [`x${f}`, `y${f}`]).flat().sort());
  });

  test('a file that vanishes between the listing and its stat (a dangling link stands for it) is skipped, not a failure', async () => {
    const dir = tempDir();
    drop(dir, 'a.txt', ['a1']);
    symlinkSync(join(dir, 'gone.txt'), join(dir, 'b-vanished.txt'));
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    const source = FileSource.forRecordStreamFormat(new TextLineInputFormat(), dir).monitorContinuously('20 ms').build();
    const later = setTimeout(() => drop(dir, 'c.txt', ['c1']), 100);
    try {
      expect((await env.fromSource(source, 'files').executeAndCollect(2)).sort()).toEqual(['a1', 'c1']);
      // Bounded too: the listing at the start skips it.
      const bounded = FileSource.forRecordStreamFormat(new TextLineInputFormat(), dir).build();
      expect((await StreamExecutionEnvironment.create({ 'parallelism.default': 1 }).fromSource(bounded, 'files').executeAndCollect()).sort()).toEqual(['a1', 'c1']);
    } finally {
      clearTimeout(later);
    }
  });

  test('the interval is checked', () => {
    expect(() => FileSource.forRecordStreamFormat(new TextLineInputFormat(), '/tmp').monitorContinuously('0 s')).toThrow(/at least 1 ms/);
  });
});
