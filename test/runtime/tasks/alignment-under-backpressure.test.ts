/**
 * EXACTLY_ONCE alignment under credit-based backpressure does not deadlock: two source subtasks feed
 * one slow sink task (two input channels) that is out of capacity most of the time; checkpoints are
 * triggered every 10 ms, so barriers keep arriving on one channel while the other is blocked behind
 * full credit. Checkpoints complete, the job ends, and every record is written once.
 */
import { afterAll, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { RestartStrategies, StreamExecutionEnvironment, type Sink } from '../../../lib/index.ts';

afterAll(removeTempDirs);

test('aligned checkpoints complete under backpressure; the job ends with every record once', async () => {
  const N = 200_000;
  let written = 0;
  let sum = 0;
  let waits = 0;
  const sink: Sink<number> = {
    createWriter: () => ({
      write(x: number) {
        written++;
        sum += x;
      },
      flush() {},
      // Slow: capacity for one more step a millisecond from now.
      isAvailable: () => {
        waits++;
        return new Promise<void>((resolve) => setTimeout(resolve, 1));
      },
      close() {},
    }),
  };
  const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING', 'state.checkpoints.dir': tempDir(), 'taskmanager.numberOfTaskSlots': 2 });
  env.enableCheckpointing(10, 'EXACTLY_ONCE');
  env.setRestartStrategy(RestartStrategies.noRestart());
  env
    .fromSequence(1, N)
    .uid('numbers')
    .setParallelism(2)
    .keyBy((x) => x % 7)
    .map((x) => x)
    .uid('keyed')
    .setParallelism(1)
    .sinkTo(sink)
    .setParallelism(1);
  const client = await env.executeAsync('aligned under backpressure');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stuck: ${written} of ${N} written, ${client.checkpointStats().length} checkpoints`)), 60_000);
  });
  try {
    await Promise.race([client.getJobExecutionResult(), hung]);
  } finally {
    clearTimeout(timer);
  }
  expect(written).toBe(N);
  expect(sum).toBe((N * (N + 1)) / 2);
  expect(waits).toBeGreaterThan(10); // the sink really held the job back
  expect(client.checkpointStats().length).toBeGreaterThanOrEqual(3);
}, 90_000);
