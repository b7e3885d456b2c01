/**
 * A window operator's state lives in the state layer: an operator snapshotted at any point of its
 * input and restored into a fresh operator (the snapshot through v8.serialize, so nothing is shared
 * by reference) continues exactly as the uninterrupted operator does — tumbling, sliding, session
 * and global windows, incremental and list contents, evictors, count triggers, per-window and
 * global window-function state, allowed lateness and late data, the slice strategy (tumbling, sliding
 * and cumulative windows with the default trigger: slices in the state layer, fired for all keys at once)
 * and the session strategy (event-time sessions with the default trigger).
 *
 * The operator's watermark is part of its snapshot (beyond Flink): the restored operator judges
 * lateness as the first one did with no watermark sent again. The driver sends it the first
 * watermark of the input before the rest, as an upstream restarted from scratch might: that one is
 * at or below the restored watermark, so it moves nothing back and fires nothing.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { deserialize, serialize } from 'node:v8';
import { SliceWindowOperator } from '../../lib/windowing/slicing/slice-window-operator.ts';
import { CumulativeEventTimeWindows } from '../../lib/windowing/assigners/cumulative-windows.ts';
import { SessionWindowOperator } from '../../lib/windowing/sessions/session-window-operator.ts';
import { TumblingEventTimeWindows } from '../../lib/windowing/assigners/tumbling-windows.ts';
import { SlidingEventTimeWindows } from '../../lib/windowing/assigners/sliding-windows.ts';
import { EventTimeSessionWindows } from '../../lib/windowing/assigners/session-windows.ts';
import { GlobalWindows } from '../../lib/windowing/assigners/global-windows.ts';
import { CountTrigger } from '../../lib/windowing/triggers/count-trigger.ts';
import { EventTimeTrigger } from '../../lib/windowing/triggers/event-time-trigger.ts';
import { PurgingTrigger } from '../../lib/windowing/triggers/purging-trigger.ts';
import { CountEvictor } from '../../lib/windowing/evictors/evictor.ts';
import type { WindowAssigner } from '../../lib/windowing/assigners/window-assigner.ts';
import { TimeWindow, type Window } from '../../lib/windowing/windows.ts';
import type { ProcessWindowContext } from '../../lib/windowing/process-window-function.ts';
import { OutputTag, ReducingStateDescriptor, StreamExecutionEnvironment, ValueStateDescriptor, type AggregateFunction, type Collector, type Trigger } from '../../lib/index.ts';
import type { OperatorSnapshot } from '../../lib/state/stream-task-state-initializer.ts';
import { KeyedOneInputStreamOperatorTestHarness, type OperatorStream } from '../../lib/testing/index.ts';
import { assignKeyToParallelOperator } from '../../lib/state/key-groups.ts';

type Key = string | number | [string, number];
type Ev = { key: Key; v: number; ts: number };
type Step = { el: Ev } | { wm: number };

// ---- the operator under test ----------------------------------------------------------------------

interface Config {
  assigner: 'tumbling' | 'sliding' | 'cumulative' | 'session' | 'global';
  fn: 'reduce' | 'aggregate' | 'process' | 'reduce+process';
  trigger: 'default' | 'count' | 'purging-count';
  evictor: boolean;
  lateness: number;
  /** Tumbling, sliding or cumulative windows with the default trigger and no evictor: the slice strategy. */
  sliced: boolean;
  /** Sessions with the default trigger and no evictor: the session strategy. */
  sessions?: boolean;
}

const late = new OutputTag<Ev>('late');
const firings = new ValueStateDescriptor<number>('firings');
const keyFirings = new ValueStateDescriptor<number>('key-firings');

const sumReduce = (a: Ev, b: Ev): Ev => ({ key: a.key, v: a.v + b.v, ts: Math.max(a.ts, b.ts) });
// Updates its accumulator in place: the snapshot must not share it with the live state.
const countSum: AggregateFunction<Ev, { n: number; sum: number }, string> = {
  createAccumulator: () => ({ n: 0, sum: 0 }),
  add: (e, acc) => {
    acc.n++;
    acc.sum += e.v;
    return acc;
  },
  getResult: (acc) => `${acc.n}/${acc.sum}`,
  merge: (a, b) => ({ n: a.n + b.n, sum: a.sum + b.sum }),
};
/**
 * Emits the window (a restored one must be a window again), the elements, and how often this window
 * (not for merging windows: they have no per-window state) and this key fired.
 */
const describeFiring = (merging: boolean) => (key: Key, ctx: ProcessWindowContext<Window>, els: Ev[], out: Collector<string>): void => {
  const w = merging ? undefined : ctx.windowState().getState(firings);
  const n = (w?.value() ?? 0) + 1;
  w?.update(n);
  const g = ctx.globalState().getState(keyFirings);
  const m = (g.value() ?? 0) + 1;
  g.update(m);
  out.collect(`${JSON.stringify(key)} ${String(ctx.window())} max=${ctx.window().maxTimestamp()} #${n}/${m}: ${els.map((e) => `${e.v}@${e.ts}`).join(',')}`);
};

/**
 * The window stream a job would build for `c` (the API takes the slice strategy by itself for
 * tumbling, sliding and cumulative windows with the default trigger and no evictor; an explicit
 * default trigger keeps such a window on the general operator).
 */
function windowStream(c: Config): OperatorStream<unknown> {
  const assigner: WindowAssigner<Ev, Window> = (
    c.assigner === 'tumbling'
      ? TumblingEventTimeWindows.of(10)
      : c.assigner === 'sliding'
        ? SlidingEventTimeWindows.of(10, 4)
        : c.assigner === 'cumulative'
          ? CumulativeEventTimeWindows.of(15, 5)
          : c.assigner === 'session'
          ? EventTimeSessionWindows.withGap(4)
          : GlobalWindows.create()
  ) as WindowAssigner<Ev, Window>;
  const windowed = StreamExecutionEnvironment.getExecutionEnvironment()
    .fromElements<Ev>()
    .keyBy((e) => e.key)
    .window(assigner)
    .allowedLateness(c.lateness)
    .sideOutputLateData(late);
  if (c.trigger === 'count') windowed.trigger(CountTrigger.of(2));
  else if (c.trigger === 'purging-count') windowed.trigger(PurgingTrigger.of(CountTrigger.of(2)));
  else if (!c.sliced && c.sessions !== true) windowed.trigger(assigner.getDefaultTrigger());
  if (c.evictor) windowed.evictor(CountEvictor.of(2));
  return c.fn === 'reduce'
    ? windowed.reduce(sumReduce)
    : c.fn === 'aggregate'
      ? windowed.aggregate(countSum)
      : c.fn === 'process'
        ? windowed.process(describeFiring(c.assigner === 'session'))
        : windowed.reduce(sumReduce, describeFiring(c.assigner === 'session'));
}

// ---- driving it directly ---------------------------------------------------------------------------

/**
 * What the operator emitted (main output and side outputs) at each input step. Records that one
 * step emits for different keys are compared as a set: a restored operator has its state and
 * timers back by key group, so keys that fire at the same time may fire in another order (Flink's
 * timer heap makes no promise on that order either).
 */
class Emitted {
  step = -1;
  readonly bySteps = new Map<number, string[]>();
  push(tag: string, value: unknown, timestamp: number): void {
    const at = this.bySteps.get(this.step) ?? [];
    at.push(JSON.stringify([tag, value, timestamp]));
    this.bySteps.set(this.step, at);
  }
  /** Step -> the records it emitted, sorted. */
  result(): Array<[number, string[]]> {
    return [...this.bySteps].map(([step, records]) => [step, records.sort()] as [number, string[]]).sort((a, b) => a[0] - b[0]);
  }
}

/** One operator run through the public test harness, recording what each step emits. */
class Run {
  readonly h: KeyedOneInputStreamOperatorTestHarness<Key, Ev, unknown>;
  private seenMain = 0;
  private seenLate = 0;
  constructor(
    c: Config,
    private readonly out: Emitted,
    restoreFrom?: OperatorSnapshot | OperatorSnapshot[],
    private readonly subtask: { parallelism: number; subtaskIndex: number } = { parallelism: 1, subtaskIndex: 0 },
  ) {
    this.h = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(windowStream(c), subtask);
    // The configuration runs on the operator it names: the slice strategy, the session strategy or the general one.
    expect(this.h.getOperator() instanceof SliceWindowOperator).toBe(c.sliced);
    expect(this.h.getOperator() instanceof SessionWindowOperator).toBe(c.sessions === true);
    // The harness restores through new StreamTaskStateInitializer(pts, () => ({ checkpointId, snapshots: [snapshot] })).
    if (restoreFrom !== undefined) this.h.initializeState(restoreFrom);
    this.h.open();
  }
  /** Whether this subtask gets the records of `key` (a job sends each key to the subtask owning its key group). */
  owns(key: Key): boolean {
    return assignKeyToParallelOperator(key, 128, this.subtask.parallelism) === this.subtask.subtaskIndex;
  }
  step(i: number, s: Step): void {
    if ('el' in s && !this.owns(s.el.key)) return;
    this.out.step = i;
    if ('wm' in s) this.h.processWatermark(s.wm);
    else this.h.processElement(s.el, s.el.ts);
    this.collect();
  }
  /** Moves what the operator emitted since the last call into `out`, under the current step. */
  private collect(): void {
    const main = this.h.extractOutputStreamRecords();
    for (const r of main.slice(this.seenMain)) this.out.push('out', r.value, r.timestamp ?? Number.NaN);
    this.seenMain = main.length;
    const side = this.h.getSideOutput(late);
    for (const r of side.slice(this.seenLate)) this.out.push('late', r.value, r.timestamp ?? Number.NaN);
    this.seenLate = side.length;
  }
}

/** Feeds steps[from, to), and after the last step the end of input (the final watermark). */
function feed(run: Run, steps: readonly Step[], from: number, to: number): void {
  for (let i = from; i < to; i++) run.step(i, steps[i]!);
  if (to === steps.length) run.step(steps.length, END);
}

const END: Step = { wm: Number.POSITIVE_INFINITY };

function uninterrupted(c: Config, steps: readonly Step[]): Array<[number, string[]]> {
  const out = new Emitted();
  feed(new Run(c, out), steps, 0, steps.length);
  return out.result();
}

function restoredAt(c: Config, steps: readonly Step[], at: number): Array<[number, string[]]> {
  const out = new Emitted();
  const first = new Run(c, out);
  feed(first, steps, 0, at);
  const snapshot = deserialize(serialize(first.h.snapshot(1))) as OperatorSnapshot;
  const second = new Run(c, out, snapshot);
  const watermarks = steps.slice(0, at).filter((s): s is { wm: number } => 'wm' in s);
  // A stale watermark must fire nothing (step -1 would show up in the result).
  if (watermarks.length > 0) second.step(-1, watermarks[0]!);
  feed(second, steps, at, steps.length);
  if (c.assigner !== 'global') expectNothingLeft(second);
  return out.result();
}

/**
 * After the final watermark every window is gone: no timer, and no state but the window function's
 * globalState() (one entry per key that fired).
 */
function expectNothingLeft(run: Run): void {
  const h = run.h;
  expect(h.numEventTimeTimers()).toBe(0);
  const owned = KEYS.find((k) => run.owns(k));
  if (owned === undefined) return expect(h.numKeyedStateEntries()).toBe(0);
  h.getKeyedState(owned, keyFirings); // registers it: its restored entries are in getKeys from here on
  expect(h.numKeyedStateEntries()).toBe(h.getKeys('key-firings').length);
}

/**
 * The same at another parallelism: `from` subtasks run up to step `at`, and `to` subtasks restored
 * from all their snapshots (each taking the key groups it owns) run the rest.
 */
function rescaledAt(c: Config, steps: readonly Step[], at: number, from: number, to: number): Array<[number, string[]]> {
  const out = new Emitted();
  const subtasks = (p: number, restore?: OperatorSnapshot[]): Run[] =>
    Array.from({ length: p }, (_, i) => new Run(c, out, restore, { parallelism: p, subtaskIndex: i }));
  const first = subtasks(from);
  for (const run of first) feed(run, steps, 0, at);
  const snapshots = first.map((run) => deserialize(serialize(run.h.snapshot(1))) as OperatorSnapshot);
  const second = subtasks(to, snapshots);
  const watermarks = steps.slice(0, at).filter((s): s is { wm: number } => 'wm' in s);
  for (const run of second) {
    if (watermarks.length > 0) run.step(-1, watermarks[0]!);
    feed(run, steps, at, steps.length);
    if (c.assigner !== 'global') expectNothingLeft(run);
  }
  return out.result();
}

// ---- input ---------------------------------------------------------------------------------------

const KEYS: readonly Key[] = ['a', 'b', 1, ['x', 1]];
const keyArb: fc.Arbitrary<Key> = fc.oneof(fc.constantFrom('a', 'b'), fc.constant(1), fc.constant<[string, number]>(['x', 1]));

/** Events up to 14 ms out of order, watermarks 4 ms behind the highest timestamp so far: some events are late. */
const stepsArb: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      { arbitrary: fc.record({ key: keyArb, v: fc.integer({ min: 1, max: 9 }), adv: fc.nat({ max: 6 }), back: fc.nat({ max: 14 }) }), weight: 4 },
      { arbitrary: fc.constant('wm' as const), weight: 1 },
    ),
    { maxLength: 60 },
  )
  .map((rows) => {
    let max = 0;
    let wm = Number.NEGATIVE_INFINITY;
    const steps: Step[] = [];
    for (const r of rows) {
      if (r === 'wm') {
        if (max - 4 > wm) steps.push({ wm: (wm = max - 4) });
      } else {
        max += r.adv;
        steps.push({ el: { key: r.key, v: r.v, ts: Math.max(0, max - r.back) } });
      }
    }
    return steps;
  });

const generalArb: fc.Arbitrary<Config> = fc
  .record({
    assigner: fc.constantFrom<Config['assigner']>('tumbling', 'sliding', 'cumulative', 'session', 'global'),
    fn: fc.constantFrom<Config['fn']>('reduce', 'aggregate', 'process', 'reduce+process'),
    trigger: fc.constantFrom<Config['trigger']>('default', 'count', 'purging-count'),
    evictor: fc.boolean(),
    lateness: fc.constantFrom(0, 3),
  })
  // GlobalWindows never fire by default: give them a count trigger.
  .map((c) => ({ ...c, trigger: c.assigner === 'global' && c.trigger === 'default' ? 'purging-count' : c.trigger, sliced: false }));

const slicedArb: fc.Arbitrary<Config> = fc.record({
  assigner: fc.constantFrom<Config['assigner']>('tumbling', 'sliding', 'cumulative'),
  fn: fc.constantFrom<Config['fn']>('reduce', 'aggregate', 'process', 'reduce+process'),
  trigger: fc.constant<Config['trigger']>('default'),
  evictor: fc.constant(false),
  lateness: fc.constantFrom(0, 3),
  sliced: fc.constant(true),
});

const sessionsArb: fc.Arbitrary<Config> = fc
  .record({ fn: fc.constantFrom<Config['fn']>('reduce', 'aggregate', 'process', 'reduce+process'), lateness: fc.constantFrom(0, 3) })
  .map(({ fn, lateness }) => ({ assigner: 'session', fn, trigger: 'default', evictor: false, lateness, sliced: false, sessions: true }));

const configArb = fc.oneof({ arbitrary: generalArb, weight: 2 }, { arbitrary: slicedArb, weight: 1 }, { arbitrary: sessionsArb, weight: 1 });

describe('window operator state restore', () => {
  test('restored from a snapshot taken at any point, a window operator emits exactly what the uninterrupted one emits', () => {
    fc.assert(
      fc.property(configArb, stepsArb, fc.nat(), (c, steps, cut) => {
        const at = cut % (steps.length + 1);
        expect(restoredAt(c, steps, at)).toEqual(uninterrupted(c, steps));
      }),
      { numRuns: 400 },
    );
  });

  test('restored at another parallelism (scaled out and in), the subtasks together emit exactly what the uninterrupted operator emits', () => {
    fc.assert(
      fc.property(configArb, stepsArb, fc.nat(), fc.constantFrom([1, 3], [2, 1], [3, 2]), (c, steps, cut, [from, to]) => {
        const at = cut % (steps.length + 1);
        expect(rescaledAt(c, steps, at, from!, to!)).toEqual(uninterrupted(c, steps));
      }),
      { numRuns: 200 },
    );
  });

  test('an example: windows and late data at every snapshot point, slice strategy and general operator', () => {
    const c: Config = { assigner: 'tumbling', fn: 'aggregate', trigger: 'default', evictor: false, lateness: 0, sliced: true };
    const steps: Step[] = [{ el: { key: 'a', v: 1, ts: 1 } }, { el: { key: 'b', v: 2, ts: 3 } }, { wm: 12 }, { el: { key: 'a', v: 5, ts: 2 } }, { el: { key: 'a', v: 3, ts: 14 } }];
    const expected = [
      [2, ['["out","1/1",9]', '["out","1/2",9]']],
      [3, ['["late",{"key":"a","v":5,"ts":2},2]']],
      [5, ['["out","1/3",19]']],
    ];
    for (const sliced of [true, false]) {
      for (let at = 0; at <= steps.length; at++) expect(restoredAt({ ...c, sliced }, steps, at)).toEqual(expected);
    }
  });
});

describe('per-window state of a restored window operator', () => {
  test("the window function's windowState() of a window fired before the snapshot is dropped with the window, though not asked for since the restore", () => {
    const c: Config = { assigner: 'tumbling', fn: 'process', trigger: 'default', evictor: false, lateness: 5, sliced: false };
    const first = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(windowStream(c));
    first.processElement({ key: 'a', v: 1, ts: 1 }, 1);
    first.processWatermark(10); // window [0, 10) of 'a' fires; it stays (contents, 'firings') until 14
    const second = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(windowStream(c));
    second.initializeState(first.snapshot());
    second.processWatermark(100); // [0, 10) of 'a' is cleaned up; the window function did not run since the restore
    second.processElement({ key: 'b', v: 1, ts: 101 }, 101);
    second.processWatermark(200); // the window function runs (and asks for 'firings') for [100, 110) of 'b'
    expect(second.extractOutputValues()).toEqual(['"b" TimeWindow{start=100, end=110} max=109 #1/1: 1@101']);
    // What remains is the globalState() of the keys that fired ('key-firings' of 'a' and 'b'), nothing of the windows.
    expect(second.numEventTimeTimers()).toBe(0);
    expect(second.numKeyedStateEntries()).toBe(2);
    expect(second.getKeys('firings', new TimeWindow(0, 10))).toEqual([]);
    const restoredAgain = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(windowStream(c));
    restoredAgain.initializeState(second.snapshot());
    restoredAgain.open();
    expect(restoredAgain.numKeyedStateEntries()).toBe(2);
  });
});

describe('inspecting a window operator through the harness', () => {
  test("reading a window's contents with getKeyedState between records leaves the operator's windows as they were (slice strategy and general operator)", () => {
    for (const sliced of [true, false]) {
      const c: Config = { assigner: 'tumbling', fn: 'reduce', trigger: 'default', evictor: false, lateness: 0, sliced };
      const h = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(windowStream(c));
      const contents = new ReducingStateDescriptor<Ev>('window-contents', sumReduce);
      h.processElement({ key: 'a', v: 1, ts: 1 }, 1);
      expect(h.getKeyedState('a', contents, new TimeWindow(0, 10)).get()).toEqual({ key: 'a', v: 1, ts: 1 });
      h.processElement({ key: 'a', v: 2, ts: 2 }, 2);
      expect(h.getKeyedState('a', contents, new TimeWindow(0, 10)).get()).toEqual({ key: 'a', v: 3, ts: 2 });
      h.processWatermark(100);
      expect(h.extractOutputValues()).toEqual([{ key: 'a', v: 3, ts: 2 }]);
      expect(h.numKeyedStateEntries()).toBe(0);
    }
  });
});

describe('windows of a custom assigner', () => {
  /** A window of the user's own class: "the hour of day" of a record, ending at a set time. */
  class HourWindow implements Window {
    readonly id: string;
    constructor(
      readonly hour: number,
      readonly end: number,
    ) {
      this.id = `hour-${hour}@${end}`;
    }
    maxTimestamp(): number {
      return this.end - 1;
    }
    toString(): string {
      return `HourWindow(${this.hour})`;
    }
  }
  const assigner = (restorable: boolean): WindowAssigner<Ev, HourWindow> => {
    const a: WindowAssigner<Ev, HourWindow> = {
      assignWindows: (e) => [new HourWindow(e.v % 24, Math.floor(e.ts / 10) * 10 + 10)],
      getDefaultTrigger: () => TumblingEventTimeWindows.of(10).getDefaultTrigger() as unknown as Trigger<Ev, HourWindow>,
      isEventTime: () => true,
    };
    if (restorable) a.restoreWindow = (data) => new HourWindow(data.hour as number, data.end as number);
    return a;
  };
  const run = (restorable: boolean) => {
    const make = () =>
      KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(
        StreamExecutionEnvironment.getExecutionEnvironment()
          .fromElements<Ev>()
          .keyBy((e) => e.key)
          .window(assigner(restorable))
          .process((k: Key, ctx: ProcessWindowContext<HourWindow>, els: Ev[], out: Collector<unknown>) => out.collect(`${String(k)} ${String(ctx.window())}: ${els.length}`)),
      );
    const first = make();
    first.processElement({ key: 'a', v: 7, ts: 1 }, 1);
    const second = make();
    second.initializeState(first.snapshot());
    second.processElement({ key: 'a', v: 7, ts: 2 }, 2);
    second.processWatermark(100);
    return second;
  };

  test('come back as its windows through its restoreWindow', () => {
    const h = run(true);
    expect(h.extractOutputValues()).toEqual(['a HourWindow(7): 2']);
    expect(h.numKeyedStateEntries()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
  });

  test('without restoreWindow, fail the restore saying so (not as a missing method of a window later)', () => {
    expect(() => run(false)).toThrow(
      'A restored window {"hour":7,"end":10,"id":"hour-7@10"} is not a TimeWindow or GlobalWindow, and the window assigner (Object) has no restoreWindow(data) to rebuild its windows from a snapshot',
    );
  });
});

describe('a snapshot of the other storage strategy of the same window', () => {
  // The same window with an explicit trigger keeps its contents per window with a timer each (the
  // general operator); without one, in slices fired by the watermark (as from a tidemark version
  // before slices, where sliding windows and tumbling ProcessWindowFunctions were per window).
  const make = (assigner: 'tumbling' | 'sliding', explicitTrigger: boolean, fn: 'reduce' | 'process') => {
    const windowed = StreamExecutionEnvironment.getExecutionEnvironment()
      .fromElements<Ev>()
      .keyBy((e) => e.key)
      .window((assigner === 'tumbling' ? TumblingEventTimeWindows.of(10) : SlidingEventTimeWindows.of(10, 5)) as WindowAssigner<Ev, Window>);
    if (explicitTrigger) windowed.trigger(EventTimeTrigger.create());
    const stream =
      fn === 'reduce'
        ? windowed.reduce(sumReduce)
        : windowed.process((key: Key, ctx: ProcessWindowContext<Window>, els: Ev[], out: Collector<string>) => out.collect(`${String(key)} ${String(ctx.window())}: ${JSON.stringify(els)}`));
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(stream);
    expect(h.getOperator() instanceof SliceWindowOperator).toBe(!explicitTrigger);
    return h;
  };
  const snapshotOf = (h: KeyedOneInputStreamOperatorTestHarness<Key, Ev, unknown>): OperatorSnapshot => {
    h.processElement({ key: 'a', v: 1, ts: 3 }, 3);
    h.processElement({ key: 'a', v: 2, ts: 7 }, 7);
    return deserialize(serialize(h.snapshot())) as OperatorSnapshot;
  };

  test('per-window contents restored into sliding slices fail the restore saying why, instead of never firing', () => {
    const snapshot = snapshotOf(make('sliding', true, 'reduce'));
    const h = make('sliding', false, 'reduce');
    h.initializeState(snapshot);
    expect(() => h.open()).toThrow(
      "Cannot restore window operator 'Window(Reduce)' from this snapshot: it holds window contents kept per window (the window had an explicit trigger or an evictor when the snapshot was taken, or the snapshot is from a tidemark version before slices), and this sliding window, with the default trigger and no evictor, keeps slices of 5 ms, into which per-window contents cannot be cut. Restore with the window defined as when the snapshot was taken (for the default behaviour per window: .trigger(EventTimeTrigger.create())), or start without the snapshot.",
    );
  });

  test('slices restored into a window with an explicit trigger fail the restore saying why, instead of never firing', () => {
    for (const assigner of ['tumbling', 'sliding'] as const) {
      const snapshot = snapshotOf(make(assigner, false, 'reduce'));
      const h = make(assigner, true, 'reduce');
      h.initializeState(snapshot);
      expect(() => h.open()).toThrow(
        "Cannot restore window operator 'Window(Reduce)' from this snapshot: it holds window contents kept in slices (a tumbling, sliding or cumulative event-time window with the default trigger and no evictor when the snapshot was taken), and this window, with an explicit trigger or an evictor, keeps its contents per window with timers. Restore with the window defined as when the snapshot was taken, or start without the snapshot.",
      );
    }
  });

  test('tumbling windows kept per window carry over into slices: the window function gets the elements, and no timer or state is left', () => {
    for (const fn of ['reduce', 'process'] as const) {
      const snapshot = snapshotOf(make('tumbling', true, fn));
      const h = make('tumbling', false, fn);
      h.initializeState(snapshot);
      h.processElement({ key: 'a', v: 4, ts: 8 }, 8);
      h.processWatermark(Number.POSITIVE_INFINITY);
      expect(h.extractOutputValues()).toEqual(
        fn === 'reduce'
          ? [{ key: 'a', v: 7, ts: 8 }]
          : ['a TimeWindow{start=0, end=10}: [{"key":"a","v":1,"ts":3},{"key":"a","v":2,"ts":7},{"key":"a","v":4,"ts":8}]'],
      );
      expect(h.numEventTimeTimers()).toBe(0);
      expect(h.numKeyedStateEntries()).toBe(0);
      expect(h.snapshot().timers?.['window-timers']?.eventTime ?? {}).toEqual({});
    }
  });

  test("a stateful trigger's per-window state goes with the tumbling windows it was kept for", () => {
    const windowed = () =>
      StreamExecutionEnvironment.getExecutionEnvironment()
        .fromElements<Ev>()
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(10) as WindowAssigner<Ev, Window>);
    const first = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(windowed().trigger(CountTrigger.of(5)).reduce(sumReduce));
    const snapshot = snapshotOf(first);
    expect(first.numKeyedStateEntries()).toBe(2); // the contents and the trigger's count
    const h = KeyedOneInputStreamOperatorTestHarness.forStream<Key, Ev, unknown>(windowed().reduce(sumReduce));
    h.initializeState(snapshot);
    h.processWatermark(Number.POSITIVE_INFINITY);
    expect(h.extractOutputValues()).toEqual([{ key: 'a', v: 3, ts: 7 }]);
    expect(h.numKeyedStateEntries()).toBe(0);
    expect(h.snapshot().keyed?.keyGroups).toEqual({});
  });
});
