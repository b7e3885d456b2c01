/**
 * stopWithSavepoint: nothing written after the stop savepoint's barrier is committed. As in Flink (which stops the
 * periodic checkpoint scheduler before a stop-with-savepoint and starts it again only if the savepoint failed), no
 * periodic checkpoint is triggered while a stop savepoint is under way or after it completed. Before, a periodic
 * checkpoint taken between the stop barrier and the job's end (the savepoint's commit still running) committed what
 * operators emitted after the barrier (processing-time timers firing): a job restored from the savepoint emits it
 * again — duplicates.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { join } from 'node:path';
import { KeyedProcessFunction, StreamExecutionEnvironment, type Collector, type CommittingSinkWriter, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import type { KeyedProcessContext, OnTimerContext } from '../../../lib/operators/keyed-process.ts';
import { loadCompletedCheckpoint } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);

/** Each value written, with the id of the last checkpoint barrier the writer saw before it. */
const written = new Map<string, number>();
const committed: string[] = [];
let holdCommits: Promise<void> | undefined;

const sink: TwoPhaseCommittingSink<string, string[]> = {
  createWriter(): CommittingSinkWriter<string, string[]> {
    let open: string[] = [];
    let lastBarrier = 0;
    return {
      write: (x: string) => {
        written.set(x, lastBarrier);
        open.push(x);
      },
      flush: () => {},
      prepareCommit: () => {
        const out = open;
        open = [];
        return [out];
      },
      snapshotState: (id: number) => void (lastBarrier = id),
      close: () => {},
    };
  },
  createCommitter: () => ({
    async commit(list: readonly string[][]) {
      if (holdCommits !== undefined) await holdCommits;
      for (const l of list) committed.push(...l);
    },
  }),
};

test('no periodic checkpoint commits what was emitted after the stop savepoint barrier', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.enableCheckpointing(10);
    env.getCheckpointConfig().setCheckpointStorage(join(tempDir(), 'checkpoints'));
    env
      .fromSource(new SlowSequence(1, 1e9, 2), 'numbers')
      .uid('numbers')
      .keyBy((n: number) => n % 2)
      .process(
        new (class extends KeyedProcessFunction<number, number, string> {
          override processElement(n: number, ctx: KeyedProcessContext<number>, out: Collector<string>): void {
            out.collect(`record ${n}`);
            ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 15);
          }
          override onTimer(t: number, ctx: OnTimerContext<number>, out: Collector<string>): void {
            out.collect(`timer ${ctx.getCurrentKey()} ${t}`);
          }
        })(),
      )
      .uid('timers')
      .sinkTo(sink)
      .uid('sink');
    const client = await env.executeAsync('stop with timers');
    while (written.size < 100) await new Promise((r) => setTimeout(r, 2));
    let release!: () => void;
    holdCommits = new Promise<void>((r) => (release = r));
    const stopping = client.stopWithSavepoint(tempDir());
    // While the commits wait, the stop savepoint completes and timers fire after its barrier.
    await new Promise((r) => setTimeout(r, 200));
    release();
    holdCommits = undefined;
    const path = await stopping;
    await client.getJobExecutionResult();
    expect(client.getJobStatus()).toBe('FINISHED');
    const savepointId = (await loadCompletedCheckpoint(path)).checkpointId;
    const afterBarrier = committed.filter((v) => written.get(v)! >= savepointId);
    expect(afterBarrier).toEqual([]);
    expect([...written].some(([, b]) => b >= savepointId)).toBe(true); // timers did fire after the barrier
  } finally {
    warn.mockRestore();
  }
}, 20_000);
