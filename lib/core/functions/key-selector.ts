/** Extracts the key of a record (Flink's KeySelector). */
export interface KeySelector<T, K> {
  getKey(value: T): K;
}

/** What the API accepts for keyBy: a plain function or a KeySelector object. */
export type KeySelectorFn<T, K> = ((value: T) => K) | KeySelector<T, K>;
