/**
 * Test helper: a OneInputStreamTask running one operator on the given input channels, outside any
 * job — the test pushes batches (with barriers, end of input) and steps the task itself.
 */
import type { InputChannel } from '../../../lib/runtime/channels.ts';
import { OneInputStreamTask } from '../../../lib/runtime/tasks/one-input-stream-task.ts';
import type { TaskServices } from '../../../lib/runtime/tasks/stream-task.ts';
import type { JobVertex, StreamNode } from '../../../lib/runtime/graph/job-graph.ts';
import type { StreamOperator } from '../../../lib/runtime/operator.ts';
import type { CheckpointResponder } from '../../../lib/runtime/checkpoint/checkpoint-responder.ts';
import type { CheckpointingMode } from '../../../lib/runtime/checkpoint/checkpoint-types.ts';

export function singleOperatorTask(
  operator: StreamOperator<unknown>,
  inputs: InputChannel[],
  mode: CheckpointingMode,
  checkpointResponder: CheckpointResponder,
): OneInputStreamTask {
  const node = {
    id: 1,
    name: 'probe',
    operatorId: 'probe',
    parallelism: 1,
    maxParallelism: 128,
    autoWatermarkInterval: 0,
    factory: () => operator,
    chainingStrategy: 'ALWAYS',
    inEdges: [],
    outEdges: [],
  } as unknown as StreamNode;
  const vertex: JobVertex = { id: 1, name: 'probe', parallelism: 1, maxParallelism: 128, nodes: [node], chainedOutputs: new Map(), inputs: [], outputs: [] };
  const services: TaskServices = {
    jobName: 'probe',
    attemptNumber: 0,
    runtimeMode: 'STREAMING',
    wakeup: () => {},
    collect: () => {},
    reportAccumulators: () => {},
    checkpointingMode: mode,
    checkpointResponder,
  };
  return new OneInputStreamTask(vertex, 0, inputs, [], services);
}
