/**
 * State time-to-live (Flink's StateTtlConfig), in processing time.
 * ```ts
 * const ttl = StateTtlConfig.newBuilder('1 h').setUpdateType('OnReadAndWrite').build();
 * const desc = new ValueStateDescriptor<number>('lastSeen');
 * desc.enableTimeToLive(ttl);
 * ```
 * A value, a list or a map of a key expires as a whole when it was not written (or, with
 * OnReadAndWrite, read) for the TTL. Expired state is never returned (NeverReturnExpired), is removed
 * when accessed, and a background sweep removes what nobody touches again.
 */
import { toMillis, type DurationLike } from '../duration.ts';

export type TtlUpdateType = 'OnCreateAndWrite' | 'OnReadAndWrite';
export type TtlStateVisibility = 'NeverReturnExpired' | 'ReturnExpiredIfNotCleanedUp';

export class StateTtlConfig {
  private constructor(
    readonly ttlMillis: number,
    readonly updateType: TtlUpdateType,
    readonly stateVisibility: TtlStateVisibility,
    /** Interval of the background sweep in ms; 0 disables it (cleanup on access only). */
    readonly sweepIntervalMillis: number,
  ) {}

  static newBuilder(ttl: DurationLike): StateTtlConfigBuilder {
    return new StateTtlConfigBuilder(toMillis(ttl, 'state TTL'));
  }

  /** @internal */
  static create(ttl: number, update: TtlUpdateType, visibility: TtlStateVisibility, sweep: number): StateTtlConfig {
    if (ttl <= 0) throw new RangeError('The state TTL must be greater than zero');
    return new StateTtlConfig(ttl, update, visibility, sweep);
  }
}

export class StateTtlConfigBuilder {
  private updateType: TtlUpdateType = 'OnCreateAndWrite';
  private visibility: TtlStateVisibility = 'NeverReturnExpired';
  private sweep: number;
  constructor(private readonly ttl: number) {
    this.sweep = Math.max(1, Math.min(ttl, 60_000));
  }
  setUpdateType(updateType: TtlUpdateType): this {
    this.updateType = updateType;
    return this;
  }
  updateTtlOnCreateAndWrite(): this {
    return this.setUpdateType('OnCreateAndWrite');
  }
  updateTtlOnReadAndWrite(): this {
    return this.setUpdateType('OnReadAndWrite');
  }
  setStateVisibility(visibility: TtlStateVisibility): this {
    this.visibility = visibility;
    return this;
  }
  neverReturnExpired(): this {
    return this.setStateVisibility('NeverReturnExpired');
  }
  returnExpiredIfNotCleanedUp(): this {
    return this.setStateVisibility('ReturnExpiredIfNotCleanedUp');
  }
  /** Background sweep every `interval` (default: the TTL, at most 1 min); cleanup on access always happens. */
  cleanupInBackground(interval?: DurationLike): this {
    this.sweep = interval === undefined ? this.sweep : toMillis(interval, 'cleanup interval');
    return this;
  }
  disableCleanupInBackground(): this {
    this.sweep = 0;
    return this;
  }
  build(): StateTtlConfig {
    return StateTtlConfig.create(this.ttl, this.updateType, this.visibility, this.sweep);
  }
}
