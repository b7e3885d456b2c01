/**
 * The names a user needs come from the package's entry points ('tidemark', 'tidemark/cep',
 * 'tidemark/testing'), as a job or a test imports them: the harnesses and stream elements, the
 * errors, the state descriptors and the state interfaces (the types are checked by tsc, which
 * `npm test` runs over the tests).
 */
import { describe, expect, test } from 'vitest';
import * as tidemark from 'tidemark';
import type { AppendingState, ListState, State, ValueState } from 'tidemark';
import * as cep from 'tidemark/cep';
import * as testing from 'tidemark/testing';
import type { Namespace, OperatorSnapshot, StreamElement, StreamOperator } from 'tidemark/testing';

describe('public names', () => {
  test("'tidemark' exports the errors, the state descriptors (with their base class) and the functions", () => {
    for (const name of ['TidemarkError', 'UserCodeError', 'JobExecutionException', 'CheckpointException', 'CheckpointRestoreException', 'registerErrorClass', 'StateDescriptor', 'ValueStateDescriptor', 'ListStateDescriptor', 'MapStateDescriptor', 'ReducingStateDescriptor', 'AggregatingStateDescriptor', 'StateTtlConfig', 'KeyedProcessFunction', 'ProcessFunction', 'OutputTag', 'TimeWindow', 'GlobalWindow']) {
      expect(tidemark, name).toHaveProperty(name);
    }
    expect(new tidemark.ValueStateDescriptor<number>('n')).toBeInstanceOf(tidemark.StateDescriptor);
  });

  test("'tidemark/testing' exports the harnesses and the stream elements", () => {
    for (const name of ['ProcessFunctionTestHarnesses', 'OneInputStreamOperatorTestHarness', 'KeyedOneInputStreamOperatorTestHarness', 'AbstractStreamOperatorTestHarness', 'StreamRecord', 'Watermark', 'WatermarkStatus']) {
      expect(testing, name).toHaveProperty(name);
    }
  });

  test("'tidemark/cep' exports the pattern API", () => {
    for (const name of ['CEP', 'Pattern', 'PatternProcessFunction', 'AfterMatchSkipStrategy']) expect(cep, name).toHaveProperty(name);
  });

  test('the state interfaces and harness types can be named (a test reading state through the harness)', () => {
    const h = testing.ProcessFunctionTestHarnesses.forKeyedProcessFunction(
      (v: number, ctx: tidemark.KeyedProcessContext<string>, out: tidemark.Collector<number>) => out.collect(v),
      () => 'k',
    );
    h.processElement(1, 1);
    const count = new tidemark.ValueStateDescriptor<number>('count');
    const state: ValueState<number> = h.getKeyedState('k', count);
    const asState: State = state;
    asState.clear();
    const list: AppendingState<number, number[]> = h.getKeyedState('k', new tidemark.ListStateDescriptor<number>('seen')) as ListState<number>;
    list.add(2);
    expect(list.get()).toEqual([2]);
    const ns: Namespace = new tidemark.TimeWindow(0, 10);
    expect(h.getKeys('seen', 'void' satisfies Namespace)).toEqual([]);
    expect(ns).toBeDefined();
    const snapshot: OperatorSnapshot = h.snapshot();
    const op: StreamOperator<number> = h.getOperator();
    const out: StreamElement<number>[] = h.getOutput();
    expect([snapshot.operatorId, typeof op.processElement, out.length]).toEqual([expect.any(String), 'function', 1]);
  });
});
