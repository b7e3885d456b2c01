/**
 * writeAsText under restarts: a restarted attempt takes over the in-progress file its earlier attempt left
 * (it failed every restart with EEXIST, for ever under the default unlimited restart strategy). From the
 * beginning it writes the file anew (exactly the input); from a checkpoint it appends (at least once).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RestartStrategies, StreamExecutionEnvironment } from '../../../lib/index.ts';
import { tempDir } from '../../helpers.ts';

function job(out: string, failAt: number, slow: boolean): StreamExecutionEnvironment {
  let failed = false;
  const env = StreamExecutionEnvironment.create();
  env.enableCheckpointing(20);
  env.getCheckpointConfig().setCheckpointStorage(tempDir());
  env.setRestartStrategy(RestartStrategies.fixedDelay(3, 10));
  env
    .fromSequence(1, 2000)
    .map((x: number) => {
      if (slow && x % 50 === 0) {
        const until = Date.now() + 15; // lets checkpoints complete before the failure
        while (Date.now() < until);
      }
      if (x === failAt && !failed) {
        failed = true;
        throw new Error('injected failure');
      }
      return x;
    })
    .writeAsText(out);
  return env;
}

describe('writeAsText after a restart', () => {
  it('restarted from the beginning: the file holds every record exactly once', async () => {
    const out = join(tempDir(), 'out.txt');
    await job(out, 1500, false).execute();
    const lines = readFileSync(out, 'utf8').trim().split('\n').map(Number);
    expect(lines).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  it('restarted from a checkpoint: every record at least once, none lost', async () => {
    const out = join(tempDir(), 'out.txt');
    await job(out, 1900, true).execute();
    const lines = readFileSync(out, 'utf8').trim().split('\n').map(Number);
    expect(new Set(lines)).toEqual(new Set(Array.from({ length: 2000 }, (_, i) => i + 1)));
    expect(lines.length).toBeGreaterThanOrEqual(2000);
  });
});
