/**
 * A job's committers are closed when it ends — after the commits that run then, not during them. Before, a
 * cancel while a checkpoint's commit ran (a slow committer: a broker's commitTransaction) closed the committer
 * under that commit, and the job's end (cancel() resolving, the result settling, status() terminal) was reported
 * while the commit still ran.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { join } from 'node:path';
import { JobCancellationException, StreamExecutionEnvironment, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';
import { bufferingWriter } from './buffering-writer.ts';

afterAll(removeTempDirs);

const events: string[] = [];
let hold: { entered: () => void; release: Promise<void> } | undefined;

const sink: TwoPhaseCommittingSink<number, number[]> = {
  createWriter: () => bufferingWriter<number>(),
  createCommitter: () => {
    events.push('create');
    let closed = false;
    return {
      async commit() {
        if (closed) events.push('commit on a closed committer');
        const h = hold;
        hold = undefined;
        events.push('commit');
        if (h !== undefined) {
          h.entered();
          await h.release;
          events.push('commit done');
        }
      },
      close() {
        closed = true;
        events.push('close');
      },
    };
  },
};

test('cancel while a commit runs: the committer is closed after that commit, and the end is reported after both', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.enableCheckpointing(20);
    env.getCheckpointConfig().setCheckpointStorage(join(tempDir(), 'checkpoints'));
    env.fromSource(new SlowSequence(1, 1e9, 2), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('cancel during commit');
    let entered!: () => void;
    const inCommit = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    hold = { entered, release: new Promise<void>((r) => (release = r)) };
    await inCommit;
    let ended = false;
    const canceled = client.cancel().then(() => (ended = true));
    const result = client.getJobExecutionResult().catch((e: unknown) => e);
    void result.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 100)); // the attempt is canceled meanwhile
    const whileCommitting = { events: events.slice(), ended, status: client.getJobStatus() };
    release();
    await canceled;
    expect(await result).toBeInstanceOf(JobCancellationException);
    expect(whileCommitting).toEqual({ events: whileCommitting.events.filter((e) => e !== 'close'), ended: false, status: 'RUNNING' });
    expect(events.filter((e) => e !== 'commit').slice(-2)).toEqual(['commit done', 'close']);
    expect(events.filter((e) => e === 'create' || e === 'close')).toEqual(['create', 'close']);
    expect(events).not.toContain('commit on a closed committer');
    expect(client.getJobStatus()).toBe('CANCELED');
  } finally {
    warn.mockRestore();
  }
}, 20_000);
