/**
 * The window operator's keyed state has one space of names (as in Flink): its own states
 * ('window-contents', 'merging-window-set'), the trigger's, and the window function's. A user's state
 * named like another user's would silently share it (the window's contents, the session windows'
 * set): the operator refuses it at first use, with an error naming both.
 */
import { describe, expect, test } from 'vitest';
import { WindowOperator } from '../../lib/windowing/window-operator.ts';
import type { WindowFunctionSpec } from '../../lib/windowing/abstract-window-operator.ts';
import { TumblingEventTimeWindows } from '../../lib/windowing/assigners/tumbling-windows.ts';
import { EventTimeSessionWindows } from '../../lib/windowing/assigners/session-windows.ts';
import { CountTrigger } from '../../lib/windowing/triggers/count-trigger.ts';
import type { Trigger } from '../../lib/windowing/triggers/trigger.ts';
import type { WindowAssigner } from '../../lib/windowing/assigners/window-assigner.ts';
import type { TimeWindow } from '../../lib/windowing/windows.ts';
import { ProcessWindowFunction, type ProcessWindowContext } from '../../lib/windowing/process-window-function.ts';
import { ListStateDescriptor, ValueStateDescriptor, type Collector } from '../../lib/index.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

type Ev = { k: string; v: number };

function harness(assigner: WindowAssigner<Ev, TimeWindow>, trigger: Trigger<Ev, TimeWindow>, fn: WindowFunctionSpec<Ev, unknown, unknown, string, TimeWindow>) {
  return new KeyedOneInputStreamOperatorTestHarness<string, Ev, unknown>(new WindowOperator<Ev, unknown, unknown, string, TimeWindow>({ assigner, trigger, allowedLateness: 0, fn }), (e) => e.k);
}

const tumbling = TumblingEventTimeWindows.of<Ev>(10);

describe('state names of the window operator', () => {
  test("the window function's windowState() cannot take the name of the window's contents (it would add to the window's elements)", () => {
    const contents = new ListStateDescriptor<unknown>('window-contents');
    const h = harness(tumbling, CountTrigger.of(1), {
      kind: 'process',
      process: (_k: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<unknown>) => {
        ctx.windowState().getListState(contents).add({ value: { k: 'x', v: 99 }, timestamp: 0 });
        out.collect(els.map((e) => e.v).join());
      },
    });
    expect(() => h.processElement({ k: 'a', v: 1 }, 1)).toThrow(
      "State 'window-contents' is used by the window operator itself, so the window function's windowState() cannot use that name too (they would share one state): the names 'window-contents' and 'merging-window-set' are the window operator's own: give your state another name",
    );
  });

  test("the window function's globalState() cannot take the name of the session windows' set", () => {
    const set = new ListStateDescriptor<number>('merging-window-set');
    const h = harness(EventTimeSessionWindows.withGap<Ev>(5), EventTimeSessionWindows.withGap<Ev>(5).getDefaultTrigger(), {
      kind: 'process',
      process: (_k: string, ctx: ProcessWindowContext<TimeWindow>, _els: Ev[], out: Collector<unknown>) => {
        ctx.globalState().getListState(set).add(99);
        out.collect('fired');
      },
    });
    h.processElement({ k: 'a', v: 1 }, 1);
    expect(() => h.processWatermark(100)).toThrow("State 'merging-window-set' is used by the window operator itself, so the window function's globalState() cannot use that name too");
  });

  test("a name of the trigger's state is refused to the window function with both named, not as a clash of state kinds", () => {
    const count = new ValueStateDescriptor<number>('count');
    const h = harness(tumbling, CountTrigger.of(2), {
      kind: 'process',
      process: (_k: string, ctx: ProcessWindowContext<TimeWindow>, _els: Ev[], out: Collector<unknown>) => {
        ctx.windowState().getState(count).update(1);
        out.collect('fired');
      },
    });
    h.processElement({ k: 'a', v: 1 }, 1);
    expect(() => h.processElement({ k: 'a', v: 2 }, 2)).toThrow(
      "State 'count' is used by the window's trigger, so the window function's windowState() cannot use that name too (they would share one state): give one of them another name",
    );
  });

  test("the runtime context of a rich window function cannot take the operator's names nor those of its windowState()", () => {
    class Rich extends ProcessWindowFunction<Ev, string, string, TimeWindow> {
      constructor(private readonly name: string, private readonly alsoPerWindow: boolean) {
        super();
      }
      process(_k: string, ctx: ProcessWindowContext<TimeWindow>, _els: Ev[], out: Collector<string>): void {
        if (this.alsoPerWindow) ctx.windowState().getState(new ValueStateDescriptor<number>(this.name)).update(1);
        this.getRuntimeContext().getState(new ValueStateDescriptor<number>(this.name)).update(1);
        out.collect('fired');
      }
    }
    const contents = harness(tumbling, tumbling.getDefaultTrigger(), { kind: 'process', process: new Rich('window-contents', false) });
    contents.processElement({ k: 'a', v: 1 }, 1);
    expect(() => contents.processWatermark(100)).toThrow("State 'window-contents' is used by the window operator itself, so the window function's getRuntimeContext() cannot use that name too");
    const perWindow = harness(tumbling, tumbling.getDefaultTrigger(), { kind: 'process', process: new Rich('seen', true) });
    perWindow.processElement({ k: 'a', v: 1 }, 1);
    expect(() => perWindow.processWatermark(100)).toThrow("State 'seen' is used by the window function's windowState(), so the window function's getRuntimeContext() cannot use that name too");
  });

  test("windowState() and globalState() may share a name: each addresses its own scope", () => {
    const seen = new ValueStateDescriptor<number>('seen');
    const h = harness(tumbling, tumbling.getDefaultTrigger(), {
      kind: 'process',
      process: (k: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<unknown>) => {
        const w = ctx.windowState().getState(seen);
        const g = ctx.globalState().getState(seen);
        w.update((w.value() ?? 0) + els.length);
        g.update((g.value() ?? 0) + els.length);
        out.collect(`${k} ${ctx.window().start}: ${w.value()}/${g.value()}`);
      },
    });
    h.processElement({ k: 'a', v: 1 }, 1);
    h.processElement({ k: 'a', v: 1 }, 2);
    h.processElement({ k: 'a', v: 1 }, 12);
    h.processWatermark(100);
    expect(h.extractOutputValues()).toEqual(['a 0: 2/2', 'a 10: 1/3']);
  });
});

describe('per-window state of merging windows', () => {
  test("windowState() of session windows is refused, as in Flink: merging them would silently drop it", () => {
    const firings = new ValueStateDescriptor<number>('firings');
    const sessions = EventTimeSessionWindows.withGap<Ev>(5);
    const h = harness(sessions, CountTrigger.of(2), {
      kind: 'process',
      process: (_k: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<unknown>) => {
        const n = ctx.windowState().getState(firings);
        n.update((n.value() ?? 0) + 1);
        out.collect(`#${n.value()}: ${els.length}`);
      },
    });
    h.processElement({ k: 'a', v: 1 }, 1);
    expect(() => h.processElement({ k: 'a', v: 1 }, 2)).toThrow(
      "windowState() is not available with merging windows (session windows): their windows merge, and per-window state ('firings') cannot be merged; use globalState(), or keep what you need in the window's contents (an aggregate)",
    );
  });
});
