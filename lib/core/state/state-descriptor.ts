/**
 * Keyed state descriptors (Flink's names): a descriptor names a state and says how to build it; the
 * state (state.ts) is scoped to the key of the record (or timer) being processed.
 * ```ts
 * const count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
 * count.update((count.value() ?? 0) + 1);
 * ```
 */
import type { AggregateFunction } from '../functions/aggregate-function.ts';
import type { StateTtlConfig } from './state-ttl-config.ts';
import type { TypeSerializer } from './type-serializer.ts';

export abstract class StateDescriptor<T> {
  abstract readonly kind: 'value' | 'list' | 'map' | 'reducing' | 'aggregating';
  /** Set by enableTimeToLive. */
  ttlConfig: StateTtlConfig | undefined;
  constructor(
    readonly name: string,
    readonly defaultValue?: T,
  ) {
    if (name === '') throw new TypeError('A state descriptor needs a non-empty name');
  }
  /** Lets the state of each key expire after the configured time (processing time). */
  enableTimeToLive(ttlConfig: StateTtlConfig): void {
    this.ttlConfig = ttlConfig;
  }
  /** Set by withSerializer: how each value goes into a checkpoint (see TypeSerializer). */
  serializer: TypeSerializer<unknown> | undefined;
}

export class ValueStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'value';
  /** Checkpoints write the value with `serializer` (for values structured clone cannot carry: class instances). */
  withSerializer(serializer: TypeSerializer<T>): this {
    this.serializer = serializer as TypeSerializer<unknown>;
    return this;
  }
}
export class ListStateDescriptor<T> extends StateDescriptor<T[]> {
  readonly kind = 'list';
  constructor(name: string) {
    super(name);
  }
  /** Checkpoints write each element with `serializer` (Flink's element serializer). */
  withSerializer(serializer: TypeSerializer<T>): this {
    this.serializer = serializer as TypeSerializer<unknown>;
    return this;
  }
}
export class MapStateDescriptor<K, V> extends StateDescriptor<Map<K, V>> {
  readonly kind = 'map';
  constructor(name: string) {
    super(name);
  }
  /** Checkpoints write each map value with `serializer` (keys as they are). */
  withSerializer(serializer: TypeSerializer<V>): this {
    this.serializer = serializer as TypeSerializer<unknown>;
    return this;
  }
}
export class ReducingStateDescriptor<T> extends StateDescriptor<T> {
  readonly kind = 'reducing';
  constructor(
    name: string,
    readonly reduceFunction: (a: T, b: T) => T,
  ) {
    super(name);
  }
  /** Checkpoints write the reduced value with `serializer`. */
  withSerializer(serializer: TypeSerializer<T>): this {
    this.serializer = serializer as TypeSerializer<unknown>;
    return this;
  }
}
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor<ACC> {
  readonly kind = 'aggregating';
  constructor(
    name: string,
    readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(name);
  }
  /** Checkpoints write the accumulator with `serializer`. */
  withSerializer(serializer: TypeSerializer<ACC>): this {
    this.serializer = serializer as TypeSerializer<unknown>;
    return this;
  }
}
