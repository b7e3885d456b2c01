/**
 * The chain sets the key context (Flink's StreamConfig state key selector + setKeyContextElement):
 * an operator on a keyed stream carries the key selector on its node, and whoever calls the operator
 * — the task's input loop for a chain's head, a ChainingOutput for a chained operator — sets the
 * record's key before processElement. Operators no longer learn keys by a duck-typed setKeyContext.
 */
import { describe, expect, test } from 'vitest';
import { StreamExecutionEnvironment, UserCodeError } from '../../lib/index.ts';
import { KeyExtractionError } from '../../lib/core/errors.ts';
import { buildJobGraph } from '../../lib/runtime/graph/job-graph.ts';
import type { StreamNode } from '../../lib/runtime/graph/job-graph.ts';
import type { Output, StreamOperator, StreamOperatorParameters } from '../../lib/runtime/operator.ts';
import { ChainingOutput } from '../../lib/runtime/tasks/chaining-output.ts';
import { causeChain, rejection } from '../helpers.ts';

/** An operator that records what the chain calls on it, in order. */
function recordingOperator(calls: string[], failOnKey?: unknown): StreamOperator<unknown> {
  return {
    setup(_p: StreamOperatorParameters, _o: Output<unknown>) {},
    open() {},
    setKeyContextElement(v: unknown) {
      calls.push(`key ${String(v)}`);
      if (v === failOnKey) throw new Error('no key');
    },
    processElement(v: unknown) {
      calls.push(`element ${String(v)}`);
    },
    processWatermark(w: number) {
      calls.push(`watermark ${w}`);
    },
    endInput() {},
    close() {},
    snapshotState: () => ({ operatorId: 'op', operator: {} }),
    prepareSnapshotPreBarrier() {},
    initializeState() {},
    notifyCheckpointComplete() {},
  };
}

const info = { taskName: 't', indexOfThisSubtask: 1, numberOfParallelSubtasks: 2, maxNumberOfParallelSubtasks: 128, attemptNumber: 0 };

describe('ChainingOutput', () => {
  test('on a keyed node it sets the key context from each record before processElement; watermarks set none', () => {
    const calls: string[] = [];
    const node = { name: 'Keyed', stateKeySelector: (v: unknown) => v } as unknown as StreamNode;
    const out = new ChainingOutput(recordingOperator(calls), node, info);
    out.collect('a', 1);
    out.emitWatermark(5);
    out.collect('b', 2);
    expect(calls).toEqual(['key a', 'element a', 'watermark 5', 'key b', 'element b']);
  });

  test('on an unkeyed node it calls processElement only', () => {
    const calls: string[] = [];
    const out = new ChainingOutput(recordingOperator(calls), { name: 'Plain' } as unknown as StreamNode, info);
    out.collect('a', 1);
    expect(calls).toEqual(['element a']);
  });

  test('an error setting the key is attributed to the chained operator, with the record', () => {
    const calls: string[] = [];
    const node = { name: 'Keyed', stateKeySelector: (v: unknown) => v } as unknown as StreamNode;
    const out = new ChainingOutput(recordingOperator(calls, 'x'), node, info);
    let thrown: unknown;
    try {
      out.collect('x', 1);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UserCodeError);
    expect((thrown as UserCodeError).message).toBe("Operator 'Keyed' (subtask 2/2) failed: Error: no key");
    expect((thrown as UserCodeError & { input?: string }).input).toBe('"x"');
    expect(calls).toEqual(['key x']); // processElement never ran without its key
  });
});

describe('the node carries the state key selector', () => {
  test('an operator on a keyed stream has the keyBy selector and the max parallelism on its node; others have none', () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2 });
    const key = (x: number): number => x % 3;
    const sink = env
      .fromElements(1, 2, 3)
      .map((x) => x)
      .name('Before')
      .keyBy(key)
      .map((x) => x)
      .name('Keyed')
      .setMaxParallelism(64)
      .map((x) => x)
      .name('After')
      .print();
    const graph = buildJobGraph('keyed', [sink.transformation], { defaultParallelism: 2, chainingEnabled: true });
    const nodes = graph.vertices.flatMap((v) => v.nodes);
    const byName = (n: string): StreamNode => nodes.find((x) => x.name === n)!;
    expect(byName('Keyed').stateKeySelector).toBe(key);
    expect(byName('Keyed').maxParallelism).toBe(64);
    expect(byName('Before').stateKeySelector).toBeUndefined();
    expect(byName('After').stateKeySelector).toBeUndefined();
  });
});

describe('keyed state per key through the chain', () => {
  test.each([1, 2])('parallelism %i: a running count per key, and a null key fails as the keyBy partitioner does', async (p) => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
    const out = await env
      .fromElements('a', 'b', 'a', 'c', 'a', 'b')
      .keyBy((s) => s)
      .map((s) => [s, 1] as [string, number])
      .keyBy((t) => t[0])
      .reduce((x, y) => [x[0], x[1] + y[1]])
      .executeAndCollect();
    const last = new Map(out.map(([k, n]) => [k, n]));
    expect([...last.entries()].sort()).toEqual([['a', 3], ['b', 2], ['c', 1]]);

    const err = await rejection(
      StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 })
        .fromElements({ k: 'a' }, { k: null })
        .keyBy((r) => r.k)
        .map((r) => r)
        .executeAndCollect(),
    );
    const keyError = causeChain(err).find((c) => c instanceof KeyExtractionError) as Error | undefined;
    // The same error as the keyBy partitioner's (p=2 extracts in the partitioner, p=1 in the chain).
    expect(keyError?.message).toMatch(/^Could not extract key from \{ k: null \}: /);
  });
});
