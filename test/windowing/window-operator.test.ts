/**
 * The window operator of a stream built with the API, driven through the public test harness
 * (tidemark/testing, `forStream`): what it keeps after firing, late merges of sessions, per-window state.
 */
import { describe, expect, test } from 'vitest';
import {
  EventTimeSessionWindows,
  ReducingStateDescriptor,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  type Collector,
  type ProcessWindowContext,
  type ReducingState,
  type TimeWindow,
  type Trigger,
  type TriggerContext,
} from '../../lib/index.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

type Ev = [string, number];
const keyed = () => StreamExecutionEnvironment.getExecutionEnvironment().fromElements<Ev>().keyBy((x) => x[0]);

describe('window operator state', () => {
  test('countWindow(n) (GlobalWindows + PurgingTrigger(CountTrigger)) holds no window for a key after it fired and purged', () => {
    const sums = keyed()
      .countWindow(2)
      .reduce((a, b) => [a[0], a[1] + b[1]]);
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, Ev>(sums);
    for (let k = 0; k < 100; k++) {
      h.processElement([`k${k}`, 1], 0);
      h.processElement([`k${k}`, 1], 0);
    }
    expect(h.extractOutputValues().length).toBe(100);
    // Flink: the purge clears the window contents and CountTrigger clears its count: nothing is left per key.
    expect(h.numKeyedStateEntries()).toBe(0);
  });
});

describe('session window late merge', () => {
  test('a late element within allowed lateness bridging two fired sessions re-fires the merged session', () => {
    const sessions = keyed()
      .window(EventTimeSessionWindows.withGap(10))
      .allowedLateness(100)
      .process((_k: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<string>) => out.collect(`${ctx.window().start}-${ctx.window().end}:${els.map((e) => e[1]).join(',')}`));
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, string>(sessions);
    h.processElement(['k', 0], 0);
    h.processElement(['k', 20], 20);
    h.processWatermark(50);
    h.processElement(['k', 10], 10);
    h.processWatermark(1000);
    expect(h.extractOutputValues()).toEqual(['0-10:0', '20-30:20', '0-30:0,20,10']);
    expect(h.numKeyedStateEntries()).toBe(0);
  });
});

describe('per-window state', () => {
  test("a window function's windowState and globalState of one name are two states, each addressing its own scope", () => {
    const d = new ValueStateDescriptor<number>('seen');
    const stream = keyed()
      .window(TumblingEventTimeWindows.of(10))
      .allowedLateness(100)
      .process((_k: string, ctx: ProcessWindowContext<TimeWindow>, _els: Ev[], out: Collector<number[]>) => {
        const perWindow = ctx.windowState().getState(d);
        const perKey = ctx.globalState().getState(d);
        perWindow.update((perWindow.value() ?? 0) + 1);
        perKey.update((perKey.value() ?? 0) + 10);
        out.collect([ctx.window().start, perWindow.value()!, perKey.value()!]);
      });
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, number[]>(stream);
    h.processElement(['k', 1], 1);
    h.processWatermark(9); // [0, 10) fires
    h.processElement(['k', 2], 2); // a late firing of [0, 10)
    h.processElement(['k', 12], 12);
    h.processWatermark(19); // [10, 20) fires
    expect(h.extractOutputValues()).toEqual([
      [0, 1, 10],
      [0, 2, 20],
      [10, 1, 30],
    ]);
  });

  test('a trigger that keeps its state object across calls counts per window', () => {
    const count = new ReducingStateDescriptor<number>('count', (a, b) => a + b);
    class CachingCountTrigger implements Trigger<unknown, TimeWindow> {
      private state: ReducingState<number> | undefined;
      onElement(_e: unknown, _ts: number, _w: TimeWindow, ctx: TriggerContext) {
        this.state ??= ctx.getPartitionedState(count);
        this.state.add(1);
        if (this.state.get()! < 2) return 'CONTINUE' as const;
        this.state.clear();
        return 'FIRE_AND_PURGE' as const;
      }
      onEventTime() {
        return 'CONTINUE' as const;
      }
      onProcessingTime() {
        return 'CONTINUE' as const;
      }
      clear(_w: TimeWindow, ctx: TriggerContext) {
        ctx.getPartitionedState(count).clear();
      }
    }
    const stream = keyed()
      .window(TumblingEventTimeWindows.of(10))
      .trigger(new CachingCountTrigger())
      .process((_k: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<string>) => out.collect(`${ctx.window().start}:${els.map((e) => e[1]).join(',')}`));
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, string>(stream);
    for (const ts of [1, 11, 2, 12]) h.processElement(['k', ts], ts);
    expect(h.extractOutputValues()).toEqual(['0:1,2', '10:11,12']);
  });
});
