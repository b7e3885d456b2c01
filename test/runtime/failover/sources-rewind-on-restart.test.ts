/**
 * A job restarted from a checkpoint rewinds its sources to the checkpointed positions: with an
 * exactly-once sink every record arrives once, and the restarted attempt reads only what came after
 * the checkpoint, not the whole input again.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { hasCompletedCheckpoint, removeTempDirs, tempDir } from '../../helpers.ts';
import { RestartStrategies, RichMapFunction, StreamExecutionEnvironment } from '../../../lib/index.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);

/** Records mapped per attempt (module level: each subtask maps on its own copy of the function). */
const mapped = new Map<number, number>();

class FailsOnceAt extends RichMapFunction<number, number> {
  constructor(
    private readonly at: number,
    private readonly checkpoints: string,
  ) {
    super();
  }
  map(x: number): number {
    const attempt = this.getRuntimeContext().getTaskInfo().attemptNumber;
    if (x >= this.at && attempt === 0 && hasCompletedCheckpoint(this.checkpoints)) throw new Error('boom');
    mapped.set(attempt, (mapped.get(attempt) ?? 0) + 1);
    return x;
  }
}

test('a restarted job goes on from the checkpointed source positions: every record once, not the whole input again', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const checkpoints = tempDir();
    const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'state.checkpoints.dir': checkpoints });
    env.enableCheckpointing(10);
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    mapped.clear();
    const n = 20000;
    const out = await env.fromSource(new SlowSequence(1, n), 'slow sequence').setParallelism(2).map(new FailsOnceAt(15000, checkpoints)).executeAndCollect();
    expect(out.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // The restart read on from a checkpoint: fewer than all n records were mapped again.
    expect(mapped.get(1)).toBeLessThan(n);
    expect(mapped.get(1)! + mapped.get(0)!).toBeGreaterThanOrEqual(n);
    expect(warn.mock.calls.map((c) => String(c[0])).find((l) => l.includes('Restarting'))).toMatch(/from checkpoint \d+/);
  } finally {
    warn.mockRestore();
  }
});
