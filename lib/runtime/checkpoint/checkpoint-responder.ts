/**
 * How a task's checkpoint results reach the JobMaster's CheckpointCoordinator (Flink's
 * CheckpointResponder): the task hands over its serialized synchronous snapshot; the responder
 * writes it to the checkpoint's folder (asynchronously: the task goes on processing) and then
 * acknowledges with the file's handle. Inline the gateway is the coordinator itself; in a worker
 * thread it is a message to the main thread.
 */
import type { CheckpointBarrier } from '../elements.ts';
import type { PendingCommittables } from './checkpoint-types.ts';
import { writeSubtaskState, type StateFileHandle } from './checkpoint-storage.ts';

/** One subtask's serialized state, and its committables in plain form for the committer. */
export interface SerializedSubtaskState {
  readonly bytes: Uint8Array;
  readonly committables: PendingCommittables[];
  /** ms the task spent on its synchronous part (pre-barrier flush, snapshot, serialization). */
  readonly syncDurationMs: number;
}

export interface SubtaskAck {
  readonly checkpointId: number;
  readonly vertexId: number;
  readonly subtaskIndex: number;
  readonly handle: StateFileHandle;
  readonly committables: readonly PendingCommittables[];
  readonly syncDurationMs: number;
  /** ms from the end of the synchronous part until the state was written. */
  readonly asyncDurationMs: number;
}

/** A task finished (FLIP-147): its final state (when the job checkpoints) and what its sinks prepared last. */
export interface SubtaskFinished {
  readonly vertexId: number;
  readonly subtaskIndex: number;
  readonly bytes: Uint8Array | undefined;
  readonly committables: readonly PendingCommittables[];
  /**
   * The newest checkpoint whose barrier the task took a snapshot at: the final state stands in only
   * for later checkpoints (for those, no barrier can reach the task any more); earlier ones wait for
   * the task's own acknowledgement, which may still be on its way.
   */
  readonly lastCheckpointId: number;
}

/** The coordinator as tasks reach it. */
export interface CheckpointGateway {
  acknowledge(ack: SubtaskAck): void;
  decline(checkpointId: number, vertexId: number, subtaskIndex: number, reason: unknown): void;
  finished(report: SubtaskFinished): void;
}

export interface CheckpointResponder {
  acknowledge(barrier: CheckpointBarrier, vertexId: number, subtaskIndex: number, state: SerializedSubtaskState | Promise<SerializedSubtaskState>): void;
  decline(checkpointId: number, vertexId: number, subtaskIndex: number, reason: unknown): void;
  finished(report: SubtaskFinished): void;
}

/**
 * Writes each acknowledged snapshot into its checkpoint's folder, then tells the gateway. The attempt closes it
 * when its tasks stopped (canceled, failed): the writes under way end before the attempt reports its end, and
 * none starts after — the coordinator aborts the attempt's pending checkpoints and removes their folders then,
 * and the job reports its end after that: a write still running would land in (or keep alive) a removed folder.
 */
export class WritingCheckpointResponder implements CheckpointResponder {
  private closed = false;
  private readonly writing = new Set<Promise<void>>();

  constructor(private readonly gateway: CheckpointGateway) {}

  acknowledge(barrier: CheckpointBarrier, vertexId: number, subtaskIndex: number, state: SerializedSubtaskState | Promise<SerializedSubtaskState>): void {
    const checkpointId = barrier.checkpointId;
    const asyncStart = performance.now();
    void Promise.resolve(state)
      .then(({ bytes, committables, syncDurationMs }) => {
        if (this.closed) return; // the attempt stopped: its checkpoints are aborted, nothing is written for them
        const write = writeSubtaskState(barrier.location, vertexId, subtaskIndex, bytes).then((handle) => {
          const asyncDurationMs = performance.now() - asyncStart;
          this.gateway.acknowledge({ checkpointId, vertexId, subtaskIndex, handle, committables, syncDurationMs, asyncDurationMs });
        });
        const tracked = write.catch(() => {});
        this.writing.add(tracked);
        void tracked.finally(() => this.writing.delete(tracked));
        return write;
      })
      .catch((e: unknown) => this.gateway.decline(checkpointId, vertexId, subtaskIndex, e));
  }

  /** No state write starts after this; resolves once the ones under way ended (not waiting for snapshots still being prepared). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }

  decline(checkpointId: number, vertexId: number, subtaskIndex: number, reason: unknown): void {
    this.gateway.decline(checkpointId, vertexId, subtaskIndex, reason);
  }

  finished(report: SubtaskFinished): void {
    this.gateway.finished(report);
  }
}
