/** Side outputs (OutputTag, ctx.output, getSideOutput): chained and across the network, watermarks included. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  KeyedProcessFunction,
  OutputTag,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ProcessContext,
} from '../../lib/index.ts';

const odd = new OutputTag<number>('odd');
const big = new OutputTag<string>('big');

function split(v: number, ctx: ProcessContext, out: Collector<number>): void {
  if (v % 2 === 0) out.collect(v);
  else ctx.output(odd, v);
  if (v > 90) ctx.output(big, `big:${v}`);
}

describe('side outputs', () => {
  test('main and side outputs partition the input, chained or across a keyBy, at any parallelism', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 80 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), async (input, p, viaKeyBy) => {
        const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
        const evensOut: number[] = [];
        const oddsOut: number[] = [];
        const bigsOut: string[] = [];
        const main = env.fromCollection(input).process(split);
        const odds = main.getSideOutput(odd);
        const oddSink = (viaKeyBy ? odds.keyBy((v) => v % 5).map((v) => v) : odds.map((v) => v)).toObservable();
        const bigSink = main.getSideOutput(big).toObservable();
        const evenSink = main.toObservable();
        evenSink.subscribe((v) => evensOut.push(v));
        oddSink.subscribe((v) => oddsOut.push(v));
        bigSink.subscribe((v) => bigsOut.push(v));
        await env.execute();
        expect(evensOut.sort((a, b) => a - b)).toEqual(input.filter((v) => v % 2 === 0).sort((a, b) => a - b));
        expect(oddsOut.sort((a, b) => a - b)).toEqual(input.filter((v) => v % 2 === 1).sort((a, b) => a - b));
        expect(bigsOut.sort()).toEqual(input.filter((v) => v > 90).map((v) => `big:${v}`).sort());
      }),
      { numRuns: 40 },
    );
  });

  test('a side output nobody reads is dropped; the main output is unaffected', async () => {
    const env = StreamExecutionEnvironment.create();
    expect(await env.fromElements(1, 2, 3, 4).process(split).executeAndCollect()).toEqual([2, 4]);
  });

  test('timers can emit to a side output, and watermarks reach side-output consumers', async () => {
    type Ev = { key: string; ts: number };
    const timeouts = new OutputTag<string>('timeouts');
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 2 });
    const main = env
      .fromElements<Ev>({ key: 'a', ts: 1 }, { key: 'b', ts: 2 }, { key: 'a', ts: 50 })
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
      .keyBy((e) => e.key)
      .process(
        new (class extends KeyedProcessFunction<string, Ev, string> {
          processElement(e: Ev, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
            out.collect(`seen ${e.key}@${e.ts}`);
            ctx.timerService().registerEventTimeTimer(e.ts + 10);
          }
          override onTimer(ts: number, ctx: OnTimerContext<string>): void {
            ctx.output(timeouts, `${ctx.getCurrentKey()} quiet at ${ts}`);
          }
        })(),
      );
    // The side stream feeds an event-time timer of its own: it fires only if watermarks flow there.
    const echoed = main
      .getSideOutput(timeouts)
      .keyBy((s) => s)
      .process(
        new (class extends KeyedProcessFunction<string, string, string> {
          processElement(s: string, ctx: KeyedProcessContext<string>): void {
            ctx.timerService().registerEventTimeTimer((ctx.timestamp() ?? 0) + 1);
          }
          override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
            out.collect(`${ctx.getCurrentKey()} (echo at ${ts})`);
          }
        })(),
      );
    const seen: string[] = [];
    main.toObservable().subscribe((s) => seen.push(s));
    const echoes = echoed.toObservable();
    const got: string[] = [];
    echoes.subscribe((s) => got.push(s));
    await env.execute();
    expect(seen.sort()).toEqual(['seen a@1', 'seen a@50', 'seen b@2']);
    expect(got.sort()).toEqual(['a quiet at 11 (echo at 12)', 'a quiet at 60 (echo at 61)', 'b quiet at 12 (echo at 13)']);
  });
});
