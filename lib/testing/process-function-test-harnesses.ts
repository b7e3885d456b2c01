/**
 * Harnesses for a user function alone (Flink's ProcessFunctionTestHarnesses): the function runs in
 * the operator a job would run it in, opened and ready.
 * ```ts
 * const h = ProcessFunctionTestHarnesses.forKeyedProcessFunction(new OverheatAlert(), (r: Reading) => r.sensor);
 * h.processElement({ sensor: 's1', temp: 91 }, 1000);
 * h.processWatermark(31_000); // fires the event-time timer
 * expect(h.extractOutputValues()).toEqual(['s1 overheated at 1000']);
 * ```
 */
import { KeyedProcessOperator, type KeyedProcessFn } from '../operators/keyed-process.ts';
import { ProcessOperator, type ProcessFn } from '../operators/process.ts';
import type { OperatorSnapshot } from '../state/stream-task-state-initializer.ts';
import { KeyedOneInputStreamOperatorTestHarness, OneInputStreamOperatorTestHarness, type TestHarnessOptions } from './operator-test-harness.ts';

export interface FunctionHarnessOptions extends TestHarnessOptions {
  /** Start from this state (a harness's `snapshot()`), as a job restored from a checkpoint would. */
  readonly initialState?: OperatorSnapshot | readonly OperatorSnapshot[];
}

function opened<H extends { initializeState(s: OperatorSnapshot | readonly OperatorSnapshot[]): void; open(): void }>(h: H, options: FunctionHarnessOptions): H {
  if (options.initialState !== undefined) h.initializeState(options.initialState);
  h.open();
  return h;
}

export const ProcessFunctionTestHarnesses = {
  /** A ProcessFunction (non-keyed stream): no keyed state, no timers. */
  forProcessFunction<IN, OUT>(fn: ProcessFn<IN, OUT>, options: FunctionHarnessOptions = {}): OneInputStreamOperatorTestHarness<IN, OUT, ProcessOperator<IN, OUT>> {
    return opened(new OneInputStreamOperatorTestHarness<IN, OUT, ProcessOperator<IN, OUT>>(new ProcessOperator(fn), { operatorName: 'Process', ...options }), options);
  },

  /** A KeyedProcessFunction on a stream keyed by `keySelector`: keyed state and timers per key. */
  forKeyedProcessFunction<K, IN, OUT>(
    fn: KeyedProcessFn<K, IN, OUT>,
    keySelector: (value: IN) => K,
    options: FunctionHarnessOptions = {},
  ): KeyedOneInputStreamOperatorTestHarness<K, IN, OUT, KeyedProcessOperator<K, IN, OUT>> {
    const h = new KeyedOneInputStreamOperatorTestHarness<K, IN, OUT, KeyedProcessOperator<K, IN, OUT>>(new KeyedProcessOperator(fn), keySelector, {
      operatorName: 'KeyedProcess',
      ...options,
    });
    return opened(h, options);
  },
};
