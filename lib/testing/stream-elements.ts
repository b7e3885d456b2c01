/**
 * What a test harness records of an operator's output, in order (Flink's StreamRecord, Watermark and
 * WatermarkStatus as they appear in a harness's output queue). Plain value objects, so `toEqual`
 * compares them.
 */

/** A record with its event timestamp (`undefined` when it has none). */
export class StreamRecord<T> {
  constructor(
    readonly value: T,
    readonly timestamp?: number,
  ) {}
  hasTimestamp(): boolean {
    return this.timestamp !== undefined;
  }
}

/** A watermark the operator forwarded. */
export class Watermark {
  constructor(readonly timestamp: number) {}
}

/** The operator's output turned idle (`true`) or active again (`false`). */
export class WatermarkStatus {
  constructor(readonly idle: boolean) {}
}

export type StreamElement<T> = StreamRecord<T> | Watermark | WatermarkStatus;
