/**
 * cancel() while a restart waits for a running commit (before its backoff) ends the job once that commit ended —
 * it does not wait out the backoff. Before, the cancel came before the backoff began, so nothing woke the backoff:
 * cancel() and the result waited the whole restart delay (minutes with an exponential delay).
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
let hold: { entered: () => void; release: Promise<void> } | undefined;
const events: string[] = [];

const sink: TwoPhaseCommittingSink<number, number[]> = {
  createWriter: () => bufferingWriter<number>({ onClose: () => void writersClosed++ }),
  createCommitter: () => ({
    async commit() {
      const h = hold;
      hold = undefined;
      if (h !== undefined) {
        h.entered();
        await h.release;
        events.push('held commit done');
      }
    },
    close: () => void events.push('close'),
  }),
};

test('cancel while the restart waits for a commit: the job ends after that commit, not after the backoff', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const saved = getExecutionContext();
  const context: ExecutionContext = { configuration: {}, jobs: [] };
  setExecutionContext(context);
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 600_000));
    env.enableCheckpointing(20);
    env.getCheckpointConfig().setCheckpointStorage(join(tempDir(), 'checkpoints'));
    env.fromSource(new SlowSequence(1, 1e9, 2), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('cancel while restarting');
    const handle = context.jobs![0]!;
    setExecutionContext(saved);
    let entered!: () => void;
    const inCommit = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    hold = { entered, release: new Promise<void>((r) => (release = r)) };
    await inCommit;
    handle.fail(new Error('a task failed'));
    while (writersClosed === 0) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 50)); // the restart waits for the held commit
    const canceled = client.cancel().then(() => 'canceled' as const);
    await new Promise((r) => setTimeout(r, 20));
    release();
    const outcome = await Promise.race([canceled, new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 10_000))]);
    expect(outcome).toBe('canceled');
    expect(await client.getJobExecutionResult().catch((e: unknown) => e)).toBeInstanceOf(JobCancellationException);
    expect(client.getJobStatus()).toBe('CANCELED');
    expect(events).toEqual(['held commit done', 'close']);
  } finally {
    setExecutionContext(saved);
    warn.mockRestore();
  }
}, 30_000);
