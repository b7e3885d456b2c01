/**
 * The shapes checkpointing is built from (shared by the API, the tasks, the coordinator and the
 * storage): how a job checkpoints and restarts, what one subtask acknowledges at a checkpoint, and
 * what a completed checkpoint holds. Flink's names: CheckpointingMode, CheckpointConfig,
 * RestartStrategies, TaskStateSnapshot, CompletedCheckpoint.
 */
import type { OperatorSnapshot } from '../../state/stream-task-state-initializer.ts';

export type CheckpointingMode = 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';

/** Resolved checkpointing settings of one job (env.enableCheckpointing, getCheckpointConfig, execution.checkpointing.*). */
export interface CheckpointingOptions {
  /** ms between the start of two checkpoints (execution.checkpointing.interval). */
  readonly interval: number;
  readonly mode: CheckpointingMode;
  /** ms after which a pending checkpoint is declined (execution.checkpointing.timeout, Flink's default 10 min). */
  readonly timeout: number;
  /** ms from the end of one checkpoint to the start of the next (execution.checkpointing.min-pause, 0). */
  readonly minPauseBetweenCheckpoints: number;
  /** execution.checkpointing.max-concurrent-checkpoints (1). */
  readonly maxConcurrentCheckpoints: number;
  /** Checkpoint failures in a row the job tolerates before it fails over (execution.checkpointing.tolerable-failed-checkpoints, 0). */
  readonly tolerableCheckpointFailureNumber: number;
  /** Completed checkpoints kept on disk (state.checkpoints.num-retained, 1). */
  readonly numRetainedCheckpoints: number;
  /** Base folder; checkpoints go to `<directory>/<jobId>/chk-<n>/` (state.checkpoints.dir, './checkpoints'). */
  readonly directory: string;
  /**
   * execution.checkpointing.externalized-checkpoint-retention: DELETE_ON_CANCELLATION removes the job's
   * checkpoints when it is canceled (kept on failure). Unset: RETAIN_ON_CANCELLATION.
   */
  readonly externalizedCheckpointRetention?: 'RETAIN_ON_CANCELLATION' | 'DELETE_ON_CANCELLATION';
}

/** What happens when a job fails (Flink's RestartStrategies / restart-strategy.type). Delays in ms. */
export type RestartStrategyConfiguration =
  | { readonly type: 'none' }
  | { readonly type: 'fixed-delay'; readonly attempts: number; readonly delay: number }
  | { readonly type: 'failure-rate'; readonly maxFailuresPerInterval: number; readonly failureRateInterval: number; readonly delay: number }
  | {
      readonly type: 'exponential-delay';
      readonly initialBackoff: number;
      readonly maxBackoff: number;
      readonly backoffMultiplier: number;
      readonly resetBackoffThreshold: number;
      readonly attempts: number;
    };

/** Where a job starts from (`tidemark run -s <path> [-n]`, execution.savepoint.path). */
export interface SavepointRestoreSettings {
  /** A savepoint, a `chk-<n>` folder, or any folder above them (the newest complete checkpoint under it). */
  readonly path: string;
  /** State of an operator that is not in the new job is skipped instead of failing the restore. */
  readonly allowNonRestoredState: boolean;
}

/** What a two-phase-commit sink operator holds uncommitted, by the checkpoint whose barrier prepared it. */
export interface PendingCommittables {
  readonly operatorId: string;
  readonly subtaskIndex: number;
  readonly checkpointId: number;
  readonly committables: readonly unknown[];
}

/** The state of one subtask at a checkpoint (Flink's TaskStateSnapshot): what a task acknowledges. */
export interface SubtaskStateSnapshot {
  readonly vertexId: number;
  readonly subtaskIndex: number;
  /** The task had finished (FLIP-147): this is its final state, used by every later checkpoint. */
  readonly finished: boolean;
  /** One per operator of the chain (a source task's first entry is its source: split positions). */
  readonly operators: readonly OperatorSnapshot[];
  /** Committables of this task's two-phase-commit sinks, committed once the checkpoint completed. */
  readonly committables: readonly PendingCommittables[];
}

/** One operator's state in a completed checkpoint: every subtask's part, in subtask order. */
export interface OperatorStateEntry {
  readonly operatorId: string;
  /** For messages: the operator's name in the job that wrote the checkpoint. */
  readonly operatorName: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly subtasks: readonly OperatorSnapshot[];
}

/** A completed checkpoint or savepoint, as it is restored (Flink's CompletedCheckpoint). */
export interface CompletedCheckpoint {
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  /** Epoch ms when it was triggered. */
  readonly timestamp: number;
  readonly isSavepoint: boolean;
  readonly operators: readonly OperatorStateEntry[];
  /** Committables that were in the checkpoint: committed again (idempotently) on restore. */
  readonly committables: readonly PendingCommittables[];
  /** Vertices (by their head operator id) whose every subtask had finished. */
  readonly finishedOperators: readonly string[];
  /** The folder it was read from (or written to). */
  readonly path: string;
}
