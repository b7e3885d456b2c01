/**
 * FileSink through its sink writer operator (tidemark/testing's harness playing the task, the test
 * playing the JobMaster and a replayable source) under random checkpoints, declined checkpoints and
 * crashes, also between a checkpoint's completion and its commit. After each crash the job restores
 * from the last completed checkpoint: its committables are committed again, the input after its
 * position is replayed. At every point a reader of the output folder sees exactly the records up to
 * the last committed checkpoint, and at the end every record exactly once.
 */
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { OneInputStreamOperatorTestHarness, type OperatorSnapshot } from 'tidemark/testing';
import { DefaultRollingPolicy, FileSink, OnCheckpointRollingPolicy, SimpleStringEncoder, type BucketAssigner, type RollingPolicy } from 'tidemark/connectors/file';
import { SinkWriterOperator } from '../../lib/operators/sink-writer.ts';
import type { PendingCommittables } from '../../lib/runtime/checkpoint/checkpoint-types.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';
import { committedLines } from './committed-files.ts';

afterAll(removeTempDirs);

type Step = { kind: 'record' } | { kind: 'checkpoint'; completes: boolean; crashBeforeCommit: boolean } | { kind: 'crash' };

const step = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Step>({ kind: 'record' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('checkpoint' as const), completes: fc.boolean(), crashBeforeCommit: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'crash' }) },
);

/** Records spread over three buckets by their number. */
const byThree: BucketAssigner<string> = { getBucketId: (r) => `b${Number(r.split(':')[0]) % 3}` };

const sorted = (xs: readonly string[]) => [...xs].sort();

test('property: committed output is exactly the records up to the last committed checkpoint, each once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.string({ maxLength: 6 }).map((s) => s.replace(/\n/g, ' ')), { maxLength: 50 }),
      fc.array(step, { maxLength: 50 }),
      fc.boolean(),
      async (values, steps, smallParts) => {
        const input = values.map((v, i) => `${i}:${v}`); // unique, so a duplicate shows
        const dir = tempDir();
        const policy: RollingPolicy = smallParts ? DefaultRollingPolicy.builder().withMaxPartSize(16).build() : OnCheckpointRollingPolicy.build();
        const sink = FileSink.forRowFormat(dir, new SimpleStringEncoder<string>()).withBucketAssigner(byThree).withRollingPolicy(policy).build();
        const commit = (ps: readonly PendingCommittables[]) => sink.createCommitter().commit(ps.flatMap((p) => p.committables) as never);
        const newHarness = () => new OneInputStreamOperatorTestHarness<string, never, SinkWriterOperator<string>>(new SinkWriterOperator(sink), { operatorId: 'file-sink' });

        let completed: { position: number; snapshot: OperatorSnapshot; committables: PendingCommittables[] } | undefined;
        let committedPosition = 0; // what a reader must see: input[0, committedPosition)
        let checkpointId = 0;
        let position = 0;
        let h = newHarness();
        const restart = async () => {
          await h.close(); // the crash: the writer is dropped without a commit
          h = newHarness();
          if (completed !== undefined) {
            commit(completed.committables); // the JobMaster commits the restored checkpoint again
            committedPosition = completed.position;
            h.initializeState(completed.snapshot);
          }
          position = completed?.position ?? 0;
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
            if (s.completes) {
              completed = { position, snapshot, committables };
              if (s.crashBeforeCommit) await restart();
              else {
                commit(committables);
                committedPosition = position;
                h.getOperator().notifyCheckpointComplete(id);
              }
            }
          }
          expect(sorted(committedLines(dir))).toEqual(sorted(input.slice(0, committedPosition)));
        }
        // The rest of the input; the end of input's committables are committed with the job's end.
        while (position < input.length) h.processElement(input[position++]!);
        await h.endInput();
        commit(await h.getOperator().pendingCommittables(++checkpointId));
        await h.close();
        expect(sorted(committedLines(dir))).toEqual(sorted(input));
      },
    ),
    { numRuns: 100 },
  );
});
