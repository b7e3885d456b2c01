/**
 * Keyed state of any key, read and written through the operator's backend (getKeyedState), without
 * disturbing the key the operator works on; entries, keys and accumulators as the function left them.
 */
import { describe, expect, test } from 'vitest';
import {
  IntCounter,
  KeyedProcessFunction,
  ListStateDescriptor,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
} from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses } from '../../lib/testing/index.ts';

class Remember extends KeyedProcessFunction<string, [string, number], string> {
  private readonly last = new ValueStateDescriptor<number>('last');
  private readonly all = new ListStateDescriptor<number>('all');
  override open(): void {
    this.getRuntimeContext().addAccumulator('seen', new IntCounter());
  }
  processElement([k, v]: [string, number], ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const rc = this.getRuntimeContext();
    const last = rc.getState(this.last);
    out.collect(`${k}: ${last.value() ?? '-'} -> ${v} (${ctx.getCurrentKey()})`);
    last.update(v);
    rc.getListState(this.all).add(v);
    rc.getAccumulator<number, number>('seen')!.add(1);
  }
}

describe('keyed state through the harness', () => {
  test('getKeyedState reads and writes a key through the backend and leaves the current key alone', () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Remember(), (r: [string, number]) => r[0]);
    h.processElement(['a', 1]);
    h.processElement(['b', 2]);
    h.processElement(['a', 3]);
    const last = new ValueStateDescriptor<number>('last');
    expect(h.getKeyedState('a', last).value()).toBe(3);
    expect(h.getKeyedState('b', last).value()).toBe(2);
    expect(h.getKeyedState('zz', last).value()).toBeUndefined();
    expect(h.getKeyedState('a', new ListStateDescriptor<number>('all')).get()).toEqual([1, 3]);
    expect(h.numKeyedStateEntries()).toBe(4); // (a, b) x (last, all)
    expect(h.getKeys('last').sort()).toEqual(['a', 'b']);
    // Written by the test, seen by the function; the function's own key was not disturbed.
    h.getKeyedState('b', last).update(20);
    h.processElement(['b', 4]);
    expect(h.extractOutputValues()).toEqual(['a: - -> 1 (a)', 'b: - -> 2 (b)', 'a: 1 -> 3 (a)', 'b: 20 -> 4 (b)']);
    expect(h.getAccumulator<number, number>('seen')!.getLocalValue()).toBe(4);
    expect(() => h.getKeyedState('a', new ListStateDescriptor<number>('last'))).toThrow(/already registered as value state/);
  });

  test('a non-keyed function has no keyed state', () => {
    const h = ProcessFunctionTestHarnesses.forProcessFunction((v: number, _ctx: unknown, out: Collector<number>) => out.collect(v));
    h.processElement(1);
    expect(h.numKeyedStateEntries()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
  });
});
