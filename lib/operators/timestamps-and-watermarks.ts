import { inspect } from 'node:util';
import { AbstractStreamOperator } from './abstract-stream-operator.ts';
import { MAX_WATERMARK, NO_TIMESTAMP } from '../runtime/elements.ts';
import type { WatermarkStrategy, TimestampAssigner } from '../time/watermark-strategy.ts';
import type { WatermarkGenerator, WatermarkOutput } from '../time/watermark-generator.ts';

/**
 * Applies a WatermarkStrategy (Flink's TimestampsAndWatermarksOperator): sets each record's
 * timestamp, tells the generator of each event, and asks it for a watermark every
 * `autoWatermarkInterval` ms of processing time (a timer of the task's mailbox). As in Flink it
 * replaces upstream watermarks with its own; only the final watermark of bounded input passes.
 * In BATCH mode it assigns timestamps only.
 */
export class TimestampsAndWatermarksOperator<T> extends AbstractStreamOperator<T> {
  private readonly assigner: TimestampAssigner<T> | undefined;
  private generator!: WatermarkGenerator<T>;
  private emitted = NO_TIMESTAMP;
  private idle = false;
  /** Watermarks are generated (STREAMING, a strategy that makes them); per-event ones too. */
  private generates = false;

  constructor(
    private readonly strategy: WatermarkStrategy<T>,
    private readonly autoWatermarkInterval: number,
  ) {
    super();
    this.assigner = strategy.timestampAssigner;
  }

  override open(): void {
    this.generator = this.strategy.createWatermarkGenerator();
    this.generates = this.parameters.runtimeMode === 'STREAMING' && !this.strategy.emitsNoWatermarks;
    // An interval of 0 only turns off periodic emission; watermarks emitted per event still flow.
    if (this.generates && this.autoWatermarkInterval > 0) {
      this.parameters.processingTimeService.scheduleWithFixedDelay(() => {
        try {
          this.generator.onPeriodicEmit(this.watermarkOutput);
        } catch (e) {
          throw this.userError(e);
        }
      }, this.autoWatermarkInterval);
    }
  }

  processElement(value: unknown, timestamp: number): void {
    let ts = timestamp;
    const assigner = this.assigner;
    if (assigner !== undefined) {
      try {
        ts = assigner(value as T, timestamp);
      } catch (e) {
        throw this.userError(e);
      }
      if (typeof ts !== 'number' || Number.isNaN(ts)) {
        throw this.userError(
          new TypeError(`The timestamp assigner returned ${String(ts)} for ${inspect(value, { breakLength: Infinity })}; it must return epoch milliseconds`),
        );
      }
    }
    this.output.collect(value as T, ts);
    if (this.generates) {
      try {
        this.generator.onEvent(value as T, ts, this.watermarkOutput);
      } catch (e) {
        throw this.userError(e);
      }
    }
  }

  /** What the generator emits to (its own object: this operator's emitWatermark is its chain input). */
  private readonly watermarkOutput: WatermarkOutput = {
    emitWatermark: (watermark: number): void => {
      if (!this.generates || watermark <= this.emitted) return;
      this.emitted = watermark;
      this.watermarkOutput.markActive();
      this.output.emitWatermark(watermark);
    },
    markIdle: (): void => {
      if (this.idle) return;
      this.idle = true;
      this.output.emitWatermarkStatus(true);
    },
    markActive: (): void => {
      if (!this.idle) return;
      this.idle = false;
      this.output.emitWatermarkStatus(false);
    },
  };

  /** Upstream watermarks are replaced by this operator's own; the end of input passes. */
  override processWatermark(watermark: number): void {
    if (watermark !== MAX_WATERMARK) return;
    this.emitted = MAX_WATERMARK;
    this.watermarkOutput.markActive();
    this.output.emitWatermark(MAX_WATERMARK);
  }

  override processWatermarkStatus(): void {
    // This operator decides its output's status from its own generator.
  }
}
