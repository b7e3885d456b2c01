/**
 * In a running job, a value that cannot be serialized declines each checkpoint (logged with the
 * operator, the state and the key) and the job goes on while the failures stay within
 * tolerable-failed-checkpoints. A task that finishes (bounded input) holding such a value fails the
 * job: its final state must be written for the final checkpoint (FLIP-147), whatever the tolerable count.
 */
import { afterAll, expect, test, vi } from 'vitest';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import {
  JobExecutionException,
  KeyedProcessFunction,
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type ValueState,
} from '../../../lib/index.ts';
import type { KeyedProcessContext } from '../../../lib/operators/keyed-process.ts';

afterAll(removeTempDirs);

/** Keeps a function in ValueState. */
class HoldsAFunction extends KeyedProcessFunction<number, number, number> {
  private holder!: ValueState<{ n: number; f: () => number }>;
  override open(): void {
    this.holder = this.getRuntimeContext().getState(new ValueStateDescriptor<{ n: number; f: () => number }>('holder'));
  }
  processElement(n: number, _ctx: KeyedProcessContext<number>, out: Collector<number>): void {
    this.holder.update({ n, f: () => n });
    out.collect(n);
  }
}

function job(to: number) {
  const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'state.checkpoints.dir': tempDir() });
  env.enableCheckpointing(10);
  env.getCheckpointConfig().setTolerableCheckpointFailureNumber(1000);
  env.setRestartStrategy(RestartStrategies.noRestart());
  env.fromSequence(1, to).uid('numbers').keyBy((n) => n % 3).process(new HoldsAFunction()).uid('holds').sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
  return env;
}

test('declined checkpoints are logged with operator, state and key; the job goes on', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const client = await job(1e12).executeAsync('declines');
    const declines = () => warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('was declined'));
    for (let i = 0; i < 500 && declines().length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(declines().length).toBeGreaterThanOrEqual(3);
    expect(declines()[0]).toMatch(/^Checkpoint 1 of job 'declines' was declined by .*operator 'holds'.*keyed state 'holder' for key \d cannot be serialized: value\.f is a function/);
    expect(client.checkpointStats()).toEqual([]);
    await client.cancel();
    await client.getJobExecutionResult().catch(() => {});
  } finally {
    warn.mockRestore();
  }
});

test('a task that finishes with such a value fails the job, naming operator, state and key', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const failure = (await job(100).execute('finishes').catch((e: unknown) => e)) as Error;
    expect(failure).toBeInstanceOf(JobExecutionException);
    expect(failure.message).toMatch(/operator 'holds'.*keyed state 'holder' for key \d cannot be serialized: value\.f is a function/);
  } finally {
    warn.mockRestore();
  }
});
