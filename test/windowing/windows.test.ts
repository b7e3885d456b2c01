/**
 * Windows against plain reference models: tumbling, sliding and session windows in event time with
 * out-of-order input within the bound, at parallelism 1..4; late data (exactly once: in a result or
 * in the late side output); count windows, triggers, evictors; calendar days across DST changes.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  ContinuousEventTimeTrigger,
  CountEvictor,
  DeltaEvictor,
  EventTimeSessionWindows,
  type GlobalWindow,
  OutputTag,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TimeEvictor,
  TimeWindow,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type Collector,
  type ProcessWindowContext,
  type TimestampedValue,
  type WatermarkGenerator,
  type WatermarkOutput,
} from '../../lib/index.ts';
import { TrickleSource } from '../helpers.ts';
import { forceWindowStorageForTesting } from '../../lib/windowing/window-operators.ts';

type Ev = { id: number; key: string; v: number; ts: number };

/** Events whose disorder stays within `bound` (each ts >= max so far - bound). */
const eventsWithin = (bound: number): fc.Arbitrary<Ev[]> =>
  fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 9 }), fc.nat({ max: 40 }), fc.nat({ max: bound })), { minLength: 1, maxLength: 70 }).map((rows) => {
    let max = 0;
    return rows.map(([key, v, adv, back], id) => {
      max += adv;
      return { id, key, v, ts: Math.max(0, max - back) };
    });
  });

function env(p: number): StreamExecutionEnvironment {
  const e = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
  e.getConfig().setAutoWatermarkInterval(1);
  return e;
}

const strategy = (bound: number) => WatermarkStrategy.forBoundedOutOfOrderness<Ev>(bound).withTimestampAssigner((e) => e.ts);

/** Emits "key start end sum". */
function describeWindow(key: string, ctx: ProcessWindowContext<TimeWindow>, els: number[], out: Collector<string>): void {
  out.collect(`${key} ${ctx.window().start} ${ctx.window().end} ${els[0]}`);
}

const sumAgg = {
  createAccumulator: () => 0,
  add: (e: Ev, acc: number) => acc + e.v,
  getResult: (acc: number) => acc,
  merge: (a: number, b: number) => a + b,
};

describe('event-time windows equal the reference model (input disorder within the bound)', () => {
  test('tumbling and sliding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }).chain((b) => fc.tuple(fc.constant(b), eventsWithin(b))),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<[number, number]>([50, 50], [60, 20], [100, 30]),
        async ([bound, evs], p, [size, slide]) => {
          const e = env(p);
          const out = await e
            .fromSource(new TrickleSource(evs, 9), strategy(bound), 'events')
            .keyBy((x) => x.key)
            .window(SlidingEventTimeWindows.of(size, slide))
            .aggregate(sumAgg, describeWindow)
            .executeAndCollect();
          const ref = new Map<string, number>();
          for (const x of evs) {
            for (let start = Math.floor(x.ts / slide) * slide; start > x.ts - size; start -= slide) {
              const id = `${x.key} ${start} ${start + size}`;
              ref.set(id, (ref.get(id) ?? 0) + x.v);
            }
          }
          expect(out.sort()).toEqual([...ref].map(([id, s]) => `${id} ${s}`).sort());
        },
      ),
      { numRuns: 40 },
    );
  });

  test('sessions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }).chain((b) => fc.tuple(fc.constant(b), eventsWithin(b))),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 5, max: 60 }),
        async ([bound, evs], p, gap) => {
          const out = await env(p)
            .fromSource(new TrickleSource(evs, 9), strategy(bound), 'events')
            .keyBy((x) => x.key)
            .window(EventTimeSessionWindows.withGap(gap))
            .reduce((a, b) => ({ ...a, v: a.v + b.v }), (key: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], o: Collector<string>) =>
              o.collect(`${key} ${ctx.window().start} ${ctx.window().end} ${els[0]!.v}`),
            )
            .executeAndCollect();
          // Reference: per key, sort by time; a gap >= `gap` between neighbours starts a new session.
          const expected: string[] = [];
          for (const key of ['a', 'b', 'c']) {
            const ts = evs.filter((x) => x.key === key).sort((x, y) => x.ts - y.ts);
            let i = 0;
            while (i < ts.length) {
              let j = i;
              let sum = ts[i]!.v;
              let end = ts[i]!.ts + gap;
              // Flink's TimeWindow.intersects: windows that touch ([0,5) and [5,9)) merge too.
              while (j + 1 < ts.length && ts[j + 1]!.ts <= end) {
                j++;
                sum += ts[j]!.v;
                end = Math.max(end, ts[j]!.ts + gap);
              }
              expected.push(`${key} ${ts[i]!.ts} ${end} ${sum}`);
              i = j + 1;
            }
          }
          expect(out.sort()).toEqual(expected.sort());
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** A watermark after every event (deterministic): event ts - 1. */
class Punctuated implements WatermarkGenerator<Ev> {
  onEvent(_e: Ev, ts: number, out: WatermarkOutput): void {
    out.emitWatermark(ts - 1);
  }
  onPeriodicEmit(): void {}
}

describe('late data', () => {
  test('every event is in exactly one place: the final result of its window, or the late side output', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(0, 30, 120),
        fc.integer({ min: 1, max: 3 }),
        async (rows, lateness, p) => {
          const evs: Ev[] = rows.map(([key, ts], id) => ({ id, key, v: 1, ts }));
          const late = new OutputTag<Ev>('late');
          const e = env(p);
          const windows = e
            .fromCollection(evs)
            .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => new Punctuated()).withTimestampAssigner((x) => x.ts))
            .setParallelism(1) // one generator: the reference below has one watermark
            .keyBy((x) => x.key)
            .window(TumblingEventTimeWindows.of(100))
            .allowedLateness(lateness)
            .sideOutputLateData(late)
            .process((key: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<[string, number[]]>) =>
              out.collect([`${key}@${ctx.window().start}`, els.map((x) => x.id)]),
            );
          const firings: Array<[string, number[]]> = [];
          const lateIds: number[] = [];
          windows.toObservable().subscribe((f) => firings.push(f));
          windows.getSideOutput(late).toObservable().subscribe((x) => lateIds.push(x.id));
          await e.execute();
          // The last firing of a window holds everything it got (late firings update results).
          const final = new Map<string, number[]>();
          for (const [w, ids] of firings) final.set(w, ids);
          const inResults = [...final.values()].flat();
          expect([...inResults, ...lateIds].sort((a, b) => a - b)).toEqual(evs.map((x) => x.id));
          // With a punctuated watermark the reference is exact: late iff ts + lateness <= max earlier ts - 1, and its window is gone.
          const expectedLate: number[] = [];
          let wm = Number.NEGATIVE_INFINITY;
          for (const x of evs) {
            const windowEnd = Math.floor(x.ts / 100) * 100 + 99;
            if (windowEnd + lateness <= wm) expectedLate.push(x.id);
            wm = Math.max(wm, x.ts - 1);
          }
          expect(lateIds.sort((a, b) => a - b)).toEqual(expectedLate);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('the slice strategy of tumbling windows', () => {
  test('a tumbling aggregate without a process function gives what the general operator gives, late data included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 3 }),
        async (rows, p) => {
          const evs: Ev[] = rows.map(([key, ts, v], id) => ({ id, key, v, ts }));
          const run = async (general: boolean): Promise<{ results: string[]; late: number[] }> => {
            forceWindowStorageForTesting(general ? 'general' : undefined);
            const late = new OutputTag<Ev>('late');
            const e = env(p);
            const w = e
              .fromCollection(evs)
              .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => new Punctuated()).withTimestampAssigner((x) => x.ts))
              .setParallelism(1)
              .keyBy((x) => x.key)
              .window(TumblingEventTimeWindows.of(100))
              .sideOutputLateData(late);
            const keyed = { createAccumulator: () => ['', 0] as [string, number], add: (x: Ev, [, s]: [string, number]): [string, number] => [x.key, s + x.v], getResult: (a: [string, number]) => a, merge: (a: [string, number], b: [string, number]): [string, number] => [a[0] || b[0], a[1] + b[1]] };
            const out = w.aggregate(keyed);
            const results: string[] = [];
            const lateIds: number[] = [];
            out.process((r: [string, number], ctx: { timestamp(): number | null }, o: Collector<string>) => o.collect(`${r[0]}=${r[1]}@${ctx.timestamp()}`)).toObservable().subscribe((s) => results.push(s));
            out.getSideOutput(late).toObservable().subscribe((x) => lateIds.push(x.id));
            await e.execute();
            return { results: results.sort(), late: lateIds.sort((a, b) => a - b) };
          };
          try {
            expect(await run(false)).toEqual(await run(true));
          } finally {
            forceWindowStorageForTesting(undefined);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('count windows, triggers and evictors', () => {
  test('countWindow(n) emits every n elements per key; countWindow(n, s) slides by s', async () => {
    const e = StreamExecutionEnvironment.create();
    const data = Array.from({ length: 10 }, (_, i): [string, number] => [i % 2 === 0 ? 'even' : 'odd', i]);
    expect(await e.fromCollection(data).keyBy((x) => x[0]).countWindow(2).sum(1).executeAndCollect()).toEqual([
      ['even', 2],
      ['odd', 4],
      ['even', 10],
      ['odd', 12],
    ]);
    const sliding = await StreamExecutionEnvironment.create()
      .fromCollection([1, 2, 3, 4, 5])
      .keyBy(() => 'k')
      .countWindow(3, 1)
      .process((_k: string, _ctx: ProcessWindowContext<GlobalWindow>, els: number[], out: Collector<string>) => out.collect(els.join(',')))
      .executeAndCollect();
    expect(sliding).toEqual(['1', '1,2', '1,2,3', '2,3,4', '3,4,5']);
  });

  test('ContinuousEventTimeTrigger fires early every interval and at the end', async () => {
    const evs: Ev[] = [0, 10, 25, 31, 60].map((ts, id) => ({ id, key: 'k', v: 1, ts }));
    const out = await StreamExecutionEnvironment.create()
      .fromCollection(evs)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => new Punctuated()).withTimestampAssigner((x) => x.ts))
      .keyBy((x) => x.key)
      .window(TumblingEventTimeWindows.of(100))
      .trigger(ContinuousEventTimeTrigger.of(20))
      .aggregate(sumAgg)
      .executeAndCollect();
    // As in Flink: the event at 25 arrives before the watermark 24 that fires the timer at 20, so that firing
    // holds 3; then 40 (5), 60 and 80 (5, nothing new), and the end of the window at 99.
    expect(out).toEqual([3, 5, 5, 5, 5]);
  });

  test('evictors trim the window before the function', () => {
    const tv = (xs: number[]): TimestampedValue<number>[] => xs.map((value, i) => ({ value, timestamp: i * 10 }));
    const ctx = { getCurrentWatermark: () => 0, getCurrentProcessingTime: () => 0 };
    const w = new TimeWindow(0, 100);
    let els = tv([1, 2, 3, 4, 5]);
    CountEvictor.of<number, TimeWindow>(2).evictBefore(els, w, ctx);
    expect(els.map((x) => x.value)).toEqual([4, 5]);
    els = tv([1, 2, 3, 4, 5]);
    TimeEvictor.of<number, TimeWindow>(20).evictBefore(els, w, ctx); // keeps timestamps > 40 - 20
    expect(els.map((x) => x.value)).toEqual([4, 5]);
    els = tv([1, 9, 4, 5]);
    DeltaEvictor.of<number, TimeWindow>(3, (a, b) => Math.abs(a - b)).evictBefore(els, w, ctx);
    expect(els.map((x) => x.value)).toEqual([4, 5]);
  });
});

describe('calendar windows in a time zone', () => {
  const berlin = TumblingEventTimeWindows.of<Ev>('1 day', { timeZone: 'Europe/Berlin' });
  const windowOf = (iso: string): TimeWindow => berlin.assignWindows({ id: 0, key: 'k', v: 1, ts: Date.parse(iso) }, Date.parse(iso))[0]!;

  test('days of 23 and 25 hours on the DST changes, from local midnight to local midnight', () => {
    const spring = windowOf('2024-03-31T12:00:00Z');
    expect(spring.start).toBe(Date.parse('2024-03-30T23:00:00Z')); // 00:00 CET
    expect((spring.end - spring.start) / 3_600_000).toBe(23);
    const autumn = windowOf('2024-10-27T12:00:00Z');
    expect(autumn.start).toBe(Date.parse('2024-10-26T22:00:00Z')); // 00:00 CEST
    expect((autumn.end - autumn.start) / 3_600_000).toBe(25);
    // 23:30 UTC on the 30th of March is already the 31st in Berlin
    expect(windowOf('2024-03-30T23:30:00Z').start).toBe(spring.start);
    expect(windowOf('2024-03-30T22:59:59Z').end).toBe(spring.start);
  });

  test('weeks start on Monday and months on the 1st, local time', () => {
    const week = TumblingEventTimeWindows.of<number>('1 week', { timeZone: 'Europe/Berlin' }).assignWindows(0, Date.parse('2024-03-28T12:00:00Z'))[0]!;
    expect(week.start).toBe(Date.parse('2024-03-24T23:00:00Z')); // Monday 25 March 00:00 CET
    expect(week.end).toBe(Date.parse('2024-03-31T22:00:00Z')); // Monday 1 April 00:00 CEST
    const month = TumblingEventTimeWindows.of<number>('1 month', { timeZone: 'Europe/Berlin' }).assignWindows(0, Date.parse('2024-02-10T00:00:00Z'))[0]!;
    expect([month.start, month.end]).toEqual([Date.parse('2024-01-31T23:00:00Z'), Date.parse('2024-02-29T23:00:00Z')]);
  });

  test('a bad zone or a non-calendar size is refused clearly', () => {
    expect(() => TumblingEventTimeWindows.of('1 day', { timeZone: 'Mars/Olympus' })).toThrow(/Unknown time zone 'Mars\/Olympus'/);
    expect(() => TumblingEventTimeWindows.of('90 min', { timeZone: 'Europe/Berlin' })).toThrow(/calendar size/);
  });
});
