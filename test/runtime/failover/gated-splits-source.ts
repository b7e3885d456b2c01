/**
 * Test fixture: a bounded source of several splits (lists of events), read round robin like Kafka
 * partitions, each split with its own watermark output, checkpointing each split's position. A gate
 * can hold every split at a chosen position ("stop here"): the test waits until every split is held
 * (or read to its end), then takes a savepoint, so the savepoint falls at a chosen, reproducible point
 * of the input. Inline target only: the gate is module state shared by the readers of one process.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext } from '../../../lib/index.ts';
import type { SourceSplit } from '../../../lib/core/connector/source.ts';

export interface Ev {
  readonly key: string;
  readonly id: number;
  readonly ts: number;
  readonly v: number;
}

interface Position extends SourceSplit {
  readonly next: number;
}

/** Where the readers stop: per split id, the position they do not read past (undefined: no gate). */
export class Gate {
  limits: ReadonlyMap<string, number> | undefined;
  readonly held = new Set<string>();
  readonly ended = new Set<string>();
  private waiters: Array<() => void> = [];
  private opened: { promise: Promise<void>; resolve: () => void } = Gate.newOpened();

  private static newOpened(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }

  constructor(private readonly splitCount: number) {}

  /** Holds every split at `limits` (fresh for the next run); reaching the end counts as held. */
  close(limits: ReadonlyMap<string, number> | undefined): void {
    this.limits = limits;
    this.held.clear();
    this.opened = Gate.newOpened();
  }

  /** Lets held readers go on to the end (the job keeps running). */
  open(): void {
    this.limits = undefined;
    this.opened.resolve();
  }

  /** @internal what a reader whose splits are all held waits for */
  whenOpen(): Promise<void> {
    return this.opened.promise;
  }

  /** Resolves once every split is held at its limit or read to its end. */
  allHeld(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.check();
    });
  }

  /** @internal readers report here */
  report(): void {
    this.check();
  }

  private check(): void {
    if (this.held.size + this.ended.size < this.splitCount) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

export class GatedSplitsSource implements Source<Ev> {
  readonly boundedness = 'BOUNDED';
  constructor(
    private readonly splits: ReadonlyMap<string, readonly Ev[]>,
    private readonly gate: Gate,
  ) {}

  createReader(context: SourceReaderContext): SourceReader<Ev> {
    const all = [...this.splits.keys()];
    const restored = context.restoredSplits as readonly Position[] | undefined;
    // Fresh: split i goes to subtask i % parallelism; restored: the splits the runtime hands over.
    const mine: Array<{ id: string; next: number }> =
      restored !== undefined
        ? restored.map((p) => ({ id: p.splitId, next: p.next }))
        : all.filter((_, i) => i % context.currentParallelism() === context.getIndexOfSubtask()).map((id) => ({ id, next: 0 }));
    const splits = this.splits;
    const gate = this.gate;
    let outputsCreated = false;
    return {
      start() {},
      pollNext(output: ReaderOutput<Ev>): InputStatus {
        // Every split's watermark output from the start: a split not read yet (held at 0, say) holds
        // the watermark back instead of finding it moved past its records (as Kafka's reader does).
        if (!outputsCreated) {
          outputsCreated = true;
          for (const s of mine) output.createOutputForSplit!(s.id);
        }
        let emitted = 0;
        for (let i = 0; i < mine.length; ) {
          const s = mine[i]!;
          const events = splits.get(s.id)!;
          const limit = gate.limits?.get(s.id);
          if (s.next >= events.length) {
            output.releaseOutputForSplit?.(s.id);
            mine.splice(i, 1);
            gate.ended.add(s.id);
            gate.report();
            continue;
          }
          if (limit !== undefined && s.next >= limit) {
            if (!gate.held.has(s.id)) {
              gate.held.add(s.id);
              gate.report();
            }
            i++;
            continue;
          }
          // A few records of this split, then the next split: the splits interleave.
          const out = output.createOutputForSplit!(s.id);
          for (let k = 0; k < 3 && s.next < events.length && (limit === undefined || s.next < limit); k++) out.collect(events[s.next++]!);
          emitted++;
          i++;
        }
        if (mine.length === 0) return 'END_OF_INPUT';
        return emitted > 0 ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
      },
      // Only asked when every split of this reader is held: until the gate opens (or the job stops).
      isAvailable: () => gate.whenOpen(),
      snapshotState: (): Position[] => mine.filter((s) => s.next < splits.get(s.id)!.length).map((s) => ({ splitId: s.id, next: s.next })),
      close() {},
    };
  }
}

/**
 * `splitCount` splits of `perSplit` events over `keys` keys. Timestamps are distinct over all splits
 * (so no result depends on how splits interleave) and rise within a split but for swapped neighbours:
 * out of order by less than 100 ms.
 */
export function splitEvents(seed: number, splitCount: number, perSplit: number, keys: number): Map<string, Ev[]> {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const out = new Map<string, Ev[]>();
  for (let j = 0; j < splitCount; j++) {
    const events: Ev[] = [];
    for (let i = 0; i < perSplit; i++) {
      const id = i * splitCount + j;
      events.push({ key: `k${Math.floor(rnd() * keys)}`, id, ts: 1_000 + id * 10, v: Math.floor(rnd() * 10) });
    }
    for (let i = 0; i + 1 < events.length; i++) {
      if (rnd() < 0.3) {
        const t = events[i]!;
        events[i] = events[i + 1]!;
        events[i + 1] = t;
        i++;
      }
    }
    out.set(`split-${j}`, events);
  }
  return out;
}
