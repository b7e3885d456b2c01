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
import { checkpoint, drive, keyedBy, restoring, type Driven, type Fed } from './restore-harness.ts';

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

const broadcastKey = (t: unknown): unknown => ((t as Tagged).i === 1 ? ((t as Tagged).v as Rec).key : BROADCAST_KEY);

function keyedOperator(): Fed<CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>> {
  return keyedBy(new CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>(new Scaled(), [factor as MapStateDescriptor<unknown, unknown>]), broadcastKey);
}

function feed(op: { collect(v: unknown, ts: number): void; processWatermark(w: number): void }, steps: Step[]): void {
  for (const s of steps) {
    if ('rec' in s) op.collect({ i: 1, v: s.rec }, s.rec.ts);
    else if ('cmd' in s) op.collect({ i: 2, v: s.cmd }, 0);
    else op.processWatermark(s.wm);
  }
}

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
        const whole = keyedOperator();
        const w = drive(whole);
        feed(whole, input);

        const first = keyedOperator();
        const f = drive(first);
        feed(first, input.slice(0, cut));
        const snapshot = checkpoint(first);
        const second = keyedOperator();
        const s: Driven<string> = drive(second, restoring(snapshot));
        feed(second, input.slice(cut));

        expect(normalized([...f.out, ...s.out])).toEqual(normalized(w.out));
        expect([...f.wms, ...s.wms]).toEqual(w.wms);
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
        const run = (o: CoBroadcastWithNonKeyedOperator<number, Cmd, string>, part: typeof xs): void => {
          for (const x of part) o.processElement('v' in x ? { i: 1, v: x.v } : { i: 2, v: { rule: x.rule } }, 0);
        };
        const whole = op();
        const w = drive(whole);
        run(whole, xs);
        const first = op();
        const f = drive(first);
        run(first, xs.slice(0, cut));
        const second = op();
        const s = drive(second, restoring(checkpoint(first)));
        run(second, xs.slice(cut));
        expect([...f.out, ...s.out]).toEqual(w.out);
      }),
      { numRuns: 100 },
    );
  });

  test('the broadcast state is in the operator snapshot, under the descriptor name', () => {
    const op = keyedOperator();
    drive(op);
    op.collect({ i: 2, v: { rule: 7 } }, 0);
    expect(checkpoint(op).operator).toEqual({ factor: { mode: 'BROADCAST', entries: [['f', 7]] } });
  });

  test('applyToKeyedState: a restored state not registered again is found through its descriptor; its name alone is refused, not silently empty', () => {
    const lazy = new ValueStateDescriptor<number>('lazy');
    const make = (byName: boolean): Fed<CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>> =>
      keyedBy(new CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>(
        {
          processElement(): void {},
          processBroadcastElement(_c: Cmd, ctx: KeyedBroadcastContext, out: Collector<string>): void {
            ctx.applyToKeyedState<ValueState<number>>(byName ? 'lazy' : lazy, (key, s) => out.collect(`${String(key)}=${s.value()}`));
          },
        },
        [],
      ), broadcastKey);
    // A first run writes 'lazy' for two keys (from processElement, the state registered on first use).
    const writer = keyedBy(new CoBroadcastWithKeyedOperator<string, Rec, Cmd, string>(
      new (class extends KeyedBroadcastProcessFunction<string, Rec, Cmd, string> {
        processElement(r: Rec): void {
          this.getRuntimeContext().getState(lazy).update(r.ts);
        }
        processBroadcastElement(): void {}
      })(),
      [],
    ), broadcastKey);
    drive(writer);
    writer.collect({ i: 1, v: { key: 'x', ts: 1 } }, 1);
    writer.collect({ i: 1, v: { key: 'y', ts: 2 } }, 2);
    const snapshot = checkpoint(writer);

    const byDescriptor = make(false);
    const d = drive(byDescriptor, restoring(snapshot));
    byDescriptor.collect({ i: 2, v: { report: true } }, 0);
    expect(d.out.map((o) => o[0]).sort()).toEqual(['x=1', 'y=2']);

    const byName = make(true);
    drive(byName, restoring(snapshot));
    expect(() => byName.collect({ i: 2, v: { report: true } }, 0)).toThrow(/applyToKeyedState\('lazy'\): the state was restored but is not registered yet/);
  });
});
