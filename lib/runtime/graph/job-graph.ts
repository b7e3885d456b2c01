/**
 * Stream graph -> job graph. Each physical transformation becomes a StreamNode; virtual partition
 * and union transformations become edge properties. Nodes joined by a forward edge with equal
 * parallelism, where the target has that single input, are chained into one JobVertex and call each
 * other directly (Flink's StreamingJobGraphGenerator.isChainable).
 */
import type { Sink } from '../../core/connector/sink.ts';
import type { Source } from '../../core/connector/source.ts';
import type { WatermarkStrategy } from '../../time/watermark-strategy.ts';
import { computeDefaultMaxParallelism } from '../../state/key-groups.ts';
import type { ChainingStrategy, OperatorFactory, PartitionerSpec, Transformation } from './transformation.ts';
import { registerErrorClass, TidemarkError } from '../../core/errors.ts';

export interface StreamNode {
  readonly id: number;
  readonly name: string;
  readonly operatorId: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly source?: Source<unknown>;
  readonly watermarkStrategy?: WatermarkStrategy<unknown>;
  readonly autoWatermarkInterval: number;
  readonly factory?: OperatorFactory;
  readonly sink?: Sink<unknown>;
  /** Set for an operator on a keyed stream: the task sets each record's key before processElement. */
  readonly stateKeySelector?: (value: unknown) => unknown;
  /** Keyed without a keyBy exchange (reinterpretAsKeyedStream): the operator checks each record's key group. */
  readonly verifyKeyGroups?: boolean;
  readonly chainingStrategy: ChainingStrategy;
  readonly inEdges: StreamEdge[];
  readonly outEdges: StreamEdge[];
}

export interface StreamEdge {
  readonly source: StreamNode;
  readonly target: StreamNode;
  readonly partitioner: PartitionerSpec;
  /** Set when the edge carries the source's side output with this tag id instead of its main output. */
  readonly outputTag?: string;
}

export interface JobEdge {
  readonly id: number;
  readonly source: JobVertex;
  /** The operator inside the source vertex's chain that emits on this edge. */
  readonly sourceNode: StreamNode;
  readonly target: JobVertex;
  readonly partitioner: PartitionerSpec;
  readonly outputTag?: string;
}

export interface JobVertex {
  readonly id: number;
  /** Flink-style chain name: `Source: numbers -> Map -> Filter`. */
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Chained nodes, head first, in topological order. */
  readonly nodes: StreamNode[];
  /** Within-chain edges, by source node id. */
  readonly chainedOutputs: Map<number, StreamEdge[]>;
  readonly inputs: JobEdge[];
  readonly outputs: JobEdge[];
}

export interface JobGraph {
  readonly jobName: string;
  readonly vertices: JobVertex[];
  readonly edges: JobEdge[];
  /** Identifies the graph's shape, so a worker can check it rebuilt the same job. */
  readonly fingerprint: string;
}

export interface JobGraphOptions {
  readonly defaultParallelism: number;
  readonly maxParallelism?: number;
  readonly chainingEnabled: boolean;
  readonly autoWatermarkInterval?: number;
}

/** The job's dataflow cannot run as built (a cycle, a stream nobody consumes, ...): a mistake in the job definition. */
export class InvalidJobGraphError extends TidemarkError {
  override name = 'InvalidJobGraphError';
}
registerErrorClass(InvalidJobGraphError);

export function buildJobGraph(jobName: string, sinks: Transformation[], options: JobGraphOptions): JobGraph {
  const nodes = new Map<number, StreamNode>();
  const order: StreamNode[] = [];

  // Resolve each transformation to the physical nodes (with partitioners) that feed its consumer.
  type Upstream = { node: StreamNode; partitioner?: PartitionerSpec; outputTag?: string };
  const upstreamCache = new Map<number, Upstream[]>();
  const upstream = (t: Transformation): Upstream[] => {
    const cached = upstreamCache.get(t.id);
    if (cached) return cached;
    let result: Upstream[];
    if (t.kind === 'partition') {
      result = t.inputs.flatMap(upstream).map((u) => ({ ...u, partitioner: t.partitioner }));
    } else if (t.kind === 'side-output') {
      result = t.inputs.flatMap(upstream).map((u) => ({ ...u, outputTag: t.tag }));
    } else if (t.kind === 'union') {
      result = t.inputs.flatMap(upstream);
    } else {
      result = [{ node: physical(t) }];
    }
    upstreamCache.set(t.id, result);
    return result;
  };

  const physical = (t: Transformation): StreamNode => {
    const existing = nodes.get(t.id);
    if (existing) return existing;
    if (t.kind !== 'source' && t.kind !== 'operator') throw new Error('virtual transformation has no node');
    const inputs = t.inputs.flatMap(upstream);
    let parallelism = t.parallelism > 0 ? t.parallelism : options.defaultParallelism;
    if (t.kind === 'source' && t.source.nonParallel) {
      if (t.parallelism > 1) throw new InvalidJobGraphError(`The parallelism of non parallel operator '${t.name}' must be 1.`);
      parallelism = 1;
    }
    const maxParallelism = t.maxParallelism ?? options.maxParallelism ?? computeDefaultMaxParallelism(parallelism);
    if (parallelism > maxParallelism) {
      throw new InvalidJobGraphError(
        `Operator '${t.name}' has parallelism ${parallelism}, above its max parallelism ${maxParallelism} (pipeline.max-parallelism).`,
      );
    }
    const node: StreamNode = {
      id: t.id,
      name: t.name,
      operatorId: t.uid ?? `op-${t.id}`,
      parallelism,
      maxParallelism,
      source: t.kind === 'source' ? t.source : undefined,
      watermarkStrategy: t.kind === 'source' ? t.watermarkStrategy : undefined,
      autoWatermarkInterval: options.autoWatermarkInterval ?? 200,
      factory: t.kind === 'operator' ? t.factory : undefined,
      sink: t.kind === 'operator' ? t.sink : undefined,
      stateKeySelector: t.kind === 'operator' ? t.stateKeySelector : undefined,
      verifyKeyGroups: t.kind === 'operator' && t.verifyKeyGroups === true,
      chainingStrategy: t.chainingStrategy,
      inEdges: [],
      outEdges: [],
    };
    nodes.set(t.id, node);
    for (const input of inputs) {
      let partitioner = input.partitioner;
      if (partitioner === undefined) {
        partitioner = input.node.parallelism === node.parallelism ? { kind: 'forward' } : { kind: 'rebalance' };
      } else if (partitioner.kind === 'forward' && input.node.parallelism !== node.parallelism) {
        throw new InvalidJobGraphError(
          `Forward partitioning does not allow change of parallelism. Upstream operation: ${input.node.name} parallelism: ${input.node.parallelism}, downstream operation: ${node.name} parallelism: ${node.parallelism}. You must use another partitioning strategy, such as broadcast, rebalance, shuffle or global.`,
        );
      }
      const edge: StreamEdge = { source: input.node, target: node, partitioner, outputTag: input.outputTag };
      input.node.outEdges.push(edge);
      node.inEdges.push(edge);
    }
    order.push(node);
    return node;
  };

  for (const s of sinks) physical(s);

  // Chaining.
  // A keyed (hash) or rebalancing edge between two single-subtask operators routes every record to
  // subtask 0 anyway: it is a forward edge, so it chains (Flink keeps a network hop there).
  const isForward = (e: StreamEdge): boolean =>
    e.partitioner.kind === 'forward' ||
    (e.source.parallelism === 1 && e.target.parallelism === 1 && e.partitioner.kind !== 'broadcast');
  const isChainable = (e: StreamEdge): boolean =>
    options.chainingEnabled &&
    isForward(e) &&
    e.target.inEdges.length === 1 &&
    e.source.parallelism === e.target.parallelism &&
    e.target.chainingStrategy === 'ALWAYS' &&
    e.source.chainingStrategy !== 'NEVER';

  const vertexOf = new Map<number, { nodes: StreamNode[]; chained: Map<number, StreamEdge[]> }>();
  const heads: StreamNode[] = [];
  for (const node of order) {
    const chainedIn = node.inEdges.length === 1 && isChainable(node.inEdges[0]!) ? node.inEdges[0]! : undefined;
    if (chainedIn) {
      const v = vertexOf.get(chainedIn.source.id)!;
      v.nodes.push(node);
      const list = v.chained.get(chainedIn.source.id) ?? [];
      list.push(chainedIn);
      v.chained.set(chainedIn.source.id, list);
      vertexOf.set(node.id, v);
    } else {
      vertexOf.set(node.id, { nodes: [node], chained: new Map() });
      heads.push(node);
    }
  }

  const vertices: JobVertex[] = [];
  const vertexByHead = new Map<object, JobVertex>();
  for (const head of heads) {
    const v = vertexOf.get(head.id)!;
    const vertex: JobVertex = {
      id: vertices.length,
      name: v.nodes.map((n) => (n.source ? `Source: ${n.name}` : n.name)).join(' -> '),
      parallelism: head.parallelism,
      maxParallelism: head.maxParallelism,
      nodes: v.nodes,
      chainedOutputs: v.chained,
      inputs: [],
      outputs: [],
    };
    vertices.push(vertex);
    vertexByHead.set(v, vertex);
  }
  const edges: JobEdge[] = [];
  for (const node of order) {
    for (const e of node.outEdges) {
      const sv = vertexByHead.get(vertexOf.get(e.source.id)!)!;
      const tv = vertexByHead.get(vertexOf.get(e.target.id)!)!;
      if (sv === tv) continue;
      const je: JobEdge = { id: edges.length, source: sv, sourceNode: e.source, target: tv, partitioner: e.partitioner, outputTag: e.outputTag };
      edges.push(je);
      sv.outputs.push(je);
      tv.inputs.push(je);
    }
  }
  const fingerprint = vertices
    .map((v) => `${v.name}|${v.parallelism}|${v.nodes.map((n) => n.operatorId).join(',')}`)
    .concat(edges.map((e) => `${e.source.id}>${e.target.id}:${e.partitioner.kind}${e.outputTag ? `#${e.outputTag}` : ''}`))
    .join(';');
  return { jobName, vertices, edges, fingerprint };
}

/** Slots a job needs with slot sharing: the highest vertex parallelism. */
export function requiredSlots(graph: JobGraph): number {
  return graph.vertices.reduce((m, v) => Math.max(m, v.parallelism), 0);
}
