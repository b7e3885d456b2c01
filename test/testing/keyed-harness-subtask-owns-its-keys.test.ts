/**
 * A keyed harness that plays subtask i of p takes only the keys a job would route to it (the key
 * groups it owns): another key fails at once, naming the key and the key groups, instead of being
 * processed and then silently lost when the snapshot is restored at the same parallelism.
 */
import { expect, test } from 'vitest';
import { KeyedProcessFunction, ValueStateDescriptor, type Collector, type KeyedProcessContext, type ValueState } from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses } from '../../lib/testing/index.ts';
import { assignKeyToParallelOperator } from '../../lib/state/key-groups.ts';

class Count extends KeyedProcessFunction<string, string, number> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count'));
  }
  processElement(_k: string, _ctx: KeyedProcessContext<string>, out: Collector<number>): void {
    this.count.update((this.count.value() ?? 0) + 1);
    out.collect(this.count.value()!);
  }
}

const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const owner = (k: string) => assignKeyToParallelOperator(k, 128, 2);

test('a key of another subtask fails, naming the key and the key groups this subtask owns', () => {
  const foreign = keys.find((k) => owner(k) === 1)!;
  const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Count(), (k: string) => k, { parallelism: 2, subtaskIndex: 0 });
  expect(() => h.processElement(foreign, 0)).toThrow(new RegExp(`key '${foreign}'.*key group \\d+.*subtask 0 of 2.*0-63`, 's'));
  expect(() => h.getKeyedState(foreign, new ValueStateDescriptor<number>('count'))).toThrow(/subtask 0 of 2/);
});

test('each subtask restored at the same parallelism keeps the state of the keys it processed', () => {
  for (const subtaskIndex of [0, 1]) {
    const own = keys.filter((k) => owner(k) === subtaskIndex);
    const first = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Count(), (k: string) => k, { parallelism: 2, subtaskIndex });
    for (const k of own) first.processElement(k, 0);
    const second = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Count(), (k: string) => k, { parallelism: 2, subtaskIndex, initialState: first.snapshot() });
    for (const k of own) second.processElement(k, 0);
    expect(second.extractOutputValues()).toEqual(own.map(() => 2));
  }
});

test('the message names keys of any type', () => {
  const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Count(), (k: string) => BigInt(k.length) as unknown as string, { parallelism: 128, subtaskIndex: 0 });
  const foreign = ['x', 'xx', 'xxx'].find((k) => assignKeyToParallelOperator(BigInt(k.length), 128, 128) !== 0)!;
  expect(() => h.processElement(foreign, 0)).toThrow(new RegExp(`key ${foreign.length}n is in key group`));
});
