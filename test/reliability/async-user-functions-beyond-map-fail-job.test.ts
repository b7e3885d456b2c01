/**
 * The other synchronous user-function entry points, as map/filter/flatMap/process: an `async` sink
 * writer's write(), two-input functions (CoFlatMap, CoProcess, KeyedCoProcess, keyed broadcast) and a
 * reduce fail the job with AsyncFunctionResultError. Before, nobody waited for their Promises: an async
 * write() could still be running (or fail) after execute() resolved, a CoFlatMap/CoProcess collected
 * its output after its record was done with (or after the job ended), a reduce kept a Promise as state.
 */
import { describe, expect, test } from 'vitest';
import {
  AsyncFunctionResultError,
  CoProcessFunction,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  MapStateDescriptor,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type KeyedStream,
} from '../../lib/index.ts';
import { CEP, Pattern } from '../../lib/api/cep/index.ts';
import { causeChain, rejection } from '../helpers.ts';

const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

function asyncCause(e: unknown): AsyncFunctionResultError | undefined {
  return causeChain(e).find((c) => c instanceof AsyncFunctionResultError) as AsyncFunctionResultError | undefined;
}

describe('an async function where a synchronous one is called (sinks, two inputs, reduce, windows, joins, CEP)', () => {
  test('a sink writer with an async write(): execute() rejects, not resolves before the writes settled', async () => {
    const env = StreamExecutionEnvironment.create();
    const written: number[] = [];
    env.fromElements(1, 2, 3).sinkTo({
      createWriter: () => ({
        async write(x: number) {
          await later();
          written.push(x);
        },
        flush() {},
        close() {},
      }),
    } as never);
    const cause = asyncCause(await rejection(env.execute('async write')));
    expect(cause?.functionName).toBe('SinkWriter.write()');
    expect(cause?.message).toContain('flush()');
  });

  test('a CoFlatMapFunction with an async flatMap1', async () => {
    const env = StreamExecutionEnvironment.create();
    const out = env
      .fromElements(1, 2)
      .connect(env.fromElements('a'))
      .flatMap({
        flatMap1: (async (x: number, c: Collector<string>) => {
          await later();
          c.collect(String(x));
        }) as never,
        flatMap2: (s: string, c: Collector<string>) => c.collect(s),
      })
      .executeAndCollect();
    expect(asyncCause(await rejection(out))?.functionName).toBe('CoFlatMapFunction.flatMap1()');
  });

  test('a CoMapFunction with an async map2 is refused when the job is built', () => {
    const env = StreamExecutionEnvironment.create();
    let thrown: unknown;
    try {
      env
        .fromElements(1)
        .connect(env.fromElements('a'))
        .map({ map1: (x: number) => String(x), map2: (async (s: string) => s) as never });
    } catch (e) {
      thrown = e;
    }
    expect(asyncCause(thrown)?.functionName).toBe('CoMapFunction.map2()');
  });

  test('a CoProcessFunction and a KeyedCoProcessFunction with an async processElement2', async () => {
    for (const keyed of [false, true]) {
      const env = StreamExecutionEnvironment.create();
      const fn = keyed
        ? new (class extends KeyedCoProcessFunction<number, number, number, number> {
            processElement1(x: number, _ctx: never, out: Collector<number>): void {
              out.collect(x);
            }
            async processElement2(x: number, _ctx: never, out: Collector<number>): Promise<void> {
              await later();
              out.collect(x);
            }
          })()
        : new (class extends CoProcessFunction<number, number, number> {
            processElement1(x: number, _ctx: never, out: Collector<number>): void {
              out.collect(x);
            }
            async processElement2(x: number, _ctx: never, out: Collector<number>): Promise<void> {
              await later();
              out.collect(x);
            }
          })();
      const connected = env.fromElements(1).connect(env.fromElements(2));
      const out = (keyed ? connected.keyBy((x) => x, (x) => x) : connected).process(fn as never).executeAndCollect();
      expect(asyncCause(await rejection(out))?.functionName).toBe('CoProcessFunction.processElement2()');
    }
  });

  test('a KeyedBroadcastProcessFunction with an async processBroadcastElement', async () => {
    const env = StreamExecutionEnvironment.create();
    const limits = new MapStateDescriptor<string, number>('limits');
    const out = env
      .fromElements(1, 2)
      .keyBy((x) => x)
      .connect(env.fromElements(50).broadcast(limits))
      .process(
        new (class extends KeyedBroadcastProcessFunction<number, number, number, number> {
          processElement(x: number, _ctx: never, out: Collector<number>): void {
            out.collect(x);
          }
          async processBroadcastElement(limit: number, ctx: { getBroadcastState(d: MapStateDescriptor<string, number>): { put(k: string, v: number): void } }): Promise<void> {
            await later();
            ctx.getBroadcastState(limits).put('limit', limit);
          }
        })() as never,
      )
      .executeAndCollect();
    expect(asyncCause(await rejection(out))?.functionName).toBe('BroadcastProcessFunction.processBroadcastElement()');
  });

  test('an async reduce (a function or a ReduceFunction object)', async () => {
    for (const reducer of [async (a: number, b: number) => a + b, { reduce: async (a: number, b: number) => a + b }]) {
      const env = StreamExecutionEnvironment.create();
      const out = env
        .fromElements(1, 2, 3)
        .keyBy(() => 'all')
        .reduce(reducer as never)
        .executeAndCollect();
      expect(asyncCause(await rejection(out))?.functionName).toBe('reduce()');
    }
  });

  test('synchronous sinks, two-input functions and reduces still run', async () => {
    const env = StreamExecutionEnvironment.create();
    const sums = await env
      .fromElements(1, 2)
      .connect(env.fromElements(10))
      .flatMap({ flatMap1: (x: number, c: Collector<number>) => c.collect(x), flatMap2: (x: number, c: Collector<number>) => c.collect(x) })
      .keyBy(() => 'all')
      .reduce((a, b) => a + b)
      .executeAndCollect();
    expect(Math.max(...sums)).toBe(13);
  });
});

type Ev = { key: string; v: number };
function keyed(): KeyedStream<Ev, string> {
  const env = StreamExecutionEnvironment.create();
  return env
    .fromElements<Ev>({ key: 'a', v: 1 }, { key: 'a', v: 3 }, { key: 'b', v: 2 })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.v))
    .keyBy((e) => e.key);
}
const asyncCollect = async (out: Collector<unknown>): Promise<void> => {
  await later();
  out.collect('late');
};

describe('async window, join and CEP functions', () => {
  test('a ProcessWindowFunction and a ProcessAllWindowFunction (function or object): the job fails when the window fires', async () => {
    const runs = [
      () => keyed().window(TumblingEventTimeWindows.of(100)).process(async (_k: string, _c: unknown, _els: Ev[], out: Collector<unknown>) => asyncCollect(out)),
      () => keyed().windowAll(TumblingEventTimeWindows.of(100)).process(async (_c: unknown, _els: Ev[], out: Collector<unknown>) => asyncCollect(out)),
      () => keyed().windowAll(TumblingEventTimeWindows.of(100)).process({ process: async (_c: unknown, _els: Ev[], out: Collector<unknown>) => asyncCollect(out) } as never),
    ];
    for (const run of runs) {
      expect(asyncCause(await rejection(run().executeAndCollect()))?.functionName).toBe('ProcessWindowFunction.process()');
    }
  });

  test('a window reduce or an AggregateFunction with an async add is refused when the job is built', () => {
    const thrown = (build: () => unknown): unknown => {
      try {
        build();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const window = () => keyed().window(TumblingEventTimeWindows.of(100));
    expect(asyncCause(thrown(() => window().reduce((async (a: Ev) => a) as never)))?.functionName).toBe('reduce()');
    const aggregate = { createAccumulator: () => 0, add: async (e: Ev, acc: number) => acc + e.v, getResult: (acc: number) => acc, merge: (a: number, b: number) => a + b };
    expect(asyncCause(thrown(() => window().aggregate(aggregate as never)))?.functionName).toBe('AggregateFunction.add()');
  });

  test('a window join (async join) is refused when built; an async coGroup and interval join ProcessJoinFunction fail the job', async () => {
    const a = keyed();
    const joined = () => a.join(a).where((e) => e.key).equalTo((e) => e.key).window(TumblingEventTimeWindows.of(100));
    let thrown: unknown;
    try {
      joined().apply((async (l: Ev) => l) as never);
    } catch (e) {
      thrown = e;
    }
    expect(asyncCause(thrown)?.functionName).toBe('join()');
    const b = keyed();
    const coGrouped = b.coGroup(b).where((e) => e.key).equalTo((e) => e.key).window(TumblingEventTimeWindows.of(100));
    const cg = coGrouped.apply((async (_l: Ev[], _r: Ev[], out: Collector<unknown>) => asyncCollect(out)) as never);
    expect(asyncCause(await rejection(cg.executeAndCollect()))?.functionName).toBe('coGroup()');
    const c = keyed();
    const ij = c
      .intervalJoin(c)
      .between(0, 0)
      .process({ processElement: async (_l: Ev, _r: Ev, _c: unknown, out: Collector<unknown>) => asyncCollect(out) } as never);
    expect(asyncCause(await rejection(ij.executeAndCollect()))?.functionName).toBe('ProcessJoinFunction.processElement()');
  });

  test('CEP: an async select is refused when built; an async processMatch or flatSelect fails the job at the first match', async () => {
    const pattern = () => Pattern.begin<Ev>('x').where((e) => e.v >= 1);
    let thrown: unknown;
    try {
      CEP.pattern(keyed(), pattern()).select((async (m: unknown) => m) as never);
    } catch (e) {
      thrown = e;
    }
    expect(asyncCause(thrown)?.functionName).toBe('The pattern select() function');
    const processed = CEP.pattern(keyed(), pattern()).process((async (_m: unknown, _c: unknown, out: Collector<unknown>) => asyncCollect(out)) as never);
    expect(asyncCause(await rejection(processed.executeAndCollect()))?.functionName).toBe('The pattern processMatch() / flatSelect() function');
    const flat = CEP.pattern(keyed(), pattern()).flatSelect((async (_m: unknown, out: Collector<unknown>) => asyncCollect(out)) as never);
    expect(asyncCause(await rejection(flat.executeAndCollect()))?.functionName).toBe('The pattern processMatch() / flatSelect() function');
  });

  test('synchronous window, join and CEP functions still run', async () => {
    const windows = await keyed()
      .window(TumblingEventTimeWindows.of(100))
      .process((k: string, _c: unknown, els: Ev[], out: Collector<string>) => out.collect(`${k}:${els.length}`))
      .executeAndCollect();
    expect(windows.sort()).toEqual(['a:2', 'b:1']);
    const matches = await CEP.pattern(keyed(), Pattern.begin<Ev>('x').where((e) => e.v === 3))
      .flatSelect((m: Record<string, Ev[]>, out: Collector<number>) => out.collect(m.x![0]!.v))
      .executeAndCollect();
    expect(matches).toEqual([3]);
  });

  test('an async onTimer of a KeyedProcessFunction or KeyedCoProcessFunction fails the job when the timer fires', async () => {
    type Timers = { timerService(): { registerEventTimeTimer(t: number): void } };
    const onTimer = async (_ts: number, _ctx: unknown, out: Collector<unknown>): Promise<void> => asyncCollect(out);
    const single = keyed()
      .process({ processElement: (e: Ev, ctx: Timers) => ctx.timerService().registerEventTimeTimer(e.v + 10), onTimer } as never)
      .executeAndCollect();
    expect(asyncCause(await rejection(single))?.functionName).toBe('KeyedProcessFunction.onTimer()');
    const a = keyed();
    const two = a
      .connect(a)
      .keyBy((e) => e.key, (e) => e.key)
      .process({
        processElement1: (e: Ev, ctx: Timers) => ctx.timerService().registerEventTimeTimer(e.v + 10),
        processElement2: () => {},
        onTimer,
      } as never)
      .executeAndCollect();
    expect(asyncCause(await rejection(two))?.functionName).toBe('KeyedProcessFunction.onTimer()');
  });
});
