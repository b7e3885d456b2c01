/**
 * Window code written as in Flink runs: TimeWindow.getStart()/getEnd()/maxTimestamp() in a
 * ProcessWindowFunction (tumbling and sliding event-time windows, also on windows restored from a
 * snapshot's plain data), and GlobalWindow.get() is the one window of GlobalWindows. The `start`/`end`
 * fields stay.
 */
import { describe, expect, test } from 'vitest';
import {
  CountTrigger,
  GlobalWindow,
  GlobalWindows,
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TimeWindow,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type ProcessWindowContext,
} from '../../lib/index.ts';
import { windowOfNamespace } from '../../lib/windowing/windows.ts';

type Ev = { key: string; v: number; ts: number };
const events: Ev[] = [
  { key: 'a', v: 1, ts: 1 },
  { key: 'a', v: 2, ts: 7 },
  { key: 'b', v: 5, ts: 12 },
  { key: 'a', v: 4, ts: 15 },
];

/** As a Flink user writes it: a ProcessWindowFunction subclass reading the window through its getters. */
class DescribeWindow extends ProcessWindowFunction<Ev, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Ev[], out: Collector<string>): void {
    const w = ctx.window();
    let sum = 0;
    for (const e of elements) sum += e.v;
    out.collect(`${key} [${w.getStart()},${w.getEnd()}) max=${w.maxTimestamp()} sum=${sum}`);
  }
}

function keyedEvents() {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  return env
    .fromCollection(events)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
    .keyBy((e) => e.key);
}

describe("Flink's names on windows", () => {
  test('TimeWindow.getStart()/getEnd()/maxTimestamp() in a ProcessWindowFunction (tumbling, sliding)', async () => {
    const tumbling = await keyedEvents().window(TumblingEventTimeWindows.of(10)).process(new DescribeWindow()).executeAndCollect();
    expect(tumbling.sort()).toEqual(['a [0,10) max=9 sum=3', 'a [10,20) max=19 sum=4', 'b [10,20) max=19 sum=5']);
    const sliding = await keyedEvents().window(SlidingEventTimeWindows.of(10, 5)).process(new DescribeWindow()).executeAndCollect();
    expect(sliding.sort()).toEqual([
      'a [-5,5) max=4 sum=1',
      'a [0,10) max=9 sum=3',
      'a [10,20) max=19 sum=4',
      'a [15,25) max=24 sum=4',
      'a [5,15) max=14 sum=2',
      'b [10,20) max=19 sum=5',
      'b [5,15) max=14 sum=5',
    ]);
  });

  test('the getters agree with the start/end fields, also on a window rebuilt from a snapshot', () => {
    const w = new TimeWindow(10, 20);
    expect([w.getStart(), w.getEnd(), w.maxTimestamp()]).toEqual([w.start, w.end, 19]);
    // a snapshot's structured clone keeps own properties only: the window comes back a TimeWindow
    const restored = windowOfNamespace<TimeWindow>(structuredClone(w));
    expect([restored.getStart(), restored.getEnd()]).toEqual([10, 20]);
  });

  test('GlobalWindow.get() is the window GlobalWindows assigns', async () => {
    expect(GlobalWindow.get()).toBe(GlobalWindow.INSTANCE);
    expect(windowOfNamespace(structuredClone(GlobalWindow.get()))).toBe(GlobalWindow.get());
    const out = await keyedEvents()
      .window(GlobalWindows.create())
      .trigger(CountTrigger.of(2))
      .process((key: string, ctx: ProcessWindowContext<GlobalWindow>, elements: Ev[], o: Collector<string>) =>
        o.collect(`${key} ${ctx.window() === GlobalWindow.get()} ${elements.length}`),
      )
      .executeAndCollect();
    expect(out).toEqual(['a true 2']);
  });
});
