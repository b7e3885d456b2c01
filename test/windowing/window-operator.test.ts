/** The window operator driven directly through the public test harness (tidemark/testing): what it keeps after firing, late merges of sessions, per-window state. */
import { describe, expect, test } from 'vitest';
import { WindowOperator } from '../../lib/windowing/window-operator.ts';
import { GlobalWindows } from '../../lib/windowing/assigners/global-windows.ts';
import { EventTimeSessionWindows } from '../../lib/windowing/assigners/session-windows.ts';
import { PurgingTrigger } from '../../lib/windowing/triggers/purging-trigger.ts';
import { CountTrigger } from '../../lib/windowing/triggers/count-trigger.ts';
import { EventTimeTrigger } from '../../lib/windowing/triggers/event-time-trigger.ts';
import { ReducingStateDescriptor, ValueStateDescriptor, type Collector, type ReducingState, type TimeWindow } from '../../lib/index.ts';
import { TumblingEventTimeWindows } from '../../lib/windowing/assigners/tumbling-windows.ts';
import type { ProcessWindowContext } from '../../lib/windowing/process-window-function.ts';
import type { Trigger, TriggerContext } from '../../lib/windowing/triggers/trigger.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

describe('window operator state', () => {
  test('countWindow(n) (GlobalWindows + PurgingTrigger(CountTrigger)) holds no window for a key after it fired and purged', () => {
    const op = new WindowOperator<[string, number], never, [string, number], string, never>({
      assigner: GlobalWindows.create() as never,
      trigger: PurgingTrigger.of(CountTrigger.of(2)) as never,
      allowedLateness: 0,
      fn: { kind: 'reduce', reduce: (a: [string, number], b: [string, number]) => [a[0], a[1] + b[1]] as [string, number] },
    });
    const h = new KeyedOneInputStreamOperatorTestHarness(op, (x: [string, number]) => x[0]);
    h.open();
    for (let k = 0; k < 100; k++) {
      h.processElement([`k${k}`, 1], 0);
      h.processElement([`k${k}`, 1], 0);
    }
    expect(h.extractOutputValues().length).toBe(100);
    // Flink: the purge clears the window contents and CountTrigger clears its count: nothing is left per key.
    expect(op.numWindows()).toBe(0);
  });
});

describe('session window late merge', () => {
  test('a late element within allowed lateness bridging two fired sessions re-fires the merged session', () => {
    const op = new WindowOperator<[string, number], never, string, string, never>({
      assigner: EventTimeSessionWindows.withGap(10) as never,
      trigger: EventTimeTrigger.create() as never,
      allowedLateness: 100,
      fn: { kind: 'process', process: ((_k: string, ctx: { window(): { start: number; end: number } }, els: [string, number][], out: Collector<string>) => out.collect(`${ctx.window().start}-${ctx.window().end}:${els.map((e) => e[1]).join(',')}`)) as never },
    });
    const h = new KeyedOneInputStreamOperatorTestHarness(op, (x: [string, number]) => x[0]);
    h.open();
    h.processElement(['k', 0], 0);
    h.processElement(['k', 20], 20);
    h.processWatermark(50);
    h.processElement(['k', 10], 10);
    h.processWatermark(1000);
    expect(h.extractOutputValues()).toEqual(['0-10:0', '20-30:20', '0-30:0,20,10']);
    expect(op.numWindows()).toBe(0);
  });
});

describe('per-window state', () => {
  test("a window function's windowState and globalState of one name are two states, each addressing its own scope", () => {
    const d = new ValueStateDescriptor<number>('seen');
    const op = new WindowOperator<[string, number], never, number[], string, never>({
      assigner: TumblingEventTimeWindows.of(10) as never,
      trigger: EventTimeTrigger.create() as never,
      allowedLateness: 100,
      fn: {
        kind: 'process',
        process: ((_k: string, ctx: ProcessWindowContext<TimeWindow>, _els: unknown[], out: Collector<number[]>) => {
          const perWindow = ctx.windowState().getState(d);
          const perKey = ctx.globalState().getState(d);
          perWindow.update((perWindow.value() ?? 0) + 1);
          perKey.update((perKey.value() ?? 0) + 10);
          out.collect([ctx.window().start, perWindow.value()!, perKey.value()!]);
        }) as never,
      },
    });
    const h = new KeyedOneInputStreamOperatorTestHarness(op, (x: [string, number]) => x[0]);
    h.open();
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
    const op = new WindowOperator<[string, number], never, string, string, never>({
      assigner: TumblingEventTimeWindows.of(10) as never,
      trigger: new CachingCountTrigger() as never,
      allowedLateness: 0,
      fn: { kind: 'process', process: ((_k: string, ctx: { window(): TimeWindow }, els: [string, number][], out: Collector<string>) => out.collect(`${ctx.window().start}:${els.map((e) => e[1]).join(',')}`)) as never },
    });
    const h = new KeyedOneInputStreamOperatorTestHarness(op, (x: [string, number]) => x[0]);
    h.open();
    for (const ts of [1, 11, 2, 12]) h.processElement(['k', ts], ts);
    expect(h.extractOutputValues()).toEqual(['0:1,2', '10:11,12']);
  });
});
