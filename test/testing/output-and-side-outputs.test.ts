/** The harness records the main output (records and watermarks, in order) and each side output, with timestamps. */
import { describe, expect, test } from 'vitest';
import { OutputTag, ProcessFunction, type Collector, type ProcessContext } from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses, StreamRecord, Watermark, WatermarkStatus } from '../../lib/testing/index.ts';

const small = new OutputTag<number>('small');
const odd = new OutputTag<string>('odd');

class Split extends ProcessFunction<number, number> {
  processElement(v: number, ctx: ProcessContext, out: Collector<number>): void {
    if (v < 10) ctx.output(small, v);
    else out.collect(v);
    if (v % 2 === 1) ctx.output(odd, `odd ${v}`);
  }
}

describe('output and side outputs', () => {
  test('side outputs are recorded per tag with the record timestamps; the main output keeps records and watermarks in order', () => {
    const h = ProcessFunctionTestHarnesses.forProcessFunction(new Split());
    h.processElement(3, 100);
    h.processElement(12, 101);
    h.processWatermark(101);
    h.processElement(new StreamRecord(15, 102));
    h.processElement(20); // no timestamp
    h.processWatermarkStatus(true);
    expect(h.getSideOutput(small)).toEqual([new StreamRecord(3, 100)]);
    expect(h.getSideOutput(odd)).toEqual([new StreamRecord('odd 3', 100), new StreamRecord('odd 15', 102)]);
    expect(h.getSideOutput(new OutputTag<number>('never'))).toEqual([]);
    expect(h.getOutput()).toEqual([new StreamRecord(12, 101), new Watermark(101), new StreamRecord(15, 102), new StreamRecord(20), new WatermarkStatus(true)]);
    expect(h.extractOutputStreamRecords()[2]!.hasTimestamp()).toBe(false);
    expect(h.extractOutputValues()).toEqual([12, 15, 20]);
    h.clearOutput();
    expect(h.getOutput()).toEqual([]);
    expect(h.getSideOutput(small)).toEqual([]);
  });
});
