/**
 * Window join, coGroup and interval join against brute-force references, at parallelism 1..4; the
 * interval join's operator driven directly for its lateness rule.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ProcessJoinFunction, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type Collector, type ProcessJoinContext } from '../../lib/index.ts';
import type { Tagged } from '../../lib/api/connected-streams.ts';
import { TrickleSource } from '../helpers.ts';
import { KeyedOneInputStreamOperatorTestHarness, StreamRecord } from '../../lib/testing/index.ts';
import { IntervalJoinOperator } from '../../lib/operators/interval-join.ts';

type Ev = { id: string; k: number; ts: number };

/** Events of one side with disorder within `bound`. */
const side = (prefix: string, bound: number): fc.Arbitrary<Ev[]> =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat({ max: 30 }), fc.nat({ max: bound })), { maxLength: 30 }).map((rows) => {
    let max = 0;
    return rows.map(([k, adv, back], n) => {
      max += adv;
      return { id: `${prefix}${n}`, k, ts: Math.max(0, max - back) };
    });
  });

const BOUND = 15;
const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(BOUND).withTimestampAssigner((e) => e.ts);

function env(p: number): StreamExecutionEnvironment {
  const e = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
  e.getConfig().setAutoWatermarkInterval(1);
  return e;
}

describe('joins', () => {
  test('window join = all same-key pairs in the same tumbling window; coGroup sees every (key, window)', async () => {
    await fc.assert(
      fc.asyncProperty(side('L', BOUND), side('R', BOUND), fc.integer({ min: 1, max: 4 }), async (ls, rs, p) => {
        const e = env(p);
        const a = e.fromSource(new TrickleSource(ls, 7), strategy, 'left');
        const b = e.fromSource(new TrickleSource(rs, 7), strategy, 'right');
        const joined = a
          .join(b)
          .where((x) => x.k)
          .equalTo((y) => y.k)
          .window(TumblingEventTimeWindows.of(50))
          .apply((x, y) => `${x.id}+${y.id}`);
        const grouped = a
          .coGroup(b)
          .where((x) => x.k)
          .equalTo((y) => y.k)
          .window(TumblingEventTimeWindows.of(50))
          .apply((xs: Ev[], ys: Ev[], out: Collector<string>) => out.collect(`${xs.length}/${ys.length}`));
        const pairs: string[] = [];
        const groups: string[] = [];
        joined.toObservable().subscribe((s) => pairs.push(s));
        grouped.toObservable().subscribe((s) => groups.push(s));
        await e.execute();
        const win = (ts: number): number => Math.floor(ts / 50);
        const expected = ls.flatMap((x) => rs.filter((y) => y.k === x.k && win(y.ts) === win(x.ts)).map((y) => `${x.id}+${y.id}`));
        expect(pairs.sort()).toEqual(expected.sort());
        const cells = new Map<string, [number, number]>();
        for (const x of ls) (cells.get(`${x.k}@${win(x.ts)}`) ?? cells.set(`${x.k}@${win(x.ts)}`, [0, 0]).get(`${x.k}@${win(x.ts)}`)!)[0]++;
        for (const y of rs) (cells.get(`${y.k}@${win(y.ts)}`) ?? cells.set(`${y.k}@${win(y.ts)}`, [0, 0]).get(`${y.k}@${win(y.ts)}`)!)[1]++;
        expect(groups.sort()).toEqual([...cells.values()].map(([x, y]) => `${x}/${y}`).sort());
      }),
      { numRuns: 30 },
    );
  });

  test('interval join = all same-key pairs with l.ts + lower <= r.ts <= l.ts + upper, stamped max(l.ts, r.ts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        side('L', BOUND),
        side('R', BOUND),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: -20, max: 10 }).chain((lo) => fc.tuple(fc.constant(lo), fc.integer({ min: lo, max: lo + 25 }))),
        async (ls, rs, p, [lower, upper]) => {
          const e = env(p);
          const a = e.fromSource(new TrickleSource(ls, 5), strategy, 'left').keyBy((x) => x.k);
          const b = e.fromSource(new TrickleSource(rs, 5), strategy, 'right').keyBy((y) => y.k);
          const out = await a
            .intervalJoin(b)
            .between(lower, upper)
            .process(
              new (class extends ProcessJoinFunction<Ev, Ev, string> {
                processElement(x: Ev, y: Ev, ctx: ProcessJoinContext, o: Collector<string>): void {
                  expect(ctx.getTimestamp()).toBe(Math.max(x.ts, y.ts));
                  o.collect(`${x.id}+${y.id}`);
                }
              })(),
            )
            .executeAndCollect();
          const expected = ls.flatMap((x) => rs.filter((y) => y.k === x.k && x.ts + lower <= y.ts && y.ts <= x.ts + upper).map((y) => `${x.id}+${y.id}`));
          expect(out.sort()).toEqual(expected.sort());
        },
      ),
      { numRuns: 40 },
    );
  });

  test('lowerBoundExclusive() / upperBoundExclusive() exclude exactly the bound, also when called twice (flags, as in Flink)', async () => {
    const run = async (configure: (j: any) => any): Promise<number[]> => {
      const e = env(1);
      const ts = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x);
      const a = e.fromElements(10).assignTimestampsAndWatermarks(ts).keyBy(() => 'k');
      const b = e.fromElements(7, 8, 9, 10, 11, 12, 13).assignTimestampsAndWatermarks(ts).keyBy(() => 'k');
      const out = await configure(a.intervalJoin(b).between(-2, 2))
        .process((_l: number, r: number, _ctx: ProcessJoinContext, o: Collector<number>) => o.collect(r))
        .executeAndCollect();
      return (out as number[]).sort((x, y) => x - y);
    };
    expect(await run((j) => j)).toEqual([8, 9, 10, 11, 12]);
    expect(await run((j) => j.lowerBoundExclusive().upperBoundExclusive())).toEqual([9, 10, 11]);
    expect(await run((j) => j.lowerBoundExclusive().lowerBoundExclusive().upperBoundExclusive().upperBoundExclusive())).toEqual([9, 10, 11]);
  });

  test('interval bounds are checked', () => {
    const e = StreamExecutionEnvironment.create();
    const a = e.fromElements(1).keyBy((x) => x);
    expect(() => a.intervalJoin(e.fromElements(2).keyBy((x) => x)).between(10, 5)).toThrow(/lower bound \(10\).*upper bound \(5\)/);
  });
});

type J = { key: string; ts: number };
/** The interval join's operator (Flink's IntervalJoinOperator) in the public test harness, fed with tagged records (1 = left, 2 = right). */
function intervalJoinHarness(lower: number, upper: number): KeyedOneInputStreamOperatorTestHarness<string, Tagged, string> {
  const op = new IntervalJoinOperator<J, J, string>((l: J, r: J, _c: unknown, out: Collector<string>) => out.collect(`L${l.ts}-R${r.ts}`), lower, upper);
  const h = new KeyedOneInputStreamOperatorTestHarness<string, Tagged, string>(op, (x: Tagged) => (x.v as J).key, { operatorName: 'Interval Join' });
  h.open();
  return h;
}

describe('interval join operator', () => {
  const L = (ts: number): Tagged => ({ i: 1, v: { key: 'k', ts } });
  const R = (ts: number): Tagged => ({ i: 2, v: { key: 'k', ts } });
  test('control: a left element strictly behind the watermark is late (Flink too: ts < watermark)', () => {
    const h = intervalJoinHarness(-5, 5);
    h.processWatermark(10);
    h.processElement(L(9), 9);
    h.processElement(R(12), 12);
    expect(h.extractOutputValues()).toEqual([]);
  });
  test('an element whose timestamp equals the watermark is not late (Flink IntervalJoinOperator.isLate: ts < watermark) and joins', () => {
    const h = intervalJoinHarness(-5, 5);
    h.processWatermark(10);
    h.processElement(L(10), 10);
    h.processElement(R(12), 12);
    expect(h.extractOutputStreamRecords()).toEqual([new StreamRecord('L10-R12', 12)]);
  });
});
