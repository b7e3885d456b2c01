/**
 * The session strategy of the window operator (event-time sessions, default trigger, no evictor)
 * against the general operator, the reference: the same random input (keys, out-of-order and late
 * elements, watermarks after random elements, fixed and dynamic gaps, allowed lateness 0 or more,
 * with and without a late-data side output, every window function kind) gives exactly the same
 * main output per key in order, the same late side output, the same clear() calls per key in order,
 * the same numLateRecordsDropped and the same number of windows after every step; a snapshot taken
 * at any point and restored into a fresh operator continues exactly as the uninterrupted run; and
 * the same holds for whole jobs at parallelism 1..3.
 */
import { afterEach, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  EventTimeSessionWindows,
  OutputTag,
  ProcessWindowFunction,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type ProcessWindowContext,
  TimeWindow,
  type WatermarkGenerator,
  type WatermarkOutput,
} from '../../lib/index.ts';
import { KeyedOneInputStreamOperatorTestHarness, type OperatorStream } from '../../lib/testing/index.ts';
import { forceWindowStorageForTesting } from '../../lib/windowing/window-operators.ts';
import { SessionWindowOperator } from '../../lib/windowing/sessions/session-window-operator.ts';
import { WindowOperator } from '../../lib/windowing/window-operator.ts';
import type { AbstractWindowOperator } from '../../lib/windowing/abstract-window-operator.ts';
import { assignKeyToParallelOperator } from '../../lib/state/key-groups.ts';

type Ev = { id: number; key: string; v: number; ts: number };
type Step = { el: Ev } | { wm: number };

interface Config {
  /** A fixed gap, or 0: a dynamic gap of 1..4 ms, or 25 ms for v = 9 (such an element, late, may bridge several sessions). */
  gap: number;
  lateness: number;
  lateTag: boolean;
  fn: 'reduce' | 'aggregate' | 'process' | 'reduce+process' | 'aggregate+process';
}

const late = new OutputTag<Ev>('late');
const cleared = new OutputTag<string>('cleared');
const keyFirings = new ValueStateDescriptor<number>('key-firings');
const keyName = new ValueStateDescriptor<string>('key-name');

// Order-sensitive contents: a merge that puts elements in another order shows.
const concat = (a: Ev, b: Ev): Ev => ({ id: a.id, key: a.key, v: a.v * 10 + b.v, ts: Math.max(a.ts, b.ts) });
const ids: AggregateFunction<Ev, string[], string> = {
  createAccumulator: () => [],
  add: (e, acc) => [...acc, `${e.key}${e.id}`],
  getResult: (acc) => acc.join(','),
  merge: (a, b) => [...a, ...b],
};

/** Emits the key, the window, how often this key fired and the elements; clear() says which window went. */
class Describe extends ProcessWindowFunction<unknown, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, els: unknown[], out: Collector<string>): void {
    const g = ctx.globalState().getState(keyFirings);
    const m = (g.value() ?? 0) + 1;
    g.update(m);
    ctx.globalState().getState(keyName).update(key); // clear(ctx) has no key: it reads it here
    out.collect(`${key} ${String(ctx.window())} wm=${ctx.currentWatermark()} #${m}: ${JSON.stringify(els)}`);
    els.splice(0); // the elements are the function's: a later firing of the window has them all again
  }
  override clear(ctx: ProcessWindowContext<TimeWindow>): void {
    ctx.output(cleared, `${ctx.globalState().getState(keyName).value()} ${String(ctx.window())}`);
  }
}

const dynamicGap = (e: Ev): number => (e.v === 9 ? 25 : 1 + (e.v % 4));

function windowStream(c: Config): OperatorStream<unknown> {
  const assigner = c.gap > 0 ? EventTimeSessionWindows.withGap<Ev>(c.gap) : EventTimeSessionWindows.withDynamicGap<Ev>(dynamicGap);
  const windowed = StreamExecutionEnvironment.getExecutionEnvironment()
    .fromElements<Ev>()
    .keyBy((e) => e.key)
    .window(assigner)
    .allowedLateness(c.lateness);
  if (c.lateTag) windowed.sideOutputLateData(late);
  switch (c.fn) {
    case 'reduce':
      return windowed.reduce(concat);
    case 'aggregate':
      return windowed.aggregate(ids);
    case 'process':
      return windowed.process(new Describe());
    case 'reduce+process':
      return windowed.reduce(concat, new Describe());
    case 'aggregate+process':
      return windowed.aggregate(ids, new Describe());
  }
}

type Harness = KeyedOneInputStreamOperatorTestHarness<string, Ev, unknown>;

function harness(c: Config, general: boolean, subtask = { parallelism: 1, subtaskIndex: 0 }): Harness {
  forceWindowStorageForTesting(general ? 'general' : undefined);
  try {
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, unknown>(windowStream(c), subtask);
    expect(h.getOperator()).toBeInstanceOf(general ? WindowOperator : SessionWindowOperator);
    return h;
  } finally {
    forceWindowStorageForTesting(undefined);
  }
}

/** What a run gave: per key, main output and clear() calls in order; late elements in order; drops; windows after each step. */
interface Result {
  byKey: Record<string, string[]>;
  late: string[];
  dropped: number;
  windows: number[];
  /** The harness's pending event-time timers after each step (the general operator's; the session strategy's due firings and cleanups). */
  timers: string[][];
}

const keyOf = (line: string): string => line.split(' ')[0]!;

class Recorder {
  readonly result: Result = { byKey: {}, late: [], dropped: 0, windows: [], timers: [] };
  seen = { main: 0, late: 0, cleared: 0 };
  collect(h: Harness): void {
    const main = h.extractOutputStreamRecords();
    for (const r of main.slice(this.seen.main)) (this.result.byKey[recordKey(r.value)] ??= []).push(`out ${JSON.stringify(r.value)} @${r.timestamp}`);
    this.seen.main = main.length;
    // Per key in order, apart from the main output: at one timestamp, a session's cleanup and another's firing of the key may come in either order.
    const cl = h.getSideOutput(cleared);
    for (const r of cl.slice(this.seen.cleared)) (this.result.byKey[`${keyOf(r.value)} cleared`] ??= []).push(`${r.value} @${r.timestamp}`);
    this.seen.cleared = cl.length;
    const lt = h.getSideOutput(late);
    for (const r of lt.slice(this.seen.late)) this.result.late.push(`${JSON.stringify(r.value)} @${r.timestamp}`);
    this.seen.late = lt.length;
    this.result.windows.push((h.getOperator() as unknown as AbstractWindowOperator<Ev, unknown, unknown, string, TimeWindow>).numWindows());
    this.result.timers.push(h.eventTimeTimers().map((t) => `${String(t.key)} ${String(t.namespace)} ${t.timestamp}`).sort());
  }
  finish(h: Harness): Result {
    this.result.dropped = (h.getOperator() as unknown as { numLateRecordsDropped: number }).numLateRecordsDropped;
    return this.result;
  }
}

/** The key of a main output record: an element (reduce), "a1,b2" ids (aggregate), or a Describe line. */
function recordKey(v: unknown): string {
  if (typeof v === 'object' && v !== null) return (v as Ev).key;
  const s = String(v);
  return s.includes(' ') ? keyOf(s) : s.charAt(0);
}

function feed(h: Harness, rec: Recorder, steps: readonly Step[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const s = steps[i]!;
    if ('wm' in s) h.processWatermark(s.wm);
    else h.processElement(s.el, s.el.ts);
    rec.collect(h);
  }
}

const END: Step = { wm: Number.POSITIVE_INFINITY };

function run(c: Config, steps: readonly Step[], general: boolean, cut?: number): Result {
  const all = [...steps, END];
  const rec = new Recorder();
  let h = harness(c, general);
  h.open();
  if (cut === undefined) {
    feed(h, rec, all, 0, all.length);
  } else {
    feed(h, rec, all, 0, cut);
    const snapshot = h.snapshot(1);
    const dropped = (h.getOperator() as unknown as { numLateRecordsDropped: number }).numLateRecordsDropped;
    h = harness(c, general);
    h.initializeState(snapshot);
    h.open();
    rec.seen = { main: 0, late: 0, cleared: 0 };
    (h.getOperator() as unknown as { numLateRecordsDropped: number }).numLateRecordsDropped = dropped;
    feed(h, rec, all, cut, all.length);
  }
  return rec.finish(h);
}

/**
 * Steps [0, at) on two subtasks (elements to the subtask of their key; the i-th watermark to subtask
 * wmTo[i], or to both when 2), then both restored into one subtask that takes the rest.
 */
function rescaled(c: Config, steps: readonly Step[], wmTo: readonly number[], at: number, general: boolean): Omit<Result, 'windows' | 'timers'> {
  const all = [...steps, END];
  const first = [0, 1].map((i) => harness(c, general, { parallelism: 2, subtaskIndex: i }));
  const recorders = [new Recorder(), new Recorder(), new Recorder()];
  first.forEach((h) => h.open());
  for (let i = 0; i < at; i++) {
    const s = all[i]!;
    first.forEach((h, sub) => {
      if ('wm' in s) {
        if (wmTo[i % wmTo.length] !== 2 && wmTo[i % wmTo.length] !== sub) return;
        h.processWatermark(s.wm);
      } else if (assignKeyToParallelOperator(s.el.key, 128, 2) === sub) h.processElement(s.el, s.el.ts);
      else return;
      recorders[sub]!.collect(h);
    });
  }
  const second = harness(c, general);
  second.initializeState(first.map((h) => h.snapshot(1)));
  second.open();
  feed(second, recorders[2]!, all, at, all.length);
  const results = [recorders[0]!.finish(first[0]!), recorders[1]!.finish(first[1]!), recorders[2]!.finish(second)];
  const byKey: Record<string, string[]> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.byKey)) (byKey[k] ??= []).push(...v);
  return { byKey, late: results.flatMap((r) => r.late), dropped: results.reduce((n, r) => n + r.dropped, 0) };
}

// ---- input ---------------------------------------------------------------------------------------

/** Elements up to 30 ms out of order, watermarks up to 30 ms behind (some elements late, many sessions open at once), after random elements. */
const stepsArb: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      { arbitrary: fc.record({ key: fc.constantFrom('a', 'b', 'c'), v: fc.integer({ min: 1, max: 9 }), adv: fc.nat({ max: 6 }), back: fc.oneof(fc.nat({ max: 6 }), fc.nat({ max: 30 })) }), weight: 5 },
      { arbitrary: fc.record({ lag: fc.nat({ max: 30 }) }), weight: 2 },
    ),
    { maxLength: 70, size: 'max' },
  )
  .map((rows) => {
    let max = 0;
    let wm = Number.NEGATIVE_INFINITY;
    let id = 0;
    const steps: Step[] = [];
    for (const r of rows) {
      if ('lag' in r) {
        if (max - r.lag > wm) steps.push({ wm: (wm = max - r.lag) });
      } else {
        max += r.adv;
        steps.push({ el: { id: id++, key: r.key, v: r.v, ts: Math.max(0, max - r.back) } });
      }
    }
    return steps;
  });

const configArb: fc.Arbitrary<Config> = fc.record({
  gap: fc.constantFrom(0, 1, 3, 6),
  lateness: fc.constantFrom(0, 0, 2, 7, 30),
  lateTag: fc.boolean(),
  fn: fc.constantFrom<Config['fn']>('reduce', 'aggregate', 'process', 'reduce+process', 'aggregate+process'),
});

afterEach(() => forceWindowStorageForTesting(undefined));

describe('the session strategy', () => {
  test('gives exactly what the general operator gives: output per key in order, clear() calls, late data, drops, windows and timers held', () => {
    fc.assert(
      fc.property(configArb, stepsArb, (c, steps) => {
        expect(run(c, steps, false)).toEqual(run(c, steps, true));
      }),
      { numRuns: 600 },
    );
  });

  test('restored from a snapshot taken at any point, it continues exactly as the uninterrupted run', () => {
    fc.assert(
      fc.property(configArb, stepsArb, fc.nat(), (c, steps, cut) => {
        const at = cut % (steps.length + 1);
        const restored = run(c, steps, false, at);
        const uninterrupted = run(c, steps, false);
        // numWindows right after the restore point is the restored operator's: the same by construction.
        expect(restored).toEqual(uninterrupted);
      }),
      { numRuns: 300 },
    );
  });

  test('restored at parallelism 1 from two subtasks at different watermarks, it gives what the general operator gives', () => {
    // The restored watermark is the lower one: sessions of the other subtask that fired above it must not fire again at their end (Flink: their timer is gone), but do when an element comes.
    fc.assert(
      fc.property(configArb, stepsArb, fc.array(fc.constantFrom(0, 1, 2), { minLength: 70, maxLength: 70 }), fc.nat(), (c, steps, wmTo, cut) => {
        const at = cut % (steps.length + 1);
        expect(rescaled(c, steps, wmTo, at, false)).toEqual(rescaled(c, steps, wmTo, at, true));
      }),
      { numRuns: 300 },
    );
  });

  test('a session fired above the restored (lower) watermark fires again at its end only when an element comes', () => {
    const c: Config = { gap: 10, lateness: 200, lateTag: false, fn: 'aggregate' };
    const keys = ['a', 'b', 'c'];
    const [k0, k1] = [0, 1].map((i) => keys.find((k) => assignKeyToParallelOperator(k, 128, 2) === i)!);
    for (const general of [false, true]) {
      const first = [0, 1].map((i) => harness(c, general, { parallelism: 2, subtaskIndex: i }));
      first.forEach((h) => h.open());
      first[0]!.processElement({ id: 0, key: k0!, v: 1, ts: 0 }, 0);
      first[0]!.processElement({ id: 1, key: k0!, v: 1, ts: 20 }, 20);
      first[0]!.processWatermark(100); // both sessions of k0 fire; they stay until 209 and 229
      first[1]!.processElement({ id: 2, key: k1!, v: 1, ts: 0 }, 0);
      first[1]!.processWatermark(5);
      expect(first[0]!.extractOutputValues()).toEqual([`${k0}0`, `${k0}1`]);
      const second = harness(c, general);
      second.initializeState(first.map((h) => h.snapshot(1)));
      second.processElement({ id: 3, key: k0!, v: 1, ts: 20 }, 20); // inside [20, 30), above the restored watermark 5: pending again
      second.processWatermark(50);
      expect(second.extractOutputValues()).toEqual([`${k1}2`, `${k0}1,${k0}3`]); // [0, 10) of k0 does not fire again
    }
  });

  test("windowState() is refused, as with the general operator (merging windows have no per-window state)", () => {
    const stream = StreamExecutionEnvironment.getExecutionEnvironment()
      .fromElements<Ev>()
      .keyBy((e) => e.key)
      .window(EventTimeSessionWindows.withGap<Ev>(5))
      .process((_k: string, ctx: ProcessWindowContext<TimeWindow>, _els: Ev[], out: Collector<string>) => out.collect(String(ctx.windowState().getState(keyFirings).value())));
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, string>(stream);
    expect(h.getOperator()).toBeInstanceOf(SessionWindowOperator);
    h.processElement({ id: 0, key: 'a', v: 1, ts: 1 }, 1);
    expect(() => h.processWatermark(100)).toThrow("windowState() is not available with merging windows (session windows): their windows merge, and per-window state ('key-firings') cannot be merged");
  });

  test('a late element bridging three sessions merges their contents in start order, then the element', () => {
    const stream = StreamExecutionEnvironment.getExecutionEnvironment()
      .fromElements<Ev>()
      .keyBy((e) => e.key)
      .window(EventTimeSessionWindows.withDynamicGap<Ev>((e) => e.v))
      .allowedLateness(100)
      .process((_k: string, ctx: ProcessWindowContext<TimeWindow>, els: Ev[], out: Collector<string>) => out.collect(`${String(ctx.window())}: ${els.map((e) => e.id).join(',')}`));
    for (const general of [false, true]) {
      forceWindowStorageForTesting(general ? 'general' : undefined);
      const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, string>(stream);
      forceWindowStorageForTesting(undefined);
      expect(h.getOperator()).toBeInstanceOf(general ? WindowOperator : SessionWindowOperator);
      const ev = (id: number, ts: number, gap: number): Ev => ({ id, key: 'k', v: gap, ts });
      for (const e of [ev(0, 10, 2), ev(1, 0, 2), ev(2, 5, 1), ev(3, 6, 1), ev(4, 1, 10)]) h.processElement(e, e.ts); // [10, 12), [0, 2), [5, 7) then [1, 11) bridges them
      h.processWatermark(100);
      expect(h.extractOutputValues()).toEqual(['TimeWindow{start=0, end=12}: 1,2,3,0,4']);
    }
  });

  test('extending the newest session keeps its contents in place: no window is added or moved', () => {
    const c: Config = { gap: 10, lateness: 0, lateTag: false, fn: 'aggregate' };
    const h = harness(c, false);
    for (let i = 0; i < 50; i++) h.processElement({ id: i, key: 'k', v: 1, ts: i * 3 }, i * 3);
    const op = h.getOperator() as unknown as AbstractWindowOperator<Ev, unknown, unknown, string, TimeWindow>;
    expect(op.numWindows()).toBe(1);
    // Contents stay in the namespace of the window of the first element; the session is [0, 157).
    expect(h.getKeys('window-contents', new TimeWindow(0, 10))).toEqual(['k']);
    h.processWatermark(155);
    expect(h.extractOutputValues()).toEqual([]);
    h.processWatermark(156);
    expect(h.extractOutputStreamRecords().map((r) => [String(r.value).split(',').length, r.timestamp])).toEqual([[50, 156]]);
    expect(h.numKeyedStateEntries()).toBe(0);
  });

  test('late re-firings and merges of fired sessions keep one firing-queue entry per live session (memory stays bounded with a large allowed lateness)', () => {
    const c: Config = { gap: 10, lateness: 1e12, lateTag: false, fn: 'aggregate' };
    const queued = (h: Harness): number => (h.getOperator() as unknown as { queue: unknown[] }).queue.length;
    // A key whose every element comes after its session fired and re-opens it: one session all along.
    const reopened = harness(c, false);
    reopened.open();
    for (let i = 0; i < 2000; i++) {
      reopened.processElement({ id: i, key: 'k', v: 1, ts: i * 10 }, i * 10);
      reopened.processWatermark(i * 10 + 12);
    }
    expect(reopened.extractOutputValues()).toHaveLength(2000);
    expect(queued(reopened)).toBe(1);
    // Two fired sessions bridged by a late element, again and again: one merged session per round.
    const merged = harness(c, false);
    merged.open();
    for (let i = 0; i < 1000; i++) {
      const b = i * 100;
      for (const ts of [b, b + 20]) merged.processElement({ id: i, key: 'k', v: 1, ts }, ts);
      merged.processWatermark(b + 40);
      merged.processElement({ id: i, key: 'k', v: 1, ts: b + 10 }, b + 10);
    }
    expect((merged.getOperator() as unknown as AbstractWindowOperator<Ev, unknown, unknown, string, TimeWindow>).numWindows()).toBe(1000);
    expect(queued(merged)).toBe(1000);
  });

  test('an element with timestamp +Infinity fires at the end of input, as with the general operator; NaN fails naming it', () => {
    for (const lateness of [0, 3]) {
      const c: Config = { gap: 10, lateness, lateTag: false, fn: 'aggregate' };
      const outputs = [false, true].map((general) => {
        const h = harness(c, general);
        h.open();
        for (const [key, ts] of [['a', 1], ['a', Number.POSITIVE_INFINITY], ['b', Number.MAX_VALUE], ['a', Number.POSITIVE_INFINITY]] as const) h.processElement({ id: 0, key, v: 1, ts }, ts);
        h.processWatermark(100);
        h.processWatermark(Number.POSITIVE_INFINITY);
        expect(h.numKeyedStateEntries()).toBe(0);
        return h.extractOutputStreamRecords().map((r) => `${String(r.value)} @${r.timestamp}`);
      });
      expect(outputs[0]).toEqual(['a0 @10', `b0 @${Number.MAX_VALUE}`, 'a0,a0 @Infinity']);
      expect(outputs[0]).toEqual(outputs[1]);
    }
    const h = harness({ gap: 10, lateness: 0, lateTag: false, fn: 'aggregate' }, false);
    h.open();
    h.processElement({ id: 0, key: 'a', v: 1, ts: 1 }, 1);
    expect(() => h.processElement({ id: 1, key: 'a', v: 1, ts: Number.NaN }, Number.NaN)).toThrow('A record of a session window has the timestamp NaN: a timestamp must be epoch milliseconds');
  });
});

// ---- whole jobs ------------------------------------------------------------------------------------

/** A watermark after every element (the highest timestamp so far minus 5): some elements are late. */
class Punctuated implements WatermarkGenerator<Ev> {
  private max = Number.NEGATIVE_INFINITY;
  onEvent(e: Ev, _ts: number, out: WatermarkOutput): void {
    if (e.ts > this.max) this.max = e.ts;
    out.emitWatermark(this.max - 5);
  }
  onPeriodicEmit(): void {}
}

describe('the session strategy in a job', () => {
  test('at parallelism 1..3 gives what the general operator gives', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, stepsArb, fc.integer({ min: 1, max: 3 }), async (c, steps, p) => {
        const evs = steps.flatMap((s) => ('el' in s ? [s.el] : []));
        if (evs.length === 0) return;
        const job = async (general: boolean): Promise<{ out: Record<string, string[]>; late: number[] }> => {
          forceWindowStorageForTesting(general ? 'general' : undefined);
          const e = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
          const windowed = e
            .fromCollection(evs)
            .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => new Punctuated()).withTimestampAssigner((x) => x.ts))
            .setParallelism(1)
            .keyBy((x) => x.key)
            .window(c.gap > 0 ? EventTimeSessionWindows.withGap<Ev>(c.gap) : EventTimeSessionWindows.withDynamicGap<Ev>(dynamicGap))
            .allowedLateness(c.lateness)
            .sideOutputLateData(late);
          const stream = c.fn === 'process' ? windowed.process(new Describe()) : c.fn === 'aggregate' ? windowed.aggregate(ids) : windowed.reduce(concat, new Describe());
          const out: Record<string, string[]> = {};
          const lateIds: number[] = [];
          stream.toObservable().subscribe((r) => (out[recordKey(r)] ??= []).push(JSON.stringify(r)));
          stream.getSideOutput(late).toObservable().subscribe((x) => lateIds.push(x.id));
          try {
            await e.execute();
          } finally {
            forceWindowStorageForTesting(undefined);
          }
          return { out, late: lateIds.sort((a, b) => a - b) };
        };
        expect(await job(false)).toEqual(await job(true));
      }),
      { numRuns: 25 },
    );
  });
});
