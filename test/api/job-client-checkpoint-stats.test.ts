/**
 * JobClient.checkpointStats(): what each completed checkpoint and savepoint of the running job cost
 * (duration, the slowest subtask's synchronous and asynchronous part, state size), as the
 * CheckpointCoordinator records them; empty for a job that takes none.
 */
import { afterAll, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from '../helpers.ts';
import { KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor, type Collector, type Sink, type ValueState } from '../../lib/index.ts';
import type { KeyedProcessContext } from '../../lib/operators/keyed-process.ts';

afterAll(removeTempDirs);

const discard: Sink<number> = { createWriter: () => ({ write() {}, flush() {}, close() {} }) };

class Remember extends KeyedProcessFunction<number, number, number> {
  private last!: ValueState<number>;
  override open(): void {
    this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('last'));
  }
  override processElement(x: number, _ctx: KeyedProcessContext<number>, out: Collector<number>): void {
    this.last.update(x);
    out.collect(x);
  }
}

test('a savepoint of a running job shows in checkpointStats() with its sync and async parts and its size', async () => {
  const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'state.checkpoints.dir': tempDir(), 'parallelism.default': 1 });
  env.enableCheckpointing('1 h');
  env
    .fromSequence(0, 999)
    .uid('numbers')
    .keyBy((x) => x)
    .process(new Remember())
    .uid('remember')
    .sinkTo(discard);
  const client = await env.executeAsync('stats');
  expect(client.checkpointStats()).toEqual([]);
  await client.stopWithSavepoint(tempDir()).catch(() => undefined);
  await client.getJobExecutionResult().catch(() => undefined);
  const stats = client.checkpointStats();
  expect(stats.length).toBeGreaterThanOrEqual(1);
  for (const s of stats) {
    expect(s.checkpointId).toBeGreaterThanOrEqual(1);
    expect(s.durationMs).toBeGreaterThanOrEqual(0);
    expect(s.maxSyncDurationMs).toBeGreaterThanOrEqual(0);
    expect(s.maxAsyncDurationMs).toBeGreaterThanOrEqual(0);
    expect(s.stateSize).toBeGreaterThan(0);
  }
});

test('a job without checkpointing has no checkpoint stats', async () => {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  env.fromSequence(0, 9).sinkTo(discard);
  const client = await env.executeAsync('no stats');
  await client.getJobExecutionResult();
  expect(client.checkpointStats()).toEqual([]);
});
