/**
 * What a KeyedProcessFunction's onTimer sees, as in Flink's KeyedProcessOperator: ctx.timestamp() is the
 * firing timer's time in both time domains; the main output carries it for event-time timers and no
 * timestamp for processing-time timers; side outputs carry the timer's time in both.
 */
import { describe, expect, test } from 'vitest';
import { KeyedProcessFunction, OutputTag, type Collector, type KeyedProcessContext, type OnTimerContext } from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses, StreamRecord } from '../../lib/testing/index.ts';

const fired = new OutputTag<string>('fired');

class Both extends KeyedProcessFunction<string, string, string> {
  processElement(_k: string, ctx: KeyedProcessContext<string>): void {
    ctx.timerService().registerEventTimeTimer(50);
    ctx.timerService().registerProcessingTimeTimer(70);
  }
  override onTimer(ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    out.collect(`${ctx.timeDomain()} ${ctx.timestamp()}`);
    ctx.output(fired, `${ctx.timeDomain()} at ${ts}`);
  }
}

describe('onTimer timestamps', () => {
  test('ctx.timestamp() is the timer time in both domains; processing-time output has no timestamp, its side output has the timer time', () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Both(), (k: string) => k);
    h.processElement('k', 1);
    h.processWatermark(60);
    h.setProcessingTime(80);
    expect(h.extractOutputStreamRecords()).toEqual([new StreamRecord('EVENT_TIME 50', 50), new StreamRecord('PROCESSING_TIME 70')]);
    expect(h.getSideOutput(fired)).toEqual([new StreamRecord('EVENT_TIME at 50', 50), new StreamRecord('PROCESSING_TIME at 70', 70)]);
  });
});
