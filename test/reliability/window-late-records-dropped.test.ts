/**
 * Late records dropped by a window without a late-data side output leave a trace: they are counted in
 * the accumulator `<operator name>.numLateRecordsDropped` (summed over subtasks, as Flink's
 * numLateRecordsDropped metric), and the first drop of each subtask is logged on stderr with the
 * operator, the subtask, the record's timestamp and the watermark. Both window operator strategies:
 * slices and the general operator (an explicit trigger); inline and threads mode.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import {
  assignKeyToParallelOperator,
  EventTimeTrigger,
  OutputTag,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type Collector,
  type DataStream,
  type ProcessWindowContext,
  type TimeWindow,
} from '../../lib/index.ts';
import { lines, punctuatedWatermarks, runCli } from '../helpers.ts';

type Ev = { id: number; key: string; ts: number };

/** A watermark after every record (ts - 1): which records are late is exact. */
const punctuated = punctuatedWatermarks<Ev>(1);

const count = { createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Which strategy a variant takes: slices, or the general operator (an explicit trigger); with allowed lateness, a process function. */
const VARIANTS = ['slices', 'slices: allowed lateness', 'slices: process function', 'general: allowed lateness', 'general: process function'] as const;

describe('inline', () => {
  test('every record is counted once: in its window result or in numLateRecordsDropped; one warning per dropping subtask', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 600 })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(...VARIANTS),
        async (rows, p, variant) => {
          const evs: Ev[] = rows.map(([key, ts], id) => ({ id, key, ts }));
          let seq = 0;
          const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
          const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
          let windowed = env.fromCollection(evs).assignTimestampsAndWatermarks(punctuated).setParallelism(1).keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100));
          const lateness = variant.endsWith('allowed lateness') ? 30 : 0;
          if (lateness > 0) windowed = windowed.allowedLateness(lateness);
          if (variant.startsWith('general')) windowed = windowed.trigger(EventTimeTrigger.create());
          // Each firing as [window id, count]; with allowed lateness the last firing of a window counts.
          const windowId = (key: string, ctx: ProcessWindowContext<TimeWindow>): string => `${key}@${ctx.window().start}`;
          const results: DataStream<[string, number]> =
            variant === 'slices'
              ? windowed.aggregate(count).name('Counts').map((n) => [`#${seq++}`, n] as [string, number]) // fires once per window
              : !variant.endsWith('process function')
                ? windowed.aggregate(count, (key: string, ctx: ProcessWindowContext<TimeWindow>, n: number[], out: Collector<[string, number]>) => out.collect([windowId(key, ctx), n[0]!])).name('Counts')
                : windowed.process((key: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<[string, number]>) => out.collect([windowId(key, ctx), els.length])).name('Counts');
          const final = new Map<string, number>();
          results.toObservable().subscribe(([w, n]) => final.set(w, n));
          const result = await env.execute();

          // Reference: late iff the window's end + lateness is at or behind the watermark (max earlier ts - 1).
          const late: Ev[] = [];
          let wm = Number.NEGATIVE_INFINITY;
          for (const e of evs) {
            if (Math.floor(e.ts / 100) * 100 + 99 + lateness <= wm) late.push(e);
            wm = Math.max(wm, e.ts - 1);
          }
          const dropped = result.getAccumulatorResult<number>('Counts.numLateRecordsDropped');
          expect(dropped).toBe(late.length);
          expect([...final.values()].reduce((a, b) => a + b, 0) + dropped!).toBe(evs.length);
          // One warning per subtask that dropped, naming it.
          const droppingSubtasks = new Set(late.map((e) => assignKeyToParallelOperator(e.key, 128, p)));
          const warnings = warn.mock.calls.map((c) => String(c[0]));
          expect(warnings).toHaveLength(droppingSubtasks.size);
          for (const s of droppingSubtasks) expect(warnings.filter((w) => w.includes(`Operator 'Counts' (subtask ${s + 1}/${p}) dropped a late record`))).toHaveLength(1);
          warn.mockRestore();
        },
      ),
      { numRuns: 60 },
    );
  });

  test('the warning names the record timestamp, the watermark and where the count goes', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    const evs: Ev[] = [
      { id: 0, key: 'a', ts: 10 },
      { id: 1, key: 'a', ts: 500 },
      { id: 2, key: 'a', ts: 20 },
      { id: 3, key: 'a', ts: 30 },
    ];
    env.fromCollection(evs).assignTimestampsAndWatermarks(punctuated).keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100)).aggregate(count).name('Counts').print();
    const result = await env.execute();
    expect(result.getAccumulatorResult('Counts.numLateRecordsDropped')).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    const text = String(warn.mock.calls[0]![0]);
    expect(text).toContain("Operator 'Counts' (subtask 1/1) dropped a late record");
    expect(text).toContain('timestamp 20 ');
    expect(text).toContain('watermark 499 ');
    expect(text).toContain("counted in the accumulator 'Counts.numLateRecordsDropped'");
  });

  test('with a late side output nothing is dropped, counted or logged', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    const evs: Ev[] = [
      { id: 0, key: 'a', ts: 10 },
      { id: 1, key: 'a', ts: 500 },
      { id: 2, key: 'a', ts: 20 },
    ];
    const lateTag = new OutputTag<Ev>('late');
    const counts = env.fromCollection(evs).assignTimestampsAndWatermarks(punctuated).keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100)).sideOutputLateData(lateTag).aggregate(count).name('Counts');
    const lateIds: number[] = [];
    counts.getSideOutput(lateTag).toObservable().subscribe((e) => lateIds.push(e.id));
    const result = await env.execute();
    expect(lateIds).toEqual([2]);
    expect(result.getAccumulatorResult('Counts.numLateRecordsDropped')).toBe(0);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('CLI', () => {
  test.each([
    { mode: 'threads, slices', args: ['-t', 'threads'], extra: [] as string[] },
    { mode: 'threads, general', args: ['-t', 'threads'], extra: ['--general'] },
    { mode: 'inline, general', args: [], extra: ['--general'] },
  ])('$mode at parallelism 2: the drops of both subtasks are summed and each subtask logs its first', async ({ args, extra }) => {
    const r = await runCli(['run', ...args, '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2', 'test/fixtures/late-drops-job.ts', ...extra]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('accumulators {"Counts.numLateRecordsDropped":3}');
    const warnings = lines(r.stderr).filter((l) => l.includes('dropped a late record'));
    expect(warnings).toHaveLength(2);
    // Key 'a' (subtask 2/2) first drops its record at 20, key 'b' (subtask 1/2) its record at 30; the watermark is 499.
    expect(warnings.find((w) => w.includes('(subtask 2/2)'))).toMatch(/Operator 'Counts' \(subtask 2\/2\) dropped a late record with timestamp 20 .*watermark 499 /);
    expect(warnings.find((w) => w.includes('(subtask 1/2)'))).toMatch(/Operator 'Counts' \(subtask 1\/2\) dropped a late record with timestamp 30 .*watermark 499 /);
  });
});
