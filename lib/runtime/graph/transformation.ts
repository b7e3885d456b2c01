/**
 * The logical plan the API builds (Flink's Transformations). Partitioning and union are virtual:
 * they only shape the edges of the stream graph.
 */
import type { Sink } from '../../core/connector/sink.ts';
import type { Source } from '../../core/connector/source.ts';
import type { WatermarkStrategy } from '../../time/watermark-strategy.ts';
import type { StreamOperator } from '../operator.ts';

export type PartitionerSpec =
  | { kind: 'forward' }
  | { kind: 'rebalance' }
  | { kind: 'rescale' }
  | { kind: 'shuffle' }
  | { kind: 'broadcast' }
  | { kind: 'global' }
  | { kind: 'hash'; keySelector: (value: unknown) => unknown };

/** What an operator factory learns of the node it is created for. */
export interface OperatorCreationContext {
  readonly parallelism: number;
  readonly maxParallelism: number;
}

export type OperatorFactory = (context: OperatorCreationContext) => StreamOperator<unknown>;

export type ChainingStrategy = 'ALWAYS' | 'HEAD' | 'NEVER';

interface TransformationBase {
  readonly id: number;
  name: string;
  uid?: string;
  /** -1: use the environment's default parallelism. */
  parallelism: number;
  maxParallelism?: number;
  chainingStrategy: ChainingStrategy;
  /** Set when the user fixed the parallelism explicitly (sources that must be 1, say). */
  readonly inputs: Transformation[];
}

export interface SourceTransformation extends TransformationBase {
  readonly kind: 'source';
  readonly source: Source<unknown>;
  /** Timestamps and per-split watermarks generated in the source (fromSource with a strategy). */
  readonly watermarkStrategy?: WatermarkStrategy<unknown>;
}
export interface OneInputTransformation extends TransformationBase {
  readonly kind: 'operator';
  readonly factory: OperatorFactory;
  /** The Sink a sink operator writes to, for its once-per-job initialization. */
  readonly sink?: Sink<unknown>;
  /**
   * On a keyed stream: the key of each input record, which scopes keyed state and timers while the
   * operator processes it (Flink's state partitioner / state key selector in StreamConfig).
   */
  stateKeySelector?: (value: unknown) => unknown;
  /**
   * On a stream reinterpreted as keyed (DataStreamUtils.reinterpretAsKeyedStream): each record's key group is
   * checked against the subtask's range, since nothing repartitioned it (a wrong promise fails the job).
   */
  verifyKeyGroups?: boolean;
  /**
   * Set on the map that tags the records of input `i` of a two-input operation (connect, joins,
   * broadcast), which runs as one operator over a union of tagged records (Flink's TaggedUnion):
   * what reads that union is a two-input operator, which the one-input test harness refuses.
   */
  tagsInput?: 1 | 2;
  /**
   * The operator keeps state a checkpoint carries although it is not on a keyed stream (broadcast
   * state, async I/O in-flight elements): it should have a uid().
   */
  stateful?: boolean;
}
export interface PartitionTransformation extends TransformationBase {
  readonly kind: 'partition';
  readonly partitioner: PartitionerSpec;
}
export interface UnionTransformation extends TransformationBase {
  readonly kind: 'union';
}
/** Selects an operator's side output by tag id (virtual, like partitioning). */
export interface SideOutputTransformation extends TransformationBase {
  readonly kind: 'side-output';
  readonly tag: string;
}

export type Transformation =
  | SourceTransformation
  | OneInputTransformation
  | PartitionTransformation
  | UnionTransformation
  | SideOutputTransformation;
