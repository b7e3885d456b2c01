/**
 * Turns a job graph into tasks on one thread: the subtasks this thread hosts, wired to channels
 * the caller provides (local queues, or MessagePorts to other worker threads).
 */
import type { InputChannel, OutputChannel } from './channels.ts';
import { connectedTargets, createSelector } from './channels.ts';
import type { JobEdge, JobGraph } from './graph/job-graph.ts';
import type { StreamTask, TaskServices, WiredOutput } from './tasks/stream-task.ts';
import { SourceStreamTask } from './tasks/source-stream-task.ts';
import { OneInputStreamTask } from './tasks/one-input-stream-task.ts';

export interface ChannelProvider {
  output(edge: JobEdge, producer: number, consumer: number): OutputChannel;
  input(edge: JobEdge, producer: number, consumer: number): InputChannel;
}

/** Every (producer, consumer) subtask pair an edge connects. */
export function channelPairs(edge: JobEdge): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let p = 0; p < edge.source.parallelism; p++) {
    for (const c of connectedTargets(edge.partitioner, p, edge.source.parallelism, edge.target.parallelism)) pairs.push([p, c]);
  }
  return pairs;
}

/** Tasks in topological order for the subtasks where `hosts(vertex, subtask)` holds. */
export function deployTasks(
  graph: JobGraph,
  hosts: (vertexId: number, subtask: number) => boolean,
  channels: ChannelProvider,
  services: TaskServices,
): StreamTask[] {
  const tasks: StreamTask[] = [];
  for (const vertex of graph.vertices) {
    for (let i = 0; i < vertex.parallelism; i++) {
      if (!hosts(vertex.id, i)) continue;
      const outputs: WiredOutput[] = vertex.outputs.map((edge) => {
        const targets = connectedTargets(edge.partitioner, i, vertex.parallelism, edge.target.parallelism);
        return {
          sourceNode: edge.sourceNode,
          outputTag: edge.outputTag,
          channels: targets.map((c) => channels.output(edge, i, c)),
          selector: createSelector(edge.partitioner, i, targets.length, edge.target.maxParallelism, edge.target.nodes[0]!.name, vertex.parallelism),
        };
      });
      if (vertex.nodes[0]!.source) {
        tasks.push(new SourceStreamTask(vertex, i, outputs, services));
      } else {
        const inputs: InputChannel[] = [];
        for (const edge of vertex.inputs) {
          for (const [p, c] of channelPairs(edge)) if (c === i) inputs.push(channels.input(edge, p, c));
        }
        tasks.push(new OneInputStreamTask(vertex, i, inputs, outputs, services));
      }
    }
  }
  return tasks;
}
