/**
 * With -t threads the checkpoint coordinator starts with the attempt, while each slot worker is still
 * evaluating the job module: a trigger that arrives before the worker deployed its tasks is handed to
 * them once they are, not dropped. (Dropped, checkpoint 1 stayed pending until the job ended and, one
 * checkpoint at a time, no checkpoint completed while the job ran.) The fixture's source ends only
 * after it heard of a completed checkpoint and fails after --give-up-ms without one.
 */
import { afterAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, lines, removeTempDirs, runCli, tempDir } from '../../helpers.ts';

afterAll(removeTempDirs);

for (const target of [['-t', 'inline'], ['-t', 'threads', '-p', '2']]) {
  test(`${target.join(' ')}: a checkpoint completes while the job runs`, async () => {
    const r = await runCli([
      'run', ...target,
      '-D', 'execution.checkpointing.interval=20ms',
      '-D', `state.checkpoints.dir=${tempDir()}`,
      '-D', 'restart-strategy.type=none',
      join(FIXTURES, 'ends-after-checkpoint-job.ts'), '--give-up-ms', '10000',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toContainEqual(expect.stringMatching(/^checkpoint \d+ completed while running$/));
  }, 60_000);
}
