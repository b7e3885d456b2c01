/**
 * In-memory sources: `fromElements`, `fromCollection` (non-parallel, in order) and `fromSequence`
 * (parallel: each subtask emits one contiguous range). Both rewind: a checkpoint holds the position of
 * the next item (Flink's IteratorSourceSplit), so a restored job goes on with the first item after it.
 * ```ts
 * env.fromSource(new CollectionSource([1, 2, 3]), 'numbers').print();
 * ```
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../../lib/core/connector/source.ts';

const RESOLVED = Promise.resolve();
/** Records emitted per pollNext: a run of direct calls instead of one interface call per record. */
const RECORDS_PER_POLL = 256;

/** The unread rest of a CollectionSource: the index of the next item. */
export interface CollectionSplit extends SourceSplit {
  readonly next: number;
}

/** The unread rest of one range of a NumberSequenceSource: `from..to`, both inclusive. */
export interface NumberSequenceSplit extends SourceSplit {
  readonly from: number;
  readonly to: number;
}

/** Emits the items of an array, in order, then ends. */
export class CollectionSource<T> implements Source<T> {
  readonly boundedness = 'BOUNDED';
  readonly nonParallel = true;
  private readonly items: readonly T[];
  constructor(items: Iterable<T>) {
    this.items = Array.isArray(items) ? items : [...items];
  }
  createReader(context?: SourceReaderContext): SourceReader<T> {
    const items = this.items;
    // Restored: from the checkpointed position (no split left: the collection was read, end at once).
    const restored = context?.restoredSplits as readonly CollectionSplit[] | undefined;
    let next = restored === undefined ? 0 : restored.length === 0 ? items.length : Math.min(...restored.map((s) => s.next));
    return {
      start() {},
      pollNext(output: ReaderOutput<T>): InputStatus {
        const end = Math.min(items.length, next + RECORDS_PER_POLL);
        while (next < end) output.collect(items[next++]!);
        return next < items.length ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
      },
      isAvailable: () => RESOLVED,
      snapshotState: (): CollectionSplit[] => (next < items.length ? [{ splitId: '0', next }] : []),
      close() {},
    };
  }
}

/**
 * Emits the numbers from..to (inclusive); subtasks split the range (Flink's NumberSequenceSource). A
 * restored reader reads the ranges it was given (after a rescale several, or none), one after another.
 */
export class NumberSequenceSource implements Source<number> {
  readonly boundedness = 'BOUNDED';
  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError(`fromSequence needs safe integers, got ${from}..${to}`);
    if (from > to) throw new RangeError(`fromSequence: start ${from} is greater than end ${to}`);
  }
  createReader(context: SourceReaderContext): SourceReader<number> {
    let splits: NumberSequenceSplit[];
    if (context.restoredSplits !== undefined) splits = (context.restoredSplits as readonly NumberSequenceSplit[]).map((s) => ({ ...s }));
    else {
      const p = context.currentParallelism();
      const i = context.getIndexOfSubtask();
      const count = this.to - this.from + 1;
      const from = this.from + Math.floor((count * i) / p);
      const end = this.from + Math.floor((count * (i + 1)) / p); // exclusive
      splits = from < end ? [{ splitId: String(i), from, to: end - 1 }] : [];
    }
    let k = 0;
    let next = splits.length > 0 ? splits[0]!.from : 0;
    let end = splits.length > 0 ? splits[0]!.to + 1 : 0; // exclusive
    return {
      start() {},
      pollNext(output: ReaderOutput<number>): InputStatus {
        if (next >= end) {
          if (++k >= splits.length) return 'END_OF_INPUT';
          next = splits[k]!.from;
          end = splits[k]!.to + 1;
        }
        const stop = Math.min(end, next + RECORDS_PER_POLL);
        while (next < stop) output.collect(next++);
        return next < end || k + 1 < splits.length ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
      },
      isAvailable: () => RESOLVED,
      snapshotState(): NumberSequenceSplit[] {
        const out: NumberSequenceSplit[] = [];
        if (k < splits.length && next < end) out.push({ splitId: splits[k]!.splitId, from: next, to: end - 1 });
        for (let j = k + 1; j < splits.length; j++) out.push(splits[j]!);
        return out;
      },
      close() {},
    };
  }
}
