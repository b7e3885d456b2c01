/**
 * Two streams processed by one function (Flink's ConnectedStreams), and a stream connected to a
 * broadcast stream (BroadcastConnectedStream) with broadcast state.
 *
 * Both inputs travel as one union of tagged records, as Flink's own window joins do (TaggedUnion):
 * the input watermark is then the minimum over both inputs' channels, exactly as for a two-input
 * operator, and keyed state and timers are shared by both inputs of a key.
 * ```ts
 * orders.connect(payments)
 *   .keyBy((o) => o.id, (p) => p.orderId)
 *   .process(new MatchOrderAndPayment());
 * ```
 */
import { AbstractRichFunction, type OpenContext, type RichFunction } from '../core/functions/rich-function.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { RuntimeContext } from '../core/functions/runtime-context.ts';
import { DataStream, KeyedStream, type SingleOutputStreamOperator } from './datastream.ts';
import { ProcessFunction, type ProcessContext } from '../operators/process.ts';
import { KeyedProcessFunction, type KeyedProcessContext, type OnTimerContext } from '../operators/keyed-process.ts';
import type { MapStateDescriptor } from '../core/state/state-descriptor.ts';
import type { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts';
import { AsyncFunctionResultError, isAsyncFunction, isThenable } from '../core/errors.ts';
import type { BroadcastState, ReadOnlyBroadcastState } from '../core/state/state.ts';

/** A two-input function called synchronously returned a Promise (it is async): its output would come after its record. */
function notAsync(result: unknown, functionName: string): void {
  if (isThenable(result)) throw new AsyncFunctionResultError(functionName);
}

/** A record of a connected pair of streams: which input (1 or 2) and its value. */
export interface Tagged {
  readonly i: 1 | 2;
  readonly v: unknown;
}

export interface CoMapFunction<IN1, IN2, OUT> {
  map1(value: IN1): OUT;
  map2(value: IN2): OUT;
}
export interface CoFlatMapFunction<IN1, IN2, OUT> {
  flatMap1(value: IN1, out: Collector<OUT>): void;
  flatMap2(value: IN2, out: Collector<OUT>): void;
}

/** Two inputs, one function, shared (operator) state (Flink's CoProcessFunction). */
export abstract class CoProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: ProcessContext, out: Collector<OUT>): void;
  abstract processElement2(value: IN2, ctx: ProcessContext, out: Collector<OUT>): void;
}

/** Two keyed inputs sharing keyed state and timers per key (Flink's KeyedCoProcessFunction). */
export abstract class KeyedCoProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  abstract processElement2(value: IN2, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<OUT>): void {}
}

/** Opens and closes the user's function with the adapter (per subtask: `this` is the subtask's copy). */
function openUser(adapter: AbstractRichFunction, user: unknown, ctx: OpenContext): void {
  const rich = user as RichFunction;
  rich.setRuntimeContext?.(adapter.getRuntimeContext());
  rich.open?.(ctx);
}
function closeUser(user: unknown): void {
  (user as RichFunction).close?.();
}

class CoProcessAdapter<IN1, IN2, OUT> extends ProcessFunction<Tagged, OUT> {
  constructor(private readonly fn: CoProcessFunction<IN1, IN2, OUT>) {
    super();
  }
  override open(ctx: OpenContext): void {
    openUser(this, this.fn, ctx);
  }
  override close(): void {
    closeUser(this.fn);
  }
  processElement(t: Tagged, ctx: ProcessContext, out: Collector<OUT>): void {
    if (t.i === 1) notAsync(this.fn.processElement1(t.v as IN1, ctx, out), 'CoProcessFunction.processElement1()');
    else notAsync(this.fn.processElement2(t.v as IN2, ctx, out), 'CoProcessFunction.processElement2()');
  }
}

class KeyedCoProcessAdapter<K, IN1, IN2, OUT> extends KeyedProcessFunction<K, Tagged, OUT> {
  constructor(private readonly fn: KeyedCoProcessFunction<K, IN1, IN2, OUT>) {
    super();
  }
  override open(ctx: OpenContext): void {
    openUser(this, this.fn, ctx);
  }
  override close(): void {
    closeUser(this.fn);
  }
  processElement(t: Tagged, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void {
    if (t.i === 1) notAsync(this.fn.processElement1(t.v as IN1, ctx, out), 'CoProcessFunction.processElement1()');
    else notAsync(this.fn.processElement2(t.v as IN2, ctx, out), 'CoProcessFunction.processElement2()');
  }
  override onTimer(ts: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void {
    return this.fn.onTimer?.(ts, ctx, out); // optional in a plain object; a Promise (async) is refused by the operator
  }
}

function tag<T>(stream: DataStream<T>, i: 1 | 2): DataStream<Tagged> {
  return stream.map((v: T): Tagged => ({ i, v })).name(`Tag input ${i}`);
}

/** @internal Both inputs as one tagged union, keyed by each input's own key selector (connect, joins). */
export function keyedTaggedUnion<A, B, K>(first: DataStream<A>, second: DataStream<B>, k1: (a: A) => K, k2: (b: B) => K): KeyedStream<Tagged, K> {
  return tag(first, 1)
    .union(tag(second, 2))
    .keyBy((t: Tagged) => (t.i === 1 ? k1(t.v as A) : k2(t.v as B)));
}

/**
 * The key a broadcast record is processed under on a keyed broadcast stream: not null, which no key
 * may be, and no key of a record either (a string could be one: its state would be the broadcast's).
 */
const BROADCAST_KEY = Symbol('broadcast');

/**
 * @internal A keyed stream and a broadcast side (already tagged 2 and broadcast) as one keyed tagged
 * stream: the keyed side partitioned by its key, broadcast records reaching every subtask (their key
 * is unused). Serves keyed broadcast functions and CEP's dynamic patterns.
 */
export function keyedBroadcastUnion<IN1, K>(input: KeyedStream<IN1, K>, side: DataStream<Tagged>): KeyedStream<Tagged, unknown> {
  const keySelector = input.getKeySelector();
  const union = tag(input, 1)
    .keyBy((t: Tagged) => keySelector(t.v as IN1))
    .union(side);
  return new KeyedStream<Tagged, unknown>(union.getExecutionEnvironment(), union.transformation, (t: Tagged) => (t.i === 1 ? keySelector(t.v as IN1) : BROADCAST_KEY));
}

export class ConnectedStreams<IN1, IN2> {
  constructor(
    private readonly first: DataStream<IN1>,
    private readonly second: DataStream<IN2>,
    private readonly keys?: [(v: IN1) => unknown, (v: IN2) => unknown],
  ) {}

  /** Partitions both inputs by key so that equal keys of either input meet in one subtask. */
  keyBy<K>(key1: (value: IN1) => K, key2: (value: IN2) => K): ConnectedStreams<IN1, IN2> {
    return new ConnectedStreams(this.first, this.second, [key1, key2]);
  }

  private tagged(): DataStream<Tagged> {
    return tag(this.first, 1).union(tag(this.second, 2));
  }

  private keyedTagged(): KeyedStream<Tagged, unknown> {
    const [k1, k2] = this.keys!;
    return keyedTaggedUnion(this.first, this.second, k1, k2);
  }

  /** One output per input record, by the input it came from. */
  map<OUT>(fn: CoMapFunction<IN1, IN2, OUT>): SingleOutputStreamOperator<OUT> {
    // As map(): an async map1 / map2 would send Promises on as records; known now, no cost per record.
    for (const name of ['map1', 'map2'] as const) if (isAsyncFunction(fn[name])) throw new AsyncFunctionResultError(`CoMapFunction.${name}()`);
    const src = this.keys ? this.keyedTagged() : this.tagged();
    return src.map((t: Tagged) => (t.i === 1 ? fn.map1(t.v as IN1) : fn.map2(t.v as IN2))).name('Co-Map');
  }

  flatMap<OUT>(fn: CoFlatMapFunction<IN1, IN2, OUT>): SingleOutputStreamOperator<OUT> {
    const src = this.keys ? this.keyedTagged() : this.tagged();
    return src
      .flatMap((t: Tagged, out: Collector<OUT>): void => {
        // CoFlatMap functions emit through `out` only (their return value is ignored, as in Flink).
        if (t.i === 1) notAsync(fn.flatMap1(t.v as IN1, out), 'CoFlatMapFunction.flatMap1()');
        else notAsync(fn.flatMap2(t.v as IN2, out), 'CoFlatMapFunction.flatMap2()');
      })
      .name('Co-Flat Map');
  }

  /** A CoProcessFunction, or on keyed connected streams a KeyedCoProcessFunction (keyed state, timers). */
  process<OUT, K = unknown>(fn: CoProcessFunction<IN1, IN2, OUT> | KeyedCoProcessFunction<K, IN1, IN2, OUT>): SingleOutputStreamOperator<OUT> {
    if (fn instanceof KeyedCoProcessFunction) {
      if (!this.keys) throw new Error('A KeyedCoProcessFunction needs keyed connected streams: call keyBy(key1, key2) first');
    }
    // A plain function object (not an instance of either class) on keyed connected streams is a keyed one.
    if (this.keys && !(fn instanceof CoProcessFunction)) {
      return this.keyedTagged().process(new KeyedCoProcessAdapter<K, IN1, IN2, OUT>(fn as KeyedCoProcessFunction<K, IN1, IN2, OUT>)).name('KeyedCo-Process');
    }
    const src = this.keys ? this.keyedTagged() : this.tagged();
    return src.process(new CoProcessAdapter<IN1, IN2, OUT>(fn as CoProcessFunction<IN1, IN2, OUT>)).name('Co-Process');
  }
}

// ---- broadcast state ---------------------------------------------------------------------------------

export type { BroadcastState, ReadOnlyBroadcastState } from '../core/state/state.ts';

export interface BroadcastReadOnlyContext {
  timestamp(): number | null;
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}
export interface BroadcastContext {
  timestamp(): number | null;
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}
export interface KeyedBroadcastReadOnlyContext<K> extends BroadcastReadOnlyContext {
  getCurrentKey(): K;
  timerService(): KeyedProcessContext<K> extends { timerService(): infer S } ? S : never;
}
export interface KeyedBroadcastContext extends BroadcastContext {
  /** Runs `fn` for every key that has state under the descriptor's name (as Flink's applyToKeyedState). */
  applyToKeyedState<S>(stateName: string, fn: (key: unknown, state: S) => void): void;
}

/** Non-keyed stream + broadcast stream (Flink's BroadcastProcessFunction). */
export abstract class BroadcastProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: BroadcastReadOnlyContext, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
}

/** Keyed stream + broadcast stream (Flink's KeyedBroadcastProcessFunction). */
export abstract class KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: KeyedBroadcastReadOnlyContext<K>, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext<K>, _out: Collector<OUT>): void {}
}

class BroadcastStates {
  private readonly maps = new Map<string, Map<unknown, unknown>>();
  constructor(private readonly allowed: ReadonlyArray<MapStateDescriptor<unknown, unknown>>) {}
  private readonly readViews = new Map<string, BroadcastState<unknown, unknown>>();
  private readonly writeViews = new Map<string, BroadcastState<unknown, unknown>>();

  /** The state view for a descriptor (one object per name and access mode, made on first use). */
  get<K, V>(d: MapStateDescriptor<K, V>, writable: boolean): BroadcastState<K, V> {
    const views = writable ? this.writeViews : this.readViews;
    let view = views.get(d.name);
    if (view === undefined) views.set(d.name, (view = this.makeView(d, writable) as BroadcastState<unknown, unknown>));
    return view as BroadcastState<K, V>;
  }

  private makeView<K, V>(d: MapStateDescriptor<K, V>, writable: boolean): BroadcastState<K, V> {
    if (!this.allowed.some((a) => a.name === d.name)) {
      throw new Error(`The broadcast state '${d.name}' was not declared in broadcast(...descriptors)`);
    }
    let m = this.maps.get(d.name);
    if (m === undefined) this.maps.set(d.name, (m = new Map()));
    const map = m as Map<K, V>;
    const refuse = (): never => {
      throw new Error('Broadcast state is read-only in processElement(); change it in processBroadcastElement()');
    };
    return {
      get: (k) => map.get(k),
      contains: (k) => map.has(k),
      entries: () => map.entries(),
      keys: () => map.keys(),
      values: () => map.values(),
      put: writable ? (k, v) => void map.set(k, v) : refuse,
      remove: writable ? (k) => void map.delete(k) : refuse,
      clear: writable ? () => map.clear() : refuse,
    };
  }
}

/** A stream whose every record reaches every parallel instance, with the broadcast state it feeds. */
export class BroadcastStream<T> {
  constructor(
    /** @internal */ readonly stream: DataStream<T>,
    /** @internal */ readonly descriptors: ReadonlyArray<MapStateDescriptor<unknown, unknown>>,
  ) {}
}

/** The two contexts of a broadcast function, built once per subtask (in open) over the current record's context. */
function broadcastContexts(states: BroadcastStates, current: () => { timestamp(): number | null }): [BroadcastReadOnlyContext, BroadcastContext] {
  return [
    { timestamp: () => current().timestamp(), getBroadcastState: (d) => states.get(d, false) },
    { timestamp: () => current().timestamp(), getBroadcastState: (d) => states.get(d, true) },
  ];
}

class BroadcastAdapter<IN1, IN2, OUT> extends ProcessFunction<Tagged, OUT> {
  private states: BroadcastStates;
  private current!: ProcessContext;
  private readOnly!: BroadcastReadOnlyContext;
  private writable!: BroadcastContext;
  constructor(
    private readonly fn: BroadcastProcessFunction<IN1, IN2, OUT>,
    descriptors: ReadonlyArray<MapStateDescriptor<unknown, unknown>>,
  ) {
    super();
    this.states = new BroadcastStates(descriptors);
  }
  override open(ctx: OpenContext): void {
    [this.readOnly, this.writable] = broadcastContexts(this.states, () => this.current);
    openUser(this, this.fn, ctx);
  }
  override close(): void {
    closeUser(this.fn);
  }
  processElement(t: Tagged, ctx: ProcessContext, out: Collector<OUT>): void {
    this.current = ctx;
    if (t.i === 1) notAsync(this.fn.processElement(t.v as IN1, this.readOnly, out), 'BroadcastProcessFunction.processElement()');
    else notAsync(this.fn.processBroadcastElement(t.v as IN2, this.writable, out), 'BroadcastProcessFunction.processBroadcastElement()');
  }
}

class KeyedBroadcastAdapter<K, IN1, IN2, OUT> extends KeyedProcessFunction<K, Tagged, OUT> {
  private states: BroadcastStates;
  private current!: KeyedProcessContext<K>;
  private readOnly!: KeyedBroadcastReadOnlyContext<K>;
  private writable!: KeyedBroadcastContext;
  constructor(
    private readonly fn: KeyedBroadcastProcessFunction<K, IN1, IN2, OUT>,
    descriptors: ReadonlyArray<MapStateDescriptor<unknown, unknown>>,
  ) {
    super();
    this.states = new BroadcastStates(descriptors);
  }
  /** This subtask's keyed state backend, from the runtime context of the keyed operator. */
  private backend(): HeapKeyedStateBackend {
    return (this.getRuntimeContext() as RuntimeContext & { keyedStateBackend(): HeapKeyedStateBackend }).keyedStateBackend();
  }
  override open(ctx: OpenContext): void {
    const [readOnly, writable] = broadcastContexts(this.states, () => this.current);
    this.readOnly = { ...readOnly, getCurrentKey: () => this.current.getCurrentKey(), timerService: () => this.current.timerService() };
    this.writable = {
      ...writable,
      applyToKeyedState: <S>(name: string, apply: (key: unknown, state: S) => void) => {
        const backend = this.backend();
        const saved = backend.getCurrentKey();
        try {
          for (const key of backend.keys(name)) {
            backend.setCurrentKey(key);
            apply(key, backend.stateByName(name) as S);
          }
        } finally {
          backend.setCurrentKey(saved);
        }
      },
    };
    openUser(this, this.fn, ctx);
  }
  override close(): void {
    closeUser(this.fn);
  }
  processElement(t: Tagged, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void {
    this.current = ctx;
    if (t.i === 1) notAsync(this.fn.processElement(t.v as IN1, this.readOnly, out), 'BroadcastProcessFunction.processElement()');
    else {
      notAsync(this.fn.processBroadcastElement(t.v as IN2, this.writable, out), 'BroadcastProcessFunction.processBroadcastElement()');
      // A broadcast record has no key (Flink: "No key set"): keyed state it wrote would belong to no key
      // and show up as a key of its own in applyToKeyedState.
      if (this.backend().hasState(BROADCAST_KEY)) {
        throw new Error(
          'processBroadcastElement() wrote keyed state, but a broadcast record has no key: change the keyed state of every key with ctx.applyToKeyedState(name, (key, state) => ...)',
        );
      }
    }
  }
  override onTimer(ts: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void {
    return this.fn.onTimer?.(ts, ctx, out); // optional in a plain object; a Promise (async) is refused by the operator
  }
}

/** A (keyed or non-keyed) stream connected to a broadcast stream. */
export class BroadcastConnectedStream<IN1, IN2> {
  constructor(
    private readonly input: DataStream<IN1>,
    private readonly broadcast: BroadcastStream<IN2>,
  ) {}

  process<OUT, K = unknown>(
    fn: BroadcastProcessFunction<IN1, IN2, OUT> | KeyedBroadcastProcessFunction<K, IN1, IN2, OUT>,
  ): SingleOutputStreamOperator<OUT> {
    const side = tag(this.broadcast.stream, 2).broadcast();
    // A plain function object (not an instance of either class) on a keyed stream is a keyed one.
    if (fn instanceof KeyedBroadcastProcessFunction || (this.input instanceof KeyedStream && !(fn instanceof BroadcastProcessFunction))) {
      if (!(this.input instanceof KeyedStream)) throw new Error('A KeyedBroadcastProcessFunction needs a keyed stream: keyBy() before connect()');
      const keyedFn = fn as KeyedBroadcastProcessFunction<K, IN1, IN2, OUT>;
      return keyedBroadcastUnion(this.input as KeyedStream<IN1, K>, side).process(new KeyedBroadcastAdapter<K, IN1, IN2, OUT>(keyedFn, this.broadcast.descriptors)).name('Co-Process-Broadcast-Keyed');
    }
    return tag(this.input, 1)
      .union(side)
      .process(new BroadcastAdapter<IN1, IN2, OUT>(fn as BroadcastProcessFunction<IN1, IN2, OUT>, this.broadcast.descriptors))
      .name('Co-Process-Broadcast');
  }
}

