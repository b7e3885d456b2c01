/**
 * OperatorChain (Flink's name): creates the operators of one task's chain and wires their Outputs —
 * the next operator of the chain (a ChainingOutput: key context, error attribution), a RecordWriterOutput
 * for an edge that leaves the task, fan-out and side-output routing — then sets each operator up.
 */
import type { TaskInfo } from '../../core/functions/runtime-context.ts';
import { attribute } from '../../core/errors.ts';
import type { Output, StreamOperator, StreamOperatorParameters } from '../operator.ts';
import type { ChannelSelector, OutputChannel } from '../channels.ts';
import type { JobVertex, StreamNode } from '../graph/job-graph.ts';
import type { RecordWriter } from '../io/record-writer.ts';
import { RecordWriterOutput } from '../io/record-writer-output.ts';
import { createChainingOutput } from './chaining-output.ts';
import { BroadcastingOutput, DISCARD, SideRoutingOutput } from './broadcasting-output.ts';

/** One output edge of a subtask, as the deployer wired it. */
export interface WiredOutput {
  readonly sourceNode: StreamNode;
  readonly outputTag?: string;
  readonly channels: OutputChannel[];
  readonly selector: ChannelSelector | 'broadcast';
}

export class OperatorChain {
  /** The chain's operators, head first (nodes without an operator, a source's, have none). */
  readonly operators: Array<{ node: StreamNode; operator: StreamOperator<unknown> }> = [];
  /** Output of the head node (for a source, what the reader's records go to). */
  headOutput: Output<unknown> = DISCARD;

  constructor(
    vertex: JobVertex,
    info: TaskInfo,
    outputs: readonly WiredOutput[],
    writers: readonly RecordWriter[],
    parametersFor: (node: StreamNode) => StreamOperatorParameters,
  ) {
    const opByNode = new Map<number, StreamOperator<unknown>>();
    for (const node of vertex.nodes) {
      if (node.factory) {
        let op: StreamOperator<unknown>;
        try {
          op = node.factory({ parallelism: node.parallelism, maxParallelism: node.maxParallelism });
        } catch (e) {
          throw attribute(e, node.name, info.indexOfThisSubtask, vertex.parallelism); // a user function refused when its operator is built
        }
        opByNode.set(node.id, op);
        this.operators.push({ node, operator: op });
      }
    }
    for (const node of vertex.nodes) {
      const main: Output<unknown>[] = [];
      const sides = new Map<string, Output<unknown>[]>();
      const add = (tag: string | undefined, out: Output<unknown>): void => {
        if (tag === undefined) main.push(out);
        else (sides.get(tag) ?? sides.set(tag, []).get(tag)!).push(out);
      };
      for (const edge of vertex.chainedOutputs.get(node.id) ?? []) {
        const next = edge.target;
        add(edge.outputTag, createChainingOutput(opByNode.get(next.id)!, next, info));
      }
      outputs.forEach((o, i) => {
        if (o.sourceNode === node) add(o.outputTag, new RecordWriterOutput(writers[i]!));
      });
      const single = main.length === 0 ? DISCARD : main.length === 1 ? main[0]! : new BroadcastingOutput(main);
      const output = sides.size === 0 ? single : new SideRoutingOutput(single, main, sides);
      const op = opByNode.get(node.id);
      if (op) op.setup(parametersFor(node), output);
      if (node === vertex.nodes[0]) this.headOutput = output;
    }
  }
}
