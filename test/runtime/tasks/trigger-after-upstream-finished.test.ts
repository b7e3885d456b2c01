/**
 * FLIP-147: when every producer of a task finished, no barrier can reach it, so the coordinator
 * triggers the task itself. The producers' final state says "everything was sent" — but what they
 * sent last may still wait in the task's input channels. The state that stands for that checkpoint
 * at this task must hold those records, or a restore from it loses them (the finished producers do
 * not send them again).
 */
import { expect, test } from 'vitest';
import { LocalChannel } from '../../../lib/runtime/channels.ts';
import { singleOperatorTask } from './single-operator-task.ts';
import { AbstractStreamOperator } from '../../../lib/operators/abstract-stream-operator.ts';
import type { OperatorSnapshot } from '../../../lib/state/stream-task-state-initializer.ts';
import type { CheckpointResponder, SubtaskFinished } from '../../../lib/runtime/checkpoint/checkpoint-responder.ts';
import { newBatch, type CheckpointBarrier } from '../../../lib/runtime/elements.ts';

class Probe extends AbstractStreamOperator<never> {
  readonly seen: string[] = [];
  readonly snapshots = new Map<number, string[]>();
  processElement(value: unknown): void {
    this.seen.push(value as string);
  }
  override snapshotState(id: number): OperatorSnapshot {
    this.snapshots.set(id, [...this.seen]);
    return super.snapshotState(id);
  }
}

test('a task triggered after its producers finished takes the records still in its channels into that checkpoint', async () => {
  const probe = new Probe();
  const acked: number[] = [];
  const finished: SubtaskFinished[] = [];
  const responder: CheckpointResponder = {
    acknowledge: (barrier) => void acked.push(barrier.checkpointId),
    decline: (id, _v, _s, reason) => {
      throw new Error(`checkpoint ${id} declined: ${String(reason)}`);
    },
    finished: (report) => void finished.push(report),
  };
  const channels = [new LocalChannel(() => {}), new LocalChannel(() => {})];
  const task = singleOperatorTask(probe, channels, 'EXACTLY_ONCE', responder);
  task.start();
  // Both producers sent their last records and their end of input, then finished.
  for (let ch = 0; ch < 2; ch++) {
    const b = newBatch();
    for (let i = 0; i < 3; i++) {
      b.v.push(`c${ch}-${i}`);
      b.t.push(i);
    }
    b.c = [{ at: 3, kind: 'end-of-input' }];
    channels[ch]!.push(b);
  }
  const barrier: CheckpointBarrier = { at: 0, kind: 'barrier', checkpointId: 5, timestamp: 0, location: '', savepoint: false, stop: false };
  task.triggerCheckpoint(barrier);
  for (let i = 0; i < 100 && !task.isDone(); i++) {
    if (task.isRunnable()) task.step();
    else await new Promise((r) => setImmediate(r));
  }
  expect(task.state).toBe('finished');
  const all = ['c0-0', 'c0-1', 'c0-2', 'c1-0', 'c1-1', 'c1-2'];
  // Either the task acknowledged 5 with every record in it, or its final state (with every record) stands in for 5.
  if (acked.includes(5)) expect([...probe.snapshots.get(5)!].sort()).toEqual(all);
  else {
    expect(finished).toHaveLength(1);
    expect(finished[0]!.lastCheckpointId).toBeLessThan(5);
  }
  const finals = [...probe.snapshots.entries()].filter(([id]) => id !== 5);
  expect(finals.map(([, seen]) => [...seen].sort())).toEqual([all]);
});
