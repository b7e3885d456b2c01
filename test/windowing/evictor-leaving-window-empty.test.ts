/**
 * An evictor that leaves a window with no elements does not silence the window (Flink's
 * EvictingWindowOperator calls the function whatever evictBefore left): a ProcessWindowFunction is
 * called with no elements, an aggregate emits the result of an empty accumulator; a reduce has no
 * result to emit (Flink's would pass on null).
 */
import { expect, test } from 'vitest';
import {
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type Evictor,
  type ProcessWindowContext,
  type TimeWindow,
  type TimestampedValue,
} from '../../lib/index.ts';

type Ev = { key: string; v: number; ts: number };

/** Evicts every element whose value is negative, before the function. */
class NegativeEvictor implements Evictor<Ev, TimeWindow> {
  evictBefore(elements: TimestampedValue<Ev>[]): void {
    for (let i = elements.length - 1; i >= 0; i--) if (elements[i]!.value.v < 0) elements.splice(i, 1);
  }
  evictAfter(): void {}
}

// Window [0, 10) holds only negative values, [10, 20) a mix.
const EVENTS: Ev[] = [
  { key: 'k', v: -1, ts: 1 },
  { key: 'k', v: -2, ts: 5 },
  { key: 'k', v: 3, ts: 12 },
  { key: 'k', v: -4, ts: 15 },
];

function windowed() {
  return StreamExecutionEnvironment.create({ 'parallelism.default': 1 })
    .fromCollection(EVENTS)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(10))
    .evictor(new NegativeEvictor());
}

const count: AggregateFunction<Ev, number, string> = {
  createAccumulator: () => 0,
  add: (_e, acc) => acc + 1,
  getResult: (acc) => `count ${acc}`,
  merge: (a, b) => a + b,
};

test('a ProcessWindowFunction is called for a window the evictor emptied, with no elements', async () => {
  const out = await windowed()
    .process((key: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], o: Collector<string>) => o.collect(`${key} [${ctx.window().getStart()}, ${ctx.window().getEnd()}): ${els.map((e) => e.v).join(',')}`))
    .executeAndCollect();
  expect(out).toEqual(['k [0, 10): ', 'k [10, 20): 3']);
});

test('an aggregate emits the empty accumulator\'s result for a window the evictor emptied', async () => {
  expect(await windowed().aggregate(count).executeAndCollect()).toEqual(['count 0', 'count 1']);
});

test('a reduce emits nothing for a window the evictor emptied', async () => {
  expect(await windowed().reduce((a, b) => ({ ...a, v: a.v + b.v })).executeAndCollect()).toEqual([{ key: 'k', v: 3, ts: 12 }]);
});
