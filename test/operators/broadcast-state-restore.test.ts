/**
 * Broadcast state, keyed state and timers of a (keyed) broadcast connection live in the task's state
 * layer: an operator snapshotted at any point, its snapshot passed through v8 and restored into a
 * fresh operator, continues with the rest of the input exactly as the uninterrupted operator does.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { KeyedBroadcastProcessFunction, BroadcastProcessFunction, MapStateDescriptor, ValueStateDescriptor, type Collector, type ValueState } from '../../lib/index.ts';
import type { BroadcastContext, BroadcastReadOnlyContext, KeyedBroadcastContext, KeyedBroadcastOnTimerContext, KeyedBroadcastReadOnlyContext } from '../../lib/index.ts';
import { BROADCAST_KEY, CoBroadcastWithKeyedOperator, CoBroadcastWithNonKeyedOperator } from '../../lib/operators/co-broadcast.ts';
import type { Tagged } from '../../lib/operators/tagged-union.ts';
import { AbstractStreamOperatorTestHarness, KeyedOneInputStreamOperatorTestHarness, OneInputStreamOperatorTestHarness, Watermark, type OperatorSnapshot, type StreamOperator } from '../../lib/testing/index.ts';

type Rec = { key: string; ts: number };
type Cmd = { rule: number | null } | { report: true };
type Step = { rec: Rec } | { cmd: Cmd } | { wm: number };

const factor = new MapStateDescriptor<string, number>('factor');
const countDesc = new ValueStateDescriptor<number>('count');

class Scaled extends KeyedBroadcastProcessFunction<string, Rec, Cmd, string> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(countDesc);
  }
  processElement(r: Rec, ctx: KeyedBroadcastReadOnlyContext<string>, out: Collector<string>): void {
    const n = (this.count.value() ?? 0) + 1;
    this.count.update(n);
    out.collect(`${r.key}#${n}x${ctx.getBroadcastState(factor).get('f') ?? 1}`);
    ctx.timerService().registerEventTimeTimer(r.ts + 10);
  }
  processBroadcastElement(c: Cmd, ctx: KeyedBroadcastContext, out: Collector<string>): void {
    if ('rule' in c) {
      if (c.rule === null) ctx.getBroadcastState(factor).remove('f');
      else ctx.getBroadcastState(factor).put('f', c.rule);
      return;
    }
    const seen: string[] = [];
    ctx.applyToKeyedState<ValueState<number>>('count', (key, s) => seen.push(`${String(key)}=${s.value()}`));
    out.collect(`report ${seen.sort().join(',')}`);
  }
  override onTimer(ts: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<string>): void {
    out.collect(`timer ${ctx.getCurrentKey()}@${ts} x${ctx.getBroadcastState(factor).get('f') ?? 1}`);
  }
}

/** The keyed connection's key: the record's key on the keyed side (1), the broadcast key on the broadcast side (2). */
const broadcastKey = (t: Tagged): unknown => (t.i === 1 ? (t.v as Rec).key : BROADCAST_KEY);

type Harness = KeyedOneInputStreamOperatorTestHarness<unknown, Tagged, string>;

/** `op` in tidemark/testing's keyed harness over tagged records, opened (restored from `snapshot` when given). */
function keyedHarness(op: StreamOperator<string>, snapshot?: OperatorSnapshot): Harness {
  const h: Harness = new KeyedOneInputStreamOperatorTestHarness(op, broadcastKey);
  if (snapshot !== undefined) h.initializeState(snapshot);
  h.open();
  return h;
}

const keyedOperator = (): CoBroadcastWithKeyedOperator<string, Rec, Cmd, string> =>
  new CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>(new Scaled(), [factor as MapStateDescriptor<unknown, unknown>]);

function feed(h: Harness, steps: Step[]): void {
  for (const s of steps) {
    if ('rec' in s) h.processElement({ i: 1, v: s.rec }, s.rec.ts);
    else if ('cmd' in s) h.processElement({ i: 2, v: s.cmd }, 0);
    else h.processWatermark(s.wm);
  }
}

const out = (h: AbstractStreamOperatorTestHarness<string>): Array<[string, number]> =>
  h.extractOutputStreamRecords().map((r) => [r.value, r.timestamp!]);
const wms = (h: Harness): number[] => h.getOutput().flatMap((e) => (e instanceof Watermark ? [e.timestamp] : []));

/** Timers due at one watermark fire in timestamp order; among equal timestamps the order of keys is not specified. */
function normalized(out: Array<[string, number]>): Array<[string, number]> {
  const res: Array<[string, number]> = [];
  let run: Array<[string, number]> = [];
  const flush = (): void => {
    res.push(...run.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    run = [];
  };
  for (const o of out) {
    if (o[0].startsWith('timer ') && (run.length === 0 || run[0]![1] === o[1])) run.push(o);
    else {
      flush();
      if (o[0].startsWith('timer ')) run.push(o);
      else res.push(o);
    }
  }
  flush();
  return res;
}

const steps: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      fc.record({ rec: fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), ts: fc.nat({ max: 60 }) }) }),
      fc.record({ cmd: fc.oneof(fc.record({ rule: fc.option(fc.integer({ min: 2, max: 9 })) }), fc.constant({ report: true as const })) }),
      fc.record({ wm: fc.nat({ max: 8 }) }),
    ),
    { maxLength: 40 },
  )
  .map((xs) => {
    // Watermarks only advance: each is an increment over the previous.
    let wm = 0;
    return xs.map((s) => ('wm' in s ? { wm: (wm += s.wm) } : s));
  });

describe('broadcast state restore', () => {
  test('keyed: broadcast state, keyed state and timers restored from a v8-serialized snapshot give the uninterrupted output', () => {
    fc.assert(
      fc.property(steps, fc.nat(), (input, at) => {
        const cut = at % (input.length + 1);
        const whole = keyedHarness(keyedOperator());
        feed(whole, input);

        const first = keyedHarness(keyedOperator());
        feed(first, input.slice(0, cut));
        const second = keyedHarness(keyedOperator(), first.snapshot()); // v8-serialized, as a checkpoint holds it
        feed(second, input.slice(cut));

        expect(normalized([...out(first), ...out(second)])).toEqual(normalized(out(whole)));
        expect([...wms(first), ...wms(second)]).toEqual(wms(whole));
      }),
      { numRuns: 200 },
    );
  });

  test('non-keyed: the broadcast state restored from a v8-serialized snapshot gives the uninterrupted output, in order', () => {
    const op = (): CoBroadcastWithNonKeyedOperator<number, Cmd, string> =>
      new CoBroadcastWithNonKeyedOperator<number, Cmd, string>(
        new (class extends BroadcastProcessFunction<number, Cmd, string> {
          processElement(v: number, ctx: BroadcastReadOnlyContext, out: Collector<string>): void {
            out.collect(`${v * (ctx.getBroadcastState(factor).get('f') ?? 1)}`);
          }
          processBroadcastElement(c: Cmd, ctx: BroadcastContext): void {
            if ('rule' in c) {
              if (c.rule === null) ctx.getBroadcastState(factor).clear();
              else ctx.getBroadcastState(factor).put('f', c.rule);
            }
          }
        })(),
        [factor as MapStateDescriptor<unknown, unknown>],
      );
    const input = fc.array(fc.oneof(fc.record({ v: fc.integer({ min: 1, max: 9 }) }), fc.record({ rule: fc.option(fc.integer({ min: 2, max: 9 })) })), { maxLength: 30 });
    fc.assert(
      fc.property(input, fc.nat(), (xs, at) => {
        const cut = at % (xs.length + 1);
        const harness = (snapshot?: OperatorSnapshot): OneInputStreamOperatorTestHarness<Tagged, string> => {
          const h = new OneInputStreamOperatorTestHarness<Tagged, string>(op());
          if (snapshot !== undefined) h.initializeState(snapshot);
          h.open();
          return h;
        };
        const run = (h: OneInputStreamOperatorTestHarness<Tagged, string>, part: typeof xs): void => {
          for (const x of part) h.processElement('v' in x ? { i: 1, v: x.v } : { i: 2, v: { rule: x.rule } }, 0);
        };
        const whole = harness();
        run(whole, xs);
        const first = harness();
        run(first, xs.slice(0, cut));
        const second = harness(first.snapshot());
        run(second, xs.slice(cut));
        expect([...out(first), ...out(second)]).toEqual(out(whole));
      }),
      { numRuns: 100 },
    );
  });

  test('the broadcast state is in the operator snapshot, under the descriptor name', () => {
    const h = keyedHarness(keyedOperator());
    h.processElement({ i: 2, v: { rule: 7 } }, 0);
    expect(h.snapshot().operator).toEqual({ factor: { mode: 'BROADCAST', entries: [['f', 7]] } });
  });

  test('applyToKeyedState: a restored state not registered again is found through its descriptor; its name alone is refused, not silently empty', () => {
    const lazy = new ValueStateDescriptor<number>('lazy');
    const make = (byName: boolean): CoBroadcastWithKeyedOperator<string, Rec, Cmd, string> =>
      new CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>(
        {
          processElement(): void {},
          processBroadcastElement(_c: Cmd, ctx: KeyedBroadcastContext, out: Collector<string>): void {
            ctx.applyToKeyedState<ValueState<number>>(byName ? 'lazy' : lazy, (key, s) => out.collect(`${String(key)}=${s.value()}`));
          },
        },
        [],
      );
    // A first run writes 'lazy' for two keys (from processElement, the state registered on first use).
    const writer = keyedHarness(new CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>(
      new (class extends KeyedBroadcastProcessFunction<string, Rec, Cmd, string> {
        processElement(r: Rec): void {
          this.getRuntimeContext().getState(lazy).update(r.ts);
        }
        processBroadcastElement(): void {}
      })(),
      [],
    ));
    writer.processElement({ i: 1, v: { key: 'x', ts: 1 } }, 1);
    writer.processElement({ i: 1, v: { key: 'y', ts: 2 } }, 2);
    const snapshot = writer.snapshot();

    const byDescriptor = keyedHarness(make(false), snapshot);
    byDescriptor.processElement({ i: 2, v: { report: true } }, 0);
    expect(byDescriptor.extractOutputValues().sort()).toEqual(['x=1', 'y=2']);

    const byName = keyedHarness(make(true), snapshot);
    expect(() => byName.processElement({ i: 2, v: { report: true } }, 0)).toThrow(/applyToKeyedState\('lazy'\): the state was restored but is not registered yet/);
  });
});
