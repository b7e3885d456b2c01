/**
 * Removes elements from a window before and/or after its function runs (Flink's Evictor). The
 * elements come with their timestamps; an evictor removes by splicing the array it is given.
 */
import type { Window } from '../windows.ts';

export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: number;
}

export interface EvictorContext {
  getCurrentWatermark(): number;
  getCurrentProcessingTime(): number;
}

export interface Evictor<T, W extends Window> {
  evictBefore(elements: TimestampedValue<T>[], window: W, ctx: EvictorContext): void;
  evictAfter(elements: TimestampedValue<T>[], window: W, ctx: EvictorContext): void;
}

/** Keeps the last `maxCount` elements (Flink's CountEvictor). */
export class CountEvictor<T, W extends Window> implements Evictor<T, W> {
  private constructor(
    private readonly maxCount: number,
    private readonly doEvictAfter: boolean,
  ) {}
  static of<T, W extends Window>(maxCount: number, doEvictAfter = false): CountEvictor<T, W> {
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new RangeError(`CountEvictor needs a positive count, got ${maxCount}`);
    return new CountEvictor<T, W>(maxCount, doEvictAfter);
  }
  private evict(elements: TimestampedValue<T>[]): void {
    if (elements.length > this.maxCount) elements.splice(0, elements.length - this.maxCount);
  }
  evictBefore(elements: TimestampedValue<T>[], _window: W, _ctx: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[], _window: W, _ctx: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements);
  }
}

/** Keeps elements within `windowSize` ms of the newest one (Flink's TimeEvictor). */
export class TimeEvictor<T, W extends Window> implements Evictor<T, W> {
  private constructor(
    private readonly windowSize: number,
    private readonly doEvictAfter: boolean,
  ) {}
  static of<T, W extends Window>(windowSizeMillis: number, doEvictAfter = false): TimeEvictor<T, W> {
    return new TimeEvictor<T, W>(windowSizeMillis, doEvictAfter);
  }
  private evict(elements: TimestampedValue<T>[]): void {
    let max = Number.NEGATIVE_INFINITY;
    for (const e of elements) if (e.timestamp > max) max = e.timestamp;
    if (max === Number.NEGATIVE_INFINITY) return;
    const cutoff = max - this.windowSize;
    for (let i = elements.length - 1; i >= 0; i--) if (elements[i]!.timestamp <= cutoff) elements.splice(i, 1);
  }
  evictBefore(elements: TimestampedValue<T>[], _window: W, _ctx: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[], _window: W, _ctx: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements);
  }
}

/** Removes elements whose delta to the last element is >= threshold (Flink's DeltaEvictor). */
export class DeltaEvictor<T, W extends Window> implements Evictor<T, W> {
  private constructor(
    private readonly threshold: number,
    private readonly delta: (a: T, b: T) => number,
    private readonly doEvictAfter: boolean,
  ) {}
  static of<T, W extends Window>(threshold: number, delta: (a: T, b: T) => number, doEvictAfter = false): DeltaEvictor<T, W> {
    return new DeltaEvictor<T, W>(threshold, delta, doEvictAfter);
  }
  private evict(elements: TimestampedValue<T>[]): void {
    if (elements.length === 0) return;
    const last = elements[elements.length - 1]!.value;
    for (let i = elements.length - 1; i >= 0; i--) if (this.delta(elements[i]!.value, last) >= this.threshold) elements.splice(i, 1);
  }
  evictBefore(elements: TimestampedValue<T>[], _window: W, _ctx: EvictorContext): void {
    if (!this.doEvictAfter) this.evict(elements);
  }
  evictAfter(elements: TimestampedValue<T>[], _window: W, _ctx: EvictorContext): void {
    if (this.doEvictAfter) this.evict(elements);
  }
}
