/**
 * The sink writer operator of a two-phase-commit sink, through tidemark/testing's harness as a task
 * drives it: prepareCommit at each barrier, committables held (in operator state) until
 * notifyCheckpointComplete, those of a declined checkpoint going along with the next one, the last
 * ones prepared at the end of input, restored ones dropped (the JobMaster committed them).
 */
import { describe, expect, test } from 'vitest';
import { OneInputStreamOperatorTestHarness } from 'tidemark/testing';
import type { CommittingSinkWriter, Committer, SinkWriter, TwoPhaseCommittingSink, Sink } from 'tidemark';
import { SinkWriterOperator } from '../../lib/operators/sink-writer.ts';
import type { PendingCommittables } from '../../lib/runtime/checkpoint/checkpoint-types.ts';

/** Committables are the batches written since the last prepareCommit; `log` records the calls. */
class BatchSink implements TwoPhaseCommittingSink<string, string[]> {
  readonly log: string[] = [];
  constructor(private readonly asyncPrepare = false) {}
  createWriter(): CommittingSinkWriter<string, string[]> {
    let batch: string[] = [];
    const log = this.log;
    const asyncPrepare = this.asyncPrepare;
    return {
      write: (e) => void batch.push(e),
      flush: (end) => void log.push(`flush(${end})`),
      prepareCommit: () => {
        log.push('prepareCommit');
        const out = batch.length > 0 ? [batch] : [];
        batch = [];
        return asyncPrepare ? Promise.resolve(out) : out;
      },
      close: () => void log.push('close'),
    };
  }
  createCommitter(): Committer<string[]> {
    return { commit: () => {} };
  }
}

const harness = (sink: Sink<string>) => new OneInputStreamOperatorTestHarness<string, never, SinkWriterOperator<string>>(new SinkWriterOperator(sink), { operatorId: 'sink-op', subtaskIndex: 2, parallelism: 4 });

const pending = (checkpointId: number, ...committables: string[][]): PendingCommittables => ({ operatorId: 'sink-op', subtaskIndex: 2, checkpointId, committables });

describe('SinkWriterOperator with a two-phase-commit sink', () => {
  test('prepareCommit at the barrier, after a flush; committables held until their checkpoint completed', async () => {
    const sink = new BatchSink();
    const h = harness(sink);
    const op = h.getOperator();
    h.processElement('a');
    h.processElement('b');
    h.snapshot(1);
    expect(sink.log).toEqual(['flush(false)', 'prepareCommit']);
    expect(await op.pendingCommittables(1)).toEqual([pending(1, ['a', 'b'])]);
    h.processElement('c'); // after the barrier: checkpoint 2's
    h.snapshot(2); // checkpoint 1 is not complete yet: its committables go along
    expect(await op.pendingCommittables(2)).toEqual([pending(1, ['a', 'b']), pending(2, ['c'])]);
    op.notifyCheckpointComplete(1);
    expect(await op.pendingCommittables(2)).toEqual([pending(2, ['c'])]);
    op.notifyCheckpointComplete(2);
    expect(await op.pendingCommittables(3)).toEqual([]);
    await h.close();
  });

  test('a declined checkpoint: its committables ride along into the next one, and are in its state', async () => {
    const sink = new BatchSink();
    const h = harness(sink);
    const op = h.getOperator();
    h.processElement('a');
    h.snapshot(1); // declined: never notified
    h.processElement('b');
    const snapshot = h.snapshot(2);
    expect(await op.pendingCommittables(2)).toEqual([pending(1, ['a']), pending(2, ['b'])]);
    op.notifyCheckpointComplete(2); // subsumes 1
    expect(await op.pendingCommittables(3)).toEqual([]);
    expect(JSON.stringify(snapshot.operator)).toContain('"a"');
    expect(JSON.stringify(snapshot.operator)).toContain('"b"');
    await h.close();
  });

  test('restored: the committables in the state are dropped (the JobMaster committed them before the task started)', async () => {
    const h1 = harness(new BatchSink());
    h1.processElement('a');
    h1.snapshot(1);
    h1.processElement('b');
    const snapshot = h1.snapshot(2);
    await h1.close();

    const h2 = harness(new BatchSink());
    h2.initializeState(snapshot);
    h2.open();
    expect(await h2.getOperator().pendingCommittables(3)).toEqual([]);
    h2.processElement('c');
    h2.snapshot(3);
    expect(await h2.getOperator().pendingCommittables(3)).toEqual([pending(3, ['c'])]);
    await h2.close();
  });

  test('end of input: flush(true), then a last prepareCommit, labelled by the final checkpoint (or the end of the job)', async () => {
    const sink = new BatchSink();
    const h = harness(sink);
    const op = h.getOperator();
    h.processElement('a');
    h.snapshot(1);
    h.processElement('b');
    await h.endInput();
    expect(sink.log).toEqual(['flush(false)', 'prepareCommit', 'flush(true)', 'prepareCommit']);
    h.snapshot(2); // the final checkpoint: no prepareCommit after the end of input
    expect(sink.log).toHaveLength(4);
    expect(await op.pendingCommittables(2)).toEqual([pending(1, ['a']), pending(2, ['b'])]);
    op.notifyCheckpointComplete(2);
    expect(await op.pendingCommittables(3)).toEqual([]);
    await h.close();
    expect(sink.log.at(-1)).toBe('close');
  });

  test('without checkpoints: the final committables are there at the end of the job', async () => {
    const h = harness(new BatchSink());
    h.processElement('a');
    h.processElement('b');
    await h.endInput();
    expect(await h.getOperator().pendingCommittables(Number.MAX_SAFE_INTEGER)).toEqual([pending(Number.MAX_SAFE_INTEGER, ['a', 'b'])]);
    await h.close();
  });

  test('an asynchronous prepareCommit: pendingCommittables waits for it', async () => {
    const h = harness(new BatchSink(true));
    h.processElement('a');
    h.snapshot(1);
    const p = h.getOperator().pendingCommittables(1);
    expect(p).toBeInstanceOf(Promise);
    expect(await p).toEqual([pending(1, ['a'])]);
    await h.close();
  });

  test('a sink without a committer is unchanged: no flush or state at the barrier, no committables', async () => {
    const log: string[] = [];
    const sink: Sink<string> = {
      createWriter: (): SinkWriter<string> => ({ write: (e) => void log.push(e), flush: (end) => void log.push(`flush(${end})`), close: () => {} }),
    };
    const h = harness(sink);
    h.processElement('a');
    expect(h.snapshot(1).operator).toEqual({});
    expect(log).toEqual(['a']);
    expect(await h.getOperator().pendingCommittables(1)).toEqual([]);
    await h.close();
  });
});
