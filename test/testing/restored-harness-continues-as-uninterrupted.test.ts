/**
 * snapshot() and a new harness restored from it (initializeState) continue exactly as the harness
 * that was never interrupted: keyed state, event-time and processing-time timers all come back.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  KeyedProcessFunction,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type ValueState,
} from '../../lib/index.ts';
import { KeyedProcessOperator } from '../../lib/operators/keyed-process.ts';
import { KeyedOneInputStreamOperatorTestHarness, ProcessFunctionTestHarnesses, type OperatorSnapshot } from '../../lib/testing/index.ts';

type Ev = { key: string; v: number; delay: number; processing: boolean };

/** Counts per key, registers a timer per record; timers report the count and reset it every other time. */
class CountWithTimers extends KeyedProcessFunction<string, Ev, string> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count'));
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const n = (this.count.value() ?? 0) + 1;
    this.count.update(n);
    out.collect(`${ctx.getCurrentKey()}:${e.v}#${n}`);
    const ts = ctx.timerService();
    if (e.processing) ts.registerProcessingTimeTimer(ts.currentProcessingTime() + e.delay);
    else ts.registerEventTimeTimer((ctx.timestamp() ?? 0) + e.delay);
  }
  override onTimer(t: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    const n = this.count.value() ?? 0;
    out.collect(`${ctx.getCurrentKey()}@${t}/${ctx.timeDomain()}#${n}`);
    if (n % 2 === 0) this.count.clear();
  }
}

type Op = { kind: 'element'; e: Ev; ts: number } | { kind: 'watermark'; by: number } | { kind: 'processing'; by: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('element' as const),
    e: fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), v: fc.integer({ min: 0, max: 9 }), delay: fc.integer({ min: 0, max: 30 }), processing: fc.boolean() }),
    ts: fc.integer({ min: 0, max: 100 }),
  }),
  fc.record({ kind: fc.constant('watermark' as const), by: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('processing' as const), by: fc.integer({ min: 0, max: 20 }) }),
);

type H = KeyedOneInputStreamOperatorTestHarness<string, Ev, string>;
/** Runs ops, with event time and processing time advancing from where the harness is. */
function drive(h: H, ops: Op[], clock: { wm: number }): void {
  for (const o of ops) {
    if (o.kind === 'element') h.processElement(o.e, o.ts);
    else if (o.kind === 'watermark') h.processWatermark((clock.wm += o.by));
    else h.setProcessingTime(h.getProcessingTime() + o.by);
  }
}

describe('snapshot and restore', () => {
  test('a harness restored from a snapshot continues as the uninterrupted one (outputs, state, timers)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 40 }), (before, after) => {
        const whole = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new CountWithTimers(), (e: Ev) => e.key);
        drive(whole, [...before, ...after], { wm: 0 });

        const first = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new CountWithTimers(), (e: Ev) => e.key);
        const clock = { wm: 0 };
        drive(first, before, clock);
        const snapshot: OperatorSnapshot = first.snapshot();
        const second = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new CountWithTimers(), (e: Ev) => e.key, {
          initialState: snapshot,
          initialProcessingTime: first.getProcessingTime(),
        });
        expect(second.numEventTimeTimers()).toBe(first.numEventTimeTimers());
        expect(second.numProcessingTimeTimers()).toBe(first.numProcessingTimeTimers());
        expect(second.numKeyedStateEntries()).toBe(first.numKeyedStateEntries());
        drive(second, after, clock);

        expect([...first.getOutput(), ...second.getOutput()]).toEqual(whole.getOutput());
        expect(second.eventTimeTimers()).toEqual(whole.eventTimeTimers());
        expect(second.processingTimeTimers()).toEqual(whole.processingTimeTimers());
        for (const key of ['a', 'b', 'c', 'd']) {
          const d = new ValueStateDescriptor<number>('count');
          expect(second.getKeyedState(key, d).value()).toBe(whole.getKeyedState(key, d).value());
        }
      }),
      { numRuns: 500 },
    );
  });

  test('restoring through the operator harness: initializeState before open, then open', () => {
    const first = new KeyedOneInputStreamOperatorTestHarness(new KeyedProcessOperator(new CountWithTimers()), (e: Ev) => e.key);
    first.open();
    first.processElement({ key: 'a', v: 1, delay: 10, processing: false }, 5);
    const snap = first.snapshot();
    const second = new KeyedOneInputStreamOperatorTestHarness(new KeyedProcessOperator(new CountWithTimers()), (e: Ev) => e.key);
    second.initializeState(snap);
    second.open();
    expect(() => second.initializeState(snap)).toThrow(/before open/);
    second.processWatermark(15);
    expect(second.extractOutputValues()).toEqual(['a@15/EVENT_TIME#1']);
  });

  test('snapshots of two subtasks restore into one (rescale): each key keeps its state and timers', () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const snaps = [0, 1].map((subtaskIndex) => {
      const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new CountWithTimers(), (e: Ev) => e.key, { parallelism: 2, subtaskIndex });
      // The harness does not route by key: each snapshot holds the keys it was given; one subtask (parallelism 1) owns all key groups.
      if (subtaskIndex === 0) for (const key of keys.slice(0, 4)) h.processElement({ key, v: 0, delay: 1, processing: false }, 0);
      else for (const key of keys.slice(4)) h.processElement({ key, v: 0, delay: 1, processing: false }, 0);
      return h.snapshot();
    });
    const merged = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new CountWithTimers(), (e: Ev) => e.key, { initialState: snaps });
    expect(merged.numEventTimeTimers()).toBe(8);
    expect(merged.getKeys('count').sort()).toEqual(keys);
    merged.processWatermark(1);
    expect(merged.extractOutputValues().sort()).toEqual(keys.map((k) => `${k}@1/EVENT_TIME#1`));
  });
});
