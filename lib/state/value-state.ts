/** Flink's ValueStateDescriptor / ValueState: one value per key, scoped to the current key. */
export class ValueStateDescriptor<T> {
  constructor(
    readonly name: string,
    readonly defaultValue?: T,
  ) {}
}

export interface ValueState<T> {
  value(): T | undefined;
  update(value: T | undefined): void;
  clear(): void;
}
