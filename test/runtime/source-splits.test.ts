/** Per-split watermarks: a source's watermark is the minimum over its splits, so a slow split's records are not late. */
import { expect, test } from 'vitest';
import {
  OutputTag,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type InputStatus,
  type ReaderOutput,
  type Source,
  type SourceReader,
} from '../../lib/index.ts';

type Ev = { split: string; ts: number };

/** Emits split "fast" (timestamps 900..999) first, waits 20 ms, then split "slow" (timestamps 100..109). */
class TwoSplitSource implements Source<Ev> {
  readonly boundedness = 'BOUNDED';
  readonly nonParallel = true;
  constructor(private readonly useSplits: boolean) {}
  createReader(): SourceReader<Ev> {
    const useSplits = this.useSplits;
    let phase = 0;
    let ready = true;
    let outs: { fast: ReaderOutput<Ev>; slow: ReaderOutput<Ev> } | undefined;
    return {
      start() {},
      pollNext(output: ReaderOutput<Ev>): InputStatus {
        if (!ready) return 'NOTHING_AVAILABLE';
        outs ??= useSplits
          ? { fast: output.createOutputForSplit!('fast'), slow: output.createOutputForSplit!('slow') }
          : { fast: output, slow: output };
        if (phase === 0) {
          for (let i = 0; i < 100; i++) outs.fast.collect({ split: 'fast', ts: 900 + i });
          output.releaseOutputForSplit?.('fast-never-created'); // harmless
          phase = 1;
          ready = false;
          return 'NOTHING_AVAILABLE';
        }
        for (let i = 0; i < 10; i++) outs.slow.collect({ split: 'slow', ts: 100 + i });
        return 'END_OF_INPUT';
      },
      isAvailable: () =>
        new Promise<void>((r) =>
          setTimeout(() => {
            ready = true;
            r();
          }, 20),
        ),
      close() {},
    };
  }
}

async function run(useSplits: boolean): Promise<{ counts: number[]; late: number }> {
  const env = StreamExecutionEnvironment.create();
  env.getConfig().setAutoWatermarkInterval(1);
  const late = new OutputTag<Ev>('late');
  const counts = env
    .fromSource(new TwoSplitSource(useSplits), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), 'two splits')
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(100))
    .sideOutputLateData(late)
    .aggregate({ createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b });
  const got: number[] = [];
  let lateCount = 0;
  counts.toObservable().subscribe((n) => got.push(n));
  counts.getSideOutput(late).toObservable().subscribe(() => lateCount++);
  await env.execute();
  return { counts: got, late: lateCount };
}

test('with split outputs the slow split holds the watermark: nothing is late', async () => {
  expect(await run(true)).toEqual({ counts: [10, 100], late: 0 }); // window [100,200) fires first, at the end
});

test('with one output for both, the fast split drives the watermark and the slow split is late', async () => {
  const r = await run(false);
  expect(r.late).toBe(10);
  expect(r.counts).toEqual([100]);
});

test('a source that went idle before it ended still ends event time: its windows fire', async () => {
  // Emits two events, stays silent long enough to be marked idle, then ends.
  class IdleThenEnd implements Source<Ev> {
    readonly boundedness = 'BOUNDED';
    readonly nonParallel = true;
    createReader(): SourceReader<Ev> {
      let phase = 0;
      let ready = true;
      return {
        start() {},
        pollNext(output: ReaderOutput<Ev>): InputStatus {
          if (!ready) return 'NOTHING_AVAILABLE';
          if (phase++ === 0) {
            output.collect({ split: 'x', ts: 5 });
            output.collect({ split: 'x', ts: 7 });
            ready = false;
            return 'NOTHING_AVAILABLE';
          }
          return 'END_OF_INPUT';
        },
        isAvailable: () =>
          new Promise<void>((r) =>
            setTimeout(() => {
              ready = true;
              r();
            }, 60),
          ),
        close() {},
      };
    }
  }
  // Parallelism 2: the window runs behind a network edge, where an idle channel's watermarks are ignored.
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
  env.getConfig().setAutoWatermarkInterval(1);
  const counts = await env
    .fromSource(new IdleThenEnd(), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts).withIdleness('10 ms'), 'idle then end')
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(100))
    .aggregate({ createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b })
    .executeAndCollect();
  expect(counts).toEqual([2]);
});
