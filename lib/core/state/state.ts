/** Keyed state interfaces (Flink's State, ValueState, ListState, MapState, ...): scoped to the current key. */
export interface State {
  clear(): void;
}
export interface ValueState<T> extends State {
  /** The value for the current key, or the descriptor's default (undefined if none). */
  value(): T | undefined;
  update(value: T | undefined): void;
}
export interface AppendingState<IN, OUT> extends State {
  get(): OUT | undefined;
  add(value: IN): void;
}
export interface ListState<T> extends AppendingState<T, T[]> {
  /** The list for the current key (empty when there is none). */
  get(): T[];
  update(values: T[]): void;
  addAll(values: T[]): void;
}
export interface MapState<K, V> extends State {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  putAll(entries: Map<K, V> | Record<string, V>): void;
  remove(key: K): void;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  isEmpty(): boolean;
}
export type ReducingState<T> = AppendingState<T, T>;
export type AggregatingState<IN, OUT> = AppendingState<IN, OUT>;

/** Operator state every parallel instance holds a full copy of (Flink's BroadcastState). */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
}
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  remove(key: K): void;
  clear(): void;
}
