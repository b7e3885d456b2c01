import { AbstractStreamOperator } from './abstract-stream-operator.ts';
import { MAX_WATERMARK } from '../runtime/elements.ts';
import { SourceWatermarks } from '../runtime/source-watermarks.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { Output } from '../runtime/operator.ts';

/**
 * Applies a WatermarkStrategy (Flink's TimestampsAndWatermarksOperator): sets each record's
 * timestamp, tells the generator of each event (a watermark it emits then goes out at once), and
 * asks it for a watermark every `autoWatermarkInterval` ms of processing time. As in Flink it
 * replaces upstream watermarks with its own; only the final watermark of bounded input passes.
 * In BATCH mode it assigns timestamps only. The mechanism is the one sources use (SourceWatermarks).
 */
export class TimestampsAndWatermarksOperator<T> extends AbstractStreamOperator<T> {
  private watermarks!: SourceWatermarks;

  constructor(
    private readonly strategy: WatermarkStrategy<T>,
    private readonly autoWatermarkInterval: number,
  ) {
    super();
  }

  override open(): void {
    const generates = this.parameters.runtimeMode === 'STREAMING' && !this.strategy.emitsNoWatermarks;
    this.watermarks = new SourceWatermarks(this.strategy as WatermarkStrategy<unknown>, this.output as Output<unknown>, generates, true);
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
