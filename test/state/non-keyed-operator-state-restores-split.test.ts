/**
 * A non-keyed operator restored at another parallelism gets its share of the old subtasks' list state
 * (Flink's round-robin split), not all of it on every subtask.
 */
import { expect, test } from 'vitest';
import { AbstractStreamOperator } from '../../lib/operators/abstract-stream-operator.ts';
import { ListStateDescriptor } from '../../lib/core/state/state-descriptor.ts';
import type { ListState } from '../../lib/core/state/state.ts';
import type { StreamTaskStateInitializer } from '../../lib/state/stream-task-state-initializer.ts';
import { OneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

/** Remembers every record in operator list state; emits it at the end of input. */
class Buffering extends AbstractStreamOperator<string> {
  private buffer!: ListState<string>;
  override initializeState(initializer: StreamTaskStateInitializer): void {
    super.initializeState(initializer);
    this.buffer = this.getOperatorStateBackend().getListState(new ListStateDescriptor<string>('buffer'));
  }
  processElement(value: unknown): void {
    this.buffer.add(value as string);
  }
  override endInput(): void {
    for (const v of this.buffer.get()) this.output.collect(v, 0);
  }
}

test('list state of a non-keyed operator is split over the subtasks it is restored into', async () => {
  const before = new OneInputStreamOperatorTestHarness<string, string>(new Buffering());
  for (const v of ['a', 'b', 'c', 'd', 'e']) before.processElement(v);
  const snapshot = before.snapshot();
  const perSubtask: string[][] = [];
  for (let i = 0; i < 2; i++) {
    const h = new OneInputStreamOperatorTestHarness<string, string>(new Buffering(), { parallelism: 2, subtaskIndex: i });
    h.initializeState(snapshot);
    await h.endInput();
    perSubtask.push(h.extractOutputValues());
  }
  expect(perSubtask.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(perSubtask.map((s) => s.length).sort()).toEqual([2, 3]);
});
