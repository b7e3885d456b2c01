/**
 * An interval join with sideOutputLeftLateData / sideOutputRightLateData (Flink's, FLINK-24907) sends each
 * record behind the watermark to its side's late output, with its timestamp, instead of dropping it: nothing
 * it accepted is lost. A side without a tag still drops and counts its late records.
 */
import { afterEach, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { OutputTag, StreamExecutionEnvironment, type Collector } from '../../lib/index.ts';
import { IntervalJoinOperator, type ProcessJoinContext } from '../../lib/operators/interval-join.ts';
import type { Tagged } from '../../lib/operators/tagged-union.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';
import { punctuatedWatermarks, TrickleSource } from '../helpers.ts';
import { joinSteps as steps, type JoinEv as HEv } from './interval-join-steps.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

type Ev = { side: 'L' | 'R'; key: string; ts: number };

const EVENTS: Ev[] = [
  { side: 'L', key: 'a', ts: 10 },
  { side: 'R', key: 'a', ts: 12 },
  { side: 'L', key: 'a', ts: 500 },
  { side: 'L', key: 'a', ts: 20 }, // late: the watermark is 499
  { side: 'R', key: 'a', ts: 30 }, // late
  { side: 'R', key: 'a', ts: 510 },
];

/** The join of EVENTS with the given late tags; returns pairs, side outputs and the dropped count. */
async function run(leftLate: OutputTag<Ev> | undefined, rightLate: OutputTag<Ev> | undefined) {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  // One source, so both sides see the watermark (ts - 1) of every record before the next one.
  const all = env.fromSource(new TrickleSource(EVENTS, 1), 'Events').assignTimestampsAndWatermarks(punctuatedWatermarks<Ev>(1));
  const left = all.filter((e) => e.side === 'L').keyBy((e) => e.key);
  const right = all.filter((e) => e.side === 'R').keyBy((e) => e.key);
  let joined = left.intervalJoin(right).between(-50, 50);
  if (leftLate !== undefined) joined = joined.sideOutputLeftLateData(leftLate);
  if (rightLate !== undefined) joined = joined.sideOutputRightLateData(rightLate);
  const pairs = joined.process((l: Ev, r: Ev, _ctx: ProcessJoinContext, out: Collector<string>) => out.collect(`${l.ts}-${r.ts}`)).name('Join');
  const got = { pairs: [] as string[], leftLate: [] as number[], rightLate: [] as number[] };
  pairs.toObservable().subscribe((p) => got.pairs.push(p));
  if (leftLate !== undefined) pairs.getSideOutput(leftLate).toObservable().subscribe((e) => got.leftLate.push(e.ts));
  if (rightLate !== undefined) pairs.getSideOutput(rightLate).toObservable().subscribe((e) => got.rightLate.push(e.ts));
  const result = await env.execute();
  return { ...got, dropped: result.getAccumulatorResult<number>('Join.numLateRecordsDropped') };
}

test('late records of each side reach that side\'s late output; none is dropped or logged', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const got = await run(new OutputTag<Ev>('late-left'), new OutputTag<Ev>('late-right'));
  expect(got.pairs).toEqual(['10-12', '500-510']);
  expect(got.leftLate).toEqual([20]);
  expect(got.rightLate).toEqual([30]);
  expect(got.dropped).toBe(0);
  expect(warn).not.toHaveBeenCalled();
});

test('a side without a late output still drops its late records, counted and logged with the way to keep them', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const got = await run(new OutputTag<Ev>('late-left'), undefined);
  expect(got.leftLate).toEqual([20]);
  expect(got.dropped).toBe(1);
  expect(warn).toHaveBeenCalledTimes(1);
  expect(String(warn.mock.calls[0]![0])).toContain('timestamp 30');
  expect(String(warn.mock.calls[0]![0])).toContain('sideOutputLeftLateData/sideOutputRightLateData');
});

test('a late output needs an OutputTag', () => {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const s = env.fromElements(1, 2).keyBy((x) => x);
  const joined = s.intervalJoin(s).between(0, 1);
  expect(() => joined.sideOutputLeftLateData('late' as unknown as OutputTag<number>)).toThrow('sideOutputLeftLateData() needs an OutputTag');
  expect(() => joined.sideOutputRightLateData({} as OutputTag<number>)).toThrow('sideOutputRightLateData() needs an OutputTag');
});

test('every record behind the watermark is in its side\'s late output, in arrival order with its timestamp; the others join as without late outputs', () => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  const leftTag = new OutputTag<HEv>('late-left');
  const rightTag = new OutputTag<HEv>('late-right');
  const harness = (tags: boolean) => {
    const fn = (l: HEv, r: HEv, ctx: ProcessJoinContext, out: Collector<string>) => out.collect(`${l.id}+${r.id}@${ctx.getTimestamp()}`);
    const op = new IntervalJoinOperator<HEv, HEv, string>(fn, -7, 9, tags ? { left: leftTag, right: rightTag } : {});
    const h = new KeyedOneInputStreamOperatorTestHarness<string, Tagged, string>(op, (t: Tagged) => (t.v as HEv).key);
    h.open();
    return h;
  };
  fc.assert(
    fc.property(steps, (ss) => {
      const withTags = harness(true);
      const without = harness(false);
      let wm = Number.NEGATIVE_INFINITY;
      const late: Record<1 | 2, Array<[string, number]>> = { 1: [], 2: [] };
      for (const s of ss) {
        if ('wm' in s) {
          wm = Math.max(wm, s.wm);
          withTags.processWatermark(s.wm);
          without.processWatermark(s.wm);
        } else {
          if (s.ev.ts < wm) late[s.side].push([s.ev.id, s.ev.ts]);
          withTags.processElement({ i: s.side, v: s.ev }, s.ev.ts);
          without.processElement({ i: s.side, v: s.ev }, s.ev.ts);
        }
      }
      const side = (tag: OutputTag<HEv>) => withTags.getSideOutput(tag).map((r): [string, number] => [r.value.id, r.timestamp!]);
      expect(side(leftTag)).toEqual(late[1]);
      expect(side(rightTag)).toEqual(late[2]);
      expect(withTags.extractOutputStreamRecords().map((r) => r.value)).toEqual(without.extractOutputStreamRecords().map((r) => r.value));
    }),
    { numRuns: 300 },
  );
});
