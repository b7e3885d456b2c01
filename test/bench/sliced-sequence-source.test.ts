/**
 * The parallel source of bench rows (c) and (d): every number once over the subtasks, each subtask's in
 * increasing order, each key on one subtask (by key) or every p-th number (no key function), and a reader
 * restored from any snapshot goes on with exactly what was left.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { SlicedSequenceSource, type KeyedSequenceSplit } from '../../bench/sliced-sequence.ts';
import type { InputStatus, ReaderOutput, SourceSplit } from '../../lib/core/connector/source.ts';

const keyOf = (i: number): number => (Math.imul(i, 0x9e3779b1) >>> 0) % 37;

function collector(out: number[]): ReaderOutput<number> {
  return { collect: (v) => void out.push(v) };
}

/** Polls a reader of subtask i of p until END_OF_INPUT or `stopAfter` polls; returns what it emitted and its snapshot. */
function read(source: SlicedSequenceSource, i: number, p: number, restoredSplits?: readonly SourceSplit[], stopAfter = Infinity) {
  const reader = source.createReader({ operatorName: 'seq', getIndexOfSubtask: () => i, currentParallelism: () => p, ...(restoredSplits ? { restoredSplits } : {}) });
  const out: number[] = [];
  let status: InputStatus = 'MORE_AVAILABLE';
  for (let polls = 0; status === 'MORE_AVAILABLE' && polls < stopAfter; polls++) status = reader.pollNext(collector(out));
  return { out, status, snapshot: reader.snapshotState!(1) as KeyedSequenceSplit[] };
}

describe('SlicedSequenceSource (bench rows c and d)', () => {
  test('each number exactly once, in order per subtask, each key on one subtask; a restore goes on where the snapshot was', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 5 }),
        (n, p, byKey, stopAfter, restoreP) => {
          const source = new SlicedSequenceSource(0, n - 1, byKey ? keyOf : undefined);
          const all: number[] = [];
          const left: KeyedSequenceSplit[] = [];
          for (let i = 0; i < p; i++) {
            const { out, snapshot } = read(source, i, p, undefined, stopAfter);
            for (let k = 1; k < out.length; k++) expect(out[k]!).toBeGreaterThan(out[k - 1]!);
            for (const x of out) expect(byKey ? keyOf(x) % p : x % p).toBe(i);
            all.push(...out);
            left.push(...snapshot);
          }
          // The snapshots' splits spread round robin over another parallelism, read to the end.
          for (let j = 0; j < restoreP; j++) {
            const mine = left.filter((_, k) => k % restoreP === j);
            const { out, status } = read(source, j, restoreP, mine);
            expect(status).toBe('END_OF_INPUT');
            all.push(...out);
          }
          expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, k) => k));
        },
      ),
      { numRuns: 200 },
    );
  });
});
