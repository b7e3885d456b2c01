/**
 * A source with getSplitOwner (KafkaSource: its readers discover new splits by the same rule) is restored with,
 * in each reader, exactly the splits it owns out of ALL old subtasks' splits (the union), at any parallelism,
 * each split with the watermark state it had; a source without it keeps the round robin (its own test). An
 * owner outside the readers fails the restore, naming the source and the split.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { StreamExecutionEnvironment, WatermarkStrategy } from '../../lib/index.ts';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../../lib/core/connector/source.ts';
import { buildJobGraph } from '../../lib/runtime/graph/job-graph.ts';
import { deployTasks } from '../../lib/runtime/deploy.ts';
import type { OutputChannel } from '../../lib/runtime/channels.ts';
import type { TaskServices } from '../../lib/runtime/tasks/stream-task.ts';
import { PerEventBoundedOutOfOrderness } from '../helpers.ts';
import { SourceStreamTask, SOURCE_READER_STATE, type SourceReaderStateEntry } from '../../lib/runtime/tasks/source-stream-task.ts';
import type { OperatorSnapshot } from '../../lib/state/stream-task-state-initializer.ts';

interface NumberedSplit extends SourceSplit {
  readonly n: number;
  next: number;
}

/** Splits 0..count-1 of `length` events each (timestamp = n * 100 + position); split n is owned by reader `owner(n, readers)`. */
class OwnedSplitsSource implements Source<number> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED';
  /** Each reader's context, by subtask index. */
  readonly contexts: SourceReaderContext[] = [];
  constructor(
    private readonly count: number,
    private readonly length: number,
    private readonly owner: (n: number, readers: number) => number,
  ) {}
  getSplitOwner(split: SourceSplit, numReaders: number): number {
    return this.owner((split as NumberedSplit).n, numReaders);
  }
  createReader(context: SourceReaderContext): SourceReader<number> {
    this.contexts[context.getIndexOfSubtask()] = context;
    const length = this.length;
    const mine: NumberedSplit[] = context.restoredSplits
      ? (context.restoredSplits as NumberedSplit[]).map((s) => ({ ...s }))
      : Array.from({ length: this.count }, (_, n) => ({ splitId: `s${n}`, n, next: 0 })).filter((s) => this.owner(s.n, context.currentParallelism()) === context.getIndexOfSubtask());
    let turn = 0;
    return {
      start() {},
      pollNext(output: ReaderOutput<number>): InputStatus {
        const open = mine.filter((s) => s.next < length);
        if (open.length === 0) return 'NOTHING_AVAILABLE';
        const s = open[turn++ % open.length]!;
        output.createOutputForSplit!(s.splitId).collect(s.n * 100 + s.next, s.n * 100 + s.next++);
        return 'NOTHING_AVAILABLE';
      },
      isAvailable: () => Promise.resolve(),
      snapshotState: () => mine.map((s) => ({ ...s })),
      close() {},
    };
  }
}

const discard: OutputChannel = { push() {}, hasCredit: () => true };

function sourceTasks(source: Source<number>, parallelism: number, restored?: readonly OperatorSnapshot[]): SourceStreamTask[] {
  const env = StreamExecutionEnvironment.create();
  const strategy = WatermarkStrategy.forGenerator<number>(() => new PerEventBoundedOutOfOrderness<number>(3)).withTimestampAssigner((e) => e);
  const sink = env.fromSource(source, strategy, 'owned').setParallelism(parallelism).print().setParallelism(parallelism);
  const graph = buildJobGraph('owned', [sink.transformation], { defaultParallelism: parallelism, chainingEnabled: false, autoWatermarkInterval: 0 });
  const vertex = graph.vertices.find((v) => v.nodes[0]!.source !== undefined)!;
  const services: TaskServices = {
    jobName: 'owned',
    attemptNumber: restored ? 1 : 0,
    runtimeMode: 'STREAMING',
    wakeup: () => {},
    collect: () => {},
    reportAccumulators: () => {},
    restored: restored && ((id) => (id === vertex.nodes[0]!.operatorId ? { checkpointId: 1, snapshots: structuredClone(restored) } : undefined)),
  };
  const tasks = deployTasks(graph, (v) => v === vertex.id, { output: () => discard, input: () => { throw new Error('no inputs'); } }, services);
  return tasks as SourceStreamTask[];
}

/** Runs the task for `steps` polls (each waits for the reader's isAvailable). */
async function steps(task: SourceStreamTask, n: number): Promise<void> {
  if (task.state === 'created') task.start();
  for (let i = 0; i < n; ) {
    if (task.failure !== undefined) throw task.failure;
    if (task.isRunnable()) {
      task.step();
      i++;
    } else await new Promise((r) => setImmediate(r));
  }
}

const entriesOf = (snapshot: OperatorSnapshot): SourceReaderStateEntry[] => (snapshot.operator[SOURCE_READER_STATE]?.entries ?? []) as SourceReaderStateEntry[];

test('each restored reader gets the splits it owns out of all old readers\' splits, each with its watermark, at any parallelism', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.nat(12), { minLength: 3, maxLength: 3 }),
      fc.integer({ min: 0, max: 7 }),
      async (count, p, q, polls, shift) => {
        // An owner rule unlike the round robin of list state: a shifted modulo.
        const source = new OwnedSplitsSource(count, 12, (n, readers) => (n + shift) % readers);
        const first = sourceTasks(source, p);
        const snapshots: OperatorSnapshot[] = [];
        for (const [i, t] of first.entries()) {
          await steps(t, polls[i]!);
          snapshots.push(t.snapshotSourceState(1));
        }
        const all = snapshots.flatMap(entriesOf);
        expect(all.map((e) => e.split.splitId).sort()).toEqual(Array.from({ length: count }, (_, n) => `s${n}`).sort());

        const restoredSource = new OwnedSplitsSource(count, 12, (n, readers) => (n + shift) % readers);
        const second = sourceTasks(restoredSource, q, snapshots);
        for (const [i, t] of second.entries()) {
          t.start();
          const mine = all.filter((e) => ((e.split as NumberedSplit).n + shift) % q === i);
          expect(restoredSource.contexts[i]!.restoredSplits, `reader ${i} of ${q}`).toEqual(mine.map((e) => e.split));
          // Snapshotted at once: the same splits, each with the watermark channel it was checkpointed with.
          const again = entriesOf(t.snapshotSourceState(2));
          expect(again.map((e) => [e.split, e.watermark!.channel])).toEqual(mine.map((e) => [e.split, e.watermark!.channel]));
        }
      },
    ),
    { numRuns: 80 },
  );
});

test('an owner outside the readers fails the restore, naming the source and the split', async () => {
  const good = new OwnedSplitsSource(2, 3, (n, readers) => n % readers);
  const first = sourceTasks(good, 2);
  const snapshots: OperatorSnapshot[] = [];
  for (const t of first) {
    await steps(t, 1);
    snapshots.push(t.snapshotSourceState(1));
  }
  const bad = new OwnedSplitsSource(2, 3, (n, readers) => n + readers);
  const [task] = sourceTasks(bad, 1, snapshots);
  expect(() => task!.start()).toThrow(/'owned'.*getSplitOwner returned 1 for split 's0'; it must be a reader index below 1/);
});

test('a split restored twice (a checkpoint of a source that read it twice) keeps the lower of its watermarks', async () => {
  const source = new OwnedSplitsSource(1, 12, () => 0);
  const [task] = sourceTasks(source, 1);
  await steps(task!, 6);
  const snapshot = task!.snapshotSourceState(1);
  const [entry] = entriesOf(snapshot);
  const lower = entry!.watermark!.channel.watermark! - 2;
  const twice = structuredClone(snapshot);
  const entries = twice.operator[SOURCE_READER_STATE]!.entries as SourceReaderStateEntry[];
  entries.push({ split: entry!.split, watermark: { ...entry!.watermark!, channel: { ...entry!.watermark!.channel, watermark: lower } } });
  entries.push({ split: entry!.split, watermark: entry!.watermark! });
  const [restored] = sourceTasks(new OwnedSplitsSource(1, 12, () => 0), 1, [twice]);
  restored!.start();
  expect(entriesOf(restored!.snapshotSourceState(2)).map((e) => e.watermark!.channel.watermark)).toEqual([lower, lower, lower]);
});
