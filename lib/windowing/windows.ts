/** Windows (Flink's TimeWindow and GlobalWindow). A window is a value: equal bounds, equal window. */
export interface Window {
  /** The last timestamp that belongs to the window; an event-time window fires when the watermark passes it. */
  maxTimestamp(): number;
  /** Identity, for maps keyed by window. */
  readonly id: string;
}

/** [start, end) in epoch ms. */
export class TimeWindow implements Window {
  private cachedId: string | undefined;
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}
  /** Built on first use: most windows are looked up through a cached instance. */
  get id(): string {
    return (this.cachedId ??= `${this.start}:${this.end}`);
  }
  maxTimestamp(): number {
    return this.end - 1;
  }
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }
  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }
  /** Start of the window of `size` (shifted by `offset`) that contains `timestamp` (Flink's TimeWindow.getWindowStartWithOffset). */
  static getWindowStartWithOffset(timestamp: number, offset: number, size: number): number {
    const remainder = (timestamp - offset) % size;
    return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
  }
}

/** The single window of GlobalWindows: it never ends by time. */
export class GlobalWindow implements Window {
  static readonly INSTANCE = new GlobalWindow();
  readonly id = 'global';
  private constructor() {}
  maxTimestamp(): number {
    return Number.POSITIVE_INFINITY;
  }
  toString(): string {
    return 'GlobalWindow';
  }
}
