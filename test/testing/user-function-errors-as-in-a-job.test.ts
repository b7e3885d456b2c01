/** A throwing user function fails the harness call with the error it fails a job with (UserCodeError, same message, the original as cause). */
import { describe, expect, test } from 'vitest';
import { KeyedProcessFunction, StreamExecutionEnvironment, UserCodeError } from '../../lib/index.ts';
import { ProcessFunctionTestHarnesses } from '../../lib/testing/index.ts';
import { causeChain, rejection } from '../helpers.ts';

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
    // The context a job's error carries (operator, subtask, the input record) is the harness's too.
    expect((thrown as UserCodeError).context).toEqual(inJob.context);
    expect((thrown as UserCodeError).context.input).toBe('"bad"');
  });

  test('a key selector that returns undefined fails as keyBy does', () => {
    const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new Fails(), (_v: string) => undefined as unknown as string);
    expect(() => h.processElement('x')).toThrow(UserCodeError);
  });
});
