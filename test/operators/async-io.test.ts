/** Async I/O: ordered and unordered results, capacity, watermark order, timeouts and failures. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  AsyncDataStream,
  RichAsyncFunction,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type ResultFuture,
  type Sink,
  type SinkRecordContext,
  type WatermarkGenerator,
  type WatermarkOutput,
} from '../../lib/index.ts';
import { rejection } from '../helpers.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('async I/O', () => {
  test('orderedWait keeps input order whatever the completion order; calls in flight never exceed the capacity', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 5 }), async (delays, capacity) => {
        let inFlight = 0;
        let maxInFlight = 0;
        const env = StreamExecutionEnvironment.create();
        const input = delays.map((d, i) => ({ i, d }));
        const out = await AsyncDataStream.orderedWait(
          env.fromCollection(input),
          async (x: { i: number; d: number }) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await sleep(x.d);
            inFlight--;
            return `r${x.i}`;
          },
          '10 s',
          capacity,
        ).executeAndCollect();
        expect(out).toEqual(input.map((x) => `r${x.i}`));
        expect(maxInFlight).toBeLessThanOrEqual(capacity);
      }),
      { numRuns: 25 },
    );
  });

  test('unorderedWait emits every result once and never lets a record overtake a watermark', async () => {
    class Punctuated implements WatermarkGenerator<number> {
      onEvent(_e: number, ts: number, out: WatermarkOutput): void {
        if (ts % 5 === 0) out.emitWatermark(ts - 1);
      }
      onPeriodicEmit(): void {}
    }
    const seen: Array<{ v: string; ts: number | null; wm: number }> = [];
    const sink: Sink<string> = {
      createWriter: () => ({
        write: (v: string, ctx: SinkRecordContext) => void seen.push({ v, ts: ctx.timestamp(), wm: ctx.currentWatermark() }),
        flush() {},
        close() {},
      }),
    };
    const env = StreamExecutionEnvironment.create();
    env.getConfig().setAutoWatermarkInterval(1);
    const input = Array.from({ length: 40 }, (_, i) => i + 1);
    const stamped = env.fromCollection(input).assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => new Punctuated()).withTimestampAssigner((x) => x));
    AsyncDataStream.unorderedWait(stamped, async (x: number) => {
      await sleep((x * 7) % 5);
      return [`a${x}`, `b${x}`];
    }, '10 s', 8).sinkTo(sink);
    await env.execute();
    expect(seen.map((s) => s.v).sort()).toEqual(input.flatMap((x) => [`a${x}`, `b${x}`]).sort());
    for (const s of seen) expect(s.wm).toBeLessThan(s.ts!);
  });

  test('a call that times out fails the job, unless the function handles the timeout', async () => {
    const env = StreamExecutionEnvironment.create();
    const err = await rejection(AsyncDataStream.orderedWait(env.fromElements(1), () => new Promise<number>(() => {}), 20, 1).executeAndCollect());
    expect(String((err as Error).message)).toContain('Async function call has timed out.');

    class WithDefault extends RichAsyncFunction<number, string> {
      asyncInvoke(x: number, rf: ResultFuture<string>): void {
        if (x % 2 === 0) setTimeout(() => rf.complete([`ok${x}`]), 1);
        // odd inputs never answer
      }
      timeout(x: number, rf: ResultFuture<string>): void {
        rf.complete([`default${x}`]);
      }
    }
    const out = await AsyncDataStream.orderedWait(StreamExecutionEnvironment.create().fromElements(1, 2, 3), new WithDefault(), 20, 3).executeAndCollect();
    expect(out).toEqual(['default1', 'ok2', 'default3']);
  });

  test('a failing call fails the job with its error and the operator name', async () => {
    const env = StreamExecutionEnvironment.create();
    const err = await rejection(
      AsyncDataStream.unorderedWait(env.fromElements(1, 2), async (x: number) => {
        if (x === 2) throw new Error('lookup service down');
        return x;
      }, '1 s').executeAndCollect(),
    );
    expect(String((err as Error).message)).toMatch(/Async Wait \(unordered\).*lookup service down/);
  });
});
