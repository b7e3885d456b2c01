/**
 * A keyed (co-)process function's keyed state and timers live in the state layer: the operator that
 * runs it (KeyedProcessOperator, which also runs KeyedCoProcessFunctions over both inputs as one
 * tagged union), snapshotted at any point, passed through v8 and restored into a fresh operator, gives
 * the uninterrupted output.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { KeyedProcessFunction, ValueStateDescriptor, type Collector, type KeyedProcessContext, type OnTimerContext, type ValueState } from '../../lib/index.ts';
import { KeyedProcessOperator } from '../../lib/operators/keyed-process.ts';
import type { Tagged } from '../../lib/operators/tagged-union.ts';
import { KeyedOneInputStreamOperatorTestHarness, type OperatorSnapshot } from '../../lib/testing/index.ts';

type Order = { key: string; ts: number };
type Step = { i: 1 | 2; v: Order } | { wm: number };

/** Orders (input 1) wait for their payment (input 2) until 10 ms after them, as a KeyedCoProcessFunction would. */
class Match extends KeyedProcessFunction<string, Tagged, string> {
  private open_!: ValueState<number>;
  private paid!: ValueState<number>;
  override open(): void {
    this.open_ = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('open'));
    this.paid = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('paid'));
  }
  processElement(t: Tagged, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const o = t.v as Order;
    if (t.i === 1) {
      this.open_.update((this.open_.value() ?? 0) + 1);
      ctx.timerService().registerEventTimeTimer(o.ts + 10);
    } else {
      this.paid.update((this.paid.value() ?? 0) + 1);
      out.collect(`${ctx.getCurrentKey()} paid ${this.paid.value()}/${this.open_.value() ?? 0}`);
    }
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.getCurrentKey()} due @${ts}: ${this.open_.value() ?? 0} open, ${this.paid.value() ?? 0} paid`);
  }
}

type Harness = KeyedOneInputStreamOperatorTestHarness<string, Tagged, string>;

/** The operator in tidemark/testing's keyed harness, opened (restored from `snapshot` when given). */
function harness(snapshot?: OperatorSnapshot): Harness {
  const h: Harness = new KeyedOneInputStreamOperatorTestHarness(new KeyedProcessOperator<string, Tagged, string>(new Match()), (t: Tagged) => (t.v as Order).key);
  if (snapshot !== undefined) h.initializeState(snapshot);
  h.open();
  return h;
}

function feed(h: Harness, steps: Step[]): void {
  for (const s of steps) {
    if ('wm' in s) h.processWatermark(s.wm);
    else h.processElement({ i: s.i, v: s.v }, s.v.ts);
  }
}

const out = (h: Harness): Array<[string, number]> => h.extractOutputStreamRecords().map((r) => [r.value, r.timestamp!]);

/** Timers of one timestamp fire in an unspecified key order: sort each such run. */
function normalized(out: Array<[string, number]>): Array<[string, number]> {
  const res: Array<[string, number]> = [];
  for (let i = 0; i < out.length; ) {
    let j = i + 1;
    if (out[i]![0].includes(' due @')) while (j < out.length && out[j]![0].includes(' due @') && out[j]![1] === out[i]![1]) j++;
    res.push(...out.slice(i, j).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    i = j;
  }
  return res;
}

const steps: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      { arbitrary: fc.record({ i: fc.constantFrom<1 | 2>(1, 2), v: fc.record({ key: fc.constantFrom('a', 'b', 'c'), ts: fc.nat({ max: 60 }) }) }), weight: 4 },
      { arbitrary: fc.record({ wm: fc.nat({ max: 10 }) }), weight: 1 },
    ),
    { maxLength: 40 },
  )
  .map((xs) => {
    let wm = 0;
    return xs.map((s): Step => ('wm' in s ? { wm: (wm += s.wm) } : s));
  });

describe('keyed process restore', () => {
  test('keyed state and event-time timers restored from a v8-serialized snapshot at any point give the uninterrupted output', () => {
    fc.assert(
      fc.property(steps, fc.nat(), (input, at) => {
        const cut = at % (input.length + 1);
        const whole = harness();
        feed(whole, input);
        whole.processWatermark(Number.POSITIVE_INFINITY);

        const first = harness();
        feed(first, input.slice(0, cut));
        const second = harness(first.snapshot()); // v8-serialized, as a checkpoint holds it
        feed(second, input.slice(cut));
        second.processWatermark(Number.POSITIVE_INFINITY);

        expect(normalized([...out(first), ...out(second)])).toEqual(normalized(out(whole)));
      }),
      { numRuns: 200 },
    );
  });
});
