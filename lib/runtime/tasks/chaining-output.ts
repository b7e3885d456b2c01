/**
 * ChainingOutput (Flink's name): how one operator of a chain hands records and watermarks to the
 * next — a direct synchronous call, with the key context set first on a keyed stream — and the one
 * place an error of the next operator is attributed to it (Flink's ExceptionInChainedOperatorException).
 */
import type { TaskInfo } from '../../core/functions/runtime-context.ts';
import type { Output, StreamOperator } from '../operator.ts';
import type { StreamNode } from '../graph/job-graph.ts';
import type { UserCodeError } from '../../core/errors.ts';
import { chainedOperatorError } from './chained-operator-error.ts';

export class ChainingOutput implements Output<unknown> {
  constructor(
    protected readonly operator: StreamOperator<unknown>,
    protected readonly node: StreamNode,
    protected readonly info: TaskInfo,
  ) {}
  collect(value: unknown, timestamp: number): void {
    const op = this.operator;
    try {
      if (this.node.stateKeySelector !== undefined) op.setKeyContextElement(value);
      op.processElement(value, timestamp);
    } catch (e) {
      throw this.error(e, value, true);
    }
  }
  emitWatermark(watermark: number): void {
    try {
      this.operator.processWatermark(watermark);
    } catch (e) {
      throw this.error(e, undefined, false);
    }
  }
  emitWatermarkStatus(idle: boolean): void {
    try {
      this.operator.processWatermarkStatus?.(idle);
    } catch (e) {
      throw this.error(e, undefined, false);
    }
  }
  protected error(e: unknown, value: unknown, hasInput: boolean): UserCodeError {
    return chainedOperatorError(e, this.node.name, this.info, value, hasInput);
  }
}

/*
 * The hot path. Built-in operators used to be their predecessor's Output (collect === processElement),
 * one call per hop. A frame per hop is now where the key is set and errors are attributed; with one
 * shared ChainingOutput.collect, its call into processElement sees every operator class of the
 * process (megamorphic, never inlined) and the bench rows (b)-(d), run after (a) in one process, lost
 * 20-30 %. So `collect` is compiled once per operator class (and keyed or not) from the same source:
 * each copy's call into processElement sees one class (monomorphic, inlined), the try/catch costs
 * nothing while nothing throws, and a hop costs what it did. ChainingOutput above stays the reference.
 */
const COLLECT_SOURCE = (keyed: boolean): string => `
  return class extends Base {
    collect(value, timestamp) {
      const op = this.operator;
      try {
        ${keyed ? 'op.setKeyContextElement(value);' : ''}
        op.processElement(value, timestamp);
      } catch (e) {
        throw this.error(e, value, true);
      }
    }
  };`;

type ChainingOutputClass = new (operator: StreamOperator<unknown>, node: StreamNode, info: TaskInfo) => ChainingOutput;
const specialized = [new WeakMap<object, ChainingOutputClass>(), new WeakMap<object, ChainingOutputClass>()];

/** The ChainingOutput into `operator` of `node`, its collect compiled for the operator's class. */
export function createChainingOutput(operator: StreamOperator<unknown>, node: StreamNode, info: TaskInfo): ChainingOutput {
  const keyed = node.stateKeySelector !== undefined;
  const cache = specialized[keyed ? 1 : 0]!;
  const cls = (operator as object).constructor;
  let C = cache.get(cls);
  if (C === undefined) {
    try {
      // Our own fixed source text (no user input): a fresh function literal per class, for its own type feedback.
      C = new Function('Base', COLLECT_SOURCE(keyed))(ChainingOutput) as ChainingOutputClass;
    } catch {
      // Code generation from strings is disallowed (node --disallow-code-generation-from-strings, a
      // locked-down host): the shared reference class, slower on the hot path but the same behaviour.
      C = ChainingOutput;
    }
    cache.set(cls, C);
  }
  return new C(operator, node, info);
}
