/**
 * How a stream gets event timestamps and watermarks (Flink's WatermarkStrategy).
 * ```ts
 * WatermarkStrategy.forBoundedOutOfOrderness<Txn>('5 s')
 *   .withTimestampAssigner((t) => t.ts)
 *   .withIdleness('1 min');
 * ```
 */
import { toMillis, type DurationLike } from '../core/duration.ts';
import {
  AscendingTimestampsWatermarks,
  BoundedOutOfOrdernessWatermarks,
  NoWatermarksGenerator,
  WatermarksWithIdleness,
  type WatermarkGenerator,
} from './watermark-generator.ts';

/** Extracts the event timestamp (epoch ms) of a record; `recordTimestamp` is the one it came with, or -Infinity. */
export type TimestampAssigner<T> = (element: T, recordTimestamp: number) => number;

export class WatermarkStrategy<T> {
  private constructor(
    /** Creates one generator per parallel instance. */
    readonly createWatermarkGenerator: () => WatermarkGenerator<T>,
    readonly timestampAssigner?: TimestampAssigner<T>,
    /** True for noWatermarks(): no periodic emission is scheduled. */
    readonly emitsNoWatermarks = false,
  ) {}

  /** Records keep (or, with an assigner, get) timestamps; no watermarks are generated. */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new NoWatermarksGenerator<T>(), undefined, true);
  }

  /** Events may arrive up to `maxOutOfOrderness` after a later event; watermark = max timestamp - bound - 1. */
  static forBoundedOutOfOrderness<T>(maxOutOfOrderness: DurationLike): WatermarkStrategy<T> {
    const bound = toMillis(maxOutOfOrderness, 'maxOutOfOrderness');
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessWatermarks<T>(bound));
  }

  /** Timestamps never decrease; watermark = max timestamp - 1. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new AscendingTimestampsWatermarks<T>());
  }

  /** A custom generator, created once per parallel instance. */
  static forGenerator<T>(supplier: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(supplier);
  }

  /** The same strategy with a function that extracts each record's event timestamp. */
  withTimestampAssigner(assigner: TimestampAssigner<T> | { extractTimestamp: TimestampAssigner<T> }): WatermarkStrategy<T> {
    const fn = typeof assigner === 'function' ? assigner : assigner.extractTimestamp.bind(assigner);
    return new WatermarkStrategy<T>(this.createWatermarkGenerator, fn, this.emitsNoWatermarks);
  }

  /** Marks the input idle after `timeout` without events, so it does not hold back the watermark. */
  withIdleness(timeout: DurationLike): WatermarkStrategy<T> {
    const ms = toMillis(timeout, 'idleness timeout');
    if (ms === 0) throw new RangeError('The idleness timeout must be greater than zero');
    const create = this.createWatermarkGenerator;
    return new WatermarkStrategy<T>(() => new WatermarksWithIdleness<T>(create(), ms), this.timestampAssigner, this.emitsNoWatermarks);
  }
}
