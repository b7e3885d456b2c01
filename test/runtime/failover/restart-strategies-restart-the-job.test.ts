/**
 * A failing job restarts under its restart strategy: each restart is logged with its cause; when
 * the attempts are exhausted the job fails with the root cause and the restart count. A restarted
 * attempt's tasks see attemptNumber + 1 (Flink's TaskInfo.getAttemptNumber).
 */
import { expect, test, vi } from 'vitest';
import { RestartStrategies, RichMapFunction, StreamExecutionEnvironment } from '../../../lib/index.ts';
import { JobExecutionException } from '../../../lib/core/errors.ts';

/** Attempt numbers of the records mapped (module level: each subtask works on its own copy of the function). */
const seen: number[] = [];

class FailsUntilAttempt extends RichMapFunction<number, number> {
  constructor(private readonly okFrom: number) {
    super();
  }
  map(x: number): number {
    const attempt = this.getRuntimeContext().getTaskInfo().attemptNumber;
    if (x === 5 && attempt < this.okFrom) throw new Error(`boom at attempt ${attempt}`);
    seen.push(attempt);
    return x;
  }
}

test('restarts until an attempt succeeds, logging each restart with its cause', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING' });
    env.setRestartStrategy(RestartStrategies.fixedDelay(2, 5));
    seen.length = 0;
    const out = await env.fromSequence(1, 10).map(new FailsUntilAttempt(2)).executeAndCollect();
    // executeAndCollect without checkpoints delivers each attempt's records (at-least-once): the last attempt's are all there.
    expect(new Set(out)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(seen.filter((a) => a === 2)).toHaveLength(10);
    const restarts = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Restarting in'));
    expect(restarts).toHaveLength(2);
    expect(restarts[0]).toContain('boom at attempt 0');
    expect(restarts[1]).toContain('boom at attempt 1');
  } finally {
    warn.mockRestore();
  }
});

test('fails with the root cause and the restart count once the attempts are exhausted', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING' });
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    env.fromSequence(1, 10).map(new FailsUntilAttempt(99)).print();
    const failure = await env.execute('exhausted').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(JobExecutionException);
    expect((failure as Error).message).toMatch(/failed after 1 restart \(restart strategy fixed-delay.*exhausted\): .*boom at attempt 1/);
  } finally {
    warn.mockRestore();
  }
});

test('noRestart fails at the first failure, without a restart count', async () => {
  const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING' });
  env.setRestartStrategy(RestartStrategies.noRestart());
  env.fromSequence(1, 10).map(new FailsUntilAttempt(99)).print();
  const failure = (await env.execute('once').catch((e: unknown) => e)) as Error;
  expect(failure.message).toMatch(/'once' \(\w+\) failed: .*boom at attempt 0/);
});

class ThrowsSentence extends RichMapFunction<number, number> {
  map(x: number): number {
    if (x === 3 && this.getRuntimeContext().getTaskInfo().attemptNumber === 0) throw new Error('The value is wrong.');
    return x;
  }
}

test('a cause that ends with a full stop is not followed by a second one in the restart line', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING' });
    env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
    await env.fromSequence(1, 5).map(new ThrowsSentence()).executeAndCollect();
    const restart = warn.mock.calls.map((c) => String(c[0])).find((l) => l.includes('Restarting in'));
    expect(restart).toContain('The value is wrong. Restarting in');
  } finally {
    warn.mockRestore();
  }
});
