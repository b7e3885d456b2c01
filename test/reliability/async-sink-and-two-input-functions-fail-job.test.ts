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
  type Collector,
} from '../../lib/index.ts';
import { causeChain, rejection } from '../helpers.ts';

const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

function asyncCause(e: unknown): AsyncFunctionResultError | undefined {
  return causeChain(e).find((c) => c instanceof AsyncFunctionResultError) as AsyncFunctionResultError | undefined;
}

describe('an async function where a synchronous one is called (sinks, two inputs, reduce)', () => {
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
