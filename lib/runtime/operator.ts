/**
 * The operator contract (DESIGN.md): synchronous on the hot path. A task calls `processElement`
 * for each record of an input batch, `processWatermark` when its input watermark advances, and
 * `endInput` once all its inputs ended. Operators emit through their Output; chained operators'
 * Outputs are direct calls into the next operator.
 */
import type { RuntimeContext, TaskInfo } from '../core/functions/runtime-context.ts';
import type { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts';
import type { OperatorSnapshot, StreamTaskStateInitializer } from '../state/stream-task-state-initializer.ts';
import type { CheckpointingMode, PendingCommittables } from './checkpoint/checkpoint-types.ts';

export interface Output<T> {
  collect(value: T, timestamp: number): void;
  emitWatermark(watermark: number): void;
  /** Idle (true) or active again (false): Flink's WatermarkStatus. */
  emitWatermarkStatus(idle: boolean): void;
  /** A record for the side output with this tag id; present only when someone reads that side output. */
  collectSide?(tag: string, value: unknown, timestamp: number): void;
}

/** Processing time of a task: timers fire as mails of the task, never concurrently with its operators. */
export interface ProcessingTimeService {
  getCurrentProcessingTime(): number;
  /** Calls `callback(time)` from the task's mailbox once processing time reaches `time` (epoch ms). */
  registerTimer(time: number, callback: (time: number) => void): void;
  /** Calls `callback` every `delay` ms (measured from the end of the previous call), until the task closes. */
  scheduleWithFixedDelay(callback: () => void, delay: number): void;
}

export type RuntimeExecutionMode = 'STREAMING' | 'BATCH';

/** What the task hands to each operator in `setup`. */
export interface StreamOperatorParameters {
  readonly operatorName: string;
  /** Stable id (the uid, or derived from construction order); matches the operator across threads. */
  readonly operatorId: string;
  readonly taskInfo: TaskInfo;
  readonly runtimeContext: RuntimeContext;
  readonly runtimeMode: RuntimeExecutionMode;
  /**
   * On a keyed stream: the key of each input record (Flink's StreamConfig state key selector). The
   * chain calls the operator's setKeyContextElement with each record before processElement.
   */
  readonly stateKeySelector?: (value: unknown) => unknown;
  /**
   * The keyed input was not repartitioned by this job (reinterpretAsKeyedStream): setKeyContextElement fails
   * on a key whose key group belongs to another subtask, instead of keeping its state where no restore finds it.
   */
  readonly verifyKeyGroups?: boolean;
  /** Key groups of keyed state (the node's max parallelism). */
  readonly maxParallelism: number;
  readonly processingTimeService: ProcessingTimeService;
  /** Runs an action as a mail of the task (for results of asynchronous work). */
  readonly mailbox: { execute(action: () => void): void };
  /** Makes the runtime context's keyed state (getState, ...) use this operator's backend. */
  bindKeyedStateBackend(backend: HeapKeyedStateBackend): void;
  /** Sends values to the client that runs `executeAndCollect` (internal collect sink only). */
  readonly collect: (sinkId: string, values: unknown[]) => void;
  /**
   * Set when the job checkpoints (the task's TaskServices.checkpointingMode): the internal collect
   * sink then delivers through commits, exactly once, instead of through `collect`.
   */
  readonly checkpointingMode?: CheckpointingMode;
}

export interface StreamOperator<OUT> {
  setup(parameters: StreamOperatorParameters, output: Output<OUT>): void;
  open(): void;
  /**
   * Sets the current key from `value` (Flink's setKeyContextElement1): the chain calls it before
   * processElement when the operator is on a keyed stream (parameters.stateKeySelector is set).
   */
  setKeyContextElement(value: unknown): void;
  processElement(value: unknown, timestamp: number): void;
  processWatermark(watermark: number): void;
  /**
   * The watermark the operator was restored at (after initializeState; undefined when not restored).
   * A task must not hand it a lower one: its input valve starts from this.
   */
  restoredWatermark?(): number | undefined;
  /** The input turned idle or active; built-in operators forward it. */
  processWatermarkStatus?(idle: boolean): void;
  /** All input of this operator has ended (bounded input). Emit final results here. */
  endInput(): void;
  /** Async completion after endInput (sinks flush here); the task waits for it. */
  finish?(): void | Promise<void>;
  /** Called after each input batch; sinks flush buffered output here. */
  endOfBatch?(): void;
  /** Backpressure from an external system: a promise while the operator cannot take input. */
  availability?(): Promise<void> | null;
  /** What the task waits for while blocked on this operator's availability() or finish(), for messages. */
  waitingFor?(phase: 'availability' | 'finish'): string;
  close(): void | Promise<void>;
  /**
   * Called by the task after setup and before open (Flink's initializeState): the operator asks the
   * initializer for its state (keyed backend, timer services, operator state), restored if the task
   * was restored, and keeps no state outside it.
   */
  initializeState(initializer: StreamTaskStateInitializer): void;
  /** Before a checkpoint barrier goes downstream: emit what must precede it (Flink's prepareSnapshotPreBarrier). */
  prepareSnapshotPreBarrier(checkpointId: number): void;
  /** The synchronous snapshot of all the operator's state, taken at a checkpoint barrier. */
  snapshotState(checkpointId: number): OperatorSnapshot;
  notifyCheckpointComplete(checkpointId: number): void;
  /**
   * Two-phase-commit sinks: every committable this operator holds uncommitted, including what its
   * writer prepared in `prepareSnapshotPreBarrier(checkpointId)` (or, after `finish`, at the end of
   * input); a promise while the writer still flushes them. The task puts them in its acknowledgement;
   * the JobMaster commits them once the checkpoint completed (and again, idempotently, on restore).
   */
  pendingCommittables?(checkpointId: number): PendingCommittables[] | Promise<PendingCommittables[]>;
}

export type OperatorFactory<OUT = unknown> = () => StreamOperator<OUT>;
