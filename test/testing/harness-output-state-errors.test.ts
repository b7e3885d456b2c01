/**
 * What a test sees through the harness: side outputs with their timestamps, keyed state of any key
 * read and written through the operator's backend, accumulators, and a throwing user function failing
 * as it fails a job (the same error class and message as the job's UserCodeError).
 */
import { describe, expect, test } from 'vitest';
import {
  IntCounter,
  KeyedProcessFunction,
  ListStateDescriptor,
  OutputTag,
  ProcessFunction,
  StreamExecutionEnvironment,
  UserCodeError,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type ProcessContext,
} from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses, StreamRecord, Watermark, WatermarkStatus } from '../../lib/testing/index.ts';
import { causeChain, rejection } from '../helpers.ts';

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

class Remember extends KeyedProcessFunction<string, [string, number], string> {
  private readonly last = new ValueStateDescriptor<number>('last');
  private readonly all = new ListStateDescriptor<number>('all');
  override open(): void {
    this.getRuntimeContext().addAccumulator('seen', new IntCounter());
  }
  processElement([k, v]: [string, number], ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const rc = this.getRuntimeContext();
    const last = rc.getState(this.last);
    out.collect(`${k}: ${last.value() ?? '-'} -> ${v} (${ctx.getCurrentKey()})`);
    last.update(v);
    rc.getListState(this.all).add(v);
    rc.getAccumulator<number, number>('seen')!.add(1);
  }
}

describe('keyed state through the harness', () => {
  test('getKeyedState reads and writes a key through the backend and leaves the current key alone', () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Remember(), (r: [string, number]) => r[0]);
    h.processElement(['a', 1]);
    h.processElement(['b', 2]);
    h.processElement(['a', 3]);
    const last = new ValueStateDescriptor<number>('last');
    expect(h.getKeyedState('a', last).value()).toBe(3);
    expect(h.getKeyedState('b', last).value()).toBe(2);
    expect(h.getKeyedState('zz', last).value()).toBeUndefined();
    expect(h.getKeyedState('a', new ListStateDescriptor<number>('all')).get()).toEqual([1, 3]);
    expect(h.numKeyedStateEntries()).toBe(4); // (a, b) x (last, all)
    expect(h.getKeys('last').sort()).toEqual(['a', 'b']);
    // Written by the test, seen by the function; the function's own key was not disturbed.
    h.getKeyedState('b', last).update(20);
    h.processElement(['b', 4]);
    expect(h.extractOutputValues()).toEqual(['a: - -> 1 (a)', 'b: - -> 2 (b)', 'a: 1 -> 3 (a)', 'b: 20 -> 4 (b)']);
    expect(h.getAccumulator<number, number>('seen')!.getLocalValue()).toBe(4);
    expect(() => h.getKeyedState('a', new ListStateDescriptor<number>('last'))).toThrow(/already registered as value state/);
  });

  test('a non-keyed function has no keyed state', () => {
    const h = ProcessFunctionTestHarnesses.forProcessFunction(new Split());
    expect(h.numKeyedStateEntries()).toBe(0);
    expect(h.numEventTimeTimers()).toBe(0);
  });
});

describe('errors', () => {
  class Fails extends KeyedProcessFunction<string, string, string> {
    processElement(v: string): void {
      if (v === 'bad') throw new RangeError(`cannot handle ${v}`);
    }
  }

  test('a throwing function fails the harness call with the error a job fails with (UserCodeError, same message, the original as cause)', async () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Fails(), (v: string) => v);
    h.processElement('good');
    let thrown: unknown;
    try {
      h.processElement('bad');
    } catch (e) {
      thrown = e;
    }
    const jobError = await rejection(
      StreamExecutionEnvironment.create({ 'parallelism.default': 1 })
        .fromElements('good', 'bad')
        .keyBy((v) => v)
        .process(new Fails())
        .executeAndCollect(),
    );
    const inJob = causeChain(jobError).find((c) => c instanceof UserCodeError) as UserCodeError;
    expect(thrown).toBeInstanceOf(UserCodeError);
    expect((thrown as UserCodeError).message).toBe(inJob.message);
    expect((thrown as UserCodeError).operatorName).toBe('KeyedProcess');
    expect((thrown as UserCodeError).cause).toBeInstanceOf(RangeError);
  });

  test('a key selector that returns undefined fails as keyBy does', () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Fails(), (_v: string) => undefined as unknown as string);
    expect(() => h.processElement('x')).toThrow(UserCodeError);
  });
});
