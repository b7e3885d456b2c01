/**
 * SourceStreamTask checkpoints its reader's splits as operator list state 'SourceReaderState', each
 * with the watermark state behind it: a task restored from a snapshot taken between two polls emits
 * exactly what the uninterrupted task emitted after that point (records, watermarks, lateness);
 * at another parallelism the splits are dealt round robin and take their watermarks along.
 */
import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { StreamExecutionEnvironment, WatermarkStrategy } from '../../lib/index.ts';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../../lib/core/connector/source.ts';
import { buildJobGraph } from '../../lib/runtime/graph/job-graph.ts';
import { deployTasks } from '../../lib/runtime/deploy.ts';
import type { OutputChannel } from '../../lib/runtime/channels.ts';
import type { StreamBatch } from '../../lib/runtime/elements.ts';
import type { StreamTask, TaskServices } from '../../lib/runtime/tasks/stream-task.ts';
import { PerEventBoundedOutOfOrderness } from '../helpers.ts';
import { SourceStreamTask, SOURCE_READER_STATE } from '../../lib/runtime/tasks/source-stream-task.ts';
import type { OperatorSnapshot } from '../../lib/state/stream-task-state-initializer.ts';

type Ev = { split: number; ts: number };
interface EvSplit extends SourceSplit {
  readonly split: number;
  next: number;
}

/**
 * Splits 0..n-1 of events; a reader emits one event per poll, taking turns over its splits, each
 * through its split output, and pauses (NOTHING_AVAILABLE) where `pauses` says: the task's steps end there.
 */
class EventSplitsSource implements Source<Ev> {
  readonly boundedness = 'BOUNDED';
  constructor(
    private readonly splits: number[][],
    private readonly pauses: ReadonlySet<number>,
  ) {}
  createReader(context: SourceReaderContext): SourceReader<Ev> {
    const all = this.splits;
    const pauses = this.pauses;
    const mine: EvSplit[] = context.restoredSplits
      ? (context.restoredSplits as EvSplit[]).map((s) => ({ ...s }))
      : all.map((_, i) => ({ splitId: `s${i}`, split: i, next: 0 })).filter((s) => s.split % context.currentParallelism() === context.getIndexOfSubtask());
    let turn = 0;
    let paused = false;
    return {
      start() {},
      pollNext(output: ReaderOutput<Ev>): InputStatus {
        if (paused) return 'NOTHING_AVAILABLE';
        if (mine.length === 0) return 'END_OF_INPUT';
        // The split with the fewest emitted (then the lowest): the order follows from the splits alone, so a restored reader keeps it.
        turn = 0;
        for (let k = 1; k < mine.length; k++) if (mine[k]!.next < mine[turn]!.next || (mine[k]!.next === mine[turn]!.next && mine[k]!.split < mine[turn]!.split)) turn = k;
        const s = mine[turn]!;
        const ts = all[s.split]![s.next++]!;
        output.createOutputForSplit!(s.splitId).collect({ split: s.split, ts });
        if (s.next >= all[s.split]!.length) {
          output.releaseOutputForSplit!(s.splitId);
          mine.splice(turn, 1);
        }
        if (pauses.has(ts)) paused = true;
        return mine.length === 0 ? 'END_OF_INPUT' : paused ? 'NOTHING_AVAILABLE' : 'MORE_AVAILABLE';
      },
      isAvailable: () => {
        paused = false;
        return Promise.resolve();
      },
      snapshotState: () => mine.map((s) => ({ ...s })),
      close() {},
    };
  }
}

type Out = ['r', number, number, number] | ['w', number] | ['s', boolean] | ['end'];

/** What one channel received, as a list of elements. */
class Recording implements OutputChannel {
  readonly out: Out[] = [];
  push(batch: StreamBatch): void {
    const controls = batch.c ?? [];
    let c = 0;
    for (let i = 0; i <= batch.v.length; i++) {
      for (; c < controls.length && controls[c]!.at === i; c++) {
        const el = controls[c]!;
        this.out.push(el.kind === 'watermark' ? ['w', el.timestamp] : el.kind === 'watermark-status' ? ['s', el.idle] : ['end']);
      }
      if (i < batch.v.length) {
        const ev = batch.v[i] as Ev;
        this.out.push(['r', ev.split, ev.ts, batch.t[i]!]);
      }
    }
  }
  hasCredit(): boolean {
    return true;
  }
}

/** The channels of one producer subtask. */
class Producer {
  readonly channels: Recording[] = [];
  channel(c: number): Recording {
    return (this.channels[c] ??= new Recording());
  }
  get all(): Out[] {
    return this.channels.flatMap((ch) => ch.out);
  }
}

function sourceTasks(source: Source<Ev>, parallelism: number, restored?: readonly OperatorSnapshot[]): { tasks: SourceStreamTask[]; outs: Producer[] } {
  const env = StreamExecutionEnvironment.create();
  const strategy = WatermarkStrategy.forGenerator<Ev>(() => new PerEventBoundedOutOfOrderness<Ev>(3)).withTimestampAssigner((e) => e.ts);
  // Forward to a sink of the same parallelism: one channel per subtask (a rebalance's next channel is not state).
  const sink = env.fromSource(source, strategy, 'events').setParallelism(parallelism).print().setParallelism(parallelism);
  const graph = buildJobGraph('restore', [sink.transformation], { defaultParallelism: parallelism, chainingEnabled: false, autoWatermarkInterval: 0 });
  const vertex = graph.vertices.find((v) => v.nodes[0]!.source !== undefined)!;
  const outs = Array.from({ length: parallelism }, () => new Producer());
  const services: TaskServices = {
    jobName: 'restore',
    attemptNumber: restored ? 1 : 0,
    runtimeMode: 'STREAMING',
    wakeup: () => {},
    collect: () => {},
    reportAccumulators: () => {},
    restored: restored && ((id) => (id === vertex.nodes[0]!.operatorId ? { checkpointId: 1, snapshots: structuredClone(restored) } : undefined)),
  };
  const tasks = deployTasks(graph, (v) => v === vertex.id, { output: (_e, p, c) => outs[p]!.channel(c), input: () => { throw new Error('no inputs'); } }, services);
  return { tasks: tasks as SourceStreamTask[], outs };
}

/** Steps the task until it is done, or until it has paused `pauses` times (then it stays running). */
async function drive(task: StreamTask, pauses = Number.POSITIVE_INFINITY): Promise<void> {
  if (task.state === 'created') task.start();
  let seen = 0;
  while (!task.isDone()) {
    if (task.isRunnable()) task.step();
    else {
      if (task.state === 'running' && ++seen > pauses) return;
      await new Promise((r) => setImmediate(r));
    }
  }
  if (task.failure !== undefined) throw task.failure;
}

const eventsArb = fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 4 });

describe('SourceStreamTask restore', () => {
  test('same parallelism: before the snapshot + the restored run == the uninterrupted run (records, watermarks, statuses)', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }), fc.nat(5), async (splits, p, pauses, cut) => {
        // Distinct timestamps per position make pauses (by timestamp) hit at varied points.
        const source = new EventSplitsSource(splits, new Set(pauses));
        const full = sourceTasks(source, p);
        for (const t of full.tasks) await drive(t);

        const first = sourceTasks(source, p);
        const snapshots: OperatorSnapshot[] = [];
        for (const t of first.tasks) {
          await drive(t, cut);
          snapshots.push(t.snapshotSourceState(1));
          expect(t.rewindable).toBe(true);
        }
        const second = sourceTasks(source, p, snapshots);
        for (const t of second.tasks) await drive(t);
        for (let i = 0; i < p; i++) {
          // A subtask that ended before the snapshot is done: a restored one ends at once (final watermark, end of input).
          const done = first.tasks[i]!.isDone();
          full.outs[i]!.channels.forEach((ch, c) => {
            const rest = done ? [] : (second.outs[i]!.channels[c]?.out ?? []);
            expect([...(first.outs[i]!.channels[c]?.out ?? []), ...rest]).toEqual(ch.out);
          });
        }
      }),
      { numRuns: 80 },
    );
  });

  test('another parallelism: every record once, splits (with their watermarks) dealt round robin', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }), fc.nat(5), async (splits, p, q, pauses, cut) => {
        fc.pre(p !== q);
        const source = new EventSplitsSource(splits, new Set(pauses));
        const first = sourceTasks(source, p);
        const snapshots: OperatorSnapshot[] = [];
        for (const t of first.tasks) {
          await drive(t, cut);
          snapshots.push(t.snapshotSourceState(1));
        }
        const entries = snapshots.flatMap((s) => s.operator[SOURCE_READER_STATE]!.entries as Array<{ split: EvSplit; watermark: { channel: { watermark: number | null } } }>);
        const second = sourceTasks(source, q, snapshots);
        for (const t of second.tasks) await drive(t);
        const records = (outs: Producer[]): string[] => outs.flatMap((o) => o.all.filter((x) => x[0] === 'r').map((x) => `${x[1]}:${x[2]}`)).sort();
        expect([...records(first.outs), ...records(second.outs)].sort()).toEqual(splits.flatMap((s, i) => s.map((ts) => `${i}:${ts}`)).sort());
        // New subtask i got entries i, i+q, ...: its first watermark is not below the lowest it restored.
        for (let i = 0; i < q; i++) {
          const mine = entries.filter((_e, k) => k % q === i);
          const got = second.outs[i]!.all;
          expect(got.filter((x) => x[0] === 'r').map((x) => `${x[1]}`).every((s) => mine.some((e) => String(e.split.split) === s))).toBe(true);
          const floor = Math.min(...mine.map((e) => e.watermark.channel.watermark ?? Number.NEGATIVE_INFINITY));
          const firstWm = got.find((x) => x[0] === 'w');
          if (firstWm !== undefined && mine.length > 0) expect(firstWm[1]).toBeGreaterThanOrEqual(floor);
        }
      }),
      { numRuns: 80, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}) },
    );
  });

  test('a reader without snapshotState is not rewindable: warned once, its snapshot has no split state, and a restored one starts afresh', async () => {
    const plain: Source<Ev> = {
      boundedness: 'BOUNDED',
      createReader: (ctx) => {
        let n = 0;
        expect(ctx.restoredSplits).toBeUndefined();
        return { start() {}, pollNext: (o) => (o.collect({ split: 0, ts: n++ }), n < 3 ? 'MORE_AVAILABLE' : 'END_OF_INPUT'), isAvailable: () => Promise.resolve(), close() {} };
      },
    };
    const first = sourceTasks(plain, 1);
    first.tasks[0]!.start();
    expect(first.tasks[0]!.rewindable).toBe(false);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const snap = first.tasks[0]!.snapshotSourceState(1);
    first.tasks[0]!.snapshotSourceState(2);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^Source: events \(1\/1\) cannot rewind/)]);
    warn.mockRestore();
    expect(snap.operator[SOURCE_READER_STATE]).toBeUndefined();
    const second = sourceTasks(plain, 1, [snap]);
    await drive(second.tasks[0]!);
    expect(second.outs[0]!.all.filter((x) => x[0] === 'r')).toHaveLength(3);
  });
});
