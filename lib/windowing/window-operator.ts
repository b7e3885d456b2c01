/**
 * The window operator (Flink's WindowOperator / EvictingWindowOperator): an assigner puts elements
 * into windows per key, a trigger decides when a window emits, an optional evictor trims it, and
 * the window function turns its contents into results. Contents are kept incrementally (reduce,
 * aggregate) or as a list (process, evictors). Event-time windows are purged at
 * `maxTimestamp + allowedLateness`; later elements go to the late-data side output, or are dropped:
 * counted (numLateRecordsDropped, an accumulator) and the first of each subtask logged, never
 * silently. Keys without windows hold no state.
 *
 * All of it lives in the state layer, as in Flink: the contents, the trigger's state and the window
 * function's per-window state are keyed state in the namespace of the window; merging windows
 * (sessions) keep each key's windows in keyed state ('merging-window-set'); trigger timers and the
 * cleanup timer are timers of the 'window-timers' service with the window as namespace. A snapshot
 * of the operator's state therefore holds everything a restored operator needs.
 */
import type { ListState, State } from '../core/state/state.ts';
import { AggregatingStateDescriptor, ListStateDescriptor, ReducingStateDescriptor, type StateDescriptor } from '../core/state/state-descriptor.ts';
import type { AggregateFunction } from '../core/functions/aggregate-function.ts';
import type { AppendingState } from '../core/state/state.ts';
import type { InternalKvState, InternalMergingState } from '../state/heap-keyed-state-backend.ts';
import type { InternalTimer, InternalTimerService, Triggerable } from '../state/timers/internal-timer-service.ts';
import { VOID_NAMESPACE, namespaceId } from '../state/namespace.ts';
import { canonicalKey } from '../state/keys.ts';
import type { TimestampedValue } from './evictors/evictor.ts';
import { fires, purges, type OnMergeContext, type TriggerResult } from './triggers/trigger.ts';
import { TimeWindow, windowOfNamespace, type Window } from './windows.ts';
import { sliceAssignerFor } from './slicing/slice-assigner.ts';
import { AbstractWindowOperator, MERGING_WINDOW_SET, WINDOW_CONTENTS, WINDOW_TIMERS, type WindowOperatorConfig } from './abstract-window-operator.ts';

type ContentsState = InternalMergingState<unknown> & AppendingState<unknown, unknown>;

export class WindowOperator<IN, ACC, OUT, K, W extends Window> extends AbstractWindowOperator<IN, ACC, OUT, K, W> implements Triggerable<unknown, W> {
  /** Contents are a list of TimestampedValue (process, evictors) rather than the reduced value or accumulator. */
  private readonly listContents: boolean;
  /** The contents: a list of TimestampedValue (process, evictors), the reduced value or the accumulator. */
  private windowState!: ContentsState;
  /** Merging assigners: the key's windows, in the void namespace (in the order they came to be). */
  private mergingWindows: (ListState<W> & InternalKvState<W[]>) | undefined;
  private timers!: InternalTimerService<W>;
  /** The windows being merged into currentWindow, while the trigger's onMerge runs. */
  private mergedWindows: readonly W[] = [];

  constructor(config: WindowOperatorConfig<IN, ACC, OUT, K, W>) {
    super(config);
    this.listContents = config.fn.kind === 'process' || config.evictor !== undefined;
    if (this.merging && config.trigger.canMerge?.() !== true) {
      throw new Error('A merging window assigner (session windows) needs a trigger that can merge');
    }
  }

  protected override openStorage(): void {
    this.claimStateName(WINDOW_CONTENTS, 'operator');
    this.windowState = this.windowScopedState(VOID_NAMESPACE as unknown as W, this.contentsDescriptor()) as unknown as ContentsState;
    if (this.merging) this.claimStateName(MERGING_WINDOW_SET, 'operator');
    if (this.merging) this.mergingWindows = this.getPartitionedState<ListState<W>>(VOID_NAMESPACE, new ListStateDescriptor<W>(MERGING_WINDOW_SET) as StateDescriptor<unknown>) as ListState<W> & InternalKvState<W[]>;
    this.timers = this.getInternalTimerService<W>(WINDOW_TIMERS, this, this.windowNamespaceSerializer);
    if (this.isRestored()) this.refuseSlices();
  }

  /**
   * Contents without a single timer come from the slice strategy (the same tumbling, sliding or
   * cumulative window with the default trigger and no evictor fires by the watermark, without a
   * timer per window): run per window, they would never fire, and slices are not windows. The
   * restore fails saying so rather than losing them.
   */
  private refuseSlices(): void {
    if (sliceAssignerFor({ ...this.config, evictor: undefined }, false) === undefined) return;
    if (this.timers.numEventTimeTimers() + this.timers.numProcessingTimeTimers() > 0 || this.windowState.namespaces().length === 0) return;
    throw new Error(
      `Cannot restore window operator '${this.parameters.operatorName}' from this snapshot: it holds window contents kept in slices ` +
        `(a tumbling, sliding or cumulative event-time window with the default trigger and no evictor when the snapshot was taken), ` +
        `and this window, with an explicit trigger or an evictor, keeps its contents per window with timers. ` +
        `Restore with the window defined as when the snapshot was taken, or start without the snapshot.`,
    );
  }

  /**
   * The contents' state descriptor. Its functions are the user's behind the check that a result
   * that becomes the window's contents is not undefined (it would read as "empty" and silently
   * restart the window's aggregate), named as the user knows them.
   */
  private contentsDescriptor(): StateDescriptor<unknown> {
    if (this.listContents) return new ListStateDescriptor<TimestampedValue<IN>>(WINDOW_CONTENTS) as StateDescriptor<unknown>;
    const spec = this.spec;
    if (spec.kind === 'reduce') {
      const reduce = spec.reduce;
      return new ReducingStateDescriptor<IN>(WINDOW_CONTENTS, (a, b) => this.stored(reduce(a, b), 'reduce()')) as StateDescriptor<unknown>;
    }
    const agg = (spec as { aggregate: AggregateFunction<IN, ACC, unknown> }).aggregate;
    const checked: AggregateFunction<IN, ACC, unknown> = {
      createAccumulator: () => this.stored(agg.createAccumulator(), 'AggregateFunction.createAccumulator()'),
      add: (value, acc) => this.stored(agg.add(value, acc), 'AggregateFunction.add()'),
      getResult: (acc) => agg.getResult(acc),
      merge: (a, b) => this.stored(agg.merge(a, b), 'AggregateFunction.merge()'),
    };
    return new AggregatingStateDescriptor<IN, ACC, unknown>(WINDOW_CONTENTS, checked) as StateDescriptor<unknown>;
  }

  // ---- elements ------------------------------------------------------------------------------------

  processElement(value: unknown, timestamp: number): void {
    const element = value as IN;
    const windows: W[] = this.config.assigner.assignWindows(element, timestamp, this.assignerContext);
    let skipped = true;
    for (const assigned of windows) {
      const window = this.merging ? this.addWindow(assigned as unknown as TimeWindow) : assigned;
      if (this.isWindowLate(window)) {
        // A merging window that holds nothing leaves the key's window set again.
        if (this.merging && this.isEmpty(window)) this.retireWindow(window);
        continue;
      }
      skipped = false;
      this.currentWindow = window;
      this.addToContents(window, element, timestamp);
      const result: TriggerResult = this.config.trigger.onElement(element, timestamp, window, this.triggerContext);
      this.handle(result, window);
      this.registerCleanupTimer(window);
    }
    if (skipped && this.isElementLate(timestamp)) this.lateElement(element, timestamp);
  }

  /** The current key's windows (merging assigners), restored ones made windows again. */
  private windowSet(): W[] | undefined {
    const list = this.mergingWindows!.getInternal();
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) if (!(list[i] instanceof TimeWindow)) list[i] = windowOfNamespace<W>(list[i]);
    }
    return list;
  }

  private retireWindow(window: W): void {
    const list = this.windowSet();
    if (list === undefined) return;
    const i = list.findIndex((w) => w.id === window.id);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.mergingWindows!.clear();
  }

  /**
   * Session windows (Flink's MergingWindowSet.addWindow): the new window merges with every window
   * of the key it overlaps; their contents and trigger state move to the merged window's namespace.
   */
  private addWindow(window: TimeWindow): W {
    const list = this.windowSet();
    if (list === undefined) {
      this.mergingWindows!.updateInternal([window as unknown as W]);
      return window as unknown as W;
    }
    const overlapping: W[] = [];
    let cover = window;
    for (const w of list) {
      if ((w as unknown as TimeWindow).intersects(window)) overlapping.push(w);
    }
    // Merging can make the cover overlap further windows: repeat until stable.
    let grew = true;
    while (grew) {
      grew = false;
      for (const w of overlapping) cover = cover.cover(w as unknown as TimeWindow);
      for (const w of list) {
        if (!overlapping.includes(w) && (w as unknown as TimeWindow).intersects(cover)) {
          overlapping.push(w);
          grew = true;
        }
      }
    }
    if (overlapping.length === 0) {
      list.push(window as unknown as W);
      return window as unknown as W;
    }
    if (overlapping.length === 1 && overlapping[0]!.id === cover.id) return overlapping[0]!;
    const merged = cover as unknown as W;
    // Merged contents in the order of the sessions' start (Flink's order depends on a HashMap's; the
    // session strategy gives this one too): each session's elements in arrival order, then the new one.
    overlapping.sort((a, b) => (a as unknown as TimeWindow).start - (b as unknown as TimeWindow).start);
    for (const w of overlapping) list.splice(list.indexOf(w), 1);
    list.push(merged);
    this.windowState.mergeNamespaces(merged, overlapping);
    // The trigger merges its state and re-registers timers for the merged window; then the old windows go.
    this.currentWindow = merged;
    this.mergedWindows = overlapping;
    try {
      this.config.trigger.onMerge?.(merged, this.triggerContext);
      for (const old of overlapping) {
        this.currentWindow = old;
        this.config.trigger.clear(old, this.triggerContext);
        this.deleteCleanupTimer(old);
      }
    } finally {
      this.mergedWindows = [];
      this.currentWindow = merged;
    }
    // Whatever else the old windows held (per-window state of the window function) goes with them.
    for (const old of overlapping) this.clearWindowScoped(old);
    return merged;
  }

  private addToContents(window: W, element: IN, timestamp: number): void {
    const contents = this.windowState;
    contents.setCurrentNamespace(window);
    contents.add(this.listContents ? { value: element, timestamp } : element);
  }

  private handle(result: TriggerResult, window: W): void {
    if (fires(result)) {
      this.windowState.setCurrentNamespace(window);
      if (this.windowState.getInternal() !== undefined) this.emitWindow(window);
    }
    if (purges(result)) {
      this.windowState.setCurrentNamespace(window);
      this.windowState.clear();
    }
  }

  // ---- firing --------------------------------------------------------------------------------------

  private emitWindow(window: W): void {
    const spec = this.spec;
    this.currentWindow = window;
    const contents = this.windowState;
    contents.setCurrentNamespace(window);
    const stored = contents.getInternal();
    let elements: unknown[];
    let list: TimestampedValue<IN>[] | undefined;
    if (this.listContents) {
      list = stored as TimestampedValue<IN>[];
      this.config.evictor?.evictBefore(list, window, this.evictorContext);
      if (spec.kind === 'reduce') {
        elements = list.length === 0 ? [] : [list.map((t) => t.value).reduce((a, b) => this.stored(spec.reduce(a, b), 'reduce()'))];
      } else if (spec.kind === 'aggregate') {
        let acc = this.stored(spec.aggregate.createAccumulator(), 'AggregateFunction.createAccumulator()');
        for (const t of list) acc = this.stored(spec.aggregate.add(t.value, acc), 'AggregateFunction.add()');
        elements = [spec.aggregate.getResult(acc)]; // (no elements left: the empty accumulator's result, as Flink's AggregateApplyProcessWindowFunction)
      } else {
        elements = list.map((t) => t.value);
      }
    } else if (spec.kind === 'aggregate') {
      elements = [spec.aggregate.getResult(stored as ACC)];
    } else {
      elements = [stored];
    }
    // An evictor may leave nothing: Flink still calls the function (a ProcessWindowFunction gets no
    // elements); only a reduce has no result then (Flink's would pass on null).
    if (elements.length > 0 || spec.kind !== 'reduce') this.emitWindowResults(window, elements);
    if (list !== undefined) {
      this.config.evictor?.evictAfter(list, window, this.evictorContext);
      // The evictors trimmed the stored list in place; an empty one leaves no state.
      contents.setCurrentNamespace(window);
      contents.updateInternal(list.length === 0 ? undefined : list);
    }
  }

  // ---- time ----------------------------------------------------------------------------------------

  private cleanupTime(window: W): number {
    if (!this.config.assigner.isEventTime()) return window.maxTimestamp();
    const t = window.maxTimestamp() + this.config.allowedLateness;
    return t >= window.maxTimestamp() ? t : Number.POSITIVE_INFINITY;
  }

  private isWindowLate(window: W): boolean {
    return this.config.assigner.isEventTime() && this.cleanupTime(window) <= this.inputWatermark;
  }

  private isElementLate(timestamp: number): boolean {
    return this.config.assigner.isEventTime() && timestamp + this.config.allowedLateness <= this.inputWatermark;
  }

  private registerCleanupTimer(window: W): void {
    const t = this.cleanupTime(window);
    if (t === Number.POSITIVE_INFINITY) return; // global windows live forever
    if (this.config.assigner.isEventTime()) this.timers.registerEventTimeTimer(window, t);
    else this.timers.registerProcessingTimeTimer(window, t);
  }

  private deleteCleanupTimer(window: W): void {
    const t = this.cleanupTime(window);
    if (t === Number.POSITIVE_INFINITY) return;
    if (this.config.assigner.isEventTime()) this.timers.deleteEventTimeTimer(window, t);
    else this.timers.deleteProcessingTimeTimer(window, t);
  }

  /** Due event-time timers (trigger firings, cleanup) fire in AbstractStreamOperator.processWatermark, before the watermark moves on. */
  onEventTime(timer: InternalTimer<unknown, W>): void {
    this.onTimer(timer.namespace, timer.timestamp, true);
  }

  onProcessingTime(timer: InternalTimer<unknown, W>): void {
    this.onTimer(timer.namespace, timer.timestamp, false);
  }

  /** The timer service has set the timer's key as the current key. */
  private onTimer(namespace: W, time: number, eventTime: boolean): void {
    const window = namespace; // a window again after a restore (this.windowNamespaceSerializer)
    // A merging window that is gone (merged into another, or cleaned up) has nothing left to fire.
    if (this.merging && !this.windowSet()?.some((w) => w.id === window.id)) return;
    this.currentWindow = window;
    const result: TriggerResult = eventTime
      ? this.config.trigger.onEventTime(time, window, this.triggerContext)
      : this.config.trigger.onProcessingTime(time, window, this.triggerContext);
    this.handle(result, window);
    if (eventTime === this.config.assigner.isEventTime() && time === this.cleanupTime(window)) this.clearAllState(window);
  }

  private clearAllState(window: W): void {
    this.currentWindow = window;
    this.config.trigger.clear(window, this.triggerContext);
    this.clearWindowFunctionState(window);
    if (this.merging) this.retireWindow(window);
  }

  /** Whether the current key holds no state in `window`. */
  private isEmpty(window: W): boolean {
    for (const s of this.windowScoped) {
      s.setCurrentNamespace(window);
      if (s.getInternal() !== undefined) return false;
    }
    return true;
  }

  // ---- contexts ------------------------------------------------------------------------------------

  private readonly assignerContext = {
    getCurrentProcessingTime: (): number => this.parameters.processingTimeService.getCurrentProcessingTime(),
  };

  private readonly evictorContext = {
    getCurrentWatermark: (): number => this.inputWatermark,
    getCurrentProcessingTime: (): number => this.parameters.processingTimeService.getCurrentProcessingTime(),
  };

  private readonly triggerContext: OnMergeContext = {
    getCurrentWatermark: () => this.inputWatermark,
    getCurrentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    registerEventTimeTimer: (time: number) => this.timers.registerEventTimeTimer(this.currentWindow, time),
    registerProcessingTimeTimer: (time: number) => this.timers.registerProcessingTimeTimer(this.currentWindow, time),
    deleteEventTimeTimer: (time: number) => this.timers.deleteEventTimeTimer(this.currentWindow, time),
    deleteProcessingTimeTimer: (time: number) => this.timers.deleteProcessingTimeTimer(this.currentWindow, time),
    getPartitionedState: (<T>(d: StateDescriptor<T>) => this.stateView(true, d as StateDescriptor<unknown>, 'trigger')) as OnMergeContext['getPartitionedState'],
    // Flink's onMerge: the state of the windows being merged is combined into the merged window's.
    mergePartitionedState: <T>(d: ReducingStateDescriptor<T>) => {
      this.claimStateName(d.name, 'trigger');
      const state = this.windowScopedState(this.currentWindow, d as StateDescriptor<unknown>) as unknown as Partial<InternalMergingState<unknown>>;
      if (typeof state.mergeNamespaces !== 'function') throw new TypeError(`State '${d.name}' cannot be merged: mergePartitionedState needs a reducing, aggregating or list state`);
      if (this.mergedWindows.length > 0) state.mergeNamespaces(this.currentWindow, this.mergedWindows);
    },
  };

  /** (key, window) pairs holding state, over all keys (for tests and metrics). */
  numWindows(): number {
    const held = new Set<string>();
    const add = (key: unknown, ns: string | number): void => void held.add(`${ns}|${typeof key}:${String(canonicalKey(key))}`);
    for (const s of this.windowScoped) for (const ns of s.namespaces()) for (const [key] of s.entriesOf(ns)) add(key, namespaceId(ns));
    if (this.mergingWindows !== undefined) for (const [key, windows] of this.mergingWindows.entriesOf(VOID_NAMESPACE)) for (const w of windows) add(key, w.id);
    return held.size;
  }
}
