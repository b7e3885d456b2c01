/**
 * Slices of time windows (Flink's Table runtime SliceAssigners; the "panes" of the Scotty and Cutty
 * papers): the time axis is cut into slices such that every window is a run of whole slices, so an
 * element goes into ONE slice of its key and a window's contents are the merge of its slices.
 * - tumbling (size): slice = window;
 * - sliding (size, slide), size >= slide: slices of gcd(size, slide), a window is size / gcd of them;
 * - cumulative (maxSize, step): slices of step; the window [start, start + k step) is its first k.
 * Window ends lie on one grid (endStep apart), and a window is known by its end.
 */
import { TumblingEventTimeWindows } from '../assigners/tumbling-windows.ts';
import { SlidingEventTimeWindows } from '../assigners/sliding-windows.ts';
import { CumulativeEventTimeWindows } from '../assigners/cumulative-windows.ts';
import type { WindowOperatorConfig } from '../abstract-window-operator.ts';
import { TimeWindow, type Window } from '../windows.ts';

export type SliceKind = 'tumbling' | 'sliding' | 'cumulative';

export class SliceAssigner {
  /** Windows can span several slices (sliding, cumulative): a window's contents are a merge. */
  readonly multiSlice: boolean;
  /** assignWindows of the assigner lists an element's windows latest first (sliding): late firings go in that order. */
  readonly latestFirst: boolean;

  constructor(
    readonly kind: SliceKind,
    /** Length of a slice, ms. */
    readonly sliceSize: number,
    readonly offset: number,
    /** Window size (tumbling, sliding) or max size (cumulative), ms. */
    readonly size: number,
    /** Distance between the ends of consecutive windows: size (tumbling), slide, step. */
    readonly endStep: number,
  ) {
    this.multiSlice = size !== sliceSize;
    this.latestFirst = kind === 'sliding';
  }

  /** Start of the slice holding `timestamp`. */
  sliceStart(timestamp: number): number {
    return TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.sliceSize);
  }

  /** End of the earliest-ending window holding the slice that starts at `start`. */
  firstWindowEnd(start: number): number {
    if (this.kind !== 'sliding') return start + this.sliceSize;
    // The first end on the grid of window ends (offset + size, every slide) at or after the slice's end.
    const x = start + this.sliceSize;
    const r = (this.offset + this.size - x) % this.endStep;
    return x + (r < 0 ? r + this.endStep : r);
  }

  /** End of the latest-ending window holding the slice that starts at `start` (the slice is dropped when it is cleaned up). */
  lastWindowEnd(start: number): number {
    if (this.kind === 'tumbling') return start + this.size;
    if (this.kind === 'sliding') return TimeWindow.getWindowStartWithOffset(start, this.offset, this.endStep) + this.size;
    return TimeWindow.getWindowStartWithOffset(start, this.offset, this.size) + this.size;
  }

  /** Start of the window that ends at `end`. */
  windowStart(end: number): number {
    if (this.kind === 'cumulative') return TimeWindow.getWindowStartWithOffset(end - 1, this.offset, this.size);
    return end - this.size;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The slices of a window operator's assigner when the slice strategy can run it: fixed-size
 * tumbling, sliding (size at least the slide: otherwise some time is in no window) and cumulative
 * event-time windows with the default trigger and no evictor; an AggregateFunction merged across
 * slices needs merge(). undefined: the general operator.
 */
export function sliceAssignerFor<IN, ACC, OUT, K, W extends Window>(config: WindowOperatorConfig<IN, ACC, OUT, K, W>, explicitTrigger: boolean): SliceAssigner | undefined {
  if (explicitTrigger || config.evictor !== undefined) return undefined;
  const a = config.assigner as unknown;
  let slices: SliceAssigner | undefined;
  if (a instanceof TumblingEventTimeWindows) {
    if (a.isAligned()) slices = new SliceAssigner('tumbling', a.size, a.offset, a.size, a.size);
  } else if (a instanceof SlidingEventTimeWindows) {
    if (a.size >= a.slide) slices = new SliceAssigner('sliding', gcd(a.size, a.slide), a.offset, a.size, a.slide);
  } else if (a instanceof CumulativeEventTimeWindows) {
    slices = new SliceAssigner('cumulative', a.step, a.offset, a.maxSize, a.step);
  }
  if (slices === undefined) return undefined;
  const fn = config.fn;
  if (slices.multiSlice && fn.kind === 'aggregate' && typeof (fn.aggregate as { merge?: unknown }).merge !== 'function') return undefined;
  return slices;
}
