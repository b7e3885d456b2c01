/**
 * The interval join's buffers (keyed map state per side) and cleanup timers (a named timer service)
 * live in the state layer: snapshotted at any point, passed through v8 and restored into a fresh
 * operator, it joins the rest of the input exactly as the uninterrupted operator does, and its
 * cleanup timers still empty the buffers.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import type { Collector } from '../../lib/index.ts';
import { IntervalJoinOperator, type ProcessJoinContext } from '../../lib/operators/interval-join.ts';
import type { Tagged } from '../../lib/operators/tagged-union.ts';
import { KeyedOneInputStreamOperatorTestHarness, Watermark, type OperatorSnapshot } from '../../lib/testing/index.ts';

type Ev = { id: string; key: string; ts: number };
type Step = { side: 1 | 2; ev: Ev } | { wm: number };

type Harness = KeyedOneInputStreamOperatorTestHarness<string, Tagged, string>;

/** The operator in tidemark/testing's keyed harness over tagged records (1 = left, 2 = right), opened (restored from `snapshot` when given). */
function harness(lower: number, upper: number, snapshot?: OperatorSnapshot): Harness {
  const op = new IntervalJoinOperator<Ev, Ev, string>(
    (l: Ev, r: Ev, ctx: ProcessJoinContext, out: Collector<string>) => out.collect(`${l.id}+${r.id}@${ctx.getLeftTimestamp()}/${ctx.getRightTimestamp()}`),
    lower,
    upper,
  );
  const h: Harness = new KeyedOneInputStreamOperatorTestHarness(op, (t: Tagged) => (t.v as Ev).key);
  if (snapshot !== undefined) h.initializeState(snapshot);
  h.open();
  return h;
}

function feed(h: Harness, steps: Step[]): void {
  for (const s of steps) {
    if ('wm' in s) h.processWatermark(s.wm);
    else h.processElement({ i: s.side, v: s.ev }, s.ev.ts);
  }
}

const out = (h: Harness): Array<[string, number | undefined]> => h.extractOutputStreamRecords().map((r) => [r.value, r.timestamp]);
const wms = (h: Harness): number[] => h.getOutput().flatMap((e) => (e instanceof Watermark ? [e.timestamp] : []));

const steps: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      { arbitrary: fc.record({ side: fc.constantFrom<1 | 2>(1, 2), key: fc.constantFrom('a', 'b', 'c'), ts: fc.nat({ max: 80 }) }), weight: 4 },
      { arbitrary: fc.record({ wm: fc.nat({ max: 10 }) }), weight: 1 },
    ),
    { maxLength: 50 },
  )
  .map((xs) => {
    let wm = 0;
    return xs.map((s, n): Step => ('wm' in s ? { wm: (wm += s.wm) } : { side: s.side, ev: { id: `${s.side === 1 ? 'L' : 'R'}${n}`, key: s.key, ts: s.ts } }));
  });

const bounds = fc.tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 20 })).map(([lo, width]) => [lo, lo + width] as const);

/** Whether the operator's snapshot holds no buffered element and no timer. */
function empty(h: Harness): boolean {
  const snap = h.snapshot();
  const timers = Object.values(snap.timers ?? {}).every((t) => Object.keys(t.eventTime).length === 0 && Object.keys(t.processingTime).length === 0);
  return Object.keys(snap.keyed!.keyGroups).length === 0 && timers;
}

describe('interval join restore', () => {
  // Late records are dropped with a warning (each fresh operator warns once).
  beforeEach(() => void vi.spyOn(console, 'warn').mockImplementation(() => {}));
  afterEach(() => void vi.restoreAllMocks());

  test('restored from a v8-serialized snapshot at any point, it gives the uninterrupted output; at the end of time its buffers and timers are empty', () => {
    fc.assert(
      fc.property(steps, fc.nat(), bounds, (input, at, [lower, upper]) => {
        const cut = at % (input.length + 1);
        const whole = harness(lower, upper);
        feed(whole, input);
        whole.processWatermark(Number.POSITIVE_INFINITY);

        const first = harness(lower, upper);
        feed(first, input.slice(0, cut));
        const second = harness(lower, upper, first.snapshot()); // v8-serialized, as a checkpoint holds it
        // The watermark comes back with the snapshot: nothing is sent again. A stale one (an upstream
        // that restarted from scratch) moves nothing back and is not forwarded.
        const firstWm = wms(first)[0];
        const lastWm = wms(first).at(-1);
        if (firstWm !== undefined && firstWm < lastWm!) second.processWatermark(firstWm);
        feed(second, input.slice(cut));
        second.processWatermark(Number.POSITIVE_INFINITY);

        expect([...out(first), ...out(second)]).toEqual(out(whole));
        expect([...wms(first), ...wms(second)]).toEqual(wms(whole));
        expect(empty(whole)).toBe(true);
        expect(empty(second)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('the buffers are keyed state and the cleanup timers are in the IntervalJoinOperator timer service, per side', () => {
    const h = harness(-5, 5);
    h.processElement({ i: 1, v: { id: 'L', key: 'k', ts: 10 } }, 10);
    h.processElement({ i: 2, v: { id: 'R', key: 'k', ts: 12 } }, 12);
    const snap = h.snapshot();
    const entries = Object.values(snap.keyed!.keyGroups).flatMap((byName) => Object.entries(byName));
    expect(entries.map(([name, es]) => [name, es.map((e) => [e[0], e[2]])])).toEqual([
      ['LEFT_BUFFER', [['k', new Map([[10, [{ v: { id: 'L', key: 'k', ts: 10 } }]]])]]],
      ['RIGHT_BUFFER', [['k', new Map([[12, [{ v: { id: 'R', key: 'k', ts: 12 } }]]])]]],
    ]);
    const timers = Object.values(snap.timers!.IntervalJoinOperator!.eventTime).flat();
    expect(timers.map(([key, ns, ts]) => [key, ns, ts])).toEqual([
      ['k', 'CLEANUP_LEFT', 15],
      ['k', 'CLEANUP_RIGHT', 17],
    ]);
  });
});
