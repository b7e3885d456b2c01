/**
 * The slice strategy of the window operator (tumbling, sliding and cumulative event-time windows
 * with the default trigger and no evictor) against the general operator, on the same random jobs:
 * random keys, timestamps in order or out of order (late elements included), punctuated watermarks
 * after random elements, allowed lateness 0 or > 0, with and without a late-data side output,
 * parallelism 1..3, every function kind. Both must emit the same records per key in the same order,
 * the same late side output and the same numLateRecordsDropped.
 *
 * Reduce/aggregate over slices equal per-window evaluation for functions whose result does not
 * depend on the arrival order of out-of-order elements across slices (sum, count, min, max): those
 * run on out-of-order input; order-sensitive ones (concatenation, first/last) on input in time order,
 * where slices merged in time order are the elements in arrival order. A ProcessWindowFunction over
 * all elements gets them in arrival order on any input.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import {
  CumulativeEventTimeWindows,
  EventTimeTrigger,
  OutputTag,
  ProcessWindowFunction,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TimeWindow,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  type WatermarkGenerator,
  type WatermarkOutput,
  type WindowAssigner,
} from '../../lib/index.ts';
import { forceWindowStorageForTesting } from '../../lib/windowing/window-operators.ts';
import { SliceWindowOperator } from '../../lib/windowing/slicing/slice-window-operator.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

type Ev = { id: number; key: string; v: number; ts: number; wm: boolean };

afterEach(() => forceWindowStorageForTesting(undefined));

/** A watermark (max timestamp so far - bound) after the elements marked for one. */
class AfterMarked implements WatermarkGenerator<Ev> {
  private max = Number.NEGATIVE_INFINITY;
  constructor(private readonly bound: number) {}
  onEvent(e: Ev, ts: number, out: WatermarkOutput): void {
    this.max = Math.max(this.max, ts);
    if (e.wm) out.emitWatermark(this.max - this.bound);
  }
  onPeriodicEmit(): void {}
}

const ASSIGNERS = {
  'tumbling 100': () => TumblingEventTimeWindows.of<Ev>(100),
  'tumbling 100 offset 30': () => TumblingEventTimeWindows.of<Ev>(100, 30),
  'sliding 100/50': () => SlidingEventTimeWindows.of<Ev>(100, 50),
  'sliding 100/30': () => SlidingEventTimeWindows.of<Ev>(100, 30),
  'sliding 90/30 offset 10': () => SlidingEventTimeWindows.of<Ev>(90, 30, 10),
  'cumulative 100/25': () => CumulativeEventTimeWindows.of<Ev>(100, 25),
  'cumulative 150/50 offset 20': () => CumulativeEventTimeWindows.of<Ev>(150, 50, 20),
} satisfies Record<string, () => WindowAssigner<Ev, TimeWindow>>;
type AssignerName = keyof typeof ASSIGNERS;

type Fn = 'reduce' | 'aggregate' | 'reduce+process' | 'aggregate+process' | 'process';

interface Job {
  evs: Ev[];
  inOrder: boolean;
  assigner: AssignerName;
  fn: Fn;
  /** 40: no window's cleanup time equals another's firing time (their order would be the timer heap's). */
  lateness: 0 | 40;
  sideOutput: boolean;
  bound: number;
  p: number;
}

// Order-insensitive functions (out-of-order input) ...
const sumMin = (a: Ev, b: Ev): Ev => ({ id: Math.min(a.id, b.id), key: a.key, v: a.v + b.v, ts: Math.max(a.ts, b.ts), wm: false });
const countSumMax: AggregateFunction<Ev, { key: string; n: number; sum: number; max: number }, string> = {
  createAccumulator: () => ({ key: '', n: 0, sum: 0, max: -1 }),
  // In place: the slices' accumulators must not be shared with a window's merge.
  add: (e, acc) => {
    acc.key = e.key;
    acc.n++;
    acc.sum += e.v;
    acc.max = Math.max(acc.max, e.v);
    return acc;
  },
  getResult: (acc) => `${acc.key} n=${acc.n} sum=${acc.sum} max=${acc.max}`,
  merge: (a, b) => {
    a.key ||= b.key;
    a.n += b.n;
    a.sum += b.sum;
    a.max = Math.max(a.max, b.max);
    return a;
  },
};
// ... and order-sensitive ones (input in time order): the ids in arrival order, first and last.
const concat = (a: Ev, b: Ev): Ev => ({ id: a.id, key: a.key, v: Number(`${a.v}${b.v}`) % 1_000_000_007, ts: b.ts, wm: false });
const idList: AggregateFunction<Ev, { key: string; ids: number[] }, string> = {
  createAccumulator: () => ({ key: '', ids: [] }),
  add: (e, acc) => {
    acc.key = e.key;
    acc.ids.push(e.id);
    return acc;
  },
  getResult: (acc) => `${acc.key} ${acc.ids.join(',')}`,
  merge: (a, b) => {
    a.key ||= b.key;
    for (const x of b.ids) a.ids.push(x);
    return a;
  },
};

const firings = new ValueStateDescriptor<number>('firings');
const keyFirings = new ValueStateDescriptor<number>('key-firings');
const cleared = new ValueStateDescriptor<number>('cleared');

/** Reports the window, its elements (ids, in the order given), and per-window, per-key and cleared counts (windowState, globalState, clear). */
class Describe extends ProcessWindowFunction<unknown, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, els: unknown[], out: Collector<string>): void {
    const w = ctx.windowState().getState(firings);
    const n = (w.value() ?? 0) + 1;
    w.update(n);
    const g = ctx.globalState().getState(keyFirings);
    const m = (g.value() ?? 0) + 1;
    g.update(m);
    const c = ctx.globalState().getState(cleared).value() ?? 0;
    const shown = els.map((e) => (typeof e === 'object' && e !== null && 'id' in e ? `${(e as Ev).id}:${(e as Ev).v}` : String(e)));
    out.collect(`${key} [${ctx.window().start},${ctx.window().end}) max=${ctx.window().maxTimestamp()} wm=${ctx.currentWatermark()} #${n}/${m} cleared=${c}: ${shown.join(' ')}`);
  }
  override clear(ctx: ProcessWindowContext<TimeWindow>): void {
    ctx.windowState().getState(firings).clear();
    const g = ctx.globalState().getState(cleared);
    g.update((g.value() ?? 0) + 1);
  }
}

interface Outcome {
  /** Main output per key, in order. */
  byKey: Record<string, string[]>;
  late: number[];
  dropped: number | undefined;
}

async function run(job: Job, general: boolean): Promise<Outcome> {
  forceWindowStorageForTesting(general ? 'general' : undefined);
  const late = new OutputTag<Ev>('late');
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': job.p, 'taskmanager.numberOfTaskSlots': 4 });
  let windowed = env
    .fromCollection(job.evs)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => new AfterMarked(job.bound)).withTimestampAssigner((e) => e.ts))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .window(ASSIGNERS[job.assigner]());
  if (job.lateness > 0) windowed = windowed.allowedLateness(job.lateness);
  if (job.sideOutput) windowed = windowed.sideOutputLateData(late);
  const reduce = job.inOrder ? concat : sumMin;
  const agg = (job.inOrder ? idList : countSumMax) as AggregateFunction<Ev, unknown, string>;
  const describe = new Describe();
  const results = (
    job.fn === 'reduce'
      ? windowed.reduce(reduce).name('W')
      : job.fn === 'aggregate'
        ? windowed.aggregate(agg).name('W')
        : job.fn === 'reduce+process'
          ? windowed.reduce(reduce, describe).name('W')
          : job.fn === 'aggregate+process'
            ? windowed.aggregate(agg, describe).name('W')
            : windowed.process(describe).name('W')
  ) as unknown as DataStream<unknown>;
  const byKey: Record<string, string[]> = {};
  const lateIds: number[] = [];
  results
    .process((r: unknown, ctx: { timestamp(): number | null }, o: Collector<[string, string]>) => {
      const key = typeof r === 'string' ? r.split(' ')[0]! : (r as Ev).key ?? '?';
      o.collect([key, `${JSON.stringify(r)}@${ctx.timestamp()}`]);
    })
    .toObservable()
    .subscribe(([k, s]) => (byKey[k] ??= []).push(s));
  if (job.sideOutput) (results as unknown as { getSideOutput(t: OutputTag<Ev>): DataStream<Ev> }).getSideOutput(late).toObservable().subscribe((e) => lateIds.push(e.id));
  const result = await env.execute();
  return { byKey, late: lateIds.sort((a, b) => a - b), dropped: result.getAccumulatorResult<number>('W.numLateRecordsDropped') };
}

const jobArb: fc.Arbitrary<Job> = fc
  .record({
    rows: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 9 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
    inOrder: fc.boolean(),
    assigner: fc.constantFrom(...(Object.keys(ASSIGNERS) as AssignerName[])),
    fn: fc.constantFrom<Fn>('reduce', 'aggregate', 'reduce+process', 'aggregate+process', 'process'),
    lateness: fc.constantFrom<0 | 40>(0, 40),
    sideOutput: fc.boolean(),
    bound: fc.constantFrom(0, 20, 120),
    p: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ rows, inOrder, ...rest }) => {
    const sorted = inOrder ? [...rows].sort((x, y) => x[1] - y[1]) : rows;
    return { ...rest, inOrder, evs: sorted.map(([key, ts, v, wm], id) => ({ id, key, v, ts, wm })) };
  });

describe('the slice strategy', () => {
  test('emits what the general window operator emits: per key in order, late side output, numLateRecordsDropped', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    await fc.assert(
      fc.asyncProperty(jobArb, async (job) => {
        const sliced = await run(job, false);
        const general = await run(job, true);
        expect(sliced).toEqual(general);
      }),
      { numRuns: 150 },
    );
    vi.restoreAllMocks();
  });

  test('takes tumbling, sliding and cumulative windows with the default trigger and no evictor, whatever the function and lateness', () => {
    const stream = (assigner: AssignerName, lateness: number) =>
      StreamExecutionEnvironment.getExecutionEnvironment()
        .fromElements<Ev>()
        .keyBy((e) => e.key)
        .window(ASSIGNERS[assigner]())
        .allowedLateness(lateness)
        .process(new Describe());
    for (const assigner of Object.keys(ASSIGNERS) as AssignerName[]) {
      for (const lateness of [0, 40]) {
        expect(KeyedOneInputStreamOperatorTestHarness.forStream(stream(assigner, lateness)).getOperator()).toBeInstanceOf(SliceWindowOperator);
      }
    }
    // An explicit trigger keeps the general operator.
    const explicit = StreamExecutionEnvironment.getExecutionEnvironment()
      .fromElements<Ev>()
      .keyBy((e) => e.key)
      .window(SlidingEventTimeWindows.of<Ev>(100, 50))
      .trigger(SlidingEventTimeWindows.of<Ev>(100, 50).getDefaultTrigger())
      .reduce(sumMin);
    expect(KeyedOneInputStreamOperatorTestHarness.forStream(explicit).getOperator()).not.toBeInstanceOf(SliceWindowOperator);
  });

  test('an element goes into one slice: a 10 s / 1 s sliding window keeps one accumulator per key and second, not ten', () => {
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, unknown>(
      StreamExecutionEnvironment.getExecutionEnvironment()
        .fromElements<Ev>()
        .keyBy((e) => e.key)
        .window(SlidingEventTimeWindows.of<Ev>(10_000, 1_000))
        .aggregate(countSumMax),
    );
    h.open();
    for (let t = 0; t < 3_000; t += 100) h.processElement({ id: t, key: 'a', v: 1, ts: t, wm: false }, t);
    expect(h.numKeyedStateEntries()).toBe(3);
    h.processWatermark(1_999);
    expect(h.extractOutputValues()).toEqual(['a n=10 sum=10 max=1', 'a n=20 sum=20 max=1']);
  });
});

describe('a window purged when another fires', () => {
  test("is purged first, as the general operator does for input in time order (its cleanup timer was registered first): the firing sees the window function's clear()", () => {
    const outputs = (general: boolean, assigner: () => WindowAssigner<Ev, TimeWindow>) => {
      forceWindowStorageForTesting(general ? 'general' : undefined);
      const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, string>(
        StreamExecutionEnvironment.getExecutionEnvironment()
          .fromElements<Ev>()
          .keyBy((e) => e.key)
          .window(assigner())
          .allowedLateness(10)
          .process(new Describe()),
      );
      forceWindowStorageForTesting(undefined);
      expect(h.getOperator() instanceof SliceWindowOperator).toBe(!general);
      for (const ts of [1, 11, 21, 31]) h.processElement({ id: ts, key: 'a', v: 1, ts, wm: false }, ts);
      h.processWatermark(Number.POSITIVE_INFINITY);
      return h.extractOutputValues();
    };
    // [0, 10) is purged at 19, when [10, 20) fires; cumulative: [0, 10) is purged when [0, 20) fires.
    expect(outputs(false, () => TumblingEventTimeWindows.of<Ev>(10))).toEqual([
      'a [0,10) max=9 wm=Infinity #1/1 cleared=0: 1:1',
      'a [10,20) max=19 wm=Infinity #1/2 cleared=1: 11:1',
      'a [20,30) max=29 wm=Infinity #1/3 cleared=2: 21:1',
      'a [30,40) max=39 wm=Infinity #1/4 cleared=3: 31:1',
    ]);
    expect(outputs(false, () => TumblingEventTimeWindows.of<Ev>(10))).toEqual(outputs(true, () => TumblingEventTimeWindows.of<Ev>(10)));
    expect(outputs(false, () => CumulativeEventTimeWindows.of<Ev>(40, 10))).toEqual(outputs(true, () => CumulativeEventTimeWindows.of<Ev>(40, 10)));
  });
});

describe('merging the slices of a window', () => {
  type Count = { n: number };
  const counting = (merge: (a: Count, b: Count) => Count): AggregateFunction<Ev, Count, number> => ({
    createAccumulator: () => ({ n: 0 }),
    add: (_e, acc) => {
      acc.n++;
      return acc;
    },
    getResult: (acc) => acc.n,
    merge,
  });
  const run = (assigner: WindowAssigner<Ev, TimeWindow>, fn: AggregateFunction<Ev, Count, number>) => {
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, number>(
      StreamExecutionEnvironment.getExecutionEnvironment()
        .fromElements<Ev>()
        .keyBy((e) => e.key)
        .window(assigner)
        .aggregate(fn),
    );
    for (const ts of [1, 11, 21]) h.processElement({ id: ts, key: 'a', v: 1, ts, wm: false }, ts);
    h.processWatermark(Number.POSITIVE_INFINITY);
    return h.extractOutputValues();
  };

  test('a merge into its first accumulator gives every window its count (the slices keep theirs)', () => {
    const intoA = counting((a, b) => {
      a.n += b.n;
      return a;
    });
    expect(run(SlidingEventTimeWindows.of<Ev>(30, 10), intoA)).toEqual([1, 2, 3, 2, 1]);
    expect(run(CumulativeEventTimeWindows.of<Ev>(30, 10), intoA)).toEqual([1, 2, 3]);
  });

  test('a merge that returns its second accumulator (a slice\'s, which other windows merge again) fails the job saying so, instead of counting wrong', () => {
    // Both are fine per window (Flink lets merge reuse either accumulator); over slices they would count [1, 2, 4, 7, 7] and [1, 2, 4, 2, 1].
    const intoB = counting((a, b) => {
      b.n += a.n;
      return b;
    });
    const bWhenAEmpty = counting((a, b) => {
      if (a.n === 0) return b;
      a.n += b.n;
      return a;
    });
    for (const fn of [intoB, bWhenAEmpty]) {
      for (const [assigner, kind] of [
        [SlidingEventTimeWindows.of<Ev>(30, 10), 'sliding'],
        [CumulativeEventTimeWindows.of<Ev>(30, 10), 'cumulative'],
      ] as const) {
        expect(() => run(assigner, fn)).toThrow(
          `AggregateFunction.merge(a, b) returned its second accumulator b for key "a": a ${kind} window keeps an accumulator per slice and merges a window's slices into a new accumulator a, so b is a slice's accumulator that the slice's other windows merge again. Merge into a (or a new accumulator) and leave b unchanged, or set a trigger (e.g. .trigger(EventTimeTrigger.create())) to aggregate per window.`,
        );
      }
    }
    // Per window (an explicit trigger: the general operator), merge is not called for these windows.
    const perWindow = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, number>(
      StreamExecutionEnvironment.getExecutionEnvironment()
        .fromElements<Ev>()
        .keyBy((e) => e.key)
        .window(SlidingEventTimeWindows.of<Ev>(30, 10))
        .trigger(EventTimeTrigger.create())
        .aggregate(intoB),
    );
    for (const ts of [1, 11, 21]) perWindow.processElement({ id: ts, key: 'a', v: 1, ts, wm: false }, ts);
    perWindow.processWatermark(Number.POSITIVE_INFINITY);
    expect(perWindow.extractOutputValues()).toEqual([1, 2, 3, 2, 1]);
  });
});

describe('cumulative windows', () => {
  test('CumulativeEventTimeWindows assigns every window of the period that ends after the element, shortest first', () => {
    const a = CumulativeEventTimeWindows.of<Ev>('1 day', '6 h');
    const h = 3_600_000;
    expect(a.assignWindows({} as Ev, 7 * h).map(String)).toEqual([
      `TimeWindow{start=0, end=${12 * h}}`,
      `TimeWindow{start=0, end=${18 * h}}`,
      `TimeWindow{start=0, end=${24 * h}}`,
    ]);
    expect(a.assignWindows({} as Ev, 24 * h).map((w) => [w.start, w.end])).toEqual([
      [24 * h, 30 * h],
      [24 * h, 36 * h],
      [24 * h, 42 * h],
      [24 * h, 48 * h],
    ]);
    expect(() => CumulativeEventTimeWindows.of(100, 30)).toThrow("A cumulative window's max size must be a multiple of its step, got max size 100 ms and step 30 ms");
  });

  test('"today so far, every 6 hours": a running count per key that restarts every day', async () => {
    const h = 3_600_000;
    const env = StreamExecutionEnvironment.create();
    const out = await env
      .fromCollection([1, 5, 7, 13, 25, 26].map((hour, id) => ({ id, key: 'k', v: 1, ts: hour * h, wm: false })))
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
      .keyBy((e) => e.key)
      .window(CumulativeEventTimeWindows.of<Ev>('1 day', '6 h'))
      .process((key: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], o: Collector<string>) => o.collect(`${ctx.window().start / h}-${ctx.window().end / h}h: ${els.length}`))
      .executeAndCollect();
    expect(out).toEqual(['0-6h: 2', '0-12h: 3', '0-18h: 4', '0-24h: 4', '24-30h: 2', '24-36h: 2', '24-42h: 2', '24-48h: 2']);
  });
});
