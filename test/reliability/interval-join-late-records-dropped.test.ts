/**
 * An interval join drops records behind the watermark (their partners may be gone, as Flink's
 * IntervalJoinOperator): they are counted in the accumulator `<operator name>.numLateRecordsDropped`
 * and the first drop of each subtask is logged on stderr with its timestamp and the watermark.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { StreamExecutionEnvironment, type Collector } from '../../lib/index.ts';
import { punctuatedWatermarks, TrickleSource } from '../helpers.ts';

type Ev = { side: 'L' | 'R'; key: string; ts: number };

afterEach(() => {
  vi.restoreAllMocks();
});

test('late records of either side are counted and the first is logged', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const evs: Ev[] = [
    { side: 'L', key: 'a', ts: 10 },
    { side: 'R', key: 'a', ts: 12 },
    { side: 'L', key: 'a', ts: 500 },
    { side: 'L', key: 'a', ts: 20 }, // late: the watermark is 499
    { side: 'R', key: 'a', ts: 30 }, // late
  ];
  // One source, so both sides see the same watermark after every record (ts - 1); one record per
  // poll, so the join has seen a record's watermark on both sides before the next record comes.
  const all = env.fromSource(new TrickleSource(evs, 1), 'Events').assignTimestampsAndWatermarks(punctuatedWatermarks<Ev>(1));
  const left = all.filter((e) => e.side === 'L').keyBy((e) => e.key);
  const right = all.filter((e) => e.side === 'R').keyBy((e) => e.key);
  const joined = left
    .intervalJoin(right)
    .between(-50, 50)
    .process((l: Ev, r: Ev, _ctx: unknown, out: Collector<string>) => out.collect(`${l.ts}-${r.ts}`))
    .name('Join');
  const pairs: string[] = [];
  joined.toObservable().subscribe((p) => pairs.push(p));
  const result = await env.execute();
  expect(pairs).toEqual(['10-12']);
  expect(result.getAccumulatorResult('Join.numLateRecordsDropped')).toBe(2);
  expect(warn).toHaveBeenCalledTimes(1);
  const text = String(warn.mock.calls[0]![0]);
  expect(text).toContain("Operator 'Join' (subtask 1/1) dropped a late record with timestamp 20 ");
  expect(text).toContain('watermark 499 ');
  expect(text).toContain("counted in the accumulator 'Join.numLateRecordsDropped'");
});
