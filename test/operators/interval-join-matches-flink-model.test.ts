/**
 * The interval join against a simple model of Flink's IntervalJoinOperator: a record behind the
 * watermark is dropped; every other one pairs with the buffered same-key records of the other side
 * within the bounds (stamped with the larger timestamp); a left record is dropped from the buffer
 * once the watermark reaches ts + max(upper, 0), a right one at ts - min(lower, 0).
 */
import { describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import type { Collector } from '../../lib/index.ts';
import { IntervalJoinOperator, type ProcessJoinContext } from '../../lib/operators/interval-join.ts';
import type { Tagged } from '../../lib/operators/tagged-union.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

import { joinSteps as steps, type JoinEv as Ev, type JoinStep as Step } from './interval-join-steps.ts';

function model(steps: Step[], lower: number, upper: number): string[] {
  let wm = Number.NEGATIVE_INFINITY;
  const live: Array<{ side: 1 | 2; ev: Ev }> = [];
  const out: string[] = [];
  for (const s of steps) {
    if ('wm' in s) {
      wm = Math.max(wm, s.wm);
      for (let i = live.length - 1; i >= 0; i--) {
        const e = live[i]!;
        const cleanup = e.side === 1 ? e.ev.ts + Math.max(upper, 0) : e.ev.ts - Math.min(lower, 0);
        if (cleanup <= wm) live.splice(i, 1);
      }
      continue;
    }
    if (s.ev.ts < wm) continue;
    for (const o of live) {
      if (o.side === s.side || o.ev.key !== s.ev.key) continue;
      const [l, r] = s.side === 1 ? [s.ev, o.ev] : [o.ev, s.ev];
      if (r.ts >= l.ts + lower && r.ts <= l.ts + upper) out.push(`${l.id}+${r.id}@${Math.max(l.ts, r.ts)}`);
    }
    live.push(s);
  }
  return out.sort();
}

describe('interval join', () => {
  test('emits the pairs the model of Flink\'s operator emits, for any bounds, arrival order and watermarks', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    fc.assert(
      fc.property(steps, fc.integer({ min: -15, max: 15 }), fc.integer({ min: 0, max: 15 }), (ss, lo, w) => {
        const op = new IntervalJoinOperator<Ev, Ev, string>((l: Ev, r: Ev, ctx: ProcessJoinContext, out: Collector<string>) => out.collect(`${l.id}+${r.id}@${ctx.getTimestamp()}`), lo, lo + w);
        // Tagged records (1 = left, 2 = right) on the public keyed harness, keyed as the join's two inputs are.
        const h = new KeyedOneInputStreamOperatorTestHarness<string, Tagged, string>(op, (t: Tagged) => (t.v as Ev).key);
        h.open();
        for (const s of ss) {
          if ('wm' in s) h.processWatermark(s.wm);
          else h.processElement({ i: s.side, v: s.ev }, s.ev.ts);
        }
        expect(h.extractOutputStreamRecords().map((r) => { expect(r.value.endsWith(`@${r.timestamp}`)).toBe(true); return r.value; }).sort()).toEqual(model(ss, lo, lo + w));
      }),
      { numRuns: 400 },
    );
  });
});
