/**
 * The function of a window that sees all of its elements at once, with the window and per-window
 * state (Flink's ProcessWindowFunction). Combined with reduce/aggregate it gets the one
 * pre-aggregated value instead.
 * ```ts
 * class Stats extends ProcessWindowFunction<Reading, string, string, TimeWindow> {
 *   process(sensor: string, ctx: ProcessWindowContext<TimeWindow>, readings: Reading[], out: Collector<string>) {
 *     out.collect(`${sensor} ${ctx.window().start}: ${readings.length} readings`);
 *   }
 * }
 * ```
 */
import { AbstractRichFunction, type OpenContext, type RichFunction } from '../core/functions/rich-function.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { ListState, ValueState } from '../core/state/state.ts';
import type { ListStateDescriptor, ValueStateDescriptor } from '../core/state/state-descriptor.ts';
import type { Window } from './windows.ts';

/** State scoped to the current key (globalState) or to the current key and window (windowState). */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
}

export interface ProcessWindowContext<W extends Window> {
  window(): W;
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** State of this key and window; cleared with the window (implement `clear` to clean it earlier). Not with merging (session) windows, as in Flink. */
  windowState(): KeyedStateStore;
  /** State of this key, across windows. */
  globalState(): KeyedStateStore;
  output<X>(tag: OutputTag<X>, value: X): void;
}

export abstract class ProcessWindowFunction<IN, OUT, K, W extends Window> extends AbstractRichFunction {
  abstract process(key: K, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void;
  /** Called when the window is purged (after the allowed lateness); release per-window state here. */
  clear(_context: ProcessWindowContext<W>): void {}
}

/** The same for a non-keyed (windowAll) stream (Flink's ProcessAllWindowFunction). */
export abstract class ProcessAllWindowFunction<IN, OUT, W extends Window> extends AbstractRichFunction {
  abstract process(context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void;
  clear(_context: ProcessWindowContext<W>): void {}
}

export type ProcessWindowFn<IN, OUT, K, W extends Window> =
  | ProcessWindowFunction<IN, OUT, K, W>
  | ((key: K, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>) => void);

/**
 * @internal A ProcessAllWindowFunction (a class instance or a plain object) as the function of the
 * single-key window operator behind windowAll: the key is dropped, and the runtime context, open,
 * close and clear reach the user's function when it has them.
 */
export class AllWindowFunctionAdapter<IN, OUT, W extends Window> extends ProcessWindowFunction<IN, OUT, unknown, W> {
  constructor(private readonly fn: ProcessAllWindowFunction<IN, OUT, W>) {
    super();
    if (typeof (fn as { process?: unknown }).process !== 'function') {
      throw new TypeError('windowAll(...).process() needs a function or an object with a process(context, elements, out) method');
    }
  }
  process(_key: unknown, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void {
    return this.fn.process(context, elements, out); // a Promise (an async process) is refused by the operator
  }
  override clear(context: ProcessWindowContext<W>): void {
    (this.fn as { clear?(c: ProcessWindowContext<W>): void }).clear?.(context);
  }
  override open(context: OpenContext): void {
    const rich = this.fn as RichFunction;
    rich.setRuntimeContext?.(this.getRuntimeContext());
    rich.open?.(context);
  }
  override close(): void {
    (this.fn as RichFunction).close?.();
  }
}

/**
 * Each window's elements with its key and the window (Flink's WindowFunction, `window(...).apply(fn)`);
 * ProcessWindowFunction gives a context with the window, state and side outputs instead.
 */
export interface WindowFunction<IN, OUT, K, W extends Window> {
  apply(key: K, window: W, input: IN[], out: Collector<OUT>): void;
}
/** The same for a non-keyed (windowAll) stream (Flink's AllWindowFunction). */
export interface AllWindowFunction<IN, OUT, W extends Window> {
  apply(window: W, input: IN[], out: Collector<OUT>): void;
}

/**
 * @internal A WindowFunction or an AllWindowFunction (a function or an object with apply(), rich or
 * not) as a ProcessWindowFunction: the runtime context, open and close reach the user's object when it
 * has them, and apply() is called on it.
 */
export class WindowFunctionAdapter<IN, OUT, K, W extends Window> extends ProcessWindowFunction<IN, OUT, K, W> {
  // Fields, not closures over `fn`: the runtime gives each subtask its own copy of the function, fields included.
  private readonly fn: ((...args: unknown[]) => void) | { apply(...args: unknown[]): void };
  constructor(
    fn: WindowFunction<IN, OUT, K, W> | AllWindowFunction<IN, OUT, W> | ((...args: never[]) => void),
    private readonly keyed: boolean,
  ) {
    super();
    if (typeof fn !== 'function' && (typeof fn !== 'object' || fn === null || typeof fn.apply !== 'function')) {
      throw new TypeError(
        keyed
          ? 'window(...).apply() needs a function (key, window, input, out) => void or a WindowFunction with an apply(key, window, input, out) method'
          : 'windowAll(...).apply() needs a function (window, input, out) => void or an AllWindowFunction with an apply(window, input, out) method',
      );
    }
    this.fn = fn as WindowFunctionAdapter<IN, OUT, K, W>['fn'];
  }
  process(key: K, context: ProcessWindowContext<W>, elements: IN[], out: Collector<OUT>): void {
    const fn = this.fn;
    // A Promise (an async apply) is refused by the operator. An object's apply() is called as its method.
    if (typeof fn === 'function') return this.keyed ? fn(key, context.window(), elements, out) : fn(context.window(), elements, out);
    return this.keyed ? fn.apply(key, context.window(), elements, out) : fn.apply(context.window(), elements, out);
  }
  override open(context: OpenContext): void {
    if (typeof this.fn === 'function') return;
    const rich = this.fn as RichFunction;
    rich.setRuntimeContext?.(this.getRuntimeContext());
    rich.open?.(context);
  }
  override close(): void {
    if (typeof this.fn !== 'function') (this.fn as RichFunction).close?.();
  }
}
