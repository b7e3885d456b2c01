import { randomUUID } from 'node:crypto';
import { AbstractStreamOperator } from './abstract-stream-operator.ts';
import type { CollectCommittable } from '../runtime/checkpoint/collect-sink-committer.ts';
import { ListStateDescriptor } from '../core/state/state-descriptor.ts';
import type { ListState } from '../core/state/state.ts';
import type { StreamTaskStateInitializer, OperatorSnapshot } from '../state/stream-task-state-initializer.ts';
import type { PendingCommittables } from '../runtime/checkpoint/checkpoint-types.ts';

const BATCH = 1024;

/** Values held until their checkpoint commits (checkpointing jobs only). */
const UNCOMMITTED = new ListStateDescriptor<CollectCommittable>('collect-sink-committables');

/**
 * Sends records to the client of `executeAndCollect`, in batches.
 *
 * Without checkpointing they go out directly (parameters.collect). When the job checkpoints they are
 * committables instead: held until the checkpoint after them completes and the JobMaster's
 * CollectSinkCommitter delivers them, so a job restored from a checkpoint delivers every value once.
 */
export class CollectSinkOperator extends AbstractStreamOperator<never> {
  private buffer: unknown[] = [];
  /** The job checkpoints: deliver through commits. */
  private committing = false;
  private readonly writerId = randomUUID();
  private pending: CollectCommittable[] = [];
  private state: ListState<CollectCommittable> | undefined;
  private endOfInput = false;

  constructor(private readonly sinkId: string) {
    super();
  }

  override initializeState(initializer: StreamTaskStateInitializer): void {
    super.initializeState(initializer);
    this.committing = this.parameters.checkpointingMode !== undefined;
    if (!this.committing) return;
    this.state = this.getOperatorStateBackend().getListState(UNCOMMITTED);
    // The JobMaster committed the restored checkpoint's committables before this task started.
    this.state.clear();
  }

  processElement(value: unknown): void {
    this.buffer.push(value);
    if (!this.committing && this.buffer.length >= BATCH) this.endOfBatch();
  }
  override processWatermark(watermark: number): void {
    if (watermark < this.inputWatermark) return; // below the restored one: time never goes back
    this.inputWatermark = watermark;
  }
  endOfBatch(): void {
    if (this.committing || this.buffer.length === 0) return;
    const values = this.buffer;
    this.buffer = [];
    this.parameters.collect(this.sinkId, values);
  }
  override endInput(): void {
    if (!this.committing) this.endOfBatch();
    else this.endOfInput = true; // the last values go with the final checkpoint
  }
  /** Nothing is held across a checkpoint barrier: what arrived before it goes to the client (or into the checkpoint's committables) before it. */
  override prepareSnapshotPreBarrier(checkpointId: number): void {
    if (!this.committing) {
      this.endOfBatch();
      return;
    }
    this.prepareCommit(checkpointId);
  }
  override snapshotState(checkpointId: number): OperatorSnapshot {
    this.state?.update(this.pending);
    return super.snapshotState(checkpointId);
  }
  pendingCommittables(checkpointId: number): PendingCommittables[] {
    if (!this.committing) return [];
    // Without a barrier since the end of input (the job's end): the last values are labelled here.
    if (this.endOfInput) this.prepareCommit(checkpointId);
    if (this.pending.length === 0) return [];
    const { operatorId, taskInfo } = this.parameters;
    const byCheckpoint = new Map<number, CollectCommittable[]>();
    for (const c of this.pending) {
      let list = byCheckpoint.get(c.checkpointId);
      if (list === undefined) byCheckpoint.set(c.checkpointId, (list = []));
      list.push(c);
    }
    return [...byCheckpoint].map(([id, committables]) => ({ operatorId, subtaskIndex: taskInfo.indexOfThisSubtask, checkpointId: id, committables }));
  }
  override notifyCheckpointComplete(checkpointId: number): void {
    if (this.committing) this.pending = this.pending.filter((c) => c.checkpointId > checkpointId);
  }

  private prepareCommit(checkpointId: number): void {
    if (this.buffer.length === 0) return;
    this.pending.push({ sinkId: this.sinkId, subtaskIndex: this.parameters.taskInfo.indexOfThisSubtask, checkpointId, writerId: this.writerId, values: this.buffer });
    this.buffer = [];
  }
}
