import type { Output, StreamOperator, StreamOperatorParameters } from '../runtime/operator.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { asRichFunction, copyForSubtask } from '../core/functions/function-utils.ts';
import type { RuntimeContext } from '../core/functions/runtime-context.ts';
import { attribute, describeValue, IllegalStateException, keyExtractionError, type UserCodeError } from '../core/errors.ts';
import type { HeapKeyedStateBackend, InternalKvState } from '../state/heap-keyed-state-backend.ts';
import type { DefaultOperatorStateBackend } from '../state/operator-state-backend.ts';
import type { InternalTimeServiceManager, InternalTimerService, Triggerable } from '../state/timers/internal-timer-service.ts';
import { snapshotOperatorState, type OperatorSnapshot, type StreamOperatorStateContext, type StreamTaskStateInitializer } from '../state/stream-task-state-initializer.ts';
import type { Namespace, NamespaceSerializer } from '../state/namespace.ts';
import type { State } from '../core/state/state.ts';
import type { StateDescriptor } from '../core/state/state-descriptor.ts';
import { assignToKeyGroup, computeOperatorIndexForKeyGroup, keyGroupRangeForSubtask, missingKeyError } from '../state/key-groups.ts';
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
    if (parameters.verifyKeyGroups === true) {
      const info = parameters.taskInfo;
      const range = keyGroupRangeForSubtask(parameters.maxParallelism, info.numberOfParallelSubtasks, info.indexOfThisSubtask);
      this.ownKeyGroupStart = range.start;
      this.ownKeyGroupEnd = range.end;
    }
  }

  // ---- state: owned by the task's state layer, handed over in initializeState ----------------------
  /** The keyed state backend; present on a keyed stream (after initializeState). */
  protected keyedBackend: HeapKeyedStateBackend | undefined;
  private stateContext: StreamOperatorStateContext | undefined;
  private timeServiceManager: InternalTimeServiceManager | undefined;

  initializeState(initializer: StreamTaskStateInitializer): void {
    const info = this.parameters.taskInfo;
    const subtask = { subtaskIndex: info.indexOfThisSubtask, parallelism: info.numberOfParallelSubtasks };
    const keyed = this.stateKeySelector === undefined ? undefined : { maxParallelism: this.parameters.maxParallelism, ...subtask };
    const context = (this.stateContext = initializer.streamOperatorStateContext(this.parameters.operatorId, keyed, subtask, this.parameters.processingTimeService));
    this.keyedBackend = context.keyedStateBackend;
    this.timeServiceManager = context.internalTimeServiceManager;
    // Lateness after a restore is decided against the watermark the operator had reached.
    if (context.restoredWatermark !== undefined) this.inputWatermark = context.restoredWatermark;
    if (this.keyedBackend !== undefined) this.parameters.bindKeyedStateBackend(this.keyedBackend);
  }

  /** The state of a descriptor in a namespace of the current key (Flink's getPartitionedState). */
  protected getPartitionedState<S extends State>(namespace: Namespace, descriptor: StateDescriptor<unknown>, namespaceSerializer?: NamespaceSerializer): S & InternalKvState<unknown> {
    return this.requireKeyedBackend().getPartitionedState<S>(namespace, descriptor, namespaceSerializer);
  }

  /** A named timer service whose timers call `triggerable` with their key set (Flink's getInternalTimerService). */
  protected getInternalTimerService<N extends Namespace>(name: string, triggerable: Triggerable<unknown, N>, namespaceSerializer?: NamespaceSerializer<N>): InternalTimerService<N> {
    if (this.timeServiceManager === undefined) this.requireKeyedBackend();
    return this.timeServiceManager!.getInternalTimerService(name, triggerable, namespaceSerializer);
  }

  /** Whether initializeState restored this operator's state from a snapshot (Flink's StateInitializationContext.isRestored). */
  protected isRestored(): boolean {
    return this.stateContext?.isRestored ?? false;
  }

  /** The checkpoint initializeState restored this operator from, undefined on a fresh start. */
  protected getRestoredCheckpointId(): number | undefined {
    return this.stateContext?.restoredCheckpointId;
  }

  /** Operator (non-keyed) state: list, union list and broadcast state. */
  protected getOperatorStateBackend(): DefaultOperatorStateBackend {
    if (this.stateContext === undefined) throw new TypeError(`Operator '${this.parameters.operatorName}' has no state before initializeState()`);
    return this.stateContext.operatorStateBackend;
  }

  private requireKeyedBackend(): HeapKeyedStateBackend {
    if (this.keyedBackend === undefined) {
      throw new TypeError(`Keyed state and timers can only be used on a keyed stream, i.e. after keyBy() (operator '${this.parameters.operatorName}')`);
    }
    return this.keyedBackend;
  }

  prepareSnapshotPreBarrier(_checkpointId: number): void {}

  snapshotState(_checkpointId: number): OperatorSnapshot {
    if (this.stateContext === undefined) throw new TypeError(`Operator '${this.parameters.operatorName}' has no state before initializeState()`);
    return snapshotOperatorState(this.parameters.operatorId, this.stateContext, this.inputWatermark);
  }

  /**
   * The watermark this operator was restored at (undefined: not restored, or none). The task's
   * watermark valve starts from it, so a restored operator never sees its time go back.
   */
  restoredWatermark(): number | undefined {
    return this.stateContext?.restoredWatermark;
  }

  /** On a keyed stream (set in setup from the parameters): each record's key scopes keyed state and timers. */
  private stateKeySelector: ((value: unknown) => unknown) | undefined;
  /** Set on a stream reinterpreted as keyed: the key groups this subtask owns (-1: no check). */
  private ownKeyGroupStart = -1;
  private ownKeyGroupEnd = -1;

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
    if (this.ownKeyGroupStart >= 0) this.checkKeyGroup(key);
    this.keyedBackend!.setCurrentKey(key);
  }
  /** reinterpretAsKeyedStream's promise, kept per record: the key belongs to this subtask's key groups. */
  private checkKeyGroup(key: unknown): void {
    const maxParallelism = this.parameters.maxParallelism;
    const kg = assignToKeyGroup(key, maxParallelism);
    if (kg >= this.ownKeyGroupStart && kg <= this.ownKeyGroupEnd) return;
    const info = this.parameters.taskInfo;
    const owner = computeOperatorIndexForKeyGroup(maxParallelism, info.numberOfParallelSubtasks, kg);
    throw this.userError(
      new IllegalStateException(
        `reinterpretAsKeyedStream: key ${describeValue(key, true)} (key group ${kg} of ${maxParallelism}) arrived at subtask ${info.indexOfThisSubtask} of ${info.numberOfParallelSubtasks}, ` +
          `but keyBy would send it to subtask ${owner}: the input is not partitioned as keyBy partitions it (same key selector, parallelism and max parallelism). ` +
          'Its keyed state would be lost on a restore; use keyBy instead.',
      ),
    );
  }

  open(): void {}
  abstract processElement(value: unknown, timestamp: number): void;
  /** Due event-time timers of every timer service fire before the watermark moves on downstream. */
  processWatermark(watermark: number): void {
    // After a restore, upstream may start below the restored watermark: time never goes back.
    if (watermark < this.inputWatermark) return;
    this.inputWatermark = watermark;
    this.timeServiceManager?.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }
  processWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus(idle);
  }
  endInput(): void {}
  close(): void | Promise<void> {}
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
