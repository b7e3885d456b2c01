/**
 * stopWithSavepoint while a task fails: once the stop's savepoint completed (its _metadata written; its commit
 * running), nothing may follow it. Before, a failure in that window (after the last acknowledgement, before
 * stopWithSavepoint heard the savepoint completed) restarted the job from the savepoint: the new attempt's sources
 * read on past the savepoint (records a restore from it produces again) and stopWithSavepoint never resolved —
 * it canceled the failed attempt, not the one running.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RestartStrategies, StreamExecutionEnvironment, type CommittingSinkWriter, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { getExecutionContext, setExecutionContext } from '../../../lib/runtime/context.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);

/** Records written by writers (also those never committed), committed by the committer; a commit can be held. */
const written: number[] = [];
const committed: number[] = [];
let hold: { entered: () => void; release: Promise<void> } | undefined;

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
      const h = hold;
      hold = undefined;
      if (h !== undefined) {
        h.entered();
        await h.release;
      }
      for (const l of list) committed.push(...l);
    },
  }),
};

test('a task fails after the stop savepoint completed, while its commit runs: the job stops, nothing follows the savepoint', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const saved = getExecutionContext();
  const context = { configuration: {}, jobs: [] as NonNullable<ReturnType<typeof getExecutionContext>>['jobs'] & object };
  setExecutionContext(context);
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    env.fromSource(new SlowSequence(1, 1e9, 2), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('stop then fail');
    const handle = context.jobs[0]!;
    while (written.length < 50) await new Promise((r) => setTimeout(r, 2));
    let entered!: () => void;
    const inCommit = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    hold = { entered, release: new Promise<void>((r) => (release = r)) };
    const dir = tempDir();
    const stopping = client.stopWithSavepoint(dir);
    await inCommit; // the savepoint's _metadata is written; its commit is held
    const savepoint = readdirSync(dir).map((d) => join(dir, d));
    expect(savepoint.length === 1 && existsSync(join(savepoint[0]!, '_metadata'))).toBe(true);
    const atSavepoint = written.length;
    handle.fail(new Error('a task failed after the savepoint'));
    await new Promise((r) => setTimeout(r, 20)); // the failed attempt stops
    release();
    const outcome = await Promise.race([
      stopping.then((path) => ({ path })),
      new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 5000)),
    ]);
    if (outcome === 'stalled') await client.cancel();
    expect(outcome).toEqual({ path: savepoint[0] });
    await client.getJobExecutionResult();
    expect(client.getJobStatus()).toBe('FINISHED');
    // Nothing after the savepoint was read, and what the savepoint holds was committed once.
    expect(written.length).toBe(atSavepoint);
    expect(committed).toEqual(written);
  } finally {
    setExecutionContext(saved);
    warn.mockRestore();
  }
}, 20_000);
