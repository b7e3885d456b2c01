import { inspect } from 'node:util';
import { AbstractStreamOperator } from './abstract-stream-operator.ts';
import { MAX_WATERMARK } from '../runtime/elements.ts';
import type { TimestampAssigner } from '../time/watermark-strategy.ts';

/**
 * Applies a WatermarkStrategy (Flink's TimestampsAndWatermarksOperator): sets each record's timestamp
 * and, as in Flink, replaces upstream watermarks with its own; only the final watermark passes.
 */
export class TimestampsAndWatermarksOperator<T> extends AbstractStreamOperator<T> {
  constructor(private readonly assigner: TimestampAssigner<T> | undefined) {
    super();
  }
  processElement(value: unknown, timestamp: number): void {
    const assigner = this.assigner;
    if (assigner === undefined) {
      this.output.collect(value as T, timestamp);
      return;
    }
    let ts: number;
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
    this.output.collect(value as T, ts);
  }
  override processWatermark(watermark: number): void {
    if (watermark === MAX_WATERMARK) super.processWatermark(watermark);
  }
}
