import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RichSinkFunction, StreamExecutionEnvironment, WatermarkStrategy, type SinkFunctionContext } from '../../lib/index.ts';
import { rejection } from '../helpers.ts';

interface Seen {
  value: number;
  timestamp: number | null;
  watermark: number;
}

describe('addSink(SinkFunction) (Flink\'s SinkFunction / RichSinkFunction)', () => {
  it('invokes the function once per record, with its timestamp and the watermark before it, at every parallelism', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), async (input, p) => {
        const seen: Seen[] = [];
        const watermarks: number[] = [];
        const env = StreamExecutionEnvironment.create().setParallelism(p);
        const sorted = [...input].sort((a, b) => a - b);
        env
          .fromCollection(sorted)
          .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x))
          .addSink(
            {
              invoke(value: number, ctx: SinkFunctionContext) {
                seen.push({ value, timestamp: ctx.timestamp(), watermark: ctx.currentWatermark() });
              },
              writeWatermark(wm: number) {
                watermarks.push(wm);
              },
            },
            'recording sink',
          );
        await env.execute();
        expect(seen.map((s) => s.value).sort((a, b) => a - b)).toEqual(sorted);
        for (const s of seen) {
          expect(s.timestamp).toBe(s.value);
          expect(s.watermark).toBeLessThan(s.value); // monotonous: the watermark is below every later record
        }
        expect(watermarks.at(-1)).toBe(Number.POSITIVE_INFINITY); // the end of input (MAX_WATERMARK)
      }),
      { numRuns: 25 },
    );
  });

  it('a plain function works as the sink; records without a timestamp give null', async () => {
    const seen: Array<[string, number | null]> = [];
    const env = StreamExecutionEnvironment.create();
    env.fromElements('a', 'b').addSink((v: string, ctx) => {
      seen.push([v, ctx.timestamp()]);
      expect(ctx.currentProcessingTime()).toBeGreaterThan(1.6e12);
    });
    await env.execute();
    expect(seen).toEqual([
      ['a', null],
      ['b', null],
    ]);
  });

  it('a RichSinkFunction is opened with its runtime context, finished at the end of input, then closed — each subtask its own copy', async () => {
    const events: string[] = [];
    class Counting extends RichSinkFunction<number> {
      count = 0;
      override open(): void {
        events.push(`open ${this.getRuntimeContext().getIndexOfThisSubtask()}`);
      }
      invoke(): void {
        this.count++;
      }
      finish(): void {
        events.push(`finish ${this.getRuntimeContext().getIndexOfThisSubtask()} ${this.count}`);
      }
      override close(): void {
        events.push(`close ${this.getRuntimeContext().getIndexOfThisSubtask()}`);
      }
    }
    const env = StreamExecutionEnvironment.create().setParallelism(2);
    env.fromCollection([1, 2, 3, 4, 5, 6]).rebalance().addSink(new Counting());
    await env.execute();
    for (const i of [0, 1]) {
      const mine = events.filter((e) => e.split(' ')[1] === String(i));
      expect(mine.map((e) => e.split(' ')[0])).toEqual(['open', 'finish', 'close']);
    }
    const counts = events.filter((e) => e.startsWith('finish')).map((e) => Number(e.split(' ')[2]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('finish() is not called when the job fails, and the failure names the sink', async () => {
    const events: string[] = [];
    const env = StreamExecutionEnvironment.create();
    env.fromElements(1, 2, 3).addSink(
      {
        invoke(v: number) {
          if (v === 2) throw new Error('disk full');
          events.push(`invoke ${v}`);
        },
        finish() {
          events.push('finish');
        },
      },
      'failing sink',
    );
    const err = await rejection(env.execute());
    expect(String((err as Error).message) + String((err as Error).cause)).toMatch(/disk full/);
    expect(String(err) + JSON.stringify(err, Object.getOwnPropertyNames(err))).toMatch(/failing sink/);
    expect(events).toEqual(['invoke 1']);
  });

  it('an async invoke is refused (nobody would wait for its writes): the job fails instead of ending early', async () => {
    const env = StreamExecutionEnvironment.create();
    env.fromElements(1).addSink(async () => {});
    await expect(env.execute()).rejects.toThrow(/invoke\(\) returns a Promise[\s\S]*sinkTo/);
    const env2 = StreamExecutionEnvironment.create();
    env2.fromElements(1).addSink({ invoke: () => Promise.resolve() as unknown as void });
    await expect(env2.execute()).rejects.toThrow(/invoke\(\) returns a Promise/);
  });
});
