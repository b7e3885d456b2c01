/**
 * Watermarks come back exactly (beyond Flink, which restarts them from the minimum): an
 * assignTimestampsAndWatermarks operator and the event-time window after it, both snapshotted at
 * any point and restored into fresh operators, emit the same watermarks and decide lateness the same
 * as the uninterrupted pair — the same window results and the same late records. At another
 * parallelism the restored watermark is the lowest of the old subtasks', so nothing on time becomes late.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy } from '../../lib/index.ts';
import { TumblingEventTimeWindows } from '../../lib/windowing/assigners/tumbling-windows.ts';
import { TimestampsAndWatermarksOperator } from '../../lib/operators/timestamps-and-watermarks.ts';
import { AscendingTimestampsWatermarks, BoundedOutOfOrdernessWatermarks, NoWatermarksGenerator, WatermarksWithIdleness, type WatermarkOutput } from '../../lib/time/watermark-generator.ts';
import { KeyedOneInputStreamOperatorTestHarness, OneInputStreamOperatorTestHarness, StreamRecord, Watermark, type OperatorSnapshot } from '../../lib/testing/index.ts';

type Ev = { key: string; ts: number };
type Step = { el: Ev } | { tick: true };
const INTERVAL = 10;
const late = new OutputTag<Ev>('late');

/** The restored one starts at the processing time the first had reached, so its periodic emission keeps the same beat. */
function assigner(snapshot?: OperatorSnapshot | OperatorSnapshot[], subtask = { parallelism: 1, subtaskIndex: 0 }, now = 0): OneInputStreamOperatorTestHarness<Ev, Ev> {
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(5).withTimestampAssigner((e) => e.ts);
  const h = new OneInputStreamOperatorTestHarness<Ev, Ev>(new TimestampsAndWatermarksOperator<Ev>(strategy, INTERVAL), { ...subtask, operatorId: 'assigner', initialProcessingTime: now });
  if (snapshot !== undefined) h.initializeState(snapshot);
  h.open();
  return h;
}

function windows(sliced: boolean, snapshot?: OperatorSnapshot): KeyedOneInputStreamOperatorTestHarness<string, Ev, unknown> {
  const windowed = StreamExecutionEnvironment.getExecutionEnvironment()
    .fromElements<Ev>()
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(10))
    .sideOutputLateData(late);
  if (!sliced) windowed.trigger(TumblingEventTimeWindows.of(10).getDefaultTrigger());
  const stream = windowed.reduce((a, b) => ({ key: a.key, ts: Math.max(a.ts, b.ts) }));
  const h = KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, unknown>(stream);
  if (snapshot !== undefined) h.initializeState(snapshot);
  h.open();
  return h;
}

/** The pair, the assigner's output piped into the window operator. */
class Pipeline {
  private seen = 0;
  private now: number;
  constructor(
    readonly a: OneInputStreamOperatorTestHarness<Ev, Ev>,
    readonly w: KeyedOneInputStreamOperatorTestHarness<string, Ev, unknown>,
    now = 0,
  ) {
    this.now = now;
  }
  step(s: Step): void {
    if ('el' in s) this.a.processElement(s.el, Number.NEGATIVE_INFINITY);
    else this.a.setProcessingTime((this.now += INTERVAL));
    this.pipe();
  }
  end(): void {
    this.a.processWatermark(Number.POSITIVE_INFINITY);
    this.pipe();
  }
  private pipe(): void {
    const out = this.a.getOutput();
    for (; this.seen < out.length; this.seen++) {
      const e = out[this.seen]!;
      if (e instanceof StreamRecord) this.w.processElement(e.value, e.timestamp);
      else if (e instanceof Watermark) this.w.processWatermark(e.timestamp);
    }
  }
  get clock(): number {
    return this.now;
  }
  /** What a reader of the job sees: the assigner's watermarks, window results, late records. */
  result(): string[] {
    return [
      ...this.a.getOutput().filter((e) => e instanceof Watermark).map((e) => `wm ${(e as Watermark).timestamp}`),
      ...this.w.extractOutputValues().map((v) => `out ${JSON.stringify(v)}`),
      ...this.w.getSideOutput(late).map((r) => `late ${JSON.stringify(r.value)}`),
    ];
  }
}

/** Events up to 12 ms out of order against a 5 ms bound: some are late for the windows. */
const stepsArb: fc.Arbitrary<Step[]> = fc
  .array(fc.oneof({ arbitrary: fc.record({ key: fc.constantFrom('a', 'b'), adv: fc.nat(6), back: fc.nat(12) }), weight: 3 }, { arbitrary: fc.constant('tick' as const), weight: 1 }), { maxLength: 80 })
  .map((rows) => {
    let max = 0;
    return rows.map((r): Step => {
      if (r === 'tick') return { tick: true };
      max += r.adv;
      return { el: { key: r.key, ts: Math.max(0, max - r.back) } };
    });
  });

describe('watermarks come back exactly', () => {
  // Late records are counted and the first one logged per operator.
  beforeEach(() => void vi.spyOn(console, 'warn').mockImplementation(() => {}));
  afterEach(() => void vi.restoreAllMocks());

  test.each([true, false])('sliced windows %s: restored at any step, the watermarks, window results and late records are the uninterrupted ones', (sliced) => {
    fc.assert(
      fc.property(stepsArb, fc.nat(), (steps, at) => {
        const cut = at % (steps.length + 1);
        const whole = new Pipeline(assigner(), windows(sliced));
        for (const s of steps) whole.step(s);
        whole.end();

        const first = new Pipeline(assigner(), windows(sliced));
        for (const s of steps.slice(0, cut)) first.step(s);
        const second = new Pipeline(assigner(first.a.snapshot(), undefined, first.clock), windows(sliced, first.w.snapshot()), first.clock);
        for (const s of steps.slice(cut)) second.step(s);
        second.end();

        const both = [...first.result(), ...second.result()];
        expect(both.filter((x) => x.startsWith('wm'))).toEqual(whole.result().filter((x) => x.startsWith('wm')));
        expect(both.filter((x) => !x.startsWith('wm')).sort()).toEqual(whole.result().filter((x) => !x.startsWith('wm')).sort());
      }),
      { numRuns: 200 },
    );
  });

  test('at another parallelism the assigner starts from the lowest watermark of the old subtasks', () => {
    const subtasks = [0, 1].map((i) => assigner(undefined, { parallelism: 2, subtaskIndex: i }));
    subtasks[0]!.processElement({ key: 'a', ts: 100 }, 0);
    subtasks[1]!.processElement({ key: 'a', ts: 40 }, 0);
    for (const h of subtasks) h.setProcessingTime(INTERVAL);
    expect(subtasks.map((h) => h.getOutput().filter((e) => e instanceof Watermark).map((e) => (e as Watermark).timestamp))).toEqual([[94], [34]]);
    const snaps = subtasks.map((h) => h.snapshot());
    const one = assigner(snaps, { parallelism: 1, subtaskIndex: 0 });
    // Its generator is the one at 34 (max timestamp 40): a record at 60 moves the watermark to 54, not 94.
    one.processElement({ key: 'a', ts: 60 }, 0);
    one.setProcessingTime(INTERVAL);
    expect(one.getOutput().filter((e) => e instanceof Watermark).map((e) => (e as Watermark).timestamp)).toEqual([54]);
    // Same parallelism: each subtask gets its own back.
    const again = [0, 1].map((i) => assigner(snaps, { parallelism: 2, subtaskIndex: i }));
    for (const h of again) {
      h.processElement({ key: 'a', ts: 0 }, 0);
      h.setProcessingTime(INTERVAL);
    }
    // Nothing new: neither emits below or at what it had emitted.
    expect(again.map((h) => h.getOutput().filter((e) => e instanceof Watermark).length)).toEqual([0, 0]);
  });
});

describe('built-in generators snapshot and restore their state', () => {
  function emitted(): WatermarkOutput & { wms: number[]; idle: boolean } {
    const o = {
      wms: [] as number[],
      idle: false,
      emitWatermark: (w: number) => void o.wms.push(w),
      markIdle: () => void (o.idle = true),
      markActive: () => void (o.idle = false),
    };
    return o;
  }

  test('bounded out-of-orderness and monotonous: a restored generator goes on from the highest timestamp', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 }), fc.nat(), fc.boolean(), (ts, at, monotonous) => {
        const make = () => (monotonous ? new AscendingTimestampsWatermarks<number>() : new BoundedOutOfOrdernessWatermarks<number>(7));
        const cut = at % (ts.length + 1);
        const whole = make();
        const wholeOut = emitted();
        for (const t of ts) (whole.onEvent(t, t, wholeOut), whole.onPeriodicEmit(wholeOut));
        const first = make();
        const out = emitted();
        for (const t of ts.slice(0, cut)) (first.onEvent(t, t, out), first.onPeriodicEmit(out));
        const second = make();
        second.restoreState(structuredClone(first.snapshotState()));
        for (const t of ts.slice(cut)) (second.onEvent(t, t, out), second.onPeriodicEmit(out));
        expect(out.wms).toEqual(wholeOut.wms);
      }),
    );
  });

  test('idleness: the inner state and the idle flag come back; the timeout counts again from the restore', () => {
    let now = 0;
    const clock = (): number => now;
    const g = new WatermarksWithIdleness<number>(new BoundedOutOfOrdernessWatermarks(0), 100, clock);
    const out = emitted();
    g.onEvent(50, 50, out);
    now = 150;
    g.onPeriodicEmit(out);
    expect(out.idle).toBe(true);
    const restored = new WatermarksWithIdleness<number>(new BoundedOutOfOrdernessWatermarks(0), 100, clock);
    restored.restoreState(structuredClone(g.snapshotState()));
    const out2 = emitted();
    restored.onPeriodicEmit(out2);
    expect(out2.wms).toEqual([]); // still idle: no watermark
    restored.onEvent(20, 20, out2); // older than the restored maximum (50)
    restored.onPeriodicEmit(out2);
    expect(out2.wms).toEqual([49]);
    expect(new NoWatermarksGenerator().snapshotState()).toBeNull();
  });
});
