/**
 * A keyed stream cut into windows (Flink's WindowedStream), and its non-keyed variant
 * (AllWindowedStream). Configure trigger, evictor and lateness, then give the window function.
 * ```ts
 * readings
 *   .keyBy((r) => r.sensor)
 *   .window(TumblingEventTimeWindows.of('1 min'))
 *   .allowedLateness('10 s')
 *   .sideOutputLateData(late)
 *   .aggregate(average);
 * ```
 */
import { AsyncFunctionResultError, isAsyncFunction } from '../core/errors.ts';
import type { AggregateFunction } from '../core/functions/aggregate-function.ts';
import type { ReduceFn } from '../core/functions/reduce-function.ts';
import { toCallable } from '../core/functions/function-utils.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { KeyedStream, SingleOutputStreamOperator } from './datastream.ts';
import { toMillis, type DurationLike } from '../core/duration.ts';
import type { WindowAssigner } from '../windowing/assigners/window-assigner.ts';
import type { Trigger } from '../windowing/triggers/trigger.ts';
import type { Evictor } from '../windowing/evictors/evictor.ts';
import type { Window } from '../windowing/windows.ts';
import {
  AllWindowFunctionAdapter,
  WindowFunctionAdapter,
  type AllWindowFunction,
  type ProcessAllWindowFunction,
  type ProcessWindowContext,
  type ProcessWindowFn,
  type WindowFunction,
} from '../windowing/process-window-function.ts';
import type { WindowFunctionSpec, WindowOperatorConfig } from '../windowing/abstract-window-operator.ts';
import { createWindowOperator } from '../windowing/window-operators.ts';
import { aggregationReducer, type AggregationType, type FieldRef } from '../operators/aggregations.ts';
import type { Collector } from '../core/functions/collector.ts';

export class WindowedStream<T, K, W extends Window> {
  private windowTrigger: Trigger<T, W> | undefined;
  private windowEvictor: Evictor<T, W> | undefined;
  private lateness = 0;
  private lateTag: OutputTag<T> | undefined;

  constructor(
    private readonly input: KeyedStream<T, K>,
    private readonly assigner: WindowAssigner<T, W>,
    /** @internal windowAll: the operator must run as one subtask. */
    private readonly nonParallel = false,
  ) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.windowTrigger = trigger;
    return this;
  }
  /** Removes elements before/after the window function runs (keeps all elements in the window). */
  evictor(evictor: Evictor<T, W>): this {
    this.windowEvictor = evictor;
    return this;
  }
  /** Keeps event-time windows this long after their end, so late elements update results (late firings). */
  allowedLateness(lateness: DurationLike): this {
    this.lateness = toMillis(lateness, 'allowed lateness');
    return this;
  }
  /** Elements later than the allowed lateness go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag;
    return this;
  }

  private build<OUT, ACC>(name: string, fn: WindowFunctionSpec<T, ACC, OUT, K, W>): SingleOutputStreamOperator<OUT> {
    const config: WindowOperatorConfig<T, ACC, OUT, K, W> = {
      assigner: this.assigner,
      trigger: this.windowTrigger ?? this.assigner.getDefaultTrigger(),
      evictor: this.windowEvictor,
      allowedLateness: this.lateness,
      lateDataTag: this.lateTag,
      fn,
    };
    const explicitTrigger = this.windowTrigger !== undefined;
    const op = this.input.keyedOperator<OUT>(name, () => createWindowOperator(config, explicitTrigger));
    if (this.nonParallel) op.setParallelism(1);
    return op;
  }

  /** Combines each window's elements with a reduce function, incrementally; optionally hands the result to a ProcessWindowFunction. */
  reduce(reducer: ReduceFn<T>): SingleOutputStreamOperator<T>;
  reduce<OUT>(reducer: ReduceFn<T>, process: ProcessWindowFn<T, OUT, K, W>): SingleOutputStreamOperator<OUT>;
  reduce<OUT>(reducer: ReduceFn<T>, process?: ProcessWindowFn<T, OUT, K, W>): SingleOutputStreamOperator<OUT | T> {
    const reduce = toCallable<(a: T, b: T) => T>(reducer, 'reduce', 'reduce()');
    // An async reduce would keep a Promise as the window's value; known now, no cost per record.
    if (isAsyncFunction(reduce)) throw new AsyncFunctionResultError('reduce()');
    return this.build<OUT | T, never>('Window(Reduce)', { kind: 'reduce', reduce, process: process as ProcessWindowFn<T, OUT | T, K, W> | undefined });
  }

  /** Aggregates each window with an accumulator, incrementally; optionally hands the result to a ProcessWindowFunction. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R>;
  aggregate<ACC, R, OUT>(fn: AggregateFunction<T, ACC, R>, process: ProcessWindowFn<R, OUT, K, W>): SingleOutputStreamOperator<OUT>;
  aggregate<ACC, R, OUT>(fn: AggregateFunction<T, ACC, R>, process?: ProcessWindowFn<R, OUT, K, W>): SingleOutputStreamOperator<R | OUT> {
    for (const m of ['createAccumulator', 'add', 'getResult', 'merge'] as const) {
      if (typeof fn[m] !== 'function') throw new TypeError(`aggregate() needs an AggregateFunction with ${m}()`);
      if (isAsyncFunction(fn[m])) throw new AsyncFunctionResultError(`AggregateFunction.${m}()`);
    }
    return this.build<R | OUT, ACC>('Window(Aggregate)', {
      kind: 'aggregate',
      aggregate: fn as AggregateFunction<T, ACC, unknown>,
      process: process as ProcessWindowFn<unknown, R | OUT, K, W> | undefined,
    });
  }

  /** Gives each window's elements, with the window, to a ProcessWindowFunction. */
  process<OUT>(fn: ProcessWindowFn<T, OUT, K, W>): SingleOutputStreamOperator<OUT> {
    return this.build<OUT, never>('Window(Process)', { kind: 'process', process: fn });
  }

  /** Gives each window's elements, with its key and the window, to a WindowFunction (Flink's apply()). */
  apply<OUT>(fn: WindowFunction<T, OUT, K, W> | ((key: K, window: W, input: T[], out: Collector<OUT>) => void)): SingleOutputStreamOperator<OUT> {
    return this.applyAdapted(fn, true);
  }

  /** @internal apply() of this stream (keyed) or of its AllWindowedStream (the key dropped). */
  applyAdapted<OUT>(fn: WindowFunction<T, OUT, K, W> | AllWindowFunction<T, OUT, W> | ((...args: never[]) => void), keyed: boolean): SingleOutputStreamOperator<OUT> {
    if (isAsyncFunction(typeof fn === 'function' ? fn : (fn as { apply?: unknown } | null)?.apply)) throw new AsyncFunctionResultError('The window apply() function');
    return this.build<OUT, never>('Window(Apply)', { kind: 'process', process: new WindowFunctionAdapter<T, OUT, K, W>(fn, keyed) });
  }

  private agg(type: AggregationType, field: FieldRef): SingleOutputStreamOperator<T> {
    return this.reduce(aggregationReducer(type, field) as (a: T, b: T) => T);
  }
  sum(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.agg('sum', field);
  }
  min(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.agg('min', field);
  }
  max(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.agg('max', field);
  }
  minBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.agg('minBy', field);
  }
  maxBy(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.agg('maxBy', field);
  }
}

/** Windows over a whole (non-keyed) stream, in one subtask (Flink's AllWindowedStream). */
export class AllWindowedStream<T, W extends Window> {
  constructor(private readonly windowed: WindowedStream<T, number, W>) {}
  trigger(trigger: Trigger<T, W>): this {
    this.windowed.trigger(trigger);
    return this;
  }
  evictor(evictor: Evictor<T, W>): this {
    this.windowed.evictor(evictor);
    return this;
  }
  allowedLateness(lateness: DurationLike): this {
    this.windowed.allowedLateness(lateness);
    return this;
  }
  sideOutputLateData(tag: OutputTag<T>): this {
    this.windowed.sideOutputLateData(tag);
    return this;
  }
  reduce(reducer: ReduceFn<T>): SingleOutputStreamOperator<T> {
    return this.windowed.reduce(reducer);
  }
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): SingleOutputStreamOperator<R> {
    return this.windowed.aggregate(fn);
  }
  process<OUT>(fn: ProcessAllWindowFunction<T, OUT, W> | ((ctx: ProcessWindowContext<W>, elements: T[], out: Collector<OUT>) => void)): SingleOutputStreamOperator<OUT> {
    if (typeof fn !== 'function') return this.windowed.process(new AllWindowFunctionAdapter<T, OUT, W>(fn));
    return this.windowed.process((_key: number, ctx: ProcessWindowContext<W>, elements: T[], out: Collector<OUT>): void => fn(ctx, elements, out));
  }
  /** Gives each window's elements, with the window, to an AllWindowFunction (Flink's apply()). */
  apply<OUT>(fn: AllWindowFunction<T, OUT, W> | ((window: W, input: T[], out: Collector<OUT>) => void)): SingleOutputStreamOperator<OUT> {
    return this.windowed.applyAdapted(fn, false);
  }
  sum(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.windowed.sum(field);
  }
  min(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.windowed.min(field);
  }
  max(field: FieldRef): SingleOutputStreamOperator<T> {
    return this.windowed.max(field);
  }
}
