/**
 * Built-in sources rewind to their checkpointed positions: what a reader emitted before
 * snapshotState plus what a reader restored from that snapshot emits is exactly the uninterrupted
 * run (nothing lost, nothing twice), also when the splits are dealt round robin to another parallelism
 * (as the operator list state 'SourceReaderState' redistributes them).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CollectionSource, NumberSequenceSource } from '../../connectors/collection/index.ts';
import { TextLineSource } from '../../connectors/file/index.ts';
import type { ReaderOutput, Source, SourceReader, SourceSplit } from '../../lib/core/connector/source.ts';

function contextFor(index: number, parallelism: number, restoredSplits?: readonly SourceSplit[]) {
  return { operatorName: 'src', getIndexOfSubtask: () => index, currentParallelism: () => parallelism, restoredSplits };
}

/** Polls `reader` until it ends, or until `maxPolls` polls emitted (then it stays open for a snapshot). */
async function drive<T>(reader: SourceReader<T>, out: T[], maxPolls = Number.POSITIVE_INFINITY): Promise<boolean> {
  const output: ReaderOutput<T> = { collect: (r) => out.push(r) };
  for (let polls = 0; polls < maxPolls; ) {
    const status = reader.pollNext(output);
    if (status === 'END_OF_INPUT') return true;
    if (status === 'NOTHING_AVAILABLE') await reader.isAvailable();
    else polls++;
  }
  return false;
}

/** Every reader's records, uninterrupted, by subtask. */
async function uninterrupted<T>(source: Source<T>, parallelism: number): Promise<T[][]> {
  const all: T[][] = [];
  for (let i = 0; i < parallelism; i++) {
    const reader = source.createReader(contextFor(i, parallelism));
    await reader.start();
    const out: T[] = [];
    await drive(reader, out);
    await reader.close();
    all.push(out);
  }
  return all;
}

/**
 * Runs `parallelism` readers for cut[i] polls each, snapshots them (through structuredClone: plain data),
 * deals the splits round robin to `newParallelism` restored readers and runs those to the end.
 */
async function interrupted<T>(source: Source<T>, parallelism: number, cuts: number[], newParallelism: number): Promise<{ before: T[][]; after: T[][]; splits: SourceSplit[]; assigned: SourceSplit[][] }> {
  const before: T[][] = [];
  const bySubtask: SourceSplit[][] = [];
  for (let i = 0; i < parallelism; i++) {
    const reader = source.createReader(contextFor(i, parallelism));
    await reader.start();
    const out: T[] = [];
    await drive(reader, out, cuts[i % cuts.length]!);
    bySubtask.push(structuredClone(reader.snapshotState!(1)));
    await reader.close();
    before.push(out);
  }
  // As the operator list state redistributes: its own at the same parallelism, else round robin.
  const splits = bySubtask.flat();
  const after: T[][] = [];
  const assigned: SourceSplit[][] = [];
  for (let i = 0; i < newParallelism; i++) {
    const mine = newParallelism === parallelism ? bySubtask[i]! : splits.filter((_s, k) => k % newParallelism === i);
    assigned.push(mine);
    const reader = source.createReader(contextFor(i, newParallelism, mine));
    await reader.start();
    const out: T[] = [];
    await drive(reader, out);
    await reader.close();
    after.push(out);
  }
  return { before, after, splits, assigned };
}

const sorted = <T>(xs: T[]): T[] => xs.slice().sort();

describe('CollectionSource', () => {
  test('emitted before the snapshot + the restored run == the uninterrupted run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 1200 }), fc.nat(8), async (items, cut) => {
        const source = new CollectionSource(items);
        const [full] = await uninterrupted(source, 1);
        const { before, after } = await interrupted(source, 1, [cut], 1);
        expect([...before[0]!, ...after[0]!]).toEqual(full);
        expect(full).toEqual(items);
      }),
    );
  });

  test('restored with no split (all read before the checkpoint): ends at once', async () => {
    const source = new CollectionSource([1, 2, 3]);
    const reader = source.createReader(contextFor(0, 1, []));
    const out: number[] = [];
    await drive(reader, out);
    expect(out).toEqual([]);
  });
});

describe('NumberSequenceSource', () => {
  test('same parallelism: each subtask goes on exactly after its cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(14), { minLength: 1, maxLength: 4 }), async (n, p, cuts) => {
        const source = new NumberSequenceSource(1, n + 1);
        const full = await uninterrupted(source, p);
        const { before, after } = await interrupted(source, p, cuts, p);
        for (let i = 0; i < p; i++) expect([...before[i]!, ...after[i]!]).toEqual(full[i]);
      }),
    );
  });

  test('another parallelism: the splits are dealt round robin, every number once, each range in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(14), { minLength: 1, maxLength: 4 }),
        async (n, p, q, cuts) => {
          const source = new NumberSequenceSource(1, n + 1);
          const { before, after, assigned } = await interrupted(source, p, cuts, q);
          expect(sorted([...before.flat(), ...after.flat()].map(String))).toEqual(sorted(Array.from({ length: n + 1 }, (_, i) => String(i + 1))));
          // A restored reader reads the splits it got whole, in that order.
          for (let i = 0; i < q; i++) {
            const expected = (assigned[i] as unknown as Array<{ from: number; to: number }>).flatMap((s) => Array.from({ length: s.to - s.from + 1 }, (_, j) => s.from + j));
            expect(after[i]).toEqual(expected);
          }
        },
      ),
    );
  });
});

describe('TextLineSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-rewind-'));
  let files = 0;
  /** A directory of text files (some CRLF, one with a BOM, some without a last line end). */
  function inputDir(contents: string[]): string {
    const d = join(dir, String(files++));
    (require('node:fs') as typeof import('node:fs')).mkdirSync(d);
    contents.forEach((c, i) => writeFileSync(join(d, `f${i}`), c));
    return d;
  }
  const line = fc.stringOf(fc.constantFrom('a', 'b', 'é', '€', ' ', '\r'), { maxLength: 12 });
  const file = fc
    .tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean())
    .map(([lines, end, last, bom]) => (bom ? '\uFEFF' : '') + lines.join(end) + (last && lines.length > 0 ? end : ''));

  test('a restored reader goes on with the line after the last one emitted (byte offset + line number)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(file, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(80), { minLength: 1, maxLength: 3 }), async (contents, p, q, cuts) => {
        const source = new TextLineSource(inputDir(contents));
        const full = await uninterrupted(source, p);
        const same = await interrupted(source, p, cuts, p);
        for (let i = 0; i < p; i++) expect([...same.before[i]!, ...same.after[i]!]).toEqual(full[i]);
        const rescaled = await interrupted(source, p, cuts, q);
        expect(sorted([...rescaled.before.flat(), ...rescaled.after.flat()])).toEqual(sorted(full.flat()));
      }),
      { numRuns: 60 },
    );
  });

  test('positions are exact across 64 KiB chunks', async () => {
    const lines = Array.from({ length: 30000 }, (_, i) => `line ${i} ${'x'.repeat(i % 17)}`);
    const d = inputDir([lines.join('\n') + '\n']);
    const source = new TextLineSource(d);
    for (const cut of [0, 1, 4999, 5000, 17777, 29999, 30000]) {
      const { before, after, splits } = await interrupted(source, 1, [cut], 1);
      expect([...before[0]!, ...after[0]!]).toEqual(lines);
      if (cut < 30000) expect(splits).toEqual([expect.objectContaining({ lineNumber: cut + 1 })]);
    }
  });
});
