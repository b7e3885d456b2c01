import { AbstractStreamOperator } from './abstract-stream-operator.ts';
import { isTwoPhaseCommittingSink, type CommittingSinkWriter, type CommittingSinkWriterContext, type Sink, type SinkRecordContext, type SinkWriter } from '../core/connector/sink.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';
import { ListStateDescriptor } from '../core/state/state-descriptor.ts';
import type { ListState } from '../core/state/state.ts';
import type { OperatorSnapshot, StreamTaskStateInitializer } from '../state/stream-task-state-initializer.ts';
import type { PendingCommittables } from '../runtime/checkpoint/checkpoint-types.ts';

/** The committables a writer prepared at the barrier of one checkpoint, not yet known to be committed. */
interface CommittableEntry {
  readonly checkpointId: number;
  committables: unknown[];
}

/** Operator list state of a two-phase-commit sink writer: its uncommitted committables, by checkpoint. */
const COMMITTABLES = new ListStateDescriptor<CommittableEntry>('sink-writer-committables');

/**
 * Runs a Sink's writer (Flink's SinkWriterOperator). One record context object, reused.
 *
 * A two-phase-commit sink (isTwoPhaseCommittingSink) also gets, at each checkpoint barrier,
 * `flush(false)` and `prepareCommit()`; its committables stay here, by checkpoint id, until
 * `notifyCheckpointComplete` says the JobMaster committed them, so those of a declined checkpoint go
 * along with the next one. At the end of input (`finish`) `prepareCommit()` runs once more, for the
 * last records; the final checkpoint (or, without checkpointing, the end of the successful job)
 * commits them.
 */
export class SinkWriterOperator<T> extends AbstractStreamOperator<never> implements SinkRecordContext {
  private writer!: SinkWriter<T>;
  private recordTimestamp = NO_TIMESTAMP;
  private pendingFlush: Promise<void> | null = null;
  private flushError: unknown = undefined;

  // ---- two-phase commit only ----
  private readonly committing: boolean;
  /** Uncommitted committables, in checkpoint order; an entry is filled in when an asynchronous prepareCommit settles. */
  private pending: CommittableEntry[] = [];
  /** Asynchronous prepareCommit results not settled yet. */
  private preparing: Promise<void>[] = [];
  private committableState: ListState<CommittableEntry> | undefined;
  /** `finish` ran: no record and no prepareCommit after it. */
  private endOfInput = false;
  /** The last committables (of `finish`), until a checkpoint id labels them. */
  private finalCommittables: unknown[] | null = null;

  constructor(private readonly sink: Sink<T>) {
    super();
    this.committing = isTwoPhaseCommittingSink(sink);
  }

  timestamp(): number | null {
    return this.recordTimestamp === NO_TIMESTAMP ? null : this.recordTimestamp;
  }
  currentWatermark(): number {
    return this.inputWatermark;
  }

  override initializeState(initializer: StreamTaskStateInitializer): void {
    super.initializeState(initializer);
    if (!this.committing) return;
    this.committableState = this.getOperatorStateBackend().getListState(COMMITTABLES);
    // The JobMaster committed the restored checkpoint's committables (again) before this task started.
    this.committableState.clear();
  }

  override open(): void {
    const p = this.parameters;
    const context: CommittingSinkWriterContext = {
      operatorName: p.operatorName,
      getIndexOfSubtask: () => p.taskInfo.indexOfThisSubtask,
      currentParallelism: () => p.taskInfo.numberOfParallelSubtasks,
      getAttemptNumber: () => p.taskInfo.attemptNumber,
      processingTimeService: p.processingTimeService,
      getRestoredCheckpointId: () => this.getRestoredCheckpointId(),
    };
    this.writer = this.sink.createWriter(context);
  }

  processElement(value: unknown, timestamp: number): void {
    this.recordTimestamp = timestamp;
    // An async write would be waited for by nobody: flush(true) and a finished job before it settled.
    if (isThenable(this.writer.write(value as T, this) as unknown)) {
      throw new AsyncFunctionResultError('SinkWriter.write()', 'Buffer the records in write() and return a Promise from flush(), which the job waits for.');
    }
  }

  override processWatermark(watermark: number): void {
    if (watermark > this.inputWatermark) this.inputWatermark = watermark; // a restored watermark never goes back
  }

  endOfBatch(): void {
    if (this.flushError !== undefined) throw this.flushError; // the task attributes endOfBatch errors to this operator
    const r = this.writer.flush(false);
    if (r && typeof (r as Promise<void>).then === 'function') {
      // Never an unhandled rejection: the error is kept and fails the task at its next step.
      const p: Promise<void> = Promise.resolve(r).then(
        () => {
          if (this.pendingFlush === p) this.pendingFlush = null;
        },
        (e: unknown) => {
          if (this.pendingFlush === p) this.pendingFlush = null;
          this.flushError = e;
        },
      );
      this.pendingFlush = p;
    }
  }

  availability(): Promise<void> | null {
    if (this.flushError !== undefined) return Promise.reject(this.flushError); // the task attributes availability errors to this operator
    if (this.pendingFlush) return this.pendingFlush;
    return this.writer.isAvailable ? this.writer.isAvailable() : null;
  }

  waitingFor(phase: 'availability' | 'finish'): string {
    return phase === 'finish' || this.pendingFlush !== null ? "its writer's flush() to settle" : "its writer's isAvailable() to settle";
  }

  async finish(): Promise<void> {
    if (this.pendingFlush) await this.pendingFlush;
    if (this.flushError !== undefined) throw this.flushError; // the task attributes finish errors to this operator
    await this.writer.flush(true);
    if (!this.committing || this.endOfInput) return;
    this.endOfInput = true;
    this.finalCommittables = await (this.writer as CommittingSinkWriter<T, unknown>).prepareCommit();
  }

  /** At the barrier: what the writer wrote since the last one becomes this checkpoint's committables. */
  override prepareSnapshotPreBarrier(checkpointId: number): void {
    if (!this.committing) return;
    if (this.endOfInput) {
      this.labelFinalCommittables(checkpointId); // no record after the end of input
      return;
    }
    this.endOfBatch();
    const writer = this.writer as CommittingSinkWriter<T, unknown>;
    this.addPending(checkpointId, writer.prepareCommit());
    writer.snapshotState?.(checkpointId);
  }

  override snapshotState(checkpointId: number): OperatorSnapshot {
    if (this.committableState !== undefined) {
      // What an asynchronous prepareCommit has not delivered yet is in the acknowledgement only.
      this.committableState.update(this.pending.filter((e) => e.committables.length > 0));
    }
    return super.snapshotState(checkpointId);
  }

  pendingCommittables(checkpointId: number): PendingCommittables[] | Promise<PendingCommittables[]> {
    if (!this.committing) return [];
    if (this.endOfInput) this.labelFinalCommittables(checkpointId); // without checkpointing: at the end of the job
    if (this.flushError !== undefined) return Promise.reject(this.flushError);
    if (this.preparing.length === 0) return this.toPendingCommittables();
    return Promise.all(this.preparing).then(() => {
      if (this.flushError !== undefined) throw this.flushError;
      return this.toPendingCommittables();
    });
  }

  /** The JobMaster committed everything of checkpoints up to `checkpointId`. */
  override notifyCheckpointComplete(checkpointId: number): void {
    if (this.committing) this.pending = this.pending.filter((e) => e.checkpointId > checkpointId);
  }

  override async close(): Promise<void> {
    if (this.writer) await this.writer.close();
  }

  private toPendingCommittables(): PendingCommittables[] {
    const { operatorId, taskInfo } = this.parameters;
    const out: PendingCommittables[] = [];
    for (const e of this.pending) {
      if (e.committables.length > 0) out.push({ operatorId, subtaskIndex: taskInfo.indexOfThisSubtask, checkpointId: e.checkpointId, committables: e.committables });
    }
    return out;
  }

  private labelFinalCommittables(checkpointId: number): void {
    if (this.finalCommittables === null) return;
    this.addPending(checkpointId, this.finalCommittables);
    this.finalCommittables = null;
  }

  private addPending(checkpointId: number, committables: unknown[] | Promise<unknown[]>): void {
    if (Array.isArray(committables)) {
      if (committables.length > 0) this.pending.push({ checkpointId, committables });
      return;
    }
    const entry: CommittableEntry = { checkpointId, committables: [] };
    this.pending.push(entry);
    const p: Promise<void> = Promise.resolve(committables).then(
      (c) => {
        entry.committables = c;
        this.preparing = this.preparing.filter((x) => x !== p);
      },
      (e: unknown) => {
        this.preparing = this.preparing.filter((x) => x !== p);
        this.flushError ??= e;
      },
    );
    this.preparing.push(p);
  }
}
