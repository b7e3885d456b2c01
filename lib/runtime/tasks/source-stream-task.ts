/**
 * SourceStreamTask (Flink's name): a task whose head is a source. Its default action polls the
 * source reader, at most a batch per step; timestamps and watermarks generated in the source
 * (fromSource with a strategy) go through SourceWatermarks.
 *
 * Its checkpointed state is the reader's splits with their positions (Flink's SourceOperator: operator
 * list state 'SourceReaderState'), each with the watermark state behind it, so a restored reader
 * goes on from there and its watermarks come back too. A list state is dealt round robin when the
 * parallelism changes; a source with `getSplitOwner` gets instead, at any parallelism, the splits it owns
 * out of all old subtasks' entries (the union). Either way splits move with their watermarks.
 */
import type { ReaderOutput, SourceReader, SourceSplit } from '../../core/connector/source.ts';
import type { ListState } from '../../core/state/state.ts';
import { ListStateDescriptor } from '../../core/state/state-descriptor.ts';
import { snapshotOperatorState, StreamTaskStateInitializer, type OperatorSnapshot, type StreamOperatorStateContext } from '../../state/stream-task-state-initializer.ts';
import { attribute } from '../../core/errors.ts';
import { MAX_WATERMARK, NO_TIMESTAMP, type CheckpointBarrier } from '../elements.ts';
import type { Output } from '../operator.ts';
import type { JobVertex, StreamNode } from '../graph/job-graph.ts';
import { SourceWatermarks, type SplitWatermarkState } from '../source-watermarks.ts';
import { BATCH_SIZE } from '../io/record-writer.ts';
import { SideRoutingOutput } from './broadcasting-output.ts';
import { FINAL_CHECKPOINT_ID, StreamTask, type TaskServices, type WiredOutput } from './stream-task.ts';

/** The name of the source's operator list state (Flink's SourceOperator uses the same). */
export const SOURCE_READER_STATE = 'SourceReaderState';

/** One entry of 'SourceReaderState': a split with its position and the watermark state behind it. */
export interface SourceReaderStateEntry {
  readonly split: SourceSplit;
  readonly watermark?: SplitWatermarkState;
}

/** How long one step's poll loop may run before it hands the thread back (the executor's time slice). */
const POLL_STEP_BUDGET_MS = 8;

/** A task whose head is a source: polls the reader, at most a batch per step. */
export class SourceStreamTask extends StreamTask implements ReaderOutput<unknown> {
  private reader!: SourceReader<unknown>;
  private available = true;
  private emitted = 0;
  private readonly sourceNode: StreamNode;
  /** The source's state (created in startIO). */
  private sourceState: StreamOperatorStateContext | undefined;
  /** The reader returned END_OF_INPUT. */
  private ended = false;
  private warnedNotRewindable = false;

  /** Set when the source generates timestamps and watermarks itself (fromSource with a strategy). */
  private readonly watermarks: SourceWatermarks | undefined;
  private readonly mainOutput: { collect(record: unknown, timestamp?: number): void } | undefined;

  constructor(vertex: JobVertex, subtaskIndex: number, outputs: WiredOutput[], services: TaskServices) {
    super(vertex, subtaskIndex, outputs, services);
    this.sourceNode = vertex.nodes[0]!;
    const strategy = this.sourceNode.watermarkStrategy;
    if (strategy !== undefined) {
      const head = this.headOutput;
      const counting: Output<unknown> = {
        collect: (v, ts) => {
          this.emitted++;
          head.collect(v, ts);
        },
        emitWatermark: (wm) => head.emitWatermark(wm),
        emitWatermarkStatus: (idle) => head.emitWatermarkStatus(idle),
      };
      this.watermarks = new SourceWatermarks(
        strategy,
        counting,
        services.runtimeMode === 'STREAMING' && !strategy.emitsNoWatermarks,
        this.sourceNode.autoWatermarkInterval === 0,
      );
      this.mainOutput = this.watermarks.mainOutput();
    }
  }

  collect(record: unknown, timestamp?: number): void {
    if (this.mainOutput !== undefined) {
      this.mainOutput.collect(record, timestamp);
      return;
    }
    this.emitted++;
    this.headOutput.collect(record, timestamp === undefined ? NO_TIMESTAMP : timestamp);
  }

  collectSide(tag: string, record: unknown, timestamp?: number): boolean {
    const head = this.headOutput;
    if (!(head instanceof SideRoutingOutput) || !head.hasSide(tag)) return false;
    head.collectSide(tag, record, timestamp === undefined ? NO_TIMESTAMP : timestamp);
    return true;
  }

  createOutputForSplit(splitId: string): ReaderOutput<unknown> {
    if (this.watermarks === undefined) return this; // no strategy: splits need no watermarks of their own
    return this.watermarks.splitOutput(splitId);
  }

  releaseOutputForSplit(splitId: string): void {
    this.watermarks?.release(splitId);
  }

  private schedulePeriodicWatermarks(): void {
    const interval = this.sourceNode.autoWatermarkInterval;
    if (this.watermarks === undefined || interval <= 0 || this.services.runtimeMode !== 'STREAMING') return;
    const watermarks = this.watermarks;
    this.processingTimeService.scheduleWithFixedDelay(() => watermarks.onPeriodicEmit(), interval, this.sourceNode);
  }

  /**
   * Whether the reader can rewind (has snapshotState). A source that cannot is checkpointed with no
   * split state: after a restore it starts afresh and what it read since the checkpoint is not read
   * again (the runtime warns once).
   */
  get rewindable(): boolean {
    return this.reader !== undefined && typeof this.reader.snapshotState === 'function';
  }

  private readerState(): ListState<SourceReaderStateEntry> {
    return this.sourceState!.operatorStateBackend.getListState(new ListStateDescriptor<SourceReaderStateEntry>(SOURCE_READER_STATE));
  }

  /**
   * The splits restored for this subtask, or undefined on a fresh start and when the source had no
   * split state (its reader could not rewind: the new one takes its own share).
   */
  private restoreSourceState(): SourceSplit[] | undefined {
    const node = this.sourceNode;
    const restored = this.services.restored?.(node.operatorId);
    const initializer = new StreamTaskStateInitializer(this.processingTimeService.forOwner(node), this.services.restored);
    this.sourceState = initializer.streamOperatorStateContext(node.operatorId, undefined, { subtaskIndex: this.subtaskIndex, parallelism: this.vertex.parallelism });
    if (restored === undefined || !restored.snapshots.some((s) => s.operator[SOURCE_READER_STATE] !== undefined)) return undefined;
    let entries = this.readerState().get();
    const source = node.source!;
    if (source.getSplitOwner !== undefined) {
      // The union of the old subtasks' splits, each to its owner (old-subtask order kept).
      const parallelism = this.vertex.parallelism;
      const mine: SourceReaderStateEntry[] = [];
      for (const snapshot of restored.snapshots) {
        for (const e of (snapshot.operator[SOURCE_READER_STATE]?.entries ?? []) as SourceReaderStateEntry[]) {
          const owner = source.getSplitOwner(e.split, parallelism);
          if (!Number.isInteger(owner) || owner < 0 || owner >= parallelism) {
            throw new Error(`getSplitOwner returned ${String(owner)} for split '${e.split.splitId}'; it must be a reader index below ${parallelism}`);
          }
          if (owner === this.subtaskIndex) mine.push(e);
        }
      }
      entries = mine;
      this.readerState().update(mine);
    }
    if (this.watermarks !== undefined) {
      const states: Array<{ splitId: string; state: SplitWatermarkState }> = [];
      for (const e of entries) if (e.watermark !== undefined) states.push({ splitId: e.split.splitId, state: e.watermark });
      this.watermarks.restore(states);
    }
    return entries.map((e) => e.split);
  }

  /**
   * The source's state for checkpoint `checkpointId`, taken between two polls when this subtask emits
   * the barrier: records emitted before are in it, later ones are not (Flink's SourceOperator.snapshotState).
   */
  snapshotSourceState(checkpointId: number): OperatorSnapshot {
    const node = this.sourceNode;
    if (this.sourceState === undefined) throw new Error(`${this.label(node)} cannot be snapshotted before it started`);
    if (!this.rewindable && !this.ended && !this.warnedNotRewindable && this.subtaskIndex === 0 && this.services.attemptNumber === 0) {
      this.warnedNotRewindable = true;
      console.warn(
        `${this.label(node)} cannot rewind (its reader has no snapshotState): after a restore from a checkpoint, what it read since that checkpoint is not read again.`,
      );
    }
    if (this.rewindable) {
      let splits: SourceSplit[] = [];
      // After END_OF_INPUT the reader read everything: a restored one ends at once (its final state, FLIP-147).
      if (!this.ended) {
        try {
          splits = this.reader.snapshotState!(checkpointId);
        } catch (e) {
          throw attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism);
        }
      }
      const watermarks = this.watermarks;
      this.readerState().update(splits.map((split) => (watermarks === undefined ? { split } : { split, watermark: watermarks.snapshotSplit(split.splitId) })));
    }
    return snapshotOperatorState(node.operatorId, this.sourceState);
  }

  /** The runtime takes the source's state with the operators' at each checkpoint (and at the end, FLIP-147). */
  protected override snapshotHeadState(checkpointId: number): OperatorSnapshot {
    return this.snapshotSourceState(checkpointId);
  }

  protected override startIO(): Promise<void> | void {
    const node = this.sourceNode;
    const parallelism = this.vertex.parallelism;
    const box: { started?: void | Promise<void> } = {};
    this.guard(node, () => {
      const restoredSplits = this.restoreSourceState();
      this.reader = node.source!.createReader({
        operatorName: node.name,
        getIndexOfSubtask: () => this.subtaskIndex,
        currentParallelism: () => parallelism,
        restoredSplits,
      });
      box.started = this.reader.start();
    });
    this.schedulePeriodicWatermarks();
    const started = box.started;
    if (started !== undefined && typeof (started as Promise<void>).then === 'function') {
      return Promise.resolve(started).catch((e: unknown) => {
        throw attribute(e, node.name, this.subtaskIndex, parallelism);
      });
    }
  }

  protected hasInput(): boolean {
    return this.available && !this.stopped;
  }

  /** After a stop-with-savepoint barrier the reader is not polled again: nothing follows the savepoint. */
  private stopped = false;

  /**
   * The stop-with-savepoints whose barriers stopped the reader. Each of them may complete: the reader reads on
   * only when all of them failed (one that completes ends the job; nothing may follow it).
   */
  private readonly stoppedBy = new Set<number>();

  protected override afterBarrier(barrier: CheckpointBarrier): void {
    if (!barrier.stop) return;
    this.stopped = true;
    this.stoppedBy.add(barrier.checkpointId);
  }

  /** That savepoint failed: the job goes on, and so does the reader (as in Flink), unless another stop is under way. */
  protected override resumeAfterAbortedStop(checkpointId: number): void {
    if (!this.stopped || !this.stoppedBy.delete(checkpointId) || this.stoppedBy.size > 0) return;
    this.stopped = false;
    this.services.wakeup();
  }

  protected override notifyHeadCheckpointComplete(checkpointId: number): void {
    this.reader?.notifyCheckpointComplete?.(checkpointId);
  }

  protected override idleWait(): string | null {
    return this.available || this.state !== 'running' ? null : `${this.label(this.sourceNode)} is waiting for isAvailable()`;
  }

  protected processInput(): void {
    this.emitted = 0;
    const reader = this.reader;
    let status: string = 'MORE_AVAILABLE';
    const start = performance.now();
    try {
      for (let polls = 0; polls < BATCH_SIZE && this.emitted < BATCH_SIZE; polls++) {
        status = reader.pollNext(this);
        // A full batch may have gone out mid-poll: stop while a channel is out of credit.
        if (status !== 'MORE_AVAILABLE' || !this.writersHaveCredit()) break;
        // Slow chained operators: end the step within the executor's time slice, so the event loop
        // (checkpoint writes, sockets, timers) gets its turn between polls, not once per batch.
        if (performance.now() - start > POLL_STEP_BUDGET_MS) break;
      }
    } catch (e) {
      throw attribute(e, this.sourceNode.name, this.subtaskIndex, this.vertex.parallelism);
    }
    if (status === 'END_OF_INPUT') {
      this.ended = true;
      if (this.watermarks !== undefined) this.watermarks.endOfInput();
      else this.headOutput.emitWatermark(MAX_WATERMARK);
      this.afterMail();
      this.endOfInput();
      return;
    }
    if (status === 'NOTHING_AVAILABLE') {
      // Not a block: timers (periodic watermarks, idleness) still fire while the reader has nothing.
      this.available = false;
      const node = this.sourceNode;
      reader.isAvailable().then(
        () => {
          this.available = true;
          this.services.wakeup();
        },
        (e: unknown) => this.fail(attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism)),
      );
    }
    this.afterMail();
  }

  protected override async closeIO(): Promise<void> {
    if (this.reader) await this.reader.close();
  }
}
