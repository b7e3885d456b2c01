/**
 * The task creates each operator's state (Flink's StreamTaskStateInitializer): a keyed state backend
 * and a timer-service manager for an operator on a keyed stream, an operator state backend for every
 * operator, restored from the operator's part of a snapshot when there is one. The operator receives
 * them in `initializeState(context)` and keeps no state of its own outside them, so the task can
 * snapshot every operator the same way (`snapshotOperatorState`).
 */
import { HeapKeyedStateBackend, type KeyedStateSnapshot } from './heap-keyed-state-backend.ts';
import { DefaultOperatorStateBackend, type OperatorStateSnapshot } from './operator-state-backend.ts';
import { InternalTimeServiceManager, type TimersSnapshot } from './timers/internal-timer-service.ts';
import type { TimerScheduler } from './timers/timer-queue.ts';
import { keyGroupRangeForSubtask } from './key-groups.ts';

/** All state of one operator subtask. */
export interface OperatorSnapshot {
  readonly operatorId: string;
  readonly keyed?: KeyedStateSnapshot;
  readonly timers?: TimersSnapshot;
  readonly operator: OperatorStateSnapshot;
}

/** What an operator gets in `initializeState` (Flink's StreamOperatorStateContext). */
export interface StreamOperatorStateContext {
  /** Whether the state was restored from a snapshot (Flink's isRestored). */
  readonly isRestored: boolean;
  readonly restoredCheckpointId: number | undefined;
  /** Present for an operator on a keyed stream. */
  readonly keyedStateBackend: HeapKeyedStateBackend | undefined;
  readonly operatorStateBackend: DefaultOperatorStateBackend;
  /** Present for an operator on a keyed stream. */
  readonly internalTimeServiceManager: InternalTimeServiceManager | undefined;
}

/** Processing time as the state layer needs it: timers, and the TTL sweep. */
export interface StateProcessingTime extends TimerScheduler {
  scheduleWithFixedDelay(callback: () => void, delay: number): void;
}

/** The keyed side of an operator subtask: which key groups it owns. */
export interface KeyedOperatorInfo {
  readonly maxParallelism: number;
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

/** State to restore an operator subtask from: the snapshots of the old subtasks that may hold its state. */
export interface RestoredOperatorState {
  readonly checkpointId: number;
  readonly snapshots: readonly OperatorSnapshot[];
}

export class StreamTaskStateInitializer {
  constructor(
    private readonly processingTime: StateProcessingTime,
    /** The restored state by operator id, when the task is restored (fault-tolerance issue). */
    private readonly restored: (operatorId: string) => RestoredOperatorState | undefined = () => undefined,
  ) {}

  /**
   * The state of one operator. `processingTime` is the operator's own view of the task's processing
   * time (so an error in one of its timers names it); the task's by default.
   */
  streamOperatorStateContext(operatorId: string, keyed: KeyedOperatorInfo | undefined, processingTime: StateProcessingTime = this.processingTime): StreamOperatorStateContext {
    const restored = this.restored(operatorId);
    const operatorStateBackend = new DefaultOperatorStateBackend();
    let keyedStateBackend: HeapKeyedStateBackend | undefined;
    let internalTimeServiceManager: InternalTimeServiceManager | undefined;
    if (keyed !== undefined) {
      const pts = processingTime;
      const backend = (keyedStateBackend = new HeapKeyedStateBackend(keyed.maxParallelism, () => pts.getCurrentProcessingTime()));
      // State TTL: a background sweep as a processing-time timer of the task.
      backend.onTtlState = (interval) => pts.scheduleWithFixedDelay(() => backend.sweepExpired(), interval);
      internalTimeServiceManager = new InternalTimeServiceManager(backend, pts);
    }
    if (restored !== undefined) {
      const snaps = restored.snapshots;
      operatorStateBackend.restore(
        snaps.map((s) => s.operator),
        keyed?.subtaskIndex ?? 0,
        keyed?.parallelism ?? 1,
      );
      if (keyed !== undefined) {
        const range = keyGroupRangeForSubtask(keyed.maxParallelism, keyed.parallelism, keyed.subtaskIndex);
        const owns = (kg: number): boolean => kg >= range.start && kg <= range.end;
        keyedStateBackend!.restore(snaps.flatMap((s) => (s.keyed === undefined ? [] : [s.keyed])), owns);
        internalTimeServiceManager!.restore(snaps.flatMap((s) => (s.timers === undefined ? [] : [s.timers])), owns);
      }
    }
    return {
      isRestored: restored !== undefined,
      restoredCheckpointId: restored?.checkpointId,
      keyedStateBackend,
      operatorStateBackend,
      internalTimeServiceManager,
    };
  }
}

/** Takes the synchronous snapshot of an operator's state (the task calls this at a checkpoint barrier). */
export function snapshotOperatorState(operatorId: string, context: StreamOperatorStateContext): OperatorSnapshot {
  return {
    operatorId,
    keyed: context.keyedStateBackend?.snapshot(),
    timers: context.internalTimeServiceManager?.snapshot(),
    operator: context.operatorStateBackend.snapshot(),
  };
}
