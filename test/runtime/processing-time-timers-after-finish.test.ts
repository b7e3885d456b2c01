/**
 * At the end of input each operator of a chain finishes in turn, head to tail; an operator's
 * processing-time timers do not fire once it has finished (Flink quiesces an operator's timer
 * service before it finishes: pending timers are dropped, not fired). Otherwise a timer of an
 * operator that finished fires while a later operator's asynchronous finish (a sink's final flush)
 * runs, and its output reaches an operator after that operator's end of input: records a job
 * emitted and then silently lost.
 */
import { expect, test } from 'vitest';
import { KeyedProcessFunction, StreamExecutionEnvironment, type Collector, type Sink } from '../../lib/index.ts';
import type { KeyedProcessContext, OnTimerContext } from '../../lib/operators/keyed-process.ts';

test("a processing-time timer of a finished operator does not fire while a later operator's finish runs", async () => {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const fired: string[] = [];
  const written: string[] = [];
  const writtenAfterFinalFlush: string[] = [];
  const sink: Sink<string> = {
    createWriter: () => {
      let buffer: string[] = [];
      let finalFlush = false;
      return {
        write: (s) => {
          if (finalFlush) writtenAfterFinalFlush.push(s);
          buffer.push(s);
        },
        flush: async (endOfInput) => {
          const batch = buffer;
          buffer = [];
          written.push(...batch);
          if (endOfInput) {
            finalFlush = true;
            await new Promise((r) => setTimeout(r, 150)); // a slow final flush: the timer below comes due meanwhile
          }
        },
        close: () => {},
      };
    },
  };
  env
    .fromElements('a')
    .keyBy((s) => s)
    .process(
      new (class extends KeyedProcessFunction<string, string, string> {
        override processElement(s: string, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
          ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 20);
          out.collect(s);
        }
        override onTimer(_t: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
          fired.push(ctx.getCurrentKey());
          out.collect(`timer ${ctx.getCurrentKey()}`);
        }
      })(),
    )
    .name('Timeouts')
    .sinkTo(sink)
    .name('Slow sink');
  await env.execute('timer after finish');
  expect(written).toEqual(['a']);
  expect(writtenAfterFinalFlush).toEqual([]); // nothing reaches the sink after its final flush
  expect(fired).toEqual([]); // the pending timer is dropped with its finished operator, as in Flink
});
