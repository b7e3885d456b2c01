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
import type { DataStream, KeyedStream, SingleOutputStreamOperator } from './datastream.ts';
import { ProcessFunction, type ProcessContext } from '../operators/process.ts';
import { KeyedProcessFunction, type KeyedProcessContext, type OnTimerContext } from '../operators/keyed-process.ts';
import type { MapStateDescriptor } from '../core/state/state-descriptor.ts';
import { AsyncFunctionResultError, isAsyncFunction, isThenable } from '../core/errors.ts';
import type { Tagged } from '../operators/tagged-union.ts';
import type { OneInputTransformation } from '../runtime/graph/transformation.ts';
import {
  BROADCAST_KEY,
  CoBroadcastWithKeyedOperator,
  CoBroadcastWithNonKeyedOperator,
  type BroadcastContext,
  type BroadcastFunction,
  type BroadcastReadOnlyContext,
  type KeyedBroadcastContext,
  type KeyedBroadcastFunction,
  type KeyedBroadcastOnTimerContext,
  type KeyedBroadcastReadOnlyContext,
} from '../operators/co-broadcast.ts';

/** A two-input function called synchronously returned a Promise (it is async): its output would come after its record. */
function notAsync(result: unknown, functionName: string): void {
  if (isThenable(result)) throw new AsyncFunctionResultError(functionName);
}

export type { Tagged } from '../operators/tagged-union.ts';

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
  const tagged = stream.map((v: T): Tagged => ({ i, v })).name(`Tag input ${i}`);
  (tagged.transformation as OneInputTransformation).tagsInput = i;
  return tagged;
}

/** @internal Both inputs as one tagged union, keyed by each input's own key selector (connect, joins). */
export function keyedTaggedUnion<A, B, K>(first: DataStream<A>, second: DataStream<B>, k1: (a: A) => K, k2: (b: B) => K): KeyedStream<Tagged, K> {
  return tag(first, 1)
    .union(tag(second, 2))
    .keyBy((t: Tagged) => (t.i === 1 ? k1(t.v as A) : k2(t.v as B)));
}

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
  return union.keyedWithoutPartitioning<unknown>((t: Tagged) => (t.i === 1 ? keySelector(t.v as IN1) : BROADCAST_KEY));
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
export type {
  BroadcastContext,
  BroadcastReadOnlyContext,
  KeyedBroadcastContext,
  KeyedBroadcastOnTimerContext,
  KeyedBroadcastReadOnlyContext,
} from '../operators/co-broadcast.ts';

/** Non-keyed stream + broadcast stream (Flink's BroadcastProcessFunction). */
export abstract class BroadcastProcessFunction<IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: BroadcastReadOnlyContext, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
}

/** Keyed stream + broadcast stream (Flink's KeyedBroadcastProcessFunction). */
export abstract class KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: KeyedBroadcastReadOnlyContext<K>, out: Collector<OUT>): void;
  abstract processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext, out: Collector<OUT>): void;
  onTimer(_timestamp: number, _ctx: KeyedBroadcastOnTimerContext<K>, _out: Collector<OUT>): void {}
}

/** A stream whose every record reaches every parallel instance, with the broadcast state it feeds. */
export class BroadcastStream<T> {
  constructor(
    /** @internal */ readonly stream: DataStream<T>,
    /** @internal */ readonly descriptors: ReadonlyArray<MapStateDescriptor<unknown, unknown>>,
  ) {}
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
    const descriptors = this.broadcast.descriptors;
    // A plain function object (not an instance of either class) on a keyed stream is a keyed one.
    if (fn instanceof KeyedBroadcastProcessFunction || (this.input.isKeyedStream() && !(fn instanceof BroadcastProcessFunction))) {
      if (!this.input.isKeyedStream()) throw new Error('A KeyedBroadcastProcessFunction needs a keyed stream: keyBy() before connect()');
      const keyedFn = fn as KeyedBroadcastFunction<K, IN1, IN2, OUT>;
      return keyedBroadcastUnion(this.input as KeyedStream<IN1, K>, side).keyedOperator<OUT>(
        'Co-Process-Broadcast-Keyed',
        () => new CoBroadcastWithKeyedOperator<K, IN1, IN2, OUT>(keyedFn, descriptors),
      );
    }
    const plainFn = fn as BroadcastFunction<IN1, IN2, OUT>;
    return tag(this.input, 1)
      .union(side)
      .transformWith<OUT>('Co-Process-Broadcast', () => new CoBroadcastWithNonKeyedOperator<IN1, IN2, OUT>(plainFn, descriptors), true);
  }
}
