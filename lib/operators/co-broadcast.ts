/**
 * A stream connected to a broadcast stream (Flink's CoBroadcastWithNonKeyedOperator and
 * CoBroadcastWithKeyedOperator). The broadcast state is operator state of the task's state layer
 * (`getOperatorStateBackend().getBroadcastState(descriptor)`), one map per descriptor declared in
 * `broadcast(...descriptors)`, the same on every subtask: read-only in processElement, writable in
 * processBroadcastElement. Both inputs arrive as one tagged union: input 1 is the stream, input 2 the
 * broadcast stream. On a keyed stream, keyed state and timers are the keyed backend's; a broadcast
 * record has no key (it is processed under BROADCAST_KEY) and reaches keyed state only through
 * `applyToKeyedState` (Flink's applyToKeyedState over the backend's keys).
 */
import { AbstractUdfStreamOperator } from './abstract-stream-operator.ts';
import { AsyncFunctionResultError, isThenable } from '../core/errors.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { MapStateDescriptor, StateDescriptor } from '../core/state/state-descriptor.ts';
import type { BroadcastState, ReadOnlyBroadcastState, State } from '../core/state/state.ts';
import { NO_TIMESTAMP } from '../runtime/elements.ts';
import { VOID_NAMESPACE, type VoidNamespace } from '../state/namespace.ts';
import type { InternalTimer, InternalTimerService, TimeDomain, Triggerable } from '../state/timers/internal-timer-service.ts';
import type { OnTimerContext, TimerService } from './keyed-process.ts';
import type { Tagged } from './tagged-union.ts';

/**
 * The key a broadcast record is processed under on a keyed broadcast stream: not null, which no key
 * may be, and no key of a record either (a string could be one: its state would be the broadcast's).
 */
export const BROADCAST_KEY = Symbol('broadcast');

interface BaseBroadcastContext {
  /** Event timestamp of the current record (or of the firing event-time timer); null when none. */
  timestamp(): number | null;
  currentProcessingTime(): number;
  /** The operator's current event time (input watermark); -Infinity before the first watermark. */
  currentWatermark(): number;
  /** Emits to a side output, read with `getSideOutput(tag)`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}
/** What processElement sees: the broadcast state, read-only (Flink's ReadOnlyContext). */
export interface BroadcastReadOnlyContext extends BaseBroadcastContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}
/** What processBroadcastElement sees: the broadcast state, writable (Flink's Context). */
export interface BroadcastContext extends BaseBroadcastContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}
export interface KeyedBroadcastReadOnlyContext<K> extends BroadcastReadOnlyContext {
  getCurrentKey(): K;
  timerService(): TimerService;
}
export interface KeyedBroadcastContext extends BroadcastContext {
  /**
   * Runs `fn` for every key that has state under the descriptor (or the registered state of that
   * name), with that key current (Flink's applyToKeyedState).
   */
  applyToKeyedState<S>(state: string | StateDescriptor<unknown>, fn: (key: unknown, state: S) => void): void;
}
/** What onTimer of a KeyedBroadcastProcessFunction sees (Flink's OnTimerContext: a ReadOnlyContext). */
export interface KeyedBroadcastOnTimerContext<K> extends KeyedBroadcastReadOnlyContext<K>, OnTimerContext<K> {}

/** The user function of a non-keyed broadcast connection (BroadcastProcessFunction, or a plain object). */
export interface BroadcastFunction<IN1, IN2, OUT> {
  processElement(value: IN1, ctx: BroadcastReadOnlyContext, out: Collector<OUT>): unknown;
  processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): unknown;
}
/** The user function of a keyed broadcast connection (KeyedBroadcastProcessFunction, or a plain object). */
export interface KeyedBroadcastFunction<K, IN1, IN2, OUT> {
  processElement(value: IN1, ctx: KeyedBroadcastReadOnlyContext<K>, out: Collector<OUT>): unknown;
  processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext, out: Collector<OUT>): unknown;
  /** Optional in a plain object. */
  onTimer?(timestamp: number, ctx: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>): unknown;
}

const refuseWrite = (): never => {
  throw new Error('Broadcast state is read-only in processElement(); change it in processBroadcastElement()');
};

/** A read-only view of a broadcast state; its writing methods throw (a cast must not get around it). */
function readOnlyView<K, V>(state: BroadcastState<K, V>): BroadcastState<K, V> {
  return {
    get: (k) => state.get(k),
    contains: (k) => state.contains(k),
    entries: () => state.entries(),
    keys: () => state.keys(),
    values: () => state.values(),
    put: refuseWrite,
    remove: refuseWrite,
    clear: refuseWrite,
  };
}

type StateViews = [readOnly: BroadcastState<unknown, unknown>, writable: BroadcastState<unknown, unknown>];

/** What both broadcast operators share: the declared broadcast states, the collector, the base contexts. */
abstract class AbstractBroadcastOperator<OUT, F> extends AbstractUdfStreamOperator<OUT, F> {
  protected ts = NO_TIMESTAMP;
  /** What ctx.timestamp() returns and side outputs carry: the record's timestamp, or the firing timer's (both domains, as Flink). */
  protected contextTs = NO_TIMESTAMP;
  /** Views of each declared broadcast state by name, over the operator state backend's states (made in open). */
  private readonly views = new Map<string, StateViews>();
  protected readonly collector: Collector<OUT> = { collect: (record: OUT) => this.output.collect(record, this.ts) };

  constructor(
    fn: F,
    private readonly descriptors: ReadonlyArray<MapStateDescriptor<unknown, unknown>>,
    functionName: string,
  ) {
    super(fn);
    const f = this.userFunction as Partial<Record<string, unknown>>;
    for (const m of ['processElement', 'processBroadcastElement']) {
      if (f === null || typeof f !== 'object' || typeof f[m] !== 'function') throw new TypeError(`A ${functionName} must be an object with processElement() and processBroadcastElement() methods`);
    }
  }

  /** Registers every declared broadcast state with the operator state backend (restored, when the task was). */
  override open(): void {
    const backend = this.getOperatorStateBackend();
    for (const d of this.descriptors) {
      const state = backend.getBroadcastState(d);
      this.views.set(d.name, [readOnlyView(state), state]);
    }
    super.open();
  }

  private broadcastState<K, V>(d: MapStateDescriptor<K, V>, writable: boolean): BroadcastState<K, V> {
    const views = this.views.get(d.name);
    if (views === undefined) throw new Error(`The broadcast state '${d.name}' was not declared in broadcast(...descriptors)`);
    return views[writable ? 1 : 0] as BroadcastState<K, V>;
  }

  /** The context methods both functions' contexts have; built once per operator, never per record. */
  protected baseContext(writable: boolean): BaseBroadcastContext & { getBroadcastState<K, V>(d: MapStateDescriptor<K, V>): BroadcastState<K, V> } {
    return {
      timestamp: () => (this.contextTs === NO_TIMESTAMP ? null : this.contextTs),
      currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
      currentWatermark: () => this.inputWatermark,
      output: <X>(tag: OutputTag<X>, value: X) => this.emitSide(tag as OutputTag<unknown>, value, this.contextTs),
      getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => this.broadcastState(d, writable),
    };
  }
}

/** Runs a BroadcastProcessFunction (Flink's CoBroadcastWithNonKeyedOperator). */
export class CoBroadcastWithNonKeyedOperator<IN1, IN2, OUT> extends AbstractBroadcastOperator<OUT, BroadcastFunction<IN1, IN2, OUT>> {
  private readonly readOnlyContext: BroadcastReadOnlyContext = this.baseContext(false);
  private readonly context: BroadcastContext = this.baseContext(true);

  constructor(fn: BroadcastFunction<IN1, IN2, OUT>, descriptors: ReadonlyArray<MapStateDescriptor<unknown, unknown>>) {
    super(fn, descriptors, 'BroadcastProcessFunction');
  }

  processElement(value: unknown, timestamp: number): void {
    const t = value as Tagged;
    this.ts = this.contextTs = timestamp;
    const fn = this.userFunction;
    if (t.i === 1) {
      if (isThenable(fn.processElement(t.v as IN1, this.readOnlyContext, this.collector))) throw new AsyncFunctionResultError('BroadcastProcessFunction.processElement()');
    } else if (isThenable(fn.processBroadcastElement(t.v as IN2, this.context, this.collector))) {
      throw new AsyncFunctionResultError('BroadcastProcessFunction.processBroadcastElement()');
    }
  }
}

/** Runs a KeyedBroadcastProcessFunction (Flink's CoBroadcastWithKeyedOperator): keyed state and timers per key. */
export class CoBroadcastWithKeyedOperator<K, IN1, IN2, OUT>
  extends AbstractBroadcastOperator<OUT, KeyedBroadcastFunction<K, IN1, IN2, OUT>>
  implements Triggerable<unknown, VoidNamespace>
{
  private timers!: InternalTimerService<VoidNamespace>;
  private domain: TimeDomain = 'EVENT_TIME';
  private readonly timerService: TimerService = {
    currentProcessingTime: () => this.parameters.processingTimeService.getCurrentProcessingTime(),
    currentWatermark: () => this.inputWatermark,
    registerEventTimeTimer: (t) => this.timers.registerEventTimeTimer(VOID_NAMESPACE, t),
    registerProcessingTimeTimer: (t) => this.timers.registerProcessingTimeTimer(VOID_NAMESPACE, t),
    deleteEventTimeTimer: (t) => this.timers.deleteEventTimeTimer(VOID_NAMESPACE, t),
    deleteProcessingTimeTimer: (t) => this.timers.deleteProcessingTimeTimer(VOID_NAMESPACE, t),
  };
  /** processElement's context, also onTimer's (Flink's OnTimerContext is a ReadOnlyContext). */
  private readonly readOnlyContext: KeyedBroadcastOnTimerContext<K> = Object.assign(this.baseContext(false), {
    getCurrentKey: () => this.keyedBackend!.currentKey as K,
    timerService: () => this.timerService,
    timeDomain: () => this.domain,
  });
  private readonly context: KeyedBroadcastContext = Object.assign(this.baseContext(true), {
    applyToKeyedState: <S>(state: string | StateDescriptor<unknown>, fn: (key: unknown, state: S) => void) => this.applyToKeyedState(state, fn),
  });

  constructor(fn: KeyedBroadcastFunction<K, IN1, IN2, OUT>, descriptors: ReadonlyArray<MapStateDescriptor<unknown, unknown>>) {
    super(fn, descriptors, 'KeyedBroadcastProcessFunction');
  }

  override open(): void {
    if (this.keyedBackend === undefined) throw new Error('A KeyedBroadcastProcessFunction needs a keyed stream: keyBy() before connect()');
    super.open();
    this.timers = this.getInternalTimerService('user-timers', this);
  }

  processElement(value: unknown, timestamp: number): void {
    const t = value as Tagged;
    this.ts = this.contextTs = timestamp;
    const fn = this.userFunction;
    if (t.i === 1) {
      if (isThenable(fn.processElement(t.v as IN1, this.readOnlyContext, this.collector))) throw new AsyncFunctionResultError('BroadcastProcessFunction.processElement()');
    } else {
      if (isThenable(fn.processBroadcastElement(t.v as IN2, this.context, this.collector))) throw new AsyncFunctionResultError('BroadcastProcessFunction.processBroadcastElement()');
      // A broadcast record has no key (Flink: "No key set"): keyed state it wrote would belong to no key
      // and show up as a key of its own in applyToKeyedState.
      if (this.keyedBackend!.hasState(BROADCAST_KEY)) {
        throw new Error(
          'processBroadcastElement() wrote keyed state, but a broadcast record has no key: change the keyed state of every key with ctx.applyToKeyedState(name, (key, state) => ...)',
        );
      }
    }
  }

  /**
   * With a descriptor: the backend's applyToAllKeys (the state is registered, so restored state is
   * found). With a name: the registered state of that name; a name no state was registered under
   * has no keys, unless the state was restored and not registered again yet — then only its
   * descriptor can find it, and visiting no key would silently skip every key.
   */
  private applyToKeyedState<S>(state: string | StateDescriptor<unknown>, fn: (key: unknown, state: S) => void): void {
    const backend = this.keyedBackend!;
    if (typeof state !== 'string') {
      backend.applyToAllKeys<S & State>(VOID_NAMESPACE, state, fn);
      return;
    }
    if (!backend.stateNames().includes(state)) {
      if (backend.isRestoredState(state)) {
        throw new TypeError(
          `applyToKeyedState('${state}'): the state was restored but is not registered yet; pass its descriptor (ctx.applyToKeyedState(descriptor, fn)) or get the state in open()`,
        );
      }
      return;
    }
    const kv = backend.stateByName(state);
    const before = backend.currentKey;
    try {
      for (const key of backend.getKeys(state)) {
        backend.setCurrentKey(key);
        kv.setCurrentNamespace(VOID_NAMESPACE);
        fn(key, kv as unknown as S);
      }
    } finally {
      backend.setCurrentKey(before);
    }
  }

  onEventTime(timer: InternalTimer<unknown, VoidNamespace>): void {
    this.fireTimer(timer.timestamp, 'EVENT_TIME');
  }

  onProcessingTime(timer: InternalTimer<unknown, VoidNamespace>): void {
    this.fireTimer(timer.timestamp, 'PROCESSING_TIME');
  }

  /** The timer service has set the timer's key as the current key. */
  private fireTimer(time: number, domain: TimeDomain): void {
    this.domain = domain;
    // As a KeyedProcessFunction's: event-time timer output carries the timer's time; processing-time output has none.
    this.ts = domain === 'EVENT_TIME' ? time : NO_TIMESTAMP;
    this.contextTs = time;
    const fn = this.userFunction;
    if (typeof fn.onTimer !== 'function') return; // optional in a plain object
    if (isThenable(fn.onTimer(time, this.readOnlyContext, this.collector))) throw new AsyncFunctionResultError('KeyedBroadcastProcessFunction.onTimer()');
  }
}
