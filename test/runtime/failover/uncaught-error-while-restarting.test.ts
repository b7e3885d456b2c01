/**
 * JobHandle.fail while the job restarts — its failed attempt ended, the restart waits for a running commit
 * (settle) or restores — is taken: the next attempt fails with it (as during the backoff). Before, only the backoff
 * took it: in the other parts of the restart fail() returned false, and the CLI printed the error and exited 1
 * while the job was restarting (an error that the restart strategy would have handled as any other).
 */
import { afterAll, expect, test, vi } from 'vitest';
import { join } from 'node:path';
import { JobCancellationException, RestartStrategies, StreamExecutionEnvironment, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { getExecutionContext, setExecutionContext, type ExecutionContext } from '../../../lib/runtime/context.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';
import { bufferingWriter } from '../checkpoint/buffering-writer.ts';

afterAll(removeTempDirs);

let writersClosed = 0;
let commits = 0;
let hold: { entered: () => void; release: Promise<void> } | undefined;

const sink: TwoPhaseCommittingSink<number, number[]> = {
  createWriter: () => bufferingWriter<number>({ onClose: () => void writersClosed++ }),
  createCommitter: () => ({
    async commit() {
      commits++;
      const h = hold;
      hold = undefined;
      if (h !== undefined) {
        h.entered();
        await h.release;
      }
    },
  }),
};

test('an error handed to fail() while the restart waits for a commit fails the next attempt', async () => {
  const lines: string[] = [];
  const warn = vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)));
  const saved = getExecutionContext();
  const context: ExecutionContext = { configuration: {}, jobs: [] };
  setExecutionContext(context);
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.setRestartStrategy(RestartStrategies.fixedDelay(5, 0));
    env.enableCheckpointing(20);
    env.getCheckpointConfig().setCheckpointStorage(join(tempDir(), 'checkpoints'));
    env.fromSource(new SlowSequence(1, 1e9, 2), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('fail while restarting');
    const handle = context.jobs![0]!;
    setExecutionContext(saved);
    let entered!: () => void;
    const inCommit = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    hold = { entered, release: new Promise<void>((r) => (release = r)) };
    await inCommit;
    expect(handle.fail(new Error('first failure'))).toBe(true);
    // The failed attempt stops (its writer closes); the restart then waits for the held commit.
    while (writersClosed === 0) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.includes('Restarting'))).toEqual([]);
    const taken = handle.fail(new Error('second failure, while restarting'));
    const before = commits;
    release();
    // The second attempt fails with it (before: it ran on); an attempt runs and commits after.
    while (commits < before + 3) await new Promise((r) => setTimeout(r, 5));
    await client.cancel();
    expect(await client.getJobExecutionResult().catch((e: unknown) => e)).toBeInstanceOf(JobCancellationException);
    expect(taken).toBe(true);
    expect(lines.filter((l) => l.includes('Restarting')).map((l) => /failed \(attempt \d+\): [^.]*/.exec(l)?.[0])).toEqual([
      'failed (attempt 1): first failure',
      'failed (attempt 2): second failure, while restarting',
    ]);
  } finally {
    setExecutionContext(saved);
    warn.mockRestore();
  }
}, 20_000);
