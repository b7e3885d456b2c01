/**
 * stopWithSavepoint: the savepoint's barrier stops the sources (nothing follows it). When that
 * savepoint fails (a task declines it), stopWithSavepoint rejects and the job goes on, as in Flink:
 * the sources read on, and the job delivers all its input. It must not stall with stopped sources.
 */
import { afterAll, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor, type Sink, type Source, type SourceReader, type ValueState } from '../../../lib/index.ts';
import { SlowSequence } from '../../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);


/** While set, the state holds a value no checkpoint can write (a function): a savepoint now is declined. */
let poison = false;
const received: number[] = [];

class Remember extends KeyedProcessFunction<number, number, number> {
  private last!: ValueState<unknown>;
  override open(): void {
    this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<unknown>('last'));
  }
  processElement(x: number, _ctx: unknown, out: { collect(v: number): void }): void {
    this.last.update(poison ? () => x : x);
    out.collect(x);
  }
}

const collecting: Sink<number> = {
  createWriter: () => ({ write: (x: number) => void received.push(x), flush: () => {}, close: () => {} }),
};

test('a failed stop-with-savepoint rejects and the job reads on to its end', async () => {
  received.length = 0;
  poison = false;
  const n = 20000;
  const env = StreamExecutionEnvironment.create({ 'execution.runtime-mode': 'STREAMING' });
  env.setParallelism(1);
  env
    .fromSource(new SlowSequence(1, n, 5), 'slow')
    .uid('slow')
    .keyBy((x) => x % 4)
    .process(new Remember())
    .name('Remember')
    .uid('remember')
    .setParallelism(2) // a task of its own: the source acknowledges (and stops), this one declines
    .sinkTo(collecting);
  const client = await env.executeAsync('failed stop');
  while (received.length < 20) await new Promise((r) => setTimeout(r, 5));
  poison = true;
  await new Promise((r) => setTimeout(r, 40));
  await expect(client.stopWithSavepoint(tempDir())).rejects.toThrow(/declined by Remember/);
  poison = false;
  const result = await Promise.race([
    client.getJobExecutionResult().then(() => 'finished'),
    new Promise((r) => setTimeout(() => r('stalled'), 10_000)),
  ]);
  if (result === 'stalled') await client.cancel();
  expect(result).toBe('finished');
  expect(received.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}, 20_000);
