/**
 * When the job checkpoints, the collect sink (executeAndCollect, toObservable) delivers through
 * commits: its values are committables of the checkpoint after them, and the JobMaster's
 * CollectSinkCommitter delivers each (operator, subtask, checkpoint) once, also when the restored
 * checkpoint's committables are committed again.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { OneInputStreamOperatorTestHarness } from 'tidemark/testing';
import { CollectSinkOperator } from '../../lib/operators/collect-sink.ts';
import { CollectSinkCommitter, type CollectCommittable } from '../../lib/runtime/checkpoint/collect-sink-committer.ts';
import type { PendingCommittables } from '../../lib/runtime/checkpoint/checkpoint-types.ts';

const harness = () => new OneInputStreamOperatorTestHarness<number, never, CollectSinkOperator>(new CollectSinkOperator('collect-1'), { checkpointingMode: 'EXACTLY_ONCE' });
const committablesOf = (p: PendingCommittables[]) => p.flatMap((x) => x.committables as CollectCommittable[]);

test('values wait for their checkpoint; a re-commit delivers nothing twice', async () => {
  const delivered: Array<[string, unknown[]]> = [];
  const committer = new CollectSinkCommitter((id, values) => void delivered.push([id, values]));
  const h = harness(); // the harness's collect() throws: nothing goes out directly
  const op = h.getOperator();
  h.processElement(1);
  h.processElement(2);
  h.snapshot(1);
  h.processElement(3);
  const first = await op.pendingCommittables(1);
  expect(first.map((p) => p.checkpointId)).toEqual([1]);
  expect(delivered).toEqual([]);
  committer.commit(committablesOf(first));
  op.notifyCheckpointComplete(1);
  expect(delivered).toEqual([['collect-1', [1, 2]]]);
  committer.commit(committablesOf(first)); // the restored checkpoint's, again
  expect(delivered).toEqual([['collect-1', [1, 2]]]);
  await h.endInput();
  h.snapshot(2); // the final checkpoint
  committer.commit(committablesOf(await op.pendingCommittables(2)));
  expect(delivered).toEqual([
    ['collect-1', [1, 2]],
    ['collect-1', [3]],
  ]);
  await h.close();
});

test('without checkpointing the collect sink sends at the barrier, as before', () => {
  const h = new OneInputStreamOperatorTestHarness<number, never, CollectSinkOperator>(new CollectSinkOperator('c'));
  h.processElement(1);
  expect(() => h.snapshot(1)).toThrow(/collect sink/); // it sends (the harness has no client)
});

/**
 * Random values, checkpoints, completions and crashes (between a checkpoint's completion and its
 * commit, too); after each crash the job restores from the last completed checkpoint (re-committing
 * its committables, replaying input after its position): the client gets every value exactly once, in order.
 */
test('property: crashes and restores deliver every value exactly once', async () => {
  type Step = { kind: 'record' } | { kind: 'checkpoint'; completes: boolean; crashBeforeCommit: boolean } | { kind: 'crash' };
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.constant<Step>({ kind: 'record' }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('checkpoint' as const), completes: fc.boolean(), crashBeforeCommit: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'crash' }) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
      const input = steps.filter((s) => s.kind === 'record').map((_, i) => i);
      const delivered: unknown[] = [];
      const committer = new CollectSinkCommitter((_id, values) => void delivered.push(...values));
      let completed: { position: number; snapshot: ReturnType<OneInputStreamOperatorTestHarness<number, never>['snapshot']>; committables: PendingCommittables[] } | undefined;
      let checkpointId = 0;
      let h = harness();
      let position = 0; // the source's position in `input`
      const restart = async () => {
        await h.close();
        h = harness();
        if (completed !== undefined) {
          committer.commit(committablesOf(completed.committables)); // the JobMaster, before the tasks start
          h.initializeState(completed.snapshot);
          position = completed.position;
        } else position = 0;
        h.open();
      };
      for (const s of steps) {
        if (s.kind === 'record') {
          if (position < input.length) h.processElement(input[position++]!);
        } else if (s.kind === 'crash') await restart();
        else {
          const id = ++checkpointId;
          const snapshot = h.snapshot(id);
          const committables = await h.getOperator().pendingCommittables(id);
          if (!s.completes) continue; // declined
          completed = { position, snapshot, committables };
          if (s.crashBeforeCommit) {
            await restart();
            continue;
          }
          committer.commit(committablesOf(committables));
          h.getOperator().notifyCheckpointComplete(id);
        }
      }
      // The rest of the input, then the end of the job (its final checkpoint commits).
      while (position < input.length) h.processElement(input[position++]!);
      await h.endInput();
      const id = ++checkpointId;
      h.snapshot(id);
      committer.commit(committablesOf(await h.getOperator().pendingCommittables(id)));
      await h.close();
      expect(delivered).toEqual(input);
    }),
    { numRuns: 200 },
  );
});
