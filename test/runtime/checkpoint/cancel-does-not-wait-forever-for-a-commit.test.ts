/**
 * cancel() waits for a running commit (its committer is closed after it), but not forever: a commit that never
 * ends (a committer awaiting a system that does not answer) is given the same grace as a task's close
 * (TASK_CANCEL_GRACE_MS), then the job ends CANCELED and the JobCancellationException names it among what did not
 * stop. Likewise a job failing while such a commit runs fails after the grace, and a bounded job canceled while its
 * final commit never ends (its tasks are done; as in Flink, where they wait for that commit) ends CANCELED. Before, cancel(), the result and status() waited for that commit without end — the job could never end.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { join } from 'node:path';
import { JobCancellationException, JobExecutionException, RestartStrategies, StreamExecutionEnvironment, type TwoPhaseCommittingSink } from '../../../lib/index.ts';
import { getExecutionContext, setExecutionContext, type ExecutionContext } from '../../../lib/runtime/context.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';
import { bufferingWriter } from './buffering-writer.ts';

afterAll(removeTempDirs);

const events: string[] = [];
let hang: (() => void) | undefined;

const sink: TwoPhaseCommittingSink<number, number[]> = {
  createWriter: () => bufferingWriter<number>(),
  createCommitter: () => ({
    async commit() {
      const entered = hang;
      hang = undefined;
      if (entered === undefined) return;
      events.push('commit hangs');
      entered();
      await new Promise<void>(() => {}); // never ends
    },
    close() {
      events.push('close');
    },
  }),
};

test('cancel while a commit never ends: the job ends CANCELED after a grace, naming the commit', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.enableCheckpointing(20);
    env.getCheckpointConfig().setCheckpointStorage(join(tempDir(), 'checkpoints'));
    env.fromSource(new SlowSequence(1, 1e9, 2), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('cancel during an endless commit');
    await new Promise<void>((r) => (hang = r));
    const canceled = client.cancel().then(() => 'canceled' as const);
    const outcome = await Promise.race([canceled, new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 15_000))]);
    expect(outcome).toBe('canceled');
    const e = await client.getJobExecutionResult().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(JobCancellationException);
    expect((e as JobCancellationException).notStopped.join('\n')).toMatch(/commit of checkpoint \d+ did not end within/);
    expect(client.getJobStatus()).toBe('CANCELED');
    expect(events).toEqual(['commit hangs', 'close']);
  } finally {
    warn.mockRestore();
  }
}, 30_000);

test('a job that fails (no restart) while a commit never ends fails after a grace', async () => {
  events.length = 0;
  const lines: string[] = [];
  const warn = vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)));
  const saved = getExecutionContext();
  const context: ExecutionContext = { configuration: {}, jobs: [] };
  setExecutionContext(context);
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.setRestartStrategy(RestartStrategies.noRestart());
    env.enableCheckpointing(20);
    env.getCheckpointConfig().setCheckpointStorage(join(tempDir(), 'checkpoints'));
    env.fromSource(new SlowSequence(1, 1e9, 2), 'numbers').uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('fail during an endless commit');
    const handle = context.jobs![0]!;
    setExecutionContext(saved);
    await new Promise<void>((r) => (hang = r));
    handle.fail(new Error('a task failed'));
    const result = client.getJobExecutionResult().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const outcome = await Promise.race([result, new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 15_000))]);
    if (outcome === 'stalled') await client.cancel();
    expect(outcome).toBeInstanceOf(JobExecutionException);
    expect(client.getJobStatus()).toBe('FAILED');
    expect(lines.some((l) => /the commit of checkpoint \d+ did not end within/.test(l))).toBe(true);
    expect(events).toEqual(['commit hangs', 'close']);
  } finally {
    setExecutionContext(saved);
    warn.mockRestore();
  }
}, 30_000);

test('cancel while the final commit of a bounded job never ends: the job ends CANCELED after a grace', async () => {
  events.length = 0;
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.target': 'inline', 'execution.runtime-mode': 'STREAMING' });
    env.setParallelism(1);
    env.enableCheckpointing(60_000);
    env.getCheckpointConfig().setCheckpointStorage(join(tempDir(), 'checkpoints'));
    const entered = new Promise<void>((r) => (hang = r));
    env.fromElements(1, 2, 3).uid('numbers').sinkTo(sink).uid('sink');
    const client = await env.executeAsync('cancel during an endless final commit');
    await entered;
    const canceled = client.cancel().then(() => 'canceled' as const);
    const outcome = await Promise.race([canceled, new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 15_000))]);
    expect(outcome).toBe('canceled');
    const e = await client.getJobExecutionResult().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(JobCancellationException);
    expect((e as JobCancellationException).notStopped.join('\n')).toMatch(/the final commit did not end within/);
    expect(client.getJobStatus()).toBe('CANCELED');
    expect(events).toEqual(['commit hangs', 'close']);
  } finally {
    warn.mockRestore();
  }
}, 30_000);
