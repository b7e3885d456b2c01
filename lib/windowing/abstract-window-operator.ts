/**
 * What every window operator shares (Flink's WindowOperator, whatever keeps its contents): the
 * window function and its context (ProcessWindowFunction with window(), windowState(),
 * globalState() and side outputs), the per-window state in the window's namespace, the check that
 * a user result stored as contents is not undefined, late elements (the late-data side output, or
 * dropped: counted as numLateRecordsDropped and the first logged, never silently), and which state
 * names belong to whom.
 *
 * The window operator is one operator whose storage strategy is chosen from the assigner and the
 * function (createWindowOperator, window-operators.ts): each strategy is a subclass that keeps the
 * contents its own way, in the state layer, and fires exactly as Flink's WindowOperator does —
 * the general one (WindowOperator: any assigner, trigger and evictor, a timer per window), and the
 * fast ones for the common shapes.
 */
import { AsyncFunctionResultError, InvalidFunctionResultError, isThenable } from '../core/errors.ts';
import { AbstractUdfStreamOperator, timeText } from '../operators/abstract-stream-operator.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { AggregateFunction } from '../core/functions/aggregate-function.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { RuntimeContext } from '../core/functions/runtime-context.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import type { AggregatingStateDescriptor, ListStateDescriptor, StateDescriptor, ValueStateDescriptor } from '../core/state/state-descriptor.ts';
import type { ListState, State, ValueState } from '../core/state/state.ts';
import type { InternalKvState } from '../state/heap-keyed-state-backend.ts';
import { VOID_NAMESPACE, type Namespace } from '../state/namespace.ts';
import type { WindowAssigner } from './assigners/window-assigner.ts';
import { isMerging } from './assigners/window-assigner.ts';
import type { Evictor } from './evictors/evictor.ts';
import type { ProcessWindowContext, ProcessWindowFn, KeyedStateStore } from './process-window-function.ts';
import type { Trigger } from './triggers/trigger.ts';
import { windowNamespaceSerializerOf, type Window } from './windows.ts';


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

/** The state of a window's contents (Flink's "window-contents"). */
export const WINDOW_CONTENTS = 'window-contents';
/** The windows of each key of a merging assigner (Flink's MergingWindowSet keeps them under this name). */
export const MERGING_WINDOW_SET = 'merging-window-set';
/** The timer service of the general window operator's trigger and cleanup timers (the slice strategy has none). */
export const WINDOW_TIMERS = 'window-timers';

/** Why a window drops a record (for the first-drop warning). */
export function lateReason(watermark: number, allowedLateness: number): string {
  const lateness = allowedLateness > 0 ? ` plus the allowed lateness of ${allowedLateness} ms` : '';
  return `the watermark ${timeText(watermark)} has passed the end of its window${lateness}, and no late-data side output is set (sideOutputLateData)`;
}

/**
 * Who uses a state name of the operator's keyed state. Names are one space per operator (as in
 * Flink), so a user's state named like the operator's own or the trigger's would share it: the
 * operator refuses that with an error naming both users. The window function's windowState() and
 * globalState() may share a name (each call of theirs addresses its own scope).
 */
export type StateUser = 'operator' | 'trigger' | 'windowState' | 'globalState' | 'runtimeContext';
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

export abstract class AbstractWindowOperator<IN, ACC, OUT, K, W extends Window> extends AbstractUdfStreamOperator<OUT, unknown> {
  /** Sessions: windows merge (windowState() is refused, as in Flink). */
  protected readonly merging: boolean;
  /** The window function given the window's elements (or its one pre-aggregated value); undefined: results are emitted as they are. */
  protected readonly process: ((key: K, ctx: ProcessWindowContext<W>, elements: unknown[], out: Collector<OUT>) => void) | undefined;
  /** The window function's clear(ctx), called when its window is purged. */
  protected readonly processClear: ((ctx: ProcessWindowContext<W>) => void) | undefined;
  /** Elements later than the allowed lateness when no late-data side output is set (Flink's numLateRecordsDropped). */
  numLateRecordsDropped = 0;

  /** Restored namespaces become the assigner's windows again. */
  protected readonly windowNamespaceSerializer: (restored: unknown) => W;
  /** Every state kept per window (contents, trigger state, window-function state): dropped with the window. */
  protected readonly windowScoped: InternalKvState<unknown>[] = [];
  private readonly windowScopedNames = new Set<string>();
  /** State name -> who uses it (see StateUser). */
  private readonly stateUsers = new Map<string, Set<StateUser>>();

  // The window being worked on (the key is the backend's current key): the trigger, process contexts and state views read these.
  protected currentWindow!: W;
  /** The timestamp of what the window function emits: the window's max timestamp. */
  protected outTimestamp = NO_TIMESTAMP;

  constructor(protected readonly config: WindowOperatorConfig<IN, ACC, OUT, K, W>) {
    super(config.fn);
    this.merging = isMerging(config.assigner);
    this.windowNamespaceSerializer = windowNamespaceSerializerOf(config.assigner) as (restored: unknown) => W;
    const p = this.spec.process; // the subtask's own copy of the function (userFunction)
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
  }

  protected get spec(): WindowFunctionSpec<IN, ACC, OUT, K, W> {
    return this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
  }

  /**
   * Checks the operator runs on a keyed stream, opens the strategy's state (which claims the
   * operator's state names first) and then the window function (the rich function of
   * reduce/aggregate windows is their process function).
   */
  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('window() needs a keyed stream: call keyBy() first (or use windowAll)');
    this.openStorage();
    const p = this.spec.process as { setRuntimeContext?: (c: unknown) => void; open?: (c: object) => void } | undefined;
    if (p !== undefined && typeof p === 'object') {
      p.setRuntimeContext?.(this.functionRuntimeContext());
      p.open?.({});
    }
  }

  /** numLateRecordsDropped reaches the JobExecutionResult as the accumulator `<operator name>.numLateRecordsDropped`. */
  override close(): void {
    this.publishMetric('numLateRecordsDropped', this.numLateRecordsDropped);
    const p = this.spec.process as { close?: () => void } | undefined;
    if (p !== undefined && typeof p === 'object') p.close?.();
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
  protected claimStateName(name: string, user: StateUser): void {
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
   * A user function's result that becomes the window's contents or state: undefined would read as
   * "empty" and silently restart the window's aggregate, so it fails the job instead.
   */
  protected stored<V>(result: V, fn: string): V {
    if (result === undefined) throw new InvalidFunctionResultError(fn, this.keyedBackend!.currentKey, result);
    return result;
  }

  /**
   * An element too late for every window it belongs to: to the late-data side output, or dropped —
   * counted, and the first of this subtask logged.
   */
  protected lateElement(element: IN, timestamp: number): void {
    if (this.config.lateDataTag !== undefined) this.emitSide(this.config.lateDataTag as OutputTag<unknown>, element, timestamp);
    else if (this.numLateRecordsDropped++ === 0) this.warnFirstLateRecordDropped(timestamp, lateReason(this.inputWatermark, this.config.allowedLateness));
  }

  /**
   * Emits the results of `window` for the current key: `elements` (all of the window's elements, or
   * its one pre-aggregated value) go to the window function, or out as they are, at the window's
   * max timestamp.
   */
  protected emitWindowResults(window: W, elements: unknown[]): void {
    this.outTimestamp = window.maxTimestamp();
    this.currentWindow = window;
    if (this.process !== undefined) {
      // An async one would collect after its window fired (after the job ended, for the last windows).
      if (isThenable(this.process(this.keyedBackend!.currentKey as K, this.processContext, elements, this.collector) as unknown)) {
        throw new AsyncFunctionResultError('ProcessWindowFunction.process()');
      }
    } else for (const r of elements) this.output.collect(r as OUT, this.outTimestamp);
  }

  protected readonly collector: Collector<OUT> = { collect: (r: OUT) => this.output.collect(r, this.outTimestamp) };

  // ---- per-window state ----------------------------------------------------------------------------

  /** A state in the namespace of `window`, remembered as per-window state (dropped with its window). */
  protected windowScopedState<S extends State>(window: W, descriptor: StateDescriptor<unknown>): S & InternalKvState<unknown> {
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
  protected clearWindowScoped(window: W): void {
    for (const s of this.windowScoped) {
      s.setCurrentNamespace(window);
      s.clear();
    }
    this.keyedBackend!.clearUnregisteredNamespace(window);
  }

  /**
   * Purges `window` of the current key as Flink does at its cleanup time: the window function's
   * clear(ctx) first (it may read its windowState()), then every per-window state.
   */
  protected clearWindowFunctionState(window: W): void {
    this.currentWindow = window;
    // What clear(ctx) emits to a side output carries the window's max timestamp, as in Flink (not the last firing's).
    this.outTimestamp = window.maxTimestamp();
    this.processClear?.(this.processContext);
    this.clearWindowScoped(window);
  }

  // ---- contexts ------------------------------------------------------------------------------------

  /**
   * What the trigger and the window function get of a state: a view that addresses the current
   * window (or, for globalState, the void namespace) on every call — so a state kept in a field
   * across calls, or one of the same name in the other scope, never reads another window's value.
   * Views are cached per descriptor (weakly: a descriptor made per call costs nothing lasting).
   */
  private readonly windowViews = new WeakMap<object, State>();
  private readonly globalViews = new WeakMap<object, State>();

  protected stateView<S extends State>(perWindow: boolean, descriptor: StateDescriptor<unknown>, user: StateUser): S {
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

  protected readonly processContext: ProcessWindowContext<W> = {
    window: () => this.currentWindow,
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    currentWatermark: () => this.inputWatermark,
    windowState: () => this.windowStateStore,
    globalState: () => this.globalStateStore,
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.outTimestamp),
  };

  /** Opens the contents' state and timers (claiming the names it uses as 'operator'); caches are rebuilt from restored state here. */
  protected abstract openStorage(): void;

  /** (key, window) pairs holding state, over all keys (for tests and metrics). */
  abstract numWindows(): number;
}
