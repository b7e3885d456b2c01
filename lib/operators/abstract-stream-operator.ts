import type { Output, StreamOperator, StreamOperatorParameters } from '../runtime/operator.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { asRichFunction, copyForSubtask } from '../core/functions/function-utils.ts';
import type { RuntimeContext } from '../core/functions/runtime-context.ts';
import { attribute, keyExtractionError, type UserCodeError } from '../core/errors.ts';
import { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts';
import { missingKeyError } from '../state/key-groups.ts';
import { OutputTag } from '../core/output-tag.ts';
import { LongCounter } from '../core/accumulators/counters.ts';

/**
 * Base of every built-in operator: keeps parameters and output, forwards watermarks.
 *
 * The chain calls it (the task's input loop for the head, a ChainingOutput for the others): sets
 * the key context on a keyed stream and attributes errors of the operator, with its input record,
 * so operators do not wrap their user calls themselves.
 */
export abstract class AbstractStreamOperator<OUT> implements StreamOperator<OUT> {
  protected output!: Output<OUT>;
  protected parameters!: StreamOperatorParameters;
  protected inputWatermark = NO_TIMESTAMP;

  /** Emits to a side output; dropped when nobody reads it (as in Flink). */
  protected emitSide(tag: OutputTag<unknown>, value: unknown, timestamp: number): void {
    if (!(tag instanceof OutputTag)) throw new TypeError('ctx.output() needs an OutputTag as its first argument');
    this.output.collectSide?.(tag.id, value, timestamp);
  }

  /** Wraps an error thrown by user code (or an external system) in this operator. */
  protected userError(e: unknown): UserCodeError {
    const info = this.parameters.taskInfo;
    return attribute(e, this.parameters.operatorName, info.indexOfThisSubtask, info.numberOfParallelSubtasks);
  }

  /**
   * Adds an operator metric to the job's accumulators as `<operator name>.<metric>`, summed over the
   * subtasks (and over operators of that name), so it reaches the JobExecutionResult in every mode.
   */
  protected publishMetric(metric: string, value: number): void {
    if (this.parameters === undefined) return; // closed without having been set up
    addToCounter(this.parameters.runtimeContext, `${this.parameters.operatorName}.${metric}`, value);
  }

  /**
   * The first late record this subtask drops is reported on stderr, so the loss is visible; later
   * ones are only counted (numLateRecordsDropped), not logged per record. `reason` says why it is late.
   */
  protected warnFirstLateRecordDropped(timestamp: number, reason: string): void {
    const info = this.parameters.taskInfo;
    warnLateRecordDropped(this.parameters.operatorName, info.indexOfThisSubtask, info.numberOfParallelSubtasks, timestamp, reason);
  }

  setup(parameters: StreamOperatorParameters, output: Output<OUT>): void {
    this.parameters = parameters;
    this.output = output;
    this.stateKeySelector = parameters.stateKeySelector;
    if (this.stateKeySelector !== undefined) {
      const backend = (this.keyedBackend = new HeapKeyedStateBackend(parameters.maxParallelism));
      parameters.bindKeyedStateBackend(backend);
      // State TTL: a background sweep as a processing-time timer of the task.
      backend.onTtlState = (interval) => parameters.processingTimeService.scheduleWithFixedDelay(() => backend.sweepExpired(), interval);
    }
  }

  // ---- keyed state (operators on a keyed stream) -------------------------------------------------
  protected keyedBackend: HeapKeyedStateBackend | undefined;
  /** On a keyed stream (set in setup from the parameters): each record's key scopes keyed state and timers. */
  private stateKeySelector: ((value: unknown) => unknown) | undefined;

  /** The chain calls this before processElement on a keyed stream (Flink's setKeyContextElement1). */
  setKeyContextElement(value: unknown): void {
    if (this.stateKeySelector === undefined) return;
    let key: unknown;
    try {
      key = this.stateKeySelector(value);
      // The same check as the keyBy partitioner's (assignToKeyGroup), so p=1 fails as p>1 does.
      if (key === undefined || key === null) throw missingKeyError(key);
    } catch (e) {
      throw this.userError(keyExtractionError(value, e)); // the same error as a keyBy partitioner's
    }
    this.keyedBackend!.setCurrentKey(key);
  }
  open(): void {}
  abstract processElement(value: unknown, timestamp: number): void;
  processWatermark(watermark: number): void {
    this.inputWatermark = watermark;
    this.output.emitWatermark(watermark);
  }
  processWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus(idle);
  }
  endInput(): void {}
  close(): void | Promise<void> {}
  snapshotState(_checkpointId: number): unknown {
    return undefined;
  }
  initializeState(_state: unknown): void {}
  notifyCheckpointComplete(_checkpointId: number): void {}
}

/** The one stderr line for the first late record an operator subtask drops (see warnFirstLateRecordDropped). */
export function warnLateRecordDropped(operatorName: string, subtaskIndex: number, parallelism: number, timestamp: number, reason: string): void {
  console.warn(
    `Operator '${operatorName}' (subtask ${subtaskIndex + 1}/${parallelism}) dropped a late record with timestamp ${timeText(timestamp)}: ${reason}. ` +
      `Later late records of this subtask are dropped without a message and counted in the accumulator '${operatorName}.numLateRecordsDropped'.`,
  );
}

/** Adds `value` to the job's accumulator `id` (a LongCounter, created by the first subtask to add). */
export function addToCounter(ctx: RuntimeContext, id: string, value: number): void {
  let acc = ctx.getAccumulator<number, number>(id);
  if (acc === undefined) ctx.addAccumulator(id, (acc = new LongCounter()));
  acc.add(value);
}

/** Epoch milliseconds with their ISO form, when they have one. */
export function timeText(t: number): string {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? `${t} (${new Date(t).toISOString()})` : String(t);
}

/** An operator around a user function: opens and closes it when it is a rich function. */
export abstract class AbstractUdfStreamOperator<OUT, F> extends AbstractStreamOperator<OUT> {
  /** This subtask's own copy of the user's function (see copyForSubtask). */
  protected readonly userFunction: F;
  constructor(userFunction: F) {
    super();
    this.userFunction = copyForSubtask(userFunction);
  }
  private opened = false;
  override open(): void {
    const rich = asRichFunction(this.userFunction);
    if (rich) {
      rich.setRuntimeContext?.(this.parameters.runtimeContext);
      this.opened = true;
      rich.open?.({});
    }
  }
  /** Closes the function if it was opened (a task that failed at start-up never opened some). */
  override close(): void | Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    asRichFunction(this.userFunction)?.close?.();
  }
}
