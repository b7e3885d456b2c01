/**
 * Watermark generators (Flink's WatermarkGenerator): told of every event, asked periodically
 * (`pipeline.auto-watermark-interval`, 200 ms) for a watermark. Watermarks are epoch ms; a
 * watermark `w` says no event with timestamp <= w is still expected.
 */

/** Where a generator emits (Flink's WatermarkOutput). */
export interface WatermarkOutput {
  /** Emits a watermark; one that does not advance the current watermark is ignored. */
  emitWatermark(watermark: number): void;
  /** This input sends nothing for now: downstream stops waiting for its watermark. */
  markIdle(): void;
  /** This input sends again (also implied by emitting a watermark). */
  markActive(): void;
}

export interface WatermarkGenerator<T> {
  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

/**
 * Watermark = highest timestamp seen - bound - 1 (Flink's BoundedOutOfOrdernessWatermarks): events
 * may arrive up to `outOfOrdernessMillis` behind the newest one.
 */
export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  private maxTimestamp: number;
  constructor(private readonly outOfOrdernessMillis: number) {
    this.maxTimestamp = Number.NEGATIVE_INFINITY;
  }
  onEvent(_event: T, eventTimestamp: number, _output: WatermarkOutput): void {
    if (eventTimestamp > this.maxTimestamp) this.maxTimestamp = eventTimestamp;
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.maxTimestamp !== Number.NEGATIVE_INFINITY) output.emitWatermark(this.maxTimestamp - this.outOfOrdernessMillis - 1);
  }
}

/** For timestamps that never decrease (Flink's AscendingTimestampsWatermarks). */
export class AscendingTimestampsWatermarks<T> extends BoundedOutOfOrdernessWatermarks<T> {
  constructor() {
    super(0);
  }
}

/** Never emits a watermark (only the final one at the end of bounded input passes). */
export class NoWatermarksGenerator<T> implements WatermarkGenerator<T> {
  onEvent(): void {}
  onPeriodicEmit(): void {}
}

/**
 * Marks the input idle when no event came for `idleTimeoutMillis` of processing time (Flink's
 * WatermarksWithIdleness), so a silent partition does not hold back the watermark; the next event
 * makes it active again.
 */
export class WatermarksWithIdleness<T> implements WatermarkGenerator<T> {
  private lastEventAt: number;
  private idle = false;
  constructor(
    private readonly inner: WatermarkGenerator<T>,
    private readonly idleTimeoutMillis: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastEventAt = clock();
  }
  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void {
    this.inner.onEvent(event, eventTimestamp, output);
    this.lastEventAt = this.clock();
    // As in Flink, the input turns active again when its next watermark advances.
    this.idle = false;
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    if (!this.idle && this.clock() - this.lastEventAt >= this.idleTimeoutMillis) {
      this.idle = true;
      output.markIdle();
    }
    if (!this.idle) this.inner.onPeriodicEmit(output);
  }
}
