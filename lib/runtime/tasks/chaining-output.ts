/**
 * ChainingOutput (Flink's name): how one operator of a chain hands records and watermarks to the
 * next — a direct synchronous call, with the key context set first on a keyed stream — and the one
 * place an error of the next operator is attributed to it (Flink's ExceptionInChainedOperatorException).
 */
import type { TaskInfo } from '../../core/functions/runtime-context.ts';
import type { Output, StreamOperator } from '../operator.ts';
import type { StreamNode } from '../graph/job-graph.ts';
import { chainedOperatorError } from './chained-operator-error.ts';

/**
 * Why a frame per hop (and not built-in operators being their predecessor's Output, as before):
 * it is where the key context is set and errors are attributed, once, instead of in every
 * operator; its try/catch costs nothing while nothing throws, and the bench rows (a)-(d) measured
 * the same within noise (see the commit that introduced it).
 */
export class ChainingOutput implements Output<unknown> {
  private readonly keyed: boolean;
  constructor(
    private readonly operator: StreamOperator<unknown>,
    private readonly node: StreamNode,
    private readonly info: TaskInfo,
  ) {
    this.keyed = node.stateKeySelector !== undefined;
  }
  collect(value: unknown, timestamp: number): void {
    const op = this.operator;
    try {
      if (this.keyed) op.setKeyContextElement(value);
      op.processElement(value, timestamp);
    } catch (e) {
      throw chainedOperatorError(e, this.node, this.info, value, true);
    }
  }
  emitWatermark(watermark: number): void {
    try {
      this.operator.processWatermark(watermark);
    } catch (e) {
      throw chainedOperatorError(e, this.node, this.info, undefined, false);
    }
  }
  emitWatermarkStatus(idle: boolean): void {
    try {
      this.operator.processWatermarkStatus?.(idle);
    } catch (e) {
      throw chainedOperatorError(e, this.node, this.info, undefined, false);
    }
  }
}
