/**
 * Beyond Flink: a job restarted from a checkpoint decides lateness exactly as the uninterrupted job —
 * the sources' split watermarks and every operator's watermark come back with the checkpoint, so a
 * record that was late before the failure is late after it too, and the window results are the same.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { type SingleOutputStreamOperator, OutputTag, RestartStrategies, RichMapFunction, StreamExecutionEnvironment, TumblingEventTimeWindows } from '../../../lib/index.ts';
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from '../../../lib/core/connector/source.ts';
import { hasCompletedCheckpoint, punctuatedWatermarks, removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

type Ev = { key: string; ts: number };
interface Position extends SourceSplit {
  readonly next: number;
}

/** The events, one split, 40 per poll with a 10 ms pause after each, so checkpoints complete while it runs. */
class SlowEvents implements Source<Ev> {
  readonly boundedness = 'BOUNDED';
  readonly nonParallel = true;
  constructor(private readonly events: readonly Ev[]) {}
  createReader(context: SourceReaderContext): SourceReader<Ev> {
    const events = this.events;
    const restored = context.restoredSplits as readonly Position[] | undefined;
    let next = restored === undefined ? 0 : (restored[0]?.next ?? events.length);
    let ready = true;
    return {
      start() {},
      pollNext(output: ReaderOutput<Ev>): InputStatus {
        if (!ready) return 'NOTHING_AVAILABLE';
        const split = output.createOutputForSplit!('events');
        for (let k = 0; k < 40 && next < events.length; k++) split.collect(events[next++]!);
        if (next >= events.length) return 'END_OF_INPUT';
        ready = false;
        return 'NOTHING_AVAILABLE';
      },
      isAvailable: () =>
        new Promise<void>((r) =>
          setTimeout(() => {
            ready = true;
            r();
          }, 10),
        ),
      snapshotState: (): Position[] => (next < events.length ? [{ splitId: 'events', next }] : []),
      close() {},
    };
  }
}

class FailsOnceAt extends RichMapFunction<Ev, Ev> {
  constructor(
    private readonly at: number,
    private readonly checkpoints: string,
  ) {
    super();
  }
  map(e: Ev): Ev {
    if (e.ts >= this.at && this.getRuntimeContext().getTaskInfo().attemptNumber === 0 && hasCompletedCheckpoint(this.checkpoints)) throw new Error('boom');
    return e;
  }
}

/**
 * Nearly in order, but the first event of each poll (where a checkpoint can fall) is 5 s late: late in
 * the uninterrupted run, and on time for a restored job that lost its watermarks. Timestamps are distinct.
 */
function events(n: number): Ev[] {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => ({ key: `k${i % 3}`, ts: i % 40 === 0 && i > 0 ? i * 100 - 4950 : i * 100 + 1 + Math.floor(rnd() * 49) }));
}

async function run(input: Ev[], failAt: number | undefined): Promise<string[]> {
  const checkpoints = tempDir();
  const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'state.checkpoints.dir': checkpoints });
  env.enableCheckpointing(10);
  env.getConfig().setAutoWatermarkInterval(0); // watermarks per event: which records are late is deterministic
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
  const late = new OutputTag<Ev>('late');
  const windows: SingleOutputStreamOperator<string> = env
    .fromSource(new SlowEvents(input), punctuatedWatermarks<Ev>(1000), 'events')
    .map(new FailsOnceAt(failAt ?? Number.POSITIVE_INFINITY, checkpoints))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1000))
    .sideOutputLateData(late)
    .process((key: string, ctx, els: Iterable<Ev>, out) => out.collect(`${key} ${ctx.window().start}: ${[...els].length}`));
  const lateOut = windows.getSideOutput(late).map((e: Ev) => `late ${e.key}@${e.ts}`);
  const out = await windows.union(lateOut).executeAndCollect();
  return out.sort();
}

test('restarted from a checkpoint: the same late records and window results as the uninterrupted run', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const input = events(1200);
    const whole = await run(input, undefined);
    expect(whole.filter((x) => x.startsWith('late')).length).toBeGreaterThan(10); // the test means something
    const restarted = await run(input, input[1001]!.ts);
    expect(warn.mock.calls.map((c) => String(c[0])).find((l) => l.includes('Restarting'))).toMatch(/from checkpoint \d+/);
    expect(restarted).toEqual(whole);
  } finally {
    warn.mockRestore();
  }
});
