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
  /**
   * What a checkpoint keeps of the generator (plain, structured-cloneable data), so a restored one
   * emits the same watermarks as the uninterrupted run. Without it a restored generator starts
   * fresh (its input's watermark still never goes back below the restored one).
   */
  snapshotState?(): unknown;
  /** Takes back what `snapshotState` returned, on a fresh generator, before its first event. */
  restoreState?(state: unknown): void;
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
  /** The highest timestamp seen (null: none yet). */
  snapshotState(): { maxTimestamp: number | null } {
    return { maxTimestamp: this.maxTimestamp === Number.NEGATIVE_INFINITY ? null : this.maxTimestamp };
  }
  restoreState(state: unknown): void {
    const max = (state as { maxTimestamp?: number | null } | null)?.maxTimestamp;
    if (typeof max === 'number' && max > this.maxTimestamp) this.maxTimestamp = max;
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
  snapshotState(): null {
    return null;
  }
  restoreState(): void {}
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
  /**
   * The inner generator's state and whether the input was idle; the idle timeout counts again from
   * the restore (processing time does not survive a restart).
   */
  snapshotState(): { idle: boolean; inner: unknown } {
    return { idle: this.idle, inner: this.inner.snapshotState?.() ?? null };
  }
  restoreState(state: unknown): void {
    const s = state as { idle?: boolean; inner?: unknown } | null;
    if (s === null || typeof s !== 'object') return;
    this.idle = s.idle === true;
    this.lastEventAt = this.clock();
    if (s.inner !== undefined && s.inner !== null) this.inner.restoreState?.(s.inner);
  }
}
