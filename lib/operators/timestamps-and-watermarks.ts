import { AbstractStreamOperator } from './abstract-stream-operator.ts';
import { MAX_WATERMARK } from '../runtime/elements.ts';
import { minimumWatermarkState, SourceWatermarks, type SplitWatermarkState } from '../runtime/source-watermarks.ts';
import { ListStateDescriptor } from '../core/state/state-descriptor.ts';
import type { ListState } from '../core/state/state.ts';
import type { OperatorSnapshot, StreamTaskStateInitializer } from '../state/stream-task-state-initializer.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { Output } from '../runtime/operator.ts';

/**
 * Applies a WatermarkStrategy (Flink's TimestampsAndWatermarksOperator): sets each record's
 * timestamp, tells the generator of each event (a watermark it emits then goes out at once), and
 * asks it for a watermark every `autoWatermarkInterval` ms of processing time. As in Flink it
 * replaces upstream watermarks with its own; only the final watermark of bounded input passes.
 * In BATCH mode it assigns timestamps only. The mechanism is the one sources use (SourceWatermarks).
 *
 * Its generator's state and the watermark it emitted are checkpointed (union list state, one entry
 * per subtask): restored at the same parallelism each subtask takes its own back; at another, the
 * one with the lowest watermark, so no record that was on time becomes late.
 */
/** One subtask's entry of the operator's state. */
interface WatermarksEntry {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly state: SplitWatermarkState;
}

const WATERMARKS_STATE = 'TimestampsAndWatermarksState';

export class TimestampsAndWatermarksOperator<T> extends AbstractStreamOperator<T> {
  private watermarks!: SourceWatermarks;
  private watermarksState!: ListState<WatermarksEntry>;
  private restoredState: SplitWatermarkState | undefined;

  constructor(
    private readonly strategy: WatermarkStrategy<T>,
    private readonly autoWatermarkInterval: number,
  ) {
    super();
  }

  override initializeState(initializer: StreamTaskStateInitializer): void {
    super.initializeState(initializer);
    this.watermarksState = this.getOperatorStateBackend().getUnionListState(new ListStateDescriptor<WatermarksEntry>(WATERMARKS_STATE));
    const entries = this.watermarksState.get();
    if (entries.length === 0) return;
    const info = this.parameters.taskInfo;
    const own = entries.find((e) => e.parallelism === info.numberOfParallelSubtasks && e.subtaskIndex === info.indexOfThisSubtask);
    this.restoredState = own?.state ?? minimumWatermarkState(entries.map((e) => e.state));
  }

  override snapshotState(checkpointId: number): OperatorSnapshot {
    const info = this.parameters.taskInfo;
    this.watermarksState.update([{ subtaskIndex: info.indexOfThisSubtask, parallelism: info.numberOfParallelSubtasks, state: this.watermarks.snapshotMain() }]);
    return super.snapshotState(checkpointId);
  }

  override open(): void {
    const generates = this.parameters.runtimeMode === 'STREAMING' && !this.strategy.emitsNoWatermarks;
    this.watermarks = new SourceWatermarks(this.strategy as WatermarkStrategy<unknown>, this.output as Output<unknown>, generates, true);
    if (this.restoredState !== undefined) this.watermarks.restore([{ state: this.restoredState }]);
    // An interval of 0 only turns off periodic emission; watermarks emitted per event still flow.
    if (generates && this.autoWatermarkInterval > 0) {
      // A timer of this operator: the task attributes its errors to it.
      this.parameters.processingTimeService.scheduleWithFixedDelay(() => this.watermarks.onPeriodicEmit(), this.autoWatermarkInterval);
    }
  }

  processElement(value: unknown, timestamp: number): void {
    this.watermarks.collectMain(value, timestamp);
  }

  /** Upstream watermarks are replaced by this operator's own; the end of input passes. */
  override processWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK) this.watermarks.endOfInput();
  }

  override processWatermarkStatus(): void {
    // This operator decides its output's status from its own generator.
  }
}
