/**
 * Savepoints are taken on demand (JobClient.triggerSavepoint, `tidemark run --savepoint-on-stop`),
 * also by a streaming job that does not checkpoint periodically. When one of its tasks has finished
 * (a bounded source beside an unbounded one), its final state stands in for it in the savepoint, as
 * it does in checkpoints (FLIP-147), so the savepoint is taken and restores that task as finished.
 */
import { afterAll, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { StreamExecutionEnvironment, type Source, type SourceReader } from '../../../lib/index.ts';
import { loadCompletedCheckpoint } from '../../../lib/runtime/checkpoint/checkpoint-storage.ts';

afterAll(removeTempDirs);

/** One number every 5 ms, forever. */
class Endless implements Source<number> {
  readonly boundedness = 'CONTINUOUS_UNBOUNDED';
  createReader(): SourceReader<number> {
    let n = 0;
    return {
      start: () => {},
      pollNext(out) {
        out.collect(n++);
        return 'NOTHING_AVAILABLE';
      },
      isAvailable: () => new Promise<void>((r) => setTimeout(r, 5)),
      close: () => {},
    };
  }
}

test('a savepoint of a job without periodic checkpoints, taken after a bounded source finished', async () => {
  const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING' });
  const bounded = env.fromSequence(1, 3).uid('bounded');
  const endless = env.fromSource(new Endless(), 'endless').uid('endless');
  bounded.union(endless).filter(() => false).uid('none').print();
  const client = await env.executeAsync('savepoint after finish');
  try {
    await new Promise((r) => setTimeout(r, 300)); // the sequence source has finished by now
    const path = await client.triggerSavepoint(tempDir());
    const savepoint = await loadCompletedCheckpoint(path);
    expect(savepoint.isSavepoint).toBe(true);
    expect(savepoint.finishedOperators).toContain('bounded');
  } finally {
    await client.cancel();
  }
});
