/**
 * A committable that can no longer be committed (KafkaCommitError: the broker aborted its transaction, its
 * records are gone) fails the job, also under a restart strategy that would restart forever: a restart restores
 * the same checkpoint, whose commit fails the same way (it looped, restoring that checkpoint once a second).
 */
import { afterAll, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { StreamExecutionEnvironment, type CommittingSinkWriter, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { KafkaCommitError } from '../../../connectors/kafka/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

it('a KafkaCommitError fails the job without restarting it (the default strategy with checkpointing restarts without limit)', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  let commits = 0;
  const sink: TwoPhaseCommittingSink<number, number> = {
    createWriter(): CommittingSinkWriter<number, number> {
      let n = 0;
      return {
        write: () => void n++,
        flush: () => {},
        close: () => {},
        prepareCommit: () => (n > 0 ? [n] : []),
      };
    },
    createCommitter: () => ({
      commit() {
        commits++;
        throw new KafkaCommitError(`Cannot commit transaction p-0-${commits}: it was aborted`);
      },
    }),
  };
  try {
    const env = StreamExecutionEnvironment.create({ 'state.checkpoints.dir': join(tempDir(), 'checkpoints') });
    env.enableCheckpointing(20); // no restart strategy set: fixed-delay, unlimited attempts
    env.fromSequence(1, 500).uid('numbers').sinkTo(sink).uid('sink');
    await expect(env.execute('commit error')).rejects.toThrow(/Cannot commit transaction p-0-1: it was aborted/);
    expect(commits).toBe(1);
  } finally {
    warn.mockRestore();
  }
}, 20_000);
