/**
 * Every method that is optional for a user function (open, close, setRuntimeContext of a rich
 * function; clear of a window function; onTimer of keyed process functions; timeout of an async
 * function; processTimedOutMatch of a CEP function; canMerge/onMerge of a trigger) may be missing
 * from a plain object, as a JavaScript user or a test writes one: the job runs, and calls the
 * method where it is present. One case per kind of function.
 */
import { describe, expect, test } from 'vitest';
import {
  AsyncDataStream,
  EventTimeSessionWindows,
  MapStateDescriptor,
  ProcessAllWindowFunction,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type DataStream,
  type KeyedStream,
  type ProcessWindowContext,
  type TimeWindow,
  type Trigger,
} from '../../lib/index.ts';
import { CEP, Pattern } from '../../lib/api/cep/index.ts';
import { rejection } from '../helpers.ts';

type Ev = { key: string; v: number; ts: number };
const EVENTS: Ev[] = [
  { key: 'a', v: 1, ts: 10 },
  { key: 'b', v: 2, ts: 20 },
  { key: 'a', v: 3, ts: 30 },
  { key: 'a', v: 4, ts: 250 },
];

function events(): DataStream<Ev> {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 4 });
  return env.fromCollection(EVENTS).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts));
}
const keyed = (): KeyedStream<Ev, string> => events().keyBy((e) => e.key);

/** A plain object typed as whatever the API wants: the point is that it lacks the optional methods. */
function plain(methods: object): never {
  return methods as never;
}

const sortAll = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

const windowOut = (key: string, ctx: ProcessWindowContext<TimeWindow>, els: unknown[], out: Collector<string>): void =>
  out.collect(`${key}@${ctx.window().start}:${JSON.stringify(els)}`);

const sumAgg = { createAccumulator: () => 0, add: (e: Ev, acc: number) => acc + e.v, getResult: (acc: number) => acc, merge: (a: number, b: number) => a + b };

const CASES: Array<{ kind: string; run: () => Promise<unknown[]>; expected: unknown[] }> = [
  {
    kind: 'ProcessWindowFunction without clear/open/close (window.process)',
    run: () => keyed().window(TumblingEventTimeWindows.of(100)).process(plain({ process: windowOut })).executeAndCollect(),
    expected: ['a@0:[{"key":"a","v":1,"ts":10},{"key":"a","v":3,"ts":30}]', 'b@0:[{"key":"b","v":2,"ts":20}]', 'a@200:[{"key":"a","v":4,"ts":250}]'],
  },
  {
    kind: 'ProcessWindowFunction without clear after reduce',
    run: () => keyed().window(TumblingEventTimeWindows.of(100)).reduce((x, y) => ({ ...x, v: x.v + y.v }), plain({ process: (k: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<string>) => out.collect(`${k}@${ctx.window().start}=${els[0]!.v}`) })).executeAndCollect(),
    expected: ['a@0=4', 'b@0=2', 'a@200=4'],
  },
  {
    kind: 'ProcessWindowFunction without clear after aggregate (session windows)',
    run: () => keyed().window(EventTimeSessionWindows.withGap(50)).aggregate(sumAgg, plain({ process: (k: string, _c: ProcessWindowContext<TimeWindow>, els: number[], out: Collector<string>) => out.collect(`${k}=${els[0]}`) })).executeAndCollect(),
    expected: ['a=4', 'b=2', 'a=4'],
  },
  {
    kind: 'ProcessAllWindowFunction without clear/open/close (windowAll.process)',
    run: () => events().windowAll(TumblingEventTimeWindows.of(100)).process(plain({ process: (_c: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<number>) => out.collect(els.length) })).executeAndCollect(),
    expected: [3, 1],
  },
  {
    kind: 'KeyedProcessFunction without onTimer (timers registered)',
    run: () =>
      keyed()
        .process(
          plain({
            processElement(e: Ev, ctx: { timerService(): { registerEventTimeTimer(t: number): void } }, out: Collector<number>) {
              ctx.timerService().registerEventTimeTimer(e.ts + 5);
              out.collect(e.v);
            },
          }),
        )
        .executeAndCollect(),
    expected: [1, 2, 3, 4],
  },
  {
    kind: 'ProcessFunction without open/close',
    run: () => events().process(plain({ processElement: (e: Ev, _c: unknown, out: Collector<number>) => out.collect(e.v * 10) })).executeAndCollect(),
    expected: [10, 20, 30, 40],
  },
  {
    kind: 'KeyedCoProcessFunction without onTimer (keyed connected streams, timers registered)',
    run: () => {
      const s = events();
      const t = s.getExecutionEnvironment().fromElements<Ev>({ key: 'b', v: 9, ts: 21 }).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts));
      type Ctx = { timerService(): { registerEventTimeTimer(t: number): void }; getCurrentKey(): string };
      return s
        .connect(t)
        .keyBy((e) => e.key, (e) => e.key)
        .process(
          plain({
            processElement1(e: Ev, ctx: Ctx, out: Collector<string>) {
              ctx.timerService().registerEventTimeTimer(e.ts + 1);
              out.collect(`1:${ctx.getCurrentKey()}:${e.v}`);
            },
            processElement2(e: Ev, ctx: Ctx, out: Collector<string>) {
              ctx.timerService().registerEventTimeTimer(e.ts + 1);
              out.collect(`2:${ctx.getCurrentKey()}:${e.v}`);
            },
          }),
        )
        .executeAndCollect();
    },
    expected: ['1:a:1', '1:b:2', '1:a:3', '1:a:4', '2:b:9'],
  },
  {
    kind: 'KeyedBroadcastProcessFunction without onTimer (keyed stream, timers registered)',
    run: () => {
      const k = keyed();
      const desc = new MapStateDescriptor<string, number>('factor');
      const rules = k.getExecutionEnvironment().fromElements<[string, number]>(['factor', 100]).broadcast(desc as MapStateDescriptor<unknown, unknown>);
      type Ctx = { timerService(): { registerEventTimeTimer(t: number): void } };
      return k
        .connect(rules)
        .process(
          plain({
            processElement(e: Ev, ctx: Ctx, out: Collector<number>) {
              ctx.timerService().registerEventTimeTimer(e.ts + 1);
              out.collect(e.v);
            },
            processBroadcastElement() {},
          }),
        )
        .executeAndCollect();
    },
    expected: [1, 2, 3, 4],
  },
  {
    kind: 'ProcessJoinFunction without open/close (interval join)',
    run: () => {
      const k = keyed();
      return k
        .intervalJoin(k)
        .between(0, 0)
        .process(plain({ processElement: (l: Ev, r: Ev, _c: unknown, out: Collector<string>) => out.collect(`${l.v}-${r.v}`) }))
        .executeAndCollect();
    },
    expected: ['1-1', '2-2', '3-3', '4-4'],
  },
  {
    kind: 'JoinFunction object without open/close (window join)',
    run: () => {
      const s = events();
      return s
        .join(s)
        .where((e) => e.key)
        .equalTo((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .apply(plain({ join: (l: Ev, r: Ev) => l.v * r.v }))
        .executeAndCollect();
    },
    expected: [1, 3, 3, 9, 4, 16],
  },
  {
    kind: 'MapFunction, FilterFunction, FlatMapFunction, KeySelector, ReduceFunction objects without open/close',
    run: () =>
      events()
        .map(plain({ map: (e: Ev) => ({ ...e, v: e.v * 2 }) }))
        .filter(plain({ filter: (e: Ev) => e.v > 2 }))
        .flatMap(plain({ flatMap: (e: Ev, out: Collector<Ev>) => out.collect(e) }))
        .keyBy(plain({ getKey: (e: Ev) => e.key }))
        .reduce(plain({ reduce: (x: Ev, y: Ev) => ({ ...x, v: x.v + y.v }) }))
        .map((e: unknown) => `${(e as Ev).key}:${(e as Ev).v}`)
        .executeAndCollect(),
    expected: ['b:4', 'a:6', 'a:14'],
  },
  {
    kind: 'CoProcessFunction without open/close (connected streams, not keyed)',
    run: () => {
      const s = events();
      return s
        .connect(s.map((e: Ev) => e.v))
        .process(
          plain({
            processElement1: (e: Ev, _c: unknown, out: Collector<string>) => out.collect(`1:${e.v}`),
            processElement2: (v: number, _c: unknown, out: Collector<string>) => out.collect(`2:${v}`),
          }),
        )
        .executeAndCollect();
    },
    expected: ['1:1', '1:2', '1:3', '1:4', '2:1', '2:2', '2:3', '2:4'],
  },
  {
    kind: 'BroadcastProcessFunction without open/close (stream not keyed)',
    run: () => {
      const s = events();
      const desc = new MapStateDescriptor<string, number>('factor');
      const rules = s.getExecutionEnvironment().fromElements<[string, number]>(['factor', 100]).broadcast(desc as MapStateDescriptor<unknown, unknown>);
      return s
        .connect(rules)
        .process(plain({ processElement: (e: Ev, _c: unknown, out: Collector<number>) => out.collect(e.v), processBroadcastElement() {} }))
        .executeAndCollect();
    },
    expected: [1, 2, 3, 4],
  },
  {
    kind: 'CoGroupFunction object without open/close (window coGroup)',
    run: () => {
      const s = events();
      return s
        .coGroup(s)
        .where((e) => e.key)
        .equalTo((e) => e.key)
        .window(TumblingEventTimeWindows.of(100))
        .apply(plain({ coGroup: (ls: Ev[], rs: Ev[], out: Collector<string>) => out.collect(`${ls.length}x${rs.length}`) }))
        .executeAndCollect();
    },
    expected: ['2x2', '1x1', '1x1'],
  },
  {
    kind: 'AsyncFunction without timeout/open/close',
    run: () => AsyncDataStream.orderedWait(events(), plain({ asyncInvoke: (e: Ev, rf: { complete(r: number[]): void }) => rf.complete([e.v + 100]) }), 5000).executeAndCollect(),
    expected: [101, 102, 103, 104],
  },
  {
    kind: 'PatternProcessFunction without processTimedOutMatch/open/close (CEP)',
    run: () => {
      const pattern = Pattern.begin<Ev>('x').where((e) => e.v === 1).followedBy('y').where((e) => e.v === 3).within(100);
      return CEP.pattern(keyed(), pattern)
        .process(plain({ processMatch: (m: Record<string, Ev[]>, _c: unknown, out: Collector<string>) => out.collect(`${m.x![0]!.v}->${m.y![0]!.v}`) }))
        .executeAndCollect();
    },
    expected: ['1->3'],
  },
  {
    kind: 'Trigger without canMerge/onMerge (non-merging windows)',
    run: () => {
      const trigger: Trigger<Ev, TimeWindow> = plain({
        onElement: (_e: Ev, _t: number, w: TimeWindow, ctx: { registerEventTimeTimer(t: number): void }) => {
          ctx.registerEventTimeTimer(w.maxTimestamp());
          return 'CONTINUE';
        },
        onEventTime: (t: number, w: TimeWindow) => (t === w.maxTimestamp() ? 'FIRE' : 'CONTINUE'),
        onProcessingTime: () => 'CONTINUE',
        clear: () => {},
      });
      return keyed().window(TumblingEventTimeWindows.of(100)).trigger(trigger).process(plain({ process: windowOut })).executeAndCollect();
    },
    expected: ['a@0:[{"key":"a","v":1,"ts":10},{"key":"a","v":3,"ts":30}]', 'b@0:[{"key":"b","v":2,"ts":20}]', 'a@200:[{"key":"a","v":4,"ts":250}]'],
  },
];

describe('optional methods of user functions may be absent from plain objects', () => {
  test.each(CASES)('$kind', async ({ run, expected }) => {
    expect(sortAll(await run())).toEqual(sortAll(expected));
  });
});

describe('present optional methods are called', () => {
  test('windowAll: a ProcessAllWindowFunction gets its runtime context, open, clear and close', async () => {
    const calls: string[] = [];
    class Counting extends ProcessAllWindowFunction<Ev, string, TimeWindow> {
      override open(): void {
        calls.push(`open ${this.getRuntimeContext().getOperatorName()}`);
      }
      process(ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<string>): void {
        out.collect(`${ctx.window().start}:${els.length}`);
      }
      override clear(ctx: ProcessWindowContext<TimeWindow>): void {
        calls.push(`clear ${ctx.window().start}`);
      }
      override close(): void {
        calls.push('close');
      }
    }
    const out = await events().windowAll(TumblingEventTimeWindows.of(100)).process(new Counting()).name('All').executeAndCollect();
    expect(out.sort()).toEqual(['0:3', '200:1']);
    expect(calls).toEqual(['open All', 'clear 0', 'clear 200', 'close']);
  });

  test('a plain object with clear and onTimer: both are called', async () => {
    const cleared: number[] = [];
    const windows = await keyed()
      .window(TumblingEventTimeWindows.of(100))
      .process(plain({ process: windowOut, clear: (ctx: ProcessWindowContext<TimeWindow>) => cleared.push(ctx.window().start) }))
      .executeAndCollect();
    expect(windows).toHaveLength(3);
    expect(cleared.sort((a, b) => a - b)).toEqual([0, 0, 200]);
    const fired = await keyed()
      .process(
        plain({
          processElement: (e: Ev, ctx: { timerService(): { registerEventTimeTimer(t: number): void } }) => ctx.timerService().registerEventTimeTimer(e.ts + 5),
          onTimer: (t: number, _c: unknown, out: Collector<number>) => out.collect(t),
        }),
      )
      .executeAndCollect();
    expect(fired.sort((a, b) => (a as number) - (b as number))).toEqual([15, 25, 35, 255]);
  });

  test('a plain object missing a required method gets a clear error', async () => {
    const noProcess = await rejection(keyed().window(TumblingEventTimeWindows.of(100)).process(plain({ clear() {} })).executeAndCollect());
    expect(String(noProcess)).toMatch(/The window function must be a function or an object with a process\(\) method/);
    const noElement = await rejection(keyed().process(plain({ onTimer() {} })).executeAndCollect());
    expect(String(noElement)).toMatch(/process\(\) must be a function or an object with a processElement\(\) method/);
  });
});
