/**
 * User function interfaces under Flink's names. Every API method that takes a function accepts
 * either a plain function or an object implementing the interface; objects that extend
 * `AbstractRichFunction` also get `open`/`close` and a `RuntimeContext`.
 */
import type { Accumulator } from './accumulators.ts';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../state/descriptors.ts';

/** Receives the records a function emits (Flink's Collector). */
export interface Collector<T> {
  collect(record: T): void;
}

export interface TaskInfo {
  /** Name of the task (the chain of operators) this function runs in. */
  readonly taskName: string;
  /** 0-based index of this parallel subtask. */
  readonly indexOfThisSubtask: number;
  readonly numberOfParallelSubtasks: number;
  readonly maxNumberOfParallelSubtasks: number;
  /** Attempt number of this task (0 on the first run; grows with restarts). */
  readonly attemptNumber: number;
}

/** What a rich function can learn about where it runs (Flink's RuntimeContext). */
export interface RuntimeContext {
  getTaskInfo(): TaskInfo;
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
  getMaxNumberOfParallelSubtasks(): number;
  /** The name of the operator this function belongs to. */
  getOperatorName(): string;
  /** Registers an accumulator; its merged value over all subtasks is in the JobExecutionResult. */
  addAccumulator<V, R>(name: string, accumulator: Accumulator<V, R>): void;
  getAccumulator<V, R>(name: string): Accumulator<V, R> | undefined;
  /** Keyed state, scoped to the current key; only on a keyed stream (after keyBy). */
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

/** Given to `open` (Flink 1.19+'s OpenContext); empty for now, kept for forward compatibility. */
export interface OpenContext {}

export interface RichFunction {
  open?(context: OpenContext): void;
  close?(): void;
  setRuntimeContext?(context: RuntimeContext): void;
}

/**
 * Base class for functions that need lifecycle hooks or the runtime context.
 * ```ts
 * class Tagger extends RichMapFunction<string, string> {
 *   map(v: string) { return `${this.getRuntimeContext().getIndexOfThisSubtask()}:${v}`; }
 * }
 * ```
 */
export abstract class AbstractRichFunction implements RichFunction {
  private runtimeContext: RuntimeContext | undefined;
  open(_context: OpenContext): void {}
  close(): void {}
  setRuntimeContext(context: RuntimeContext): void {
    this.runtimeContext = context;
  }
  getRuntimeContext(): RuntimeContext {
    if (this.runtimeContext === undefined) {
      throw new Error('The runtime context has not been initialized: it is available from open() on.');
    }
    return this.runtimeContext;
  }
}

export interface MapFunction<IN, OUT> {
  map(value: IN): OUT;
}
export interface FlatMapFunction<IN, OUT> {
  /** Emit through `out`, or return an iterable of results (or both). */
  flatMap(value: IN, out: Collector<OUT>): Iterable<OUT> | void;
}
export interface FilterFunction<T> {
  filter(value: T): boolean;
}
export interface ReduceFunction<T> {
  reduce(value1: T, value2: T): T;
}
/**
 * Incremental aggregation with an accumulator (Flink's AggregateFunction).
 * ```ts
 * const average: AggregateFunction<number, [number, number], number> = {
 *   createAccumulator: () => [0, 0],
 *   add: (v, [sum, n]) => [sum + v, n + 1],
 *   getResult: ([sum, n]) => sum / n,
 *   merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
 * };
 * ```
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

export interface KeySelector<T, K> {
  getKey(value: T): K;
}

export abstract class RichMapFunction<IN, OUT> extends AbstractRichFunction implements MapFunction<IN, OUT> {
  abstract map(value: IN): OUT;
}
export abstract class RichFlatMapFunction<IN, OUT> extends AbstractRichFunction implements FlatMapFunction<IN, OUT> {
  abstract flatMap(value: IN, out: Collector<OUT>): Iterable<OUT> | void;
}
export abstract class RichFilterFunction<T> extends AbstractRichFunction implements FilterFunction<T> {
  abstract filter(value: T): boolean;
}
export abstract class RichReduceFunction<T> extends AbstractRichFunction implements ReduceFunction<T> {
  abstract reduce(value1: T, value2: T): T;
}

export type MapFn<IN, OUT> = ((value: IN) => OUT) | MapFunction<IN, OUT>;
export type FlatMapFn<IN, OUT> = ((value: IN, out: Collector<OUT>) => Iterable<OUT> | void) | FlatMapFunction<IN, OUT>;
export type FilterFn<T> = ((value: T) => boolean) | FilterFunction<T>;
export type ReduceFn<T> = ((value1: T, value2: T) => T) | ReduceFunction<T>;
export type KeySelectorFn<T, K> = ((value: T) => K) | KeySelector<T, K>;

/** Turns a plain function or a function object into a callable bound once (never per record). */
export function toCallable<F>(fn: unknown, method: string, what: string): F {
  if (typeof fn === 'function') return fn as F;
  const m = fn !== null && typeof fn === 'object' ? (fn as Record<string, unknown>)[method] : undefined;
  if (typeof m !== 'function') {
    throw new TypeError(`${what} must be a function or an object with a ${method}() method`);
  }
  return (m as (...args: unknown[]) => unknown).bind(fn) as F;
}

/** The rich-function side of a user function object, if any. */
export function asRichFunction(fn: unknown): RichFunction | undefined {
  if (fn !== null && typeof fn === 'object') {
    const r = fn as RichFunction;
    if (typeof r.open === 'function' || typeof r.close === 'function' || typeof r.setRuntimeContext === 'function') return r;
  }
  return undefined;
}

/**
 * Each parallel subtask gets its own copy of a function object, as Flink gives each subtask its own
 * deserialized instance: fields (counters, caches) are per subtask in every execution mode. The copy
 * is deep and keeps prototypes; functions and closures are shared (they cannot be copied), so an
 * arrow function stored in a field by the constructor still refers to the original object: create
 * such closures in `open()`, which runs on the subtask's copy.
 */
export function copyForSubtask<F>(fn: F): F {
  if (fn === null || typeof fn !== 'object') return fn;
  return deepCopy(fn, new Map()) as F;
}

function deepCopy(v: unknown, seen: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  const done = seen.get(v);
  if (done !== undefined) return done;
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof RegExp || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet) return v;
  if (Array.isArray(v)) {
    const a: unknown[] = [];
    seen.set(v, a);
    for (const x of v) a.push(deepCopy(x, seen));
    return a;
  }
  if (v instanceof Map) {
    const m = new Map();
    seen.set(v, m);
    for (const [k, x] of v) m.set(k, deepCopy(x, seen));
    return m;
  }
  if (v instanceof Set) {
    const s = new Set();
    seen.set(v, s);
    for (const x of v) s.add(deepCopy(x, seen));
    return s;
  }
  const copy = Object.create(Object.getPrototypeOf(v) as object | null) as Record<PropertyKey, unknown>;
  seen.set(v, copy);
  for (const key of Reflect.ownKeys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, key)!;
    if ('value' in d) d.value = deepCopy(d.value, seen);
    Object.defineProperty(copy, key, d);
  }
  return copy;
}
