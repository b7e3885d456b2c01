/**
 * The window operator (Flink's WindowOperator / EvictingWindowOperator): an assigner puts elements
 * into windows per key, a trigger decides when a window emits, an optional evictor trims it, and
 * the window function turns its contents into results. Contents are kept incrementally (reduce,
 * aggregate) or as a list (process, evictors). Event-time windows are purged at
 * `maxTimestamp + allowedLateness`; later elements go to the late-data side output, or are dropped:
 * counted (numLateRecordsDropped, an accumulator) and the first of each subtask logged, never
 * silently. Keys without windows hold no state.
 */
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';
import { AbstractUdfStreamOperator, timeText } from '../operators/abstract-stream-operator.ts';
import { ProcessingTimerQueue, TimerQueue } from '../operators/timer-service.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { AggregateFunction } from '../core/functions/aggregate-function.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { OutputTag } from '../core/output-tag.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { InvalidFunctionResultError } from '../core/errors.ts';
import { ListStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor, type StateDescriptor } from '../core/state/state-descriptor.ts';
import type { ListState, ReducingState, ValueState } from '../core/state/state.ts';
import type { WindowAssigner } from './assigners/window-assigner.ts';
import { isMerging } from './assigners/window-assigner.ts';
import type { Evictor, TimestampedValue } from './evictors/evictor.ts';
import type { ProcessWindowContext, ProcessWindowFn, KeyedStateStore } from './process-window-function.ts';
import { fires, purges, type OnMergeContext, type Trigger, type TriggerResult } from './triggers/trigger.ts';
import { TimeWindow, type Window } from './windows.ts';

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

/** One window of one key. */
interface WindowEntry<W extends Window> {
  window: W;
  /** list: TimestampedValue[]; reduce: the value; aggregate: the accumulator; undefined: empty. */
  contents: unknown;
  /** Trigger and window-function state of this (key, window), by state name. */
  state: Map<string, unknown> | null;
}

interface KeyWindows<W extends Window> {
  key: unknown;
  windows: Map<string, WindowEntry<W>>;
}

type TimerDomain = 'event' | 'processing';

/** Why a window drops a record (for the first-drop warning); shared with the aligned fast path. */
export function lateReason(watermark: number, allowedLateness: number): string {
  const lateness = allowedLateness > 0 ? ` plus the allowed lateness of ${allowedLateness} ms` : '';
  return `the watermark ${timeText(watermark)} has passed the end of its window${lateness}, and no late-data side output is set (sideOutputLateData)`;
}

export class WindowOperator<IN, ACC, OUT, K, W extends Window> extends AbstractUdfStreamOperator<OUT, unknown> {
  private readonly perKey = new Map<unknown, KeyWindows<W>>();
  private readonly eventTimers = new TimerQueue();
  private processingTimers!: ProcessingTimerQueue;
  private readonly merging: boolean;
  private readonly listContents: boolean;
  private readonly process: ((key: K, ctx: ProcessWindowContext<W>, elements: unknown[], out: Collector<OUT>) => void) | undefined;
  private readonly processClear: ((ctx: ProcessWindowContext<W>) => void) | undefined;
  /** Elements later than the allowed lateness when no late-data side output is set (Flink's numLateRecordsDropped). */
  numLateRecordsDropped = 0;

  // The (key, window) being worked on: the trigger, process contexts and state objects read these.
  private currentKeyState: KeyWindows<W> | undefined;
  private currentEntry: WindowEntry<W> | undefined;
  private mergedEntries: WindowEntry<W>[] = [];
  private outTimestamp = NO_TIMESTAMP;

  constructor(private readonly config: WindowOperatorConfig<IN, ACC, OUT, K, W>) {
    super(config.fn);
    this.merging = isMerging(config.assigner);
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
    this.processingTimers = new ProcessingTimerQueue(this.parameters.processingTimeService, (key, ns, t) =>
      this.onTimer(key, ns as string, t, 'processing'),
    );
    // The process function of reduce/aggregate windows is the rich function to open.
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    const p = spec.process as { setRuntimeContext?: (c: unknown) => void; open?: (c: object) => void } | undefined;
    if (p !== undefined && typeof p === 'object') {
      p.setRuntimeContext?.(this.parameters.runtimeContext);
      p.open?.({});
    }
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
    const backend = this.keyedBackend!;
    const ck = backend.currentCanonicalKey;
    let ks = this.perKey.get(ck);
    if (ks === undefined) {
      ks = { key: backend.currentKey, windows: new Map() };
      this.perKey.set(ck, ks);
    }
    this.currentKeyState = ks;
    const windows: W[] = this.config.assigner.assignWindows(element, timestamp, this.assignerContext);
    let skipped = true;
    for (const assigned of windows) {
      const entry = this.merging ? this.mergeWindow(ks, assigned as unknown as TimeWindow) : this.entryFor(ks, assigned);
      if (this.isWindowLate(entry.window)) {
        if (entry.contents === undefined && (entry.state === null || entry.state.size === 0)) ks.windows.delete(entry.window.id);
        continue;
      }
      skipped = false;
      this.currentEntry = entry;
      this.addToContents(entry, element, timestamp);
      const result: TriggerResult = this.config.trigger.onElement(element, timestamp, entry.window, this.triggerContext);
      this.handle(result, ks, entry);
      this.registerCleanupTimer(ks, entry.window);
      this.dropIfEmptyForever(ks, entry);
    }
    if (ks.windows.size === 0) this.perKey.delete(ck);
    if (skipped && this.isElementLate(timestamp)) {
      if (this.config.lateDataTag !== undefined) this.emitSide(this.config.lateDataTag as OutputTag<unknown>, element, timestamp);
      else if (this.numLateRecordsDropped++ === 0) this.warnFirstLateRecordDropped(timestamp, lateReason(this.inputWatermark, this.config.allowedLateness));
    }
  }

  private entryFor(ks: KeyWindows<W>, window: W): WindowEntry<W> {
    let entry = ks.windows.get(window.id);
    if (entry === undefined) {
      entry = { window, contents: undefined, state: null };
      ks.windows.set(window.id, entry);
    }
    return entry;
  }

  /** Session windows: the new window merges with every window of the key it overlaps. */
  private mergeWindow(ks: KeyWindows<W>, window: TimeWindow): WindowEntry<W> {
    const overlapping: WindowEntry<W>[] = [];
    let cover = window;
    for (const e of ks.windows.values()) {
      const w = e.window as unknown as TimeWindow;
      if (w.intersects(window)) overlapping.push(e);
    }
    // Merging can make the cover overlap further windows: repeat until stable.
    let grew = true;
    while (grew) {
      grew = false;
      for (const e of overlapping) cover = cover.cover(e.window as unknown as TimeWindow);
      for (const e of ks.windows.values()) {
        if (!overlapping.includes(e) && (e.window as unknown as TimeWindow).intersects(cover)) {
          overlapping.push(e);
          grew = true;
        }
      }
    }
    if (overlapping.length === 0) return this.entryFor(ks, window as unknown as W);
    if (overlapping.length === 1 && overlapping[0]!.window.id === cover.id) return overlapping[0]!;
    const merged: WindowEntry<W> = { window: cover as unknown as W, contents: undefined, state: null };
    for (const e of overlapping) {
      merged.contents = this.mergeContents(merged.contents, e.contents);
      ks.windows.delete(e.window.id);
    }
    ks.windows.set(merged.window.id, merged);
    // The trigger merges its state and re-registers timers for the merged window; then the old windows go.
    this.currentEntry = merged;
    this.mergedEntries = overlapping;
    try {
      this.config.trigger.onMerge?.(merged.window, this.triggerContext);
      for (const old of overlapping) {
        this.currentEntry = old;
        this.config.trigger.clear(old.window, this.triggerContext);
        this.deleteCleanupTimer(ks, old.window);
      }
    } finally {
      this.mergedEntries = [];
      this.currentEntry = merged;
    }
    return merged;
  }

  private mergeContents(a: unknown, b: unknown): unknown {
    if (a === undefined) return b;
    if (b === undefined) return a;
    if (this.listContents) return (a as TimestampedValue<IN>[]).concat(b as TimestampedValue<IN>[]);
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    if (spec.kind === 'reduce') return this.stored(spec.reduce(a as IN, b as IN), 'reduce()');
    if (spec.kind === 'aggregate') return this.stored(spec.aggregate.merge(a as ACC, b as ACC), 'AggregateFunction.merge()');
    return a;
  }

  /**
   * A user function's result that becomes the window's contents or state: undefined would read as
   * "empty" and silently restart the window's aggregate, so it fails the job instead.
   */
  private stored<V>(result: V, fn: string): V {
    if (result === undefined) throw new InvalidFunctionResultError(fn, this.keyedBackend!.currentKey, result);
    return result;
  }

  /** stored() for the reduce function of a window's ReducingState (a trigger's count, say): the message is only built on failure. */
  private storedInState<V>(result: V, stateName: string): V {
    if (result === undefined) throw new InvalidFunctionResultError(`The reduce function of ReducingState '${stateName}'`, this.keyedBackend!.currentKey, result);
    return result;
  }

  private addToContents(entry: WindowEntry<W>, element: IN, timestamp: number): void {
    if (this.listContents) {
      const list = entry.contents as TimestampedValue<IN>[] | undefined;
      const item = { value: element, timestamp };
      if (list === undefined) entry.contents = [item];
      else list.push(item);
      return;
    }
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    if (spec.kind === 'reduce') {
      entry.contents = entry.contents === undefined ? element : this.stored(spec.reduce(entry.contents as IN, element), 'reduce()');
    } else if (spec.kind === 'aggregate') {
      const acc = entry.contents === undefined ? this.stored(spec.aggregate.createAccumulator(), 'AggregateFunction.createAccumulator()') : (entry.contents as ACC);
      entry.contents = this.stored(spec.aggregate.add(element, acc), 'AggregateFunction.add()');
    }
  }

  private handle(result: TriggerResult, ks: KeyWindows<W>, entry: WindowEntry<W>): void {
    if (fires(result) && entry.contents !== undefined) this.emitWindow(ks, entry);
    if (purges(result)) entry.contents = undefined;
  }

  // ---- firing --------------------------------------------------------------------------------------

  private emitWindow(ks: KeyWindows<W>, entry: WindowEntry<W>): void {
    const spec = this.userFunction as WindowFunctionSpec<IN, ACC, OUT, K, W>;
    this.outTimestamp = entry.window.maxTimestamp();
    this.currentEntry = entry;
    let elements: unknown[];
    let list: TimestampedValue<IN>[] | undefined;
    if (this.listContents) {
      list = entry.contents as TimestampedValue<IN>[];
      this.config.evictor?.evictBefore(list, entry.window, this.evictorContext);
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
      elements = [spec.aggregate.getResult(entry.contents as ACC)];
    } else {
      elements = [entry.contents];
    }
    if (elements.length > 0) {
      if (this.process !== undefined) {
        // An async one would collect after its window fired (after the job ended, for the last windows).
        if (isThenable(this.process(ks.key as K, this.processContext, elements, this.collector) as unknown)) {
          throw new AsyncFunctionResultError('ProcessWindowFunction.process()');
        }
      }
      else for (const r of elements) this.output.collect(r as OUT, this.outTimestamp);
    }
    if (list !== undefined) {
      this.config.evictor?.evictAfter(list, entry.window, this.evictorContext);
      entry.contents = list.length === 0 ? undefined : list;
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

  private timerId(ks: KeyWindows<W>, window: W): string {
    const k = this.keyedBackend!.currentCanonicalKey;
    return `${typeof k}:${String(k)}|${window.id}`;
  }

  private registerCleanupTimer(ks: KeyWindows<W>, window: W): void {
    const t = this.cleanupTime(window);
    if (t === Number.POSITIVE_INFINITY) return; // global windows live forever
    if (this.config.assigner.isEventTime()) this.eventTimers.add(this.timerId(ks, window), ks.key, window.id, t);
    else this.processingTimers.add(this.timerId(ks, window), ks.key, window.id, t);
  }

  private deleteCleanupTimer(ks: KeyWindows<W>, window: W): void {
    const t = this.cleanupTime(window);
    if (this.config.assigner.isEventTime()) this.eventTimers.delete(this.timerId(ks, window), t);
    else this.processingTimers.delete(this.timerId(ks, window), t);
  }

  /** Due event-time timers (trigger firings, cleanup) run before the watermark moves on. */
  override processWatermark(watermark: number): void {
    this.inputWatermark = watermark;
    this.eventTimers.fireUpTo(watermark, (key, ns, t) => this.onTimer(key, ns as string, t, 'event'));
    this.output.emitWatermark(watermark);
  }

  private onTimer(key: unknown, windowId: string, time: number, domain: TimerDomain): void {
    const backend = this.keyedBackend!;
    backend.setCurrentKey(key);
    const ks = this.perKey.get(backend.currentCanonicalKey);
    const entry = ks?.windows.get(windowId);
    if (ks === undefined || entry === undefined) return; // the window is gone (merged or purged)
    this.currentKeyState = ks;
    this.currentEntry = entry;
    const result: TriggerResult =
      domain === 'event'
        ? this.config.trigger.onEventTime(time, entry.window, this.triggerContext)
        : this.config.trigger.onProcessingTime(time, entry.window, this.triggerContext);
    this.handle(result, ks, entry);
    const eventTime = this.config.assigner.isEventTime();
    if ((domain === 'event') === eventTime && time === this.cleanupTime(entry.window)) this.clearAllState(ks, entry);
    else {
      this.dropIfEmptyForever(ks, entry);
      if (ks.windows.size === 0) this.perKey.delete(backend.currentCanonicalKey);
    }
  }

  /** A window without a cleanup time (GlobalWindows) that holds nothing after a purge is dropped. */
  private dropIfEmptyForever(ks: KeyWindows<W>, entry: WindowEntry<W>): void {
    if (entry.contents !== undefined || (entry.state !== null && entry.state.size > 0)) return;
    if (this.cleanupTime(entry.window) !== Number.POSITIVE_INFINITY) return;
    ks.windows.delete(entry.window.id);
  }

  private clearAllState(ks: KeyWindows<W>, entry: WindowEntry<W>): void {
    this.currentEntry = entry;
    this.config.trigger.clear(entry.window, this.triggerContext);
    this.processClear?.(this.processContext);
    ks.windows.delete(entry.window.id);
    if (ks.windows.size === 0) this.perKey.delete(this.keyedBackend!.currentCanonicalKey);
  }

  // ---- contexts ------------------------------------------------------------------------------------

  private readonly assignerContext = {
    getCurrentProcessingTime: (): number => this.parameters.processingTimeService.getCurrentProcessingTime(),
  };

  private readonly evictorContext = {
    getCurrentWatermark: (): number => this.inputWatermark,
    getCurrentProcessingTime: (): number => this.parameters.processingTimeService.getCurrentProcessingTime(),
  };

  /** A state object over the current (key, window) entry's map; cached per descriptor name. */
  private readonly windowStates = new Map<string, unknown>();

  private entryState<T>(descriptor: StateDescriptor<T>): unknown {
    const cached = this.windowStates.get(descriptor.name);
    if (cached !== undefined) return cached;
    const read = (): unknown => this.currentEntry!.state?.get(descriptor.name);
    const write = (v: unknown): void => {
      const e = this.currentEntry!;
      if (v === undefined) e.state?.delete(descriptor.name);
      else (e.state ??= new Map()).set(descriptor.name, v);
    };
    let state: unknown;
    if (descriptor instanceof ReducingStateDescriptor) {
      const reduce = descriptor.reduceFunction as (a: unknown, b: unknown) => unknown;
      state = {
        get: read,
        add: (v: unknown) => {
          const cur = read();
          write(cur === undefined ? v : this.storedInState(reduce(cur, v), descriptor.name));
        },
        clear: () => write(undefined),
      } satisfies ReducingState<unknown>;
    } else if (descriptor instanceof ListStateDescriptor) {
      state = {
        get: () => (read() as unknown[] | undefined) ?? [],
        add: (v: unknown) => write([...((read() as unknown[] | undefined) ?? []), v]),
        addAll: (vs: unknown[]) => write([...((read() as unknown[] | undefined) ?? []), ...vs]),
        update: (vs: unknown[]) => write(vs.length === 0 ? undefined : vs.slice()),
        clear: () => write(undefined),
      } satisfies ListState<unknown>;
    } else if (descriptor instanceof ValueStateDescriptor) {
      const dflt = descriptor.defaultValue;
      state = {
        value: () => {
          const v = read();
          return v === undefined ? dflt : v;
        },
        update: (v: unknown) => write(v),
        clear: () => write(undefined),
      } satisfies ValueState<unknown>;
    } else {
      throw new Error(`Window and trigger state supports value, list and reducing state, not ${descriptor.kind} ('${descriptor.name}')`);
    }
    this.windowStates.set(descriptor.name, state);
    return state;
  }

  private readonly triggerContext: OnMergeContext = {
    getCurrentWatermark: () => this.inputWatermark,
    getCurrentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    registerEventTimeTimer: (time: number) => {
      const ks = this.currentKeyState!;
      this.eventTimers.add(this.timerId(ks, this.currentEntry!.window), ks.key, this.currentEntry!.window.id, time);
    },
    registerProcessingTimeTimer: (time: number) => {
      const ks = this.currentKeyState!;
      this.processingTimers.add(this.timerId(ks, this.currentEntry!.window), ks.key, this.currentEntry!.window.id, time);
    },
    deleteEventTimeTimer: (time: number) => this.eventTimers.delete(this.timerId(this.currentKeyState!, this.currentEntry!.window), time),
    deleteProcessingTimeTimer: (time: number) => this.processingTimers.delete(this.timerId(this.currentKeyState!, this.currentEntry!.window), time),
    getPartitionedState: (<T>(d: StateDescriptor<T>) => this.entryState(d)) as OnMergeContext['getPartitionedState'],
    mergePartitionedState: <T>(d: ReducingStateDescriptor<T>) => {
      const target = this.currentEntry!;
      let merged: T | undefined = target.state?.get(d.name) as T | undefined;
      for (const e of this.mergedEntries) {
        const v = e.state?.get(d.name) as T | undefined;
        if (v !== undefined) merged = merged === undefined ? v : this.storedInState(d.reduceFunction(merged, v), d.name);
      }
      if (merged !== undefined) (target.state ??= new Map()).set(d.name, merged);
    },
  };

  private readonly windowStateStore: KeyedStateStore = {
    getState: <T>(d: ValueStateDescriptor<T>) => this.entryState(d) as ValueState<T>,
    getListState: <T>(d: ListStateDescriptor<T>) => this.entryState(d) as ListState<T>,
  };

  private readonly globalStateStore: KeyedStateStore = {
    getState: <T>(d: ValueStateDescriptor<T>) => this.keyedBackend!.getValueState(d),
    getListState: <T>(d: ListStateDescriptor<T>) => this.keyedBackend!.getListState(d),
  };

  private readonly processContext: ProcessWindowContext<W> = {
    window: () => this.currentEntry!.window,
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    currentWatermark: () => this.inputWatermark,
    windowState: () => this.windowStateStore,
    globalState: () => this.globalStateStore,
    output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.outTimestamp),
  };

  /** Windows currently held, over all keys (for tests and metrics). */
  numWindows(): number {
    let n = 0;
    for (const ks of this.perKey.values()) n += ks.windows.size;
    return n;
  }
}
