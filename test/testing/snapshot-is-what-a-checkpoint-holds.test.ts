/**
 * A harness snapshot is what a checkpoint holds (serialized): processing more records in the harness
 * it came from does not change it, two harnesses restored from one snapshot do not share state, and
 * state a checkpoint could not hold fails at snapshot() with a message naming the operator.
 */
import { expect, test } from 'vitest';
import { KeyedProcessFunction, ValueStateDescriptor, type Collector, type KeyedProcessContext, type ValueState } from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses } from '../../lib/testing/index.ts';

/** Counts per key in a mutable object, updated in place (a common pattern). */
class InPlaceCounter extends KeyedProcessFunction<string, string, number> {
  private count!: ValueState<{ n: number }>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<{ n: number }>('count'));
  }
  processElement(_v: string, _ctx: KeyedProcessContext<string>, out: Collector<number>): void {
    const c = this.count.value() ?? { n: 0 };
    c.n++;
    this.count.update(c);
    out.collect(c.n);
  }
}

const harness = (initialState?: ReturnType<ReturnType<typeof ProcessFunctionTestHarnesses.forKeyedProcessFunction>['snapshot']>) =>
  ProcessFunctionTestHarnesses.forKeyedProcessFunction(new InPlaceCounter(), (k: string) => k, initialState === undefined ? {} : { initialState });

test('records processed after snapshot() do not change the snapshot', () => {
  const first = harness();
  first.processElement('a', 1);
  const snapshot = first.snapshot();
  first.processElement('a', 2);
  first.processElement('a', 3);
  const restored = harness(snapshot);
  restored.processElement('a', 2);
  expect(restored.extractOutputValues()).toEqual([2]);
});

test('two harnesses restored from one snapshot do not share state', () => {
  const first = harness();
  first.processElement('a', 1);
  const snapshot = first.snapshot();
  const r1 = harness(snapshot);
  r1.processElement('a', 2);
  r1.processElement('a', 3);
  const r2 = harness(snapshot);
  r2.processElement('a', 2);
  expect(r1.extractOutputValues()).toEqual([2, 3]);
  expect(r2.extractOutputValues()).toEqual([2]);
});

test('state a checkpoint cannot serialize fails at snapshot(), naming the operator', () => {
  const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(
    {
      processElement(this: void, _v: string, _ctx: KeyedProcessContext<string>) {},
    } as unknown as KeyedProcessFunction<string, string, never>,
    (k: string) => k,
  );
  h.getKeyedState('a', new ValueStateDescriptor<() => void>('callback')).update(() => {});
  expect(() => h.snapshot()).toThrow(/KeyedProcess.*cannot be snapshotted/s);
});
