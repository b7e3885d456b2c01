/**
 * Barrier alignment at a task with two input channels (Flink's SingleCheckpointBarrierHandler /
 * CheckpointBarrierTracker). EXACTLY_ONCE: the snapshot holds exactly the records that came before
 * the barrier on each channel — however batches, barriers and arrivals interleave — and no record is
 * lost or reordered within its channel. AT_LEAST_ONCE: nothing blocks; the snapshot holds at least
 * the records before the barriers.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { LocalChannel } from '../../../lib/runtime/channels.ts';
import type { OneInputStreamTask } from '../../../lib/runtime/tasks/one-input-stream-task.ts';
import { singleOperatorTask } from './single-operator-task.ts';
import { AbstractStreamOperator } from '../../../lib/operators/abstract-stream-operator.ts';
import type { OperatorSnapshot } from '../../../lib/state/stream-task-state-initializer.ts';
import type { CheckpointResponder } from '../../../lib/runtime/checkpoint/checkpoint-responder.ts';
import type { CheckpointingMode } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';
import { newBatch, type StreamBatch } from '../../../lib/runtime/elements.ts';

class Probe extends AbstractStreamOperator<never> {
  readonly seen: string[] = [];
  readonly snapshots: Array<{ id: number; seen: string[] }> = [];
  processElement(value: unknown): void {
    this.seen.push(value as string);
  }
  override snapshotState(id: number): OperatorSnapshot {
    this.snapshots.push({ id, seen: [...this.seen] });
    return super.snapshotState(id);
  }
}

function probeTask(mode: CheckpointingMode, inputs: LocalChannel[], acked: number[]): { task: OneInputStreamTask; probe: Probe } {
  const probe = new Probe();
  const responder: CheckpointResponder = {
    acknowledge: (barrier) => void acked.push(barrier.checkpointId),
    decline: (id, _v, _s, reason) => {
      throw new Error(`checkpoint ${id} declined: ${String(reason)}`);
    },
    finished: () => {},
  };
  return { task: singleOperatorTask(probe, inputs, mode, responder), probe };
}

/** A channel's input: records `c<ch>-<i>`, cut into batches, with barrier 1 before record `barrierAt`. */
function batchesOf(channel: number, count: number, barrierAt: number, cuts: number[]): StreamBatch[] {
  const batches: StreamBatch[] = [];
  let b = newBatch();
  const cutSet = new Set(cuts.filter((c) => c > 0 && c < count));
  for (let i = 0; i <= count; i++) {
    if (cutSet.has(i)) {
      batches.push(b);
      b = newBatch();
    }
    if (i === barrierAt) {
      (b.c ??= []).push({ at: b.v.length, kind: 'barrier', checkpointId: 1, timestamp: 0, location: '', savepoint: false, stop: false });
    }
    if (i < count) {
      b.v.push(`c${channel}-${i}`);
      b.t.push(i);
    }
  }
  batches.push(b);
  return batches;
}

const channelInput = fc.record({
  count: fc.integer({ min: 0, max: 12 }),
  barrierFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  cuts: fc.array(fc.integer({ min: 1, max: 11 }), { maxLength: 4 }),
});

describe('barrier alignment at a task with two inputs', () => {
  for (const mode of ['EXACTLY_ONCE', 'AT_LEAST_ONCE'] as const) {
    test(`${mode}: the snapshot holds ${mode === 'EXACTLY_ONCE' ? 'exactly' : 'at least'} the records before the barriers; nothing is lost or reordered`, () => {
      fc.assert(
        fc.property(channelInput, channelInput, fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (in0, in1, schedule) => {
          const ins = [in0, in1].map((c, ch) => {
            const barrierAt = Math.floor(c.barrierFrac * c.count);
            return { barrierAt, count: c.count, batches: batchesOf(ch, c.count, barrierAt, c.cuts) };
          });
          const channels = [new LocalChannel(() => {}), new LocalChannel(() => {})];
          const acked: number[] = [];
          const { task, probe } = probeTask(mode, channels, acked);
          task.start();
          const next = [0, 0];
          let s = 0;
          // Arrivals interleave with the task's steps as the schedule says.
          for (let round = 0; round < 200; round++) {
            const pick = schedule[s++ % schedule.length]! ? 0 : 1;
            const ch = next[pick]! < ins[pick]!.batches.length ? pick : 1 - pick;
            if (next[ch]! < ins[ch]!.batches.length) channels[ch]!.push(ins[ch]!.batches[next[ch]!++]!);
            if (task.isRunnable()) task.step();
          }
          while (task.isRunnable()) task.step();
          expect(acked).toEqual([1]);
          expect(probe.snapshots).toHaveLength(1);
          const before = ins.flatMap((c, ch) => Array.from({ length: c.barrierAt }, (_, i) => `c${ch}-${i}`));
          const atSnapshot = probe.snapshots[0]!.seen;
          if (mode === 'EXACTLY_ONCE') expect([...atSnapshot].sort()).toEqual([...before].sort());
          else for (const r of before) expect(atSnapshot).toContain(r);
          // Every record, once, in its channel's order.
          for (let ch = 0; ch < 2; ch++) {
            const mine = probe.seen.filter((r) => r.startsWith(`c${ch}-`));
            expect(mine).toEqual(Array.from({ length: ins[ch]!.count }, (_, i) => `c${ch}-${i}`));
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  test('an ended channel counts as aligned: the barrier of the other channel completes the checkpoint', () => {
    const channels = [new LocalChannel(() => {}), new LocalChannel(() => {})];
    const acked: number[] = [];
    const { task, probe } = probeTask('EXACTLY_ONCE', channels, acked);
    task.start();
    const b0 = newBatch();
    b0.v.push('c0-0');
    b0.t.push(0);
    b0.c = [{ at: 1, kind: 'barrier', checkpointId: 1, timestamp: 0, location: '', savepoint: false, stop: false }];
    channels[0]!.push(b0);
    while (task.isRunnable()) task.step();
    expect(acked).toEqual([]); // channel 1 has not delivered barrier 1 yet
    const b1 = newBatch();
    b1.v.push('c1-0');
    b1.t.push(0);
    b1.c = [{ at: 1, kind: 'end-of-input' }];
    channels[1]!.push(b1);
    while (task.isRunnable()) task.step();
    expect(acked).toEqual([1]);
    expect(probe.snapshots[0]!.seen.sort()).toEqual(['c0-0', 'c1-0']);
  });
});
