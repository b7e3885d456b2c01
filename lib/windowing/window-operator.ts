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
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';
import { AbstractUdfStreamOperator, timeText } from '../operators/abstract-stream-operator.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { AggregateFunction } from '../core/functions/aggregate-function.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { RuntimeContext } from '../core/functions/runtime-context.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { InvalidFunctionResultError } from '../core/errors.ts';
import { AggregatingStateDescriptor, ListStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor, type StateDescriptor } from '../core/state/state-descriptor.ts';
import type { AppendingState, ListState, State, ValueState } from '../core/state/state.ts';
import type { InternalKvState, InternalMergingState } from '../state/heap-keyed-state-backend.ts';
import type { InternalTimer, InternalTimerService, Triggerable } from '../state/timers/internal-timer-service.ts';
import { VOID_NAMESPACE, namespaceId, type Namespace } from '../state/namespace.ts';
import { canonicalKey } from '../state/keys.ts';
import type { WindowAssigner } from './assigners/window-assigner.ts';
import { isMerging } from './assigners/window-assigner.ts';
import type { Evictor, TimestampedValue } from './evictors/evictor.ts';
import type { ProcessWindowContext, ProcessWindowFn, KeyedStateStore } from './process-window-function.ts';
import { fires, purges, type OnMergeContext, type Trigger, type TriggerResult } from './triggers/trigger.ts';
import { TimeWindow, windowNamespaceSerializerOf, windowOfNamespace, type Window } from './windows.ts';

/** How the window keeps its contents and what it calls on firing. */
export type WindowFunctionSpec<IN, ACC, OUT, K, W extends Window> =
  | { kind: 'reduce'; reduce: (a: IN, b: IN) => IN; process?: ProcessWindowFn<IN, OUT, K, W> }
  | { kind: 'aggregate'; aggregate: AggregateFunction<IN, ACC, unknown>; process?: ProcessWindowFn<unknown, OUT, K, W> }
  | { kind: 'process'; process: ProcessWindowFn<IN, OUT, K, W> };

export interface WindowOperatorConfig<IN, ACC, OUT, K, W extends Window> {
  assigner: WindowAssigner<IN, W>;
  trigger: Trigger<IN, W>;
  evictor?: Evictor<IN, W>;
  allowedLateness: number;
  lateDataTag?: OutputTag<IN>;
  fn: WindowFunctionSpec<IN, ACC, OUT, K, W>;
}

/** The state of a window's contents (Flink's "window-contents"); the aligned fast path keeps its contents under the same name. */
export const WINDOW_CONTENTS = 'window-contents';
/** The windows of each key of a merging assigner (Flink's MergingWindowSet keeps them under this name). */
const MERGING_WINDOW_SET = 'merging-window-set';
/** The timer service of trigger and cleanup timers. */
const WINDOW_TIMERS = 'window-timers';

/** Why a window drops a record (for the first-drop warning); shared with the aligned fast path. */
export function lateReason(watermark: number, allowedLateness: number): string {
  const lateness = allowedLateness > 0 ? ` plus the allowed lateness of ${allowedLateness} ms` : '';
  return `the watermark ${timeText(watermark)} has passed the end of its window${lateness}, and no late-data side output is set (sideOutputLateData)`;
}

type ContentsState = InternalMergingState<unknown> & AppendingState<unknown, unknown>;

/**
 * Who uses a state name of the operator's keyed state. Names are one space per operator (as in
 * Flink), so a user's state named like the operator's own or the trigger's would share it: the
 * operator refuses that with an error naming both users. The window function's windowState() and
 * globalState() may share a name (each call of theirs addresses its own scope).
 */
type StateUser = 'operator' | 'trigger' | 'windowState' | 'globalState' | 'runtimeContext';
const STATE_USERS: Record<StateUser, string> = {
  operator: 'the window operator itself',
  trigger: "the window's trigger",
  windowState: "the window function's windowState()",
  globalState: "the window function's globalState()",
  runtimeContext: "the window function's getRuntimeContext()",
};
const MAY_SHARE: ReadonlySet<string> = new Set(['windowState|globalState', 'globalState|windowState', 'globalState|runtimeContext', 'runtimeContext|globalState']);

/** The user-facing methods of each kind of state (what a state view forwards). */
const STATE_METHODS: Record<StateDescriptor<unknown>['kind'], readonly string[]> = {
  value: ['value', 'update', 'clear'],
  list: ['get', 'add', 'addAll', 'update', 'clear'],
  reducing: ['get', 'add', 'clear'],
  aggregating: ['get', 'add', 'clear'],
  map: ['get', 'put', 'putAll', 'remove', 'contains', 'entries', 'keys', 'values', 'isEmpty', 'clear'],
};

export class WindowOperator<IN, ACC, OUT, K, W extends Window> extends AbstractUdfStreamOperator<OUT, unknown> implements Triggerable<unknown, W> {
  private readonly merging: boolean;
  private readonly listContents: boolean;
  private readonly process: ((key: K, ctx: ProcessWindowContext<W>, elements: unknown[], out: Collector<OUT>) => void) | undefined;
  private readonly processClear: ((ctx: ProcessWindowContext<W>) => void) | undefined;
  /** Elements later than the allowed lateness when no late-data side output is set (Flink's numLateRecordsDropped). */
  numLateRecordsDropped = 0;

  /** The contents: a list of TimestampedValue (process, evictors), the reduced value or the accumulator. */
  private windowState!: ContentsState;
  /** Merging assigners: the key's windows, in the void namespace (in the order they came to be). */
  private mergingWindows: (ListState<W> & InternalKvState<W[]>) | undefined;
  private timers!: InternalTimerService<W>;
  /** Restored namespaces become the assigner's windows again. */
  private readonly windowNamespaceSerializer: (restored: unknown) => W;
  /** Every state kept per window (contents, trigger state, window-function state): dropped with the window. */
  private readonly windowScoped: InternalKvState<unknown>[] = [];
  private readonly windowScopedNames = new Set<string>();
  /** State name -> who uses it (see StateUser). */
  private readonly stateUsers = new Map<string, Set<StateUser>>();

  // The window being worked on (the key is the backend's current key): the trigger, process contexts and state views read these.
  private currentWindow!: W;
  /** The windows being merged into currentWindow, while the trigger's onMerge runs. */
  private mergedWindows: readonly W[] = [];
  private outTimestamp = NO_TIMESTAMP;

  constructor(private readonly config: WindowOperatorConfig<IN, ACC, OUT, K, W>) {
    super(config.fn);
    this.merging = isMerging(config.assigner);
    this.windowNamespaceSerializer = windowNamespaceSerializerOf(config.assigner) as (restored: unknown) => W;
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    this.listContents = spec.kind === 'process' || config.evictor !== undefined;
    const p = spec.process;
    if (p === undefined) {
      this.process = undefined;
      this.processClear = undefined;
    } else if (typeof p === 'function') {
      this.process = p as (key: K, ctx: ProcessWindowContext<W>, elements: unknown[], out: Collector<OUT>) => void;
      this.processClear = undefined;
    } else {
      this.process = toCallable(p, 'process', 'The window function');
      // clear is optional: a plain object (JavaScript, tests) may leave it out.
      const clear = (p as { clear?: unknown }).clear;
      this.processClear = typeof clear === 'function' ? (clear.bind(p) as (ctx: ProcessWindowContext<W>) => void) : undefined;
    }
    if (this.merging && config.trigger.canMerge?.() !== true) {
      throw new Error('A merging window assigner (session windows) needs a trigger that can merge');
    }
  }

  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('window() needs a keyed stream: call keyBy() first (or use windowAll)');
    this.claimStateName(WINDOW_CONTENTS, 'operator');
    this.windowState = this.windowScopedState(VOID_NAMESPACE as unknown as W, this.contentsDescriptor()) as unknown as ContentsState;
    if (this.merging) this.claimStateName(MERGING_WINDOW_SET, 'operator');
    if (this.merging) this.mergingWindows = this.getPartitionedState<ListState<W>>(VOID_NAMESPACE, new ListStateDescriptor<W>(MERGING_WINDOW_SET) as StateDescriptor<unknown>) as ListState<W> & InternalKvState<W[]>;
    this.timers = this.getInternalTimerService<W>(WINDOW_TIMERS, this, this.windowNamespaceSerializer);
    // The process function of reduce/aggregate windows is the rich function to open.
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    const p = spec.process as { setRuntimeContext?: (c: unknown) => void; open?: (c: object) => void } | undefined;
    if (p !== undefined && typeof p === 'object') {
      p.setRuntimeContext?.(this.functionRuntimeContext());
      p.open?.({});
    }
  }

  /** The runtime context of the window function: its keyed state may not take a name the operator or the trigger uses. */
  private functionRuntimeContext(): RuntimeContext {
    const rc = this.parameters.runtimeContext;
    const claimed = <D extends StateDescriptor<unknown>>(d: D): D => (this.claimStateName(d.name, 'runtimeContext'), d);
    // Everything else is the task's context itself (whatever its shape: a prototype's methods stay reachable).
    return Object.assign(Object.create(rc) as RuntimeContext, {
      getState: (d) => rc.getState(claimed(d as StateDescriptor<unknown>) as typeof d),
      getListState: (d) => rc.getListState(claimed(d as StateDescriptor<unknown>) as typeof d),
      getMapState: (d) => rc.getMapState(claimed(d as StateDescriptor<unknown>) as typeof d),
      getReducingState: (d) => rc.getReducingState(claimed(d as StateDescriptor<unknown>) as typeof d),
      getAggregatingState: <I, A, O>(d: AggregatingStateDescriptor<I, A, O>) => rc.getAggregatingState(claimed(d as StateDescriptor<unknown>) as typeof d),
    } satisfies Partial<RuntimeContext>);
  }

  /** Records that `user` uses the state `name`; a name already used by another that may not share it fails with both named. */
  private claimStateName(name: string, user: StateUser): void {
    let users = this.stateUsers.get(name);
    if (users === undefined) this.stateUsers.set(name, (users = new Set()));
    if (users.has(user)) return;
    for (const other of users) {
      if (!MAY_SHARE.has(`${other}|${user}`)) {
        const rename =
          other === 'operator' ? `the names '${WINDOW_CONTENTS}' and '${MERGING_WINDOW_SET}' are the window operator's own: give your state another name` : 'give one of them another name';
        throw new TypeError(`State '${name}' is used by ${STATE_USERS[other]}, so ${STATE_USERS[user]} cannot use that name too (they would share one state): ${rename}`);
      }
    }
    users.add(user);
  }

  /**
   * The contents' state descriptor. Its functions are the user's behind the check that a result
   * that becomes the window's contents is not undefined (it would read as "empty" and silently
   * restart the window's aggregate), named as the user knows them.
   */
  private contentsDescriptor(): StateDescriptor<unknown> {
    if (this.listContents) return new ListStateDescriptor<TimestampedValue<IN>>(WINDOW_CONTENTS) as StateDescriptor<unknown>;
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
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

  /** numLateRecordsDropped reaches the JobExecutionResult as the accumulator `<operator name>.numLateRecordsDropped`. */
  override close(): void {
    this.publishMetric('numLateRecordsDropped', this.numLateRecordsDropped);
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    const p = spec.process as { close?: () => void } | undefined;
    if (p !== undefined && typeof p === 'object') p.close?.();
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
    if (skipped && this.isElementLate(timestamp)) {
      if (this.config.lateDataTag !== undefined) this.emitSide(this.config.lateDataTag as OutputTag<unknown>, element, timestamp);
      else if (this.numLateRecordsDropped++ === 0) this.warnFirstLateRecordDropped(timestamp, lateReason(this.inputWatermark, this.config.allowedLateness));
    }
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

  /**
   * A user function's result that becomes the window's contents or state: undefined would read as
   * "empty" and silently restart the window's aggregate, so it fails the job instead.
   */
  private stored<V>(result: V, fn: string): V {
    if (result === undefined) throw new InvalidFunctionResultError(fn, this.keyedBackend!.currentKey, result);
    return result;
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
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    this.outTimestamp = window.maxTimestamp();
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
        elements = list.length === 0 ? [] : [spec.aggregate.getResult(acc)];
      } else {
        elements = list.map((t) => t.value);
      }
    } else if (spec.kind === 'aggregate') {
      elements = [spec.aggregate.getResult(stored as ACC)];
    } else {
      elements = [stored];
    }
    if (elements.length > 0) {
      if (this.process !== undefined) {
        // An async one would collect after its window fired (after the job ended, for the last windows).
        if (isThenable(this.process(this.keyedBackend!.currentKey as K, this.processContext, elements, this.collector) as unknown)) {
          throw new AsyncFunctionResultError('ProcessWindowFunction.process()');
        }
      }
      else for (const r of elements) this.output.collect(r as OUT, this.outTimestamp);
    }
    if (list !== undefined) {
      this.config.evictor?.evictAfter(list, window, this.evictorContext);
      // The evictors trimmed the stored list in place; an empty one leaves no state.
      contents.setCurrentNamespace(window);
      contents.updateInternal(list.length === 0 ? undefined : list);
    }
  }

  private readonly collector: Collector<OUT> = { collect: (r: OUT) => this.output.collect(r, this.outTimestamp) };

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
    this.processClear?.(this.processContext);
    this.clearWindowScoped(window);
    if (this.merging) this.retireWindow(window);
  }

  // ---- per-window state ----------------------------------------------------------------------------

  /** A state in the namespace of `window`, remembered as per-window state (dropped with its window). */
  private windowScopedState<S extends State>(window: W, descriptor: StateDescriptor<unknown>): S & InternalKvState<unknown> {
    const state = this.getPartitionedState<S>(window, descriptor, this.windowNamespaceSerializer as (restored: unknown) => Namespace);
    if (!this.windowScopedNames.has(descriptor.name)) {
      this.windowScopedNames.add(descriptor.name);
      this.windowScoped.push(state);
    }
    return state;
  }

  /**
   * Drops every per-window state of the current key in `window`: also that of restored states not
   * asked for since the restore (the window function's windowState() of a window fired before the
   * snapshot), which would otherwise come back when first asked for, or stay in every snapshot.
   */
  private clearWindowScoped(window: W): void {
    for (const s of this.windowScoped) {
      s.setCurrentNamespace(window);
      s.clear();
    }
    this.keyedBackend!.clearUnregisteredNamespace(window);
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

  /**
   * What the trigger and the window function get of a state: a view that addresses the current
   * window (or, for globalState, the void namespace) on every call, as the per-window state did
   * before it moved to the keyed backend — so a state kept in a field across calls, or one of the
   * same name in the other scope, never reads another window's value. Views are cached per
   * descriptor (weakly: a descriptor made per call costs nothing lasting).
   */
  private readonly windowViews = new WeakMap<object, State>();
  private readonly globalViews = new WeakMap<object, State>();

  private stateView<S extends State>(perWindow: boolean, descriptor: StateDescriptor<unknown>, user: StateUser): S {
    const views = perWindow ? this.windowViews : this.globalViews;
    let view = views.get(descriptor);
    if (view === undefined) {
      this.claimStateName(descriptor.name, user);
      const resolve = (): Record<string, (...args: unknown[]) => unknown> =>
        (perWindow ? this.windowScopedState(this.currentWindow, descriptor) : this.getPartitionedState(VOID_NAMESPACE, descriptor)) as unknown as Record<string, (...args: unknown[]) => unknown>;
      const v: Record<string, (...args: unknown[]) => unknown> = {};
      for (const m of STATE_METHODS[descriptor.kind]) v[m] = (...args: unknown[]) => resolve()[m]!(...args);
      view = v as unknown as State;
      views.set(descriptor, view);
    }
    return view as S;
  }

  private readonly windowStateStore: KeyedStateStore = {
    getState: <T>(d: ValueStateDescriptor<T>) => this.perWindowStateView<ValueState<T>>(d as StateDescriptor<unknown>),
    getListState: <T>(d: ListStateDescriptor<T>) => this.perWindowStateView<ListState<T>>(d as StateDescriptor<unknown>),
  };

  /**
   * windowState() of merging windows is refused, as in Flink (MergingWindowStateStore): when
   * sessions merge, a value per window cannot be merged, and dropping it would lose it silently.
   */
  private perWindowStateView<S extends State>(descriptor: StateDescriptor<unknown>): S {
    if (this.merging) {
      throw new TypeError(
        `windowState() is not available with merging windows (session windows): their windows merge, and per-window state ('${descriptor.name}') cannot be merged; use globalState(), or keep what you need in the window's contents (an aggregate)`,
      );
    }
    return this.stateView<S>(true, descriptor, 'windowState');
  }

  private readonly globalStateStore: KeyedStateStore = {
    getState: <T>(d: ValueStateDescriptor<T>) => this.stateView<ValueState<T>>(false, d as StateDescriptor<unknown>, 'globalState'),
    getListState: <T>(d: ListStateDescriptor<T>) => this.stateView<ListState<T>>(false, d as StateDescriptor<unknown>, 'globalState'),
  };

  private readonly processContext: ProcessWindowContext<W> = {
    window: () => this.currentWindow,
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    currentWatermark: () => this.inputWatermark,
    windowState: () => this.windowStateStore,
    globalState: () => this.globalStateStore,
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.outTimestamp),
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
