/**
 * How a stream gets event timestamps and watermarks (Flink's WatermarkStrategy). This first cut
 * supports timestamp assignment without watermarks; watermark generators (bounded out-of-orderness,
 * monotonous, idleness) build on it.
 * ```ts
 * env.fromSource(source, WatermarkStrategy.noWatermarks<Txn>().withTimestampAssigner((t) => t.ts), 'txns');
 * ```
 */

/** Extracts the event timestamp (epoch ms) of a record; `recordTimestamp` is the one it came with, or -Infinity. */
export type TimestampAssigner<T> = (element: T, recordTimestamp: number) => number;

export class WatermarkStrategy<T> {
  private constructor(readonly timestampAssigner?: TimestampAssigner<T>) {}

  /** Records keep (or, with an assigner, get) timestamps; no watermarks are generated. */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>();
  }

  /** The same strategy with a function that extracts each record's event timestamp. */
  withTimestampAssigner(assigner: TimestampAssigner<T> | { extractTimestamp: TimestampAssigner<T> }): WatermarkStrategy<T> {
    const fn = typeof assigner === 'function' ? assigner : assigner.extractTimestamp.bind(assigner);
    return new WatermarkStrategy<T>(fn);
  }
}
