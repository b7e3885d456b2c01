/**
 * A user function whose result becomes state (a keyed reduce, a window's reduce or AggregateFunction,
 * ReducingState and AggregatingState) and returns undefined fails the job, naming the operator, the
 * key and what was returned — instead of silently clearing the key's state so that the next record
 * starts a fresh aggregate. Every window operator strategy is covered: slices (tumbling, sliding,
 * allowed lateness; a sliding window's merge of its slices) and the general operator (an explicit
 * trigger, sessions, an evictor).
 */
import { describe, expect, test } from 'vitest';
import {
  AggregatingStateDescriptor,
  CountEvictor,
  EventTimeSessionWindows,
  EventTimeTrigger,
  InvalidFunctionResultError,
  JobExecutionException,
  KeyedProcessFunction,
  ReducingStateDescriptor,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TimeWindow,
  TumblingEventTimeWindows,
  UserCodeError,
  WatermarkStrategy,
  type AggregateFunction,
  type DataStream,
  type KeyedProcessContext,
  type KeyedStream,
  type Trigger,
} from '../../lib/index.ts';
import { causeChain, rejection } from '../helpers.ts';

type Ev = { key: string; v: number; ts: number };

// Key 'k' reaches a sum of 3 with its second record (where the broken functions return undefined);
// with a 5 ms session gap its first two records are two sessions that its third (1005) merges.
const EVENTS: Ev[] = [
  { key: 'k', v: 1, ts: 1000 },
  { key: 'j', v: 0, ts: 1001 },
  { key: 'k', v: 2, ts: 1010 },
  { key: 'k', v: 3, ts: 1005 },
];

function keyed(): KeyedStream<Ev, string> {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const events: DataStream<Ev> = env
    .fromCollection(EVENTS)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(100).withTimestampAssigner((e) => e.ts));
  return events.keyBy((e) => e.key);
}

/** Returns undefined (a forgotten return) once the running sum reaches 3. */
const badReduce = (a: Ev, b: Ev): Ev => (a.v + b.v >= 3 ? (undefined as unknown as Ev) : { ...a, v: a.v + b.v });

function sumAgg(broken: 'add' | 'createAccumulator' | 'merge'): AggregateFunction<Ev, { n: number }, number> {
  return {
    createAccumulator: () => (broken === 'createAccumulator' ? (undefined as unknown as { n: number }) : { n: 0 }),
    add: (e, acc) => (broken === 'add' && acc.n + e.v >= 3 ? (undefined as unknown as { n: number }) : { n: acc.n + e.v }),
    getResult: (acc) => acc.n,
    merge: (a, b) => (broken === 'merge' ? (undefined as unknown as { n: number }) : { n: a.n + b.n }),
  };
}

const tumbling = TumblingEventTimeWindows.of(60_000);

/** A trigger that counts elements in window state with a broken reduce function (undefined at 2). */
const seen = new ReducingStateDescriptor<number>('seen', (a, b) => (a + b >= 2 ? (undefined as unknown as number) : a + b));
const countingTrigger: Trigger<Ev, TimeWindow> = {
  onElement: (_e, _ts, w, ctx) => {
    ctx.getPartitionedState(seen).add(1);
    ctx.registerEventTimeTimer(w.maxTimestamp());
    return 'CONTINUE';
  },
  onEventTime: (t, w) => (t === w.maxTimestamp() ? 'FIRE' : 'CONTINUE'),
  onProcessingTime: () => 'CONTINUE',
  clear: (_w, ctx) => ctx.getPartitionedState(seen).clear(),
};
const CASES: Array<{ what: string; operator: string; fn: string; run: () => Promise<unknown> }> = [
  { what: 'KeyedStream.reduce', operator: 'Keyed Reduce', fn: 'reduce()', run: () => keyed().reduce(badReduce).executeAndCollect() },
  { what: 'KeyedStream.reduce (a ReduceFunction object)', operator: 'Keyed Reduce', fn: 'reduce()', run: () => keyed().reduce({ reduce: badReduce }).executeAndCollect() },
  { what: 'sliced window reduce (tumbling)', operator: 'Window(Reduce)', fn: 'reduce()', run: () => keyed().window(tumbling).reduce(badReduce).executeAndCollect() },
  { what: 'sliced window aggregate: add (tumbling)', operator: 'Window(Aggregate)', fn: 'AggregateFunction.add()', run: () => keyed().window(tumbling).aggregate(sumAgg('add')).executeAndCollect() },
  {
    what: 'sliced window aggregate: createAccumulator (tumbling)',
    operator: 'Window(Aggregate)',
    fn: 'AggregateFunction.createAccumulator()',
    run: () => keyed().window(tumbling).aggregate(sumAgg('createAccumulator')).executeAndCollect(),
  },
  {
    what: 'sliced window reduce (sliding)',
    operator: 'Window(Reduce)',
    fn: 'reduce()',
    run: () => keyed().window(SlidingEventTimeWindows.of(60_000, 30_000)).reduce(badReduce).executeAndCollect(),
  },
  {
    what: 'sliced window reduce (allowed lateness)',
    operator: 'Window(Reduce)',
    fn: 'reduce()',
    run: () => keyed().window(tumbling).allowedLateness(1000).reduce(badReduce).executeAndCollect(),
  },
  {
    what: 'sliced window aggregate: add (sliding)',
    operator: 'Window(Aggregate)',
    fn: 'AggregateFunction.add()',
    run: () => keyed().window(SlidingEventTimeWindows.of(60_000, 30_000)).aggregate(sumAgg('add')).executeAndCollect(),
  },
  {
    what: 'sliced window aggregate: createAccumulator (sliding)',
    operator: 'Window(Aggregate)',
    fn: 'AggregateFunction.createAccumulator()',
    run: () => keyed().window(SlidingEventTimeWindows.of(60_000, 30_000)).aggregate(sumAgg('createAccumulator')).executeAndCollect(),
  },
  {
    what: 'sliced window aggregate: merge of the slices (sliding)',
    operator: 'Window(Aggregate)',
    fn: 'AggregateFunction.merge()',
    run: () => keyed().window(SlidingEventTimeWindows.of(60_000, 30_000)).aggregate(sumAgg('merge')).executeAndCollect(),
  },
  {
    what: 'general window reduce (an explicit trigger)',
    operator: 'Window(Reduce)',
    fn: 'reduce()',
    run: () => keyed().window(SlidingEventTimeWindows.of(60_000, 30_000)).trigger(EventTimeTrigger.create()).reduce(badReduce).executeAndCollect(),
  },
  {
    what: 'general window aggregate: add (an explicit trigger)',
    operator: 'Window(Aggregate)',
    fn: 'AggregateFunction.add()',
    run: () => keyed().window(tumbling).trigger(EventTimeTrigger.create()).allowedLateness(1000).aggregate(sumAgg('add')).executeAndCollect(),
  },
  {
    what: 'session window aggregate: merge',
    operator: 'Window(Aggregate)',
    fn: 'AggregateFunction.merge()',
    run: () => keyed().window(EventTimeSessionWindows.withGap(5)).aggregate(sumAgg('merge')).executeAndCollect(),
  },
  {
    what: 'session window reduce: merge',
    operator: 'Window(Reduce)',
    fn: 'reduce()',
    run: () => keyed().window(EventTimeSessionWindows.withGap(5)).reduce(badReduce).executeAndCollect(),
  },
  {
    what: 'evicting window aggregate',
    operator: 'Window(Aggregate)',
    fn: 'AggregateFunction.add()',
    run: () => keyed().window(tumbling).evictor(CountEvictor.of(10)).aggregate(sumAgg('add')).executeAndCollect(),
  },
  {
    what: "a trigger's ReducingState",
    operator: 'Window(Reduce)',
    fn: "The reduce function of ReducingState 'seen'",
    run: () => keyed().window(tumbling).trigger(countingTrigger).reduce((a, b) => ({ ...a, v: a.v + b.v })).executeAndCollect(),
  },
];

describe('a function result that becomes state must not be undefined', () => {
  test.each(CASES)('$what', async ({ operator, fn, run }) => {
    const err = await rejection(run());
    expect(err).toBeInstanceOf(JobExecutionException);
    const message = (err as Error).message;
    expect(message).toContain(`Operator '${operator}' (subtask 1/1)`);
    expect(message).toContain(`${fn} returned undefined for key "k"`);
    const chain = causeChain(err);
    expect((chain.find((c) => c instanceof UserCodeError) as UserCodeError).operatorName).toBe(operator);
    const cause = chain.find((c) => c instanceof InvalidFunctionResultError) as InvalidFunctionResultError;
    expect(cause.key).toBe('k');
    expect(cause.result).toBeUndefined();
  });

  const stateCases = [
    {
      what: 'ReducingState',
      fn: "The reduce function of ReducingState 'sum'",
      use: (ctx: KeyedProcessContext<string>, fnc: KeyedProcessFunction<string, Ev, number>, e: Ev) => {
        const s = fnc.getRuntimeContext().getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => (a + b >= 3 ? (undefined as unknown as number) : a + b)));
        s.add(e.v);
        void ctx;
      },
    },
    {
      what: 'AggregatingState',
      fn: "AggregateFunction.add() of AggregatingState 'agg'",
      use: (ctx: KeyedProcessContext<string>, fnc: KeyedProcessFunction<string, Ev, number>, e: Ev) => {
        const s = fnc.getRuntimeContext().getAggregatingState(new AggregatingStateDescriptor('agg', sumAgg('add')));
        s.add(e);
        void ctx;
      },
    },
  ];
  test.each(stateCases)('$what in a KeyedProcessFunction', async ({ fn, use }) => {
    class UsesState extends KeyedProcessFunction<string, Ev, number> {
      processElement(e: Ev, ctx: KeyedProcessContext<string>): void {
        use(ctx, this, e);
      }
    }
    const err = await rejection(keyed().process(new UsesState()).name('Stateful').executeAndCollect());
    expect((err as Error).message).toContain("Operator 'Stateful' (subtask 1/1)");
    expect((err as Error).message).toContain(`${fn} returned undefined for key "k"`);
  });

  test('a reduce that never returns undefined still sums (the check costs nothing else)', async () => {
    const out = await keyed()
      .reduce((a, b) => ({ ...a, v: a.v + b.v }))
      .map((e) => `${e.key}:${e.v}`)
      .executeAndCollect();
    expect(out).toEqual(['k:1', 'j:0', 'k:3', 'k:6']);
  });
});
