/** Windows (Flink's TimeWindow and GlobalWindow). A window is a value: equal bounds, equal window. */
import { VOID_NAMESPACE, restoreNamespace, type Namespace } from '../state/namespace.ts';
export interface Window {
  /** The last timestamp that belongs to the window; an event-time window fires when the watermark passes it. */
  maxTimestamp(): number;
  /** Identity, for maps keyed by window. */
  readonly id: string;
}

/** [start, end) in epoch ms; `getStart()`/`getEnd()` as in Flink, or the `start`/`end` fields. */
export class TimeWindow implements Window {
  /**
   * An own property, not a getter: a window is the namespace of its state and timers, and a
   * snapshot that went through structured clone (v8.serialize) keeps own properties only.
   */
  readonly id: string;
  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.id = `${start}:${end}`;
  }
  /** The first timestamp of the window (Flink's TimeWindow.getStart()). */
  getStart(): number {
    return this.start;
  }
  /** The end of the window, exclusive (Flink's TimeWindow.getEnd()). */
  getEnd(): number {
    return this.end;
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
  /** The one instance (Flink's GlobalWindow.get()). */
  static get(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }
  maxTimestamp(): number {
    return Number.POSITIVE_INFINITY;
  }
  toString(): string {
    return 'GlobalWindow';
  }
}

/**
 * The window a state or timer namespace stands for. Restored namespaces come out of a snapshot
 * (structured clone) as plain objects with the window's own properties: they become windows again.
 */
export function windowOfNamespace<W extends Window>(namespace: unknown): W {
  if (namespace instanceof TimeWindow || namespace instanceof GlobalWindow) return namespace as unknown as W;
  const ns = namespace as { id?: unknown; start?: unknown; end?: unknown };
  if (ns.id === GlobalWindow.INSTANCE.id) return GlobalWindow.INSTANCE as unknown as W;
  if (typeof ns.start === 'number' && typeof ns.end === 'number') return new TimeWindow(ns.start, ns.end) as unknown as W;
  return namespace as W; // a window class of the user's own: used as it is
}

/** The NamespaceSerializer of window state and timers: restored namespaces become windows again (the void one stays void). */
export function windowNamespaceSerializer(restored: unknown): Namespace {
  const ns = restoreNamespace(restored);
  return ns === VOID_NAMESPACE ? ns : (windowOfNamespace<Window>(ns) as unknown as Namespace);
}

/**
 * The NamespaceSerializer of a window operator: TimeWindow and GlobalWindow come back as such, windows
 * of the assigner's own class through its restoreWindow; without it such a window fails the restore
 * with what to do (it would come back as data without its methods).
 */
export function windowNamespaceSerializerOf(assigner: { restoreWindow?(data: { readonly id: string | number } & Record<string, unknown>): Window }): (restored: unknown) => Namespace {
  return (restored) => {
    const ns = windowNamespaceSerializer(restored);
    if (ns === VOID_NAMESPACE || ns instanceof TimeWindow || ns instanceof GlobalWindow) return ns;
    const data = ns as { readonly id: string | number } & Record<string, unknown>;
    if (typeof data.maxTimestamp === 'function') return ns; // a window object already (not from a serialized snapshot)
    if (assigner.restoreWindow === undefined) {
      throw new TypeError(
        `A restored window ${JSON.stringify(data)} is not a TimeWindow or GlobalWindow, and the window assigner (${assigner.constructor?.name ?? 'a custom one'}) has no restoreWindow(data) to rebuild its windows from a snapshot`,
      );
    }
    return assigner.restoreWindow(data) as unknown as Namespace;
  };
}
