/**
 * The parallel source of the keyed event-time rows (c) and (d): the numbers 0..n-1, where source subtask s
 * of p emits, in increasing order, the numbers whose key (a function of the number given by the workload)
 * is s modulo p. Like a Kafka topic partitioned by key, each subtask reads an interleaved, time-ordered
 * slice of the whole stream and each key's events come from one subtask, in order. Without a key function
 * subtask s emits the numbers that are s modulo p (each subtask still a time-ordered slice, and no subtask
 * looks at the others' numbers: for a job whose result does not depend on the order of a key's events).
 *
 * Why not fromSequence's contiguous ranges: at p = 2 subtask 1 would emit the second half of event time
 * while the watermark (the minimum over the subtasks) stays with subtask 0, so the keyed operator buffers
 * half the input (window state, CEP's waiting events) — a cost of the workload, not of the exchange. And the
 * events of one key with equal timestamps would reach the CEP operator from two subtasks in an order that
 * depends on scheduling (CEP orders ties by arrival), so the matches would not be defined; here they are
 * the same at every parallelism.
 *
 * A checkpoint holds the position of the next number of each slice with its (part, parts), so a restored
 * reader goes on with the same slice whatever its parallelism.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../lib/core/connector/source.ts';

const RESOLVED = Promise.resolve();
/** Numbers looked at per pollNext. */
const SCAN_PER_POLL = 512;

/** The unread rest of one slice: the numbers in next..to (inclusive) whose key % parts === part. */
export interface KeyedSequenceSplit extends SourceSplit {
  readonly next: number;
  readonly to: number;
  readonly part: number;
  readonly parts: number;
}

export class SlicedSequenceSource implements Source<number> {
  readonly boundedness = 'BOUNDED';
  constructor(
    private readonly from: number,
    private readonly to: number,
    /** The key of the event the number becomes (a non-negative integer); undefined: slices by the number itself. */
    private readonly keyOf?: (i: number) => number,
  ) {}
  createReader(context: SourceReaderContext): SourceReader<number> {
    const keyOf = this.keyOf;
    const splits: KeyedSequenceSplit[] =
      context.restoredSplits !== undefined
        ? (context.restoredSplits as readonly KeyedSequenceSplit[]).map((s) => ({ ...s }))
        : [{ splitId: String(context.getIndexOfSubtask()), next: this.from, to: this.to, part: context.getIndexOfSubtask(), parts: context.currentParallelism() }];
    let k = 0;
    let next = splits.length > 0 ? splits[0]!.next : 0;
    return {
      start() {},
      pollNext(output: ReaderOutput<number>): InputStatus {
        if (k >= splits.length) return 'END_OF_INPUT';
        const s = splits[k]!;
        const stop = Math.min(s.to + 1, next + SCAN_PER_POLL);
        if (s.parts === 1) {
          while (next < stop) output.collect(next++);
        } else if (keyOf === undefined) {
          // The first number of the slice at or after next, then every parts-th.
          next += (((s.part - next) % s.parts) + s.parts) % s.parts;
          for (; next < stop; next += s.parts) output.collect(next);
        } else {
          const { part, parts } = s;
          for (; next < stop; next++) if (keyOf(next) % parts === part) output.collect(next);
        }
        if (next > s.to && ++k < splits.length) next = splits[k]!.next;
        return k < splits.length ? 'MORE_AVAILABLE' : 'END_OF_INPUT';
      },
      isAvailable: () => RESOLVED,
      snapshotState(): KeyedSequenceSplit[] {
        const out: KeyedSequenceSplit[] = [];
        if (k < splits.length) out.push({ ...splits[k]!, next });
        for (let j = k + 1; j < splits.length; j++) out.push(splits[j]!);
        return out;
      },
      close() {},
    };
  }
}
