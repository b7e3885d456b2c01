/**
 * The environment builds the job graph and hands it to a PipelineExecutor; how the graph runs is the
 * runtime's. A context executor (a slot worker's) takes every execute() whatever the target, and what
 * it delivers reaches the collect sinks; the local executor keeps the protocol data a worker needs
 * (which execute() call this is, what earlier jobs collected).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import type { JobGraph } from '../../lib/runtime/graph/job-graph.ts';
import { getExecutionContext, setContextExecutor, setExecutionContext } from '../../lib/runtime/context.ts';
import {
  getPipelineExecutor,
  type ClientJobHandle,
  type ExecutionParameters,
  type PipelineExecutor,
} from '../../lib/runtime/execution/pipeline-executor.ts';
import { LocalExecutor } from '../../lib/runtime/execution/local-executor.ts';

afterEach(() => {
  setContextExecutor(undefined);
  setExecutionContext(undefined);
});

/** An executor that runs nothing: it records what it was given and delivers `values` to every collect sink. */
function fakeExecutor(values: unknown[]): PipelineExecutor & { calls: Array<{ graph: JobGraph; parameters: ExecutionParameters }> } {
  const calls: Array<{ graph: JobGraph; parameters: ExecutionParameters }> = [];
  return {
    calls,
    async execute(graph, parameters): Promise<ClientJobHandle> {
      calls.push({ graph, parameters });
      for (const v of graph.vertices) for (const n of v.nodes) if (n.name === 'Collect Sink') parameters.onCollect(`collect-${n.id}`, values);
      return {
        jobId: 'fake',
        jobName: graph.jobName,
        status: () => 'FINISHED',
        cancel: async () => {},
        fail: () => false,
        triggerSavepoint: () => Promise.reject(new Error('fake executor: no savepoints')),
        stopWithSavepoint: () => Promise.reject(new Error('fake executor: no savepoints')),
        result: Promise.resolve({ jobId: 'fake', jobName: graph.jobName, netRuntime: 0, accumulators: new Map() }),
        resultRequested: () => {},
      };
    },
  };
}

describe('PipelineExecutor', () => {
  test('without a context executor, the executor is the local one for the target', () => {
    expect(getPipelineExecutor('inline')).toBeInstanceOf(LocalExecutor);
    expect(getPipelineExecutor('threads')).toBeInstanceOf(LocalExecutor);
  });

  test('a context executor takes every execute(), whatever the target, and what it delivers is what executeAndCollect returns', async () => {
    const fake = fakeExecutor(['replayed', 'values']);
    setContextExecutor(fake);
    for (const target of ['inline', 'threads']) {
      const env = StreamExecutionEnvironment.create({ 'execution.target': target, 'parallelism.default': 2 });
      const out = await env.fromElements(1, 2, 3).map((x: number) => x * 2).executeAndCollect(`job on ${target}`);
      expect(out).toEqual(['replayed', 'values']);
    }
    expect(fake.calls.map((c) => c.graph.jobName)).toEqual(['job on inline', 'job on threads']);
    const { parameters } = fake.calls[1]!;
    expect(parameters.runtimeMode).toBe('STREAMING');
    expect(parameters.numberOfTaskSlots).toBeUndefined(); // unset: the runtime sizes itself to the job
    expect(parameters.configuration['execution.target']).toBe('threads');
  });

  test("the local executor counts the module's execute() calls and keeps each job's collect results for the workers of later jobs", async () => {
    setExecutionContext({ configuration: {}, jobModule: '/nowhere/job.ts', jobArgs: [] });
    const env = StreamExecutionEnvironment.getExecutionEnvironment({ 'parallelism.default': 1 });
    expect(await env.fromElements('a', 'b').executeAndCollect()).toEqual(['a', 'b']);
    expect(await env.fromElements(7).executeAndCollect()).toEqual([7]);
    const context = getExecutionContext()!;
    expect(context.executeCount).toBe(2);
    expect(context.collected?.map((byId) => Object.values(byId).flat(2))).toEqual([['a', 'b'], [7]]);
  });

  test('outside a job module nothing is kept for workers (only the calls are counted)', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    expect(await env.fromElements(1).executeAndCollect()).toEqual([1]);
    expect(getExecutionContext()?.executeCount).toBe(1);
    expect(getExecutionContext()?.collected).toBeUndefined();
  });
});
