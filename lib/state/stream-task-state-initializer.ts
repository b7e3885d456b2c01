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
  /**
   * The operator's current input watermark when it was snapshotted (absent: none yet). Restored as
   * the minimum over the old subtasks' (equal under aligned checkpoints), so a restored operator
   * decides lateness as the uninterrupted one would.
   */
  readonly watermark?: number;
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
  /**
   * The watermark the operator had reached: the minimum over the restored snapshots, undefined when
   * not restored or when one of them had none. The timer services are at it already (nothing fired).
   */
  readonly restoredWatermark: number | undefined;
}

/** Processing time as the state layer needs it: timers, and the TTL sweep. */
export interface StateProcessingTime extends TimerScheduler {
  scheduleWithFixedDelay(callback: () => void, delay: number): void;
}

/** Which of its operator's parallel subtasks a subtask is. */
export interface SubtaskInfo {
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

/** The keyed side of an operator subtask: which key groups it owns. */
export interface KeyedOperatorInfo extends SubtaskInfo {
  readonly maxParallelism: number;
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
   * The state of one operator. `subtask` places a non-keyed operator among its parallel subtasks, so
   * its list state is split over them on restore (defaults to `keyed`'s; without either, the operator
   * is taken to run alone). `processingTime` is the operator's own view of the task's processing time
   * (so an error in one of its timers names it); the task's by default.
   */
  streamOperatorStateContext(
    operatorId: string,
    keyed: KeyedOperatorInfo | undefined,
    subtask: SubtaskInfo | undefined = keyed,
    processingTime: StateProcessingTime = this.processingTime,
  ): StreamOperatorStateContext {
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
    let restoredWatermark: number | undefined;
    if (restored !== undefined) {
      const snaps = restored.snapshots;
      restoredWatermark = minimumWatermark(snaps);
      operatorStateBackend.restore(
        snaps.map((s) => s.operator),
        subtask?.subtaskIndex ?? 0,
        subtask?.parallelism ?? 1,
      );
      if (keyed !== undefined) {
        const range = keyGroupRangeForSubtask(keyed.maxParallelism, keyed.parallelism, keyed.subtaskIndex);
        const owns = (kg: number): boolean => kg >= range.start && kg <= range.end;
        keyedStateBackend!.restore(snaps.flatMap((s) => (s.keyed === undefined ? [] : [s.keyed])), owns);
        internalTimeServiceManager!.restore(snaps.flatMap((s) => (s.timers === undefined ? [] : [s.timers])), owns);
        if (restoredWatermark !== undefined) internalTimeServiceManager!.restoreWatermark(restoredWatermark);
      }
    }
    return {
      isRestored: restored !== undefined,
      restoredCheckpointId: restored?.checkpointId,
      keyedStateBackend,
      operatorStateBackend,
      internalTimeServiceManager,
      restoredWatermark,
    };
  }
}

/** The lowest watermark of the snapshots; undefined when there are none or one has no watermark. */
function minimumWatermark(snapshots: readonly OperatorSnapshot[]): number | undefined {
  let min = Number.POSITIVE_INFINITY;
  for (const s of snapshots) {
    if (typeof s.watermark !== 'number') return undefined;
    if (s.watermark < min) min = s.watermark;
  }
  return snapshots.length === 0 ? undefined : min;
}

/** Takes the synchronous snapshot of an operator's state (the task calls this at a checkpoint barrier). */
export function snapshotOperatorState(operatorId: string, context: StreamOperatorStateContext, watermark?: number): OperatorSnapshot {
  const snapshot = {
    operatorId,
    keyed: context.keyedStateBackend?.snapshot(),
    timers: context.internalTimeServiceManager?.snapshot(),
    operator: context.operatorStateBackend.snapshot(),
  };
  // -Infinity (no watermark yet) is left out: the snapshot stays plain, JSON-safe data.
  return watermark === undefined || watermark === Number.NEGATIVE_INFINITY ? snapshot : { ...snapshot, watermark };
}
