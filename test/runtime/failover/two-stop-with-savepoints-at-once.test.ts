/**
 * Two stopWithSavepoint calls at once, the second's savepoint fails (its folder is removed: the tasks cannot write
 * their state) while the first's completes: nothing may follow the first savepoint. Before, the failed second one
 * resumed the sources (its barrier was the last that stopped them), and they read on until the first
 * stopWithSavepoint stopped the job: records a restore from the first savepoint reads again.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { rmSync } from 'node:fs';
import { StreamExecutionEnvironment, type CommittingSinkWriter, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);

const written: number[] = [];
const committed: number[] = [];
let holdNextCommit = false;

const sink: TwoPhaseCommittingSink<number, number[]> = {
  createWriter(): CommittingSinkWriter<number, number[]> {
    let open: number[] = [];
    return {
      write: (x: number) => {
        written.push(x);
        open.push(x);
      },
      flush: () => {},
      prepareCommit: () => {
        const out = open;
        open = [];
        return [out];
      },
      close: () => {},
    };
  },
  createCommitter: () => ({
    async commit(list: readonly number[][]) {
      if (holdNextCommit) {
        holdNextCommit = false;
        await new Promise((r) => setTimeout(r, 100)); // the first savepoint's commit takes a while
      }
      for (const l of list) committed.push(...l);
    },
  }),
};

test('the second of two stop savepoints fails, the first completes: the sources do not read on past the first', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.fromSource(new SlowSequence(1, 1e9, 1), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('two stops');
    while (written.length < 50) await new Promise((r) => setTimeout(r, 2));
    holdNextCommit = true;
    const first = client.stopWithSavepoint(tempDir());
    const secondDir = tempDir();
    const second = client.stopWithSavepoint(secondDir);
    rmSync(secondDir, { recursive: true, force: true }); // its state cannot be written: it is declined
    await expect(second).rejects.toThrow(/declined/);
    await first;
    await client.getJobExecutionResult();
    expect(client.getJobStatus()).toBe('FINISHED');
    // The first savepoint holds (and committed) everything read: nothing was read after its barrier.
    expect(written.length).toBeGreaterThanOrEqual(50);
    expect(written.length - committed.length).toBe(0);
    expect(committed).toEqual(written);
  } finally {
    warn.mockRestore();
  }
}, 20_000);
