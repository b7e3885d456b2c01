/**
 * In-memory sources: `fromElements`, `fromCollection` (non-parallel, in order) and `fromSequence`
 * (parallel: each subtask emits one contiguous range).
 * ```ts
 * env.fromSource(new CollectionSource([1, 2, 3]), 'numbers').print();
 * ```
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../../lib/core/connector/source.ts';

const RESOLVED = Promise.resolve();
/** Records emitted per pollNext: a run of direct calls instead of one interface call per record. */
const RECORDS_PER_POLL = 256;

/** Emits the items of an array, in order, then ends. */
export class CollectionSource<T> implements Source<T> {
  readonly boundedness = 'BOUNDED';
  readonly nonParallel = true;
  private readonly items: readonly T[];
  constructor(items: Iterable<T>) {
    this.items = Array.isArray(items) ? items : [...items];
  }
  createReader(): SourceReader<T> {
    const items = this.items;
    let next = 0;
    return {
      start() {},
      pollNext(output: ReaderOutput<T>): InputStatus {
        const end = Math.min(items.length, next + RECORDS_PER_POLL);
        while (next < end) output.collect(items[next++]!);
        return next < items.length ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
      },
      isAvailable: () => RESOLVED,
      close() {},
    };
  }
}

/** Emits the numbers from..to (inclusive); subtasks split the range (Flink's NumberSequenceSource). */
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
    const p = context.currentParallelism();
    const i = context.getIndexOfSubtask();
    const count = this.to - this.from + 1;
    let next = this.from + Math.floor((count * i) / p);
    const end = this.from + Math.floor((count * (i + 1)) / p); // exclusive
    return {
      start() {},
      pollNext(output: ReaderOutput<number>): InputStatus {
        const stop = Math.min(end, next + RECORDS_PER_POLL);
        while (next < stop) output.collect(next++);
        return next < end ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
      },
      isAvailable: () => RESOLVED,
      close() {},
    };
  }
}
