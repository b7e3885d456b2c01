/**
 * Heap keyed state backend. Each state is a Map from canonical key to value, so an access on the
 * hot path is one Map lookup; the key group of a key is computed only when a snapshot partitions
 * state by key group (which is what makes rescaling possible), not per record. A key whose state
 * is cleared holds nothing.
 */
import { canonicalKey } from './keys.ts';
import { assignToKeyGroup } from './key-groups.ts';
import type { StateTtlConfig } from '../core/state/state-ttl-config.ts';
import { InvalidFunctionResultError } from '../core/errors.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../core/state/state.ts';
import type { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateDescriptor, ValueStateDescriptor } from '../core/state/state-descriptor.ts';

abstract class HeapState<V> {
  readonly table = new Map<unknown, V>();
  /** Last write (or read, with OnReadAndWrite) per key; only for states with a TTL. */
  readonly touched: Map<unknown, number> | null;
  protected readonly ttl: StateTtlConfig | undefined;
  constructor(
    protected readonly backend: HeapKeyedStateBackend,
    ttl?: StateTtlConfig,
  ) {
    this.ttl = ttl;
    this.touched = ttl === undefined ? null : new Map();
  }
  protected current(): V | undefined {
    const ck = this.backend.currentCanonicalKey;
    if (this.touched !== null) return this.readWithTtl(ck);
    return this.table.get(ck);
  }
  private readWithTtl(ck: unknown): V | undefined {
    const v = this.table.get(ck);
    if (v === undefined) return undefined;
    const now = this.backend.now();
    if (now - this.touched!.get(ck)! >= this.ttl!.ttlMillis) {
      if (this.ttl!.stateVisibility === 'ReturnExpiredIfNotCleanedUp') return v;
      this.table.delete(ck); // cleanup on access
      this.touched!.delete(ck);
      this.backend.releaseKey(ck);
      return undefined;
    }
    if (this.ttl!.updateType === 'OnReadAndWrite') this.touched!.set(ck, now);
    return v;
  }
  protected set(value: V | undefined): void {
    const ck = this.backend.currentCanonicalKey;
    if (value === undefined) {
      this.table.delete(ck);
      this.touched?.delete(ck);
      this.backend.releaseKey(ck);
    } else {
      if (!this.table.has(ck)) this.backend.retainKey();
      this.table.set(ck, value);
      this.touched?.set(ck, this.backend.now());
    }
  }
  /** A write that mutates the current value in place (list add, map put) refreshes its TTL. */
  protected touch(): void {
    this.touched?.set(this.backend.currentCanonicalKey, this.backend.now());
  }
  clear(): void {
    const ck = this.backend.currentCanonicalKey;
    this.table.delete(ck);
    this.touched?.delete(ck);
    this.backend.releaseKey(ck);
  }
  /** Background cleanup: drops every expired key. */
  sweep(now: number): void {
    if (this.touched === null) return;
    for (const [ck, t] of this.touched) {
      if (now - t >= this.ttl!.ttlMillis) {
        this.touched.delete(ck);
        this.table.delete(ck);
        this.backend.releaseKey(ck);
      }
    }
  }
}

class HeapValueState<T> extends HeapState<T> implements ValueState<T> {
  constructor(
    backend: HeapKeyedStateBackend,
    private readonly defaultValue: T | undefined,
    ttl?: StateTtlConfig,
  ) {
    super(backend, ttl);
  }
  value(): T | undefined {
    const v = this.touched === null ? this.table.get(this.backend.currentCanonicalKey) : this.current();
    return v === undefined ? this.defaultValue : v;
  }
  update(value: T | undefined): void {
    this.set(value);
  }
}

class HeapListState<T> extends HeapState<T[]> implements ListState<T> {
  get(): T[] {
    return this.current() ?? [];
  }
  add(value: T): void {
    const list = this.current();
    if (list === undefined) this.set([value]);
    else {
      list.push(value);
      this.touch();
    }
  }
  addAll(values: T[]): void {
    if (values.length === 0) return;
    const list = this.current();
    if (list === undefined) this.set(values.slice());
    else {
      for (const v of values) list.push(v);
      this.touch();
    }
  }
  update(values: T[]): void {
    this.set(values.length === 0 ? undefined : values.slice());
  }
}

class HeapMapState<K, V> extends HeapState<Map<K, V>> implements MapState<K, V> {
  get(key: K): V | undefined {
    return this.current()?.get(key);
  }
  put(key: K, value: V): void {
    let m = this.current();
    if (m === undefined) this.set((m = new Map()));
    else this.touch();
    m.set(key, value);
  }
  putAll(entries: Map<K, V> | Record<string, V>): void {
    const it = entries instanceof Map ? entries : (Object.entries(entries) as unknown as Iterable<[K, V]>);
    for (const [k, v] of it) this.put(k, v);
  }
  remove(key: K): void {
    const m = this.current();
    if (m === undefined) return;
    m.delete(key);
    if (m.size === 0) this.clear();
  }
  contains(key: K): boolean {
    return this.current()?.has(key) ?? false;
  }
  entries(): IterableIterator<[K, V]> {
    return (this.current() ?? new Map<K, V>()).entries();
  }
  keys(): IterableIterator<K> {
    return (this.current() ?? new Map<K, V>()).keys();
  }
  values(): IterableIterator<V> {
    return (this.current() ?? new Map<K, V>()).values();
  }
  isEmpty(): boolean {
    return this.current() === undefined;
  }
}

class HeapReducingState<T> extends HeapState<T> implements ReducingState<T> {
  constructor(
    backend: HeapKeyedStateBackend,
    private readonly name: string,
    private readonly reduce: (a: T, b: T) => T,
    ttl?: StateTtlConfig,
  ) {
    super(backend, ttl);
  }
  get(): T | undefined {
    return this.current();
  }
  add(value: T): void {
    const cur = this.current();
    if (cur === undefined) {
      this.set(value);
      return;
    }
    // undefined would clear the state: the next add would silently start over.
    const next = this.reduce(cur, value);
    if (next === undefined) throw new InvalidFunctionResultError(`The reduce function of ReducingState '${this.name}'`, this.backend.currentKey, next);
    this.set(next);
  }
}

class HeapAggregatingState<IN, ACC, OUT> extends HeapState<ACC> implements AggregatingState<IN, OUT> {
  constructor(
    backend: HeapKeyedStateBackend,
    private readonly descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ) {
    super(backend, descriptor.ttlConfig);
  }
  get(): OUT | undefined {
    const acc = this.current();
    return acc === undefined ? undefined : this.descriptor.aggregateFunction.getResult(acc);
  }
  add(value: IN): void {
    const f = this.descriptor.aggregateFunction;
    let acc = this.current();
    if (acc === undefined) {
      acc = f.createAccumulator();
      if (acc === undefined) throw this.undefinedResult('createAccumulator()');
    }
    const next = f.add(value, acc);
    if (next === undefined) throw this.undefinedResult('add()');
    this.set(next);
  }
  /** undefined would clear the state: the next add would silently start a fresh accumulator. */
  private undefinedResult(method: string): InvalidFunctionResultError {
    return new InvalidFunctionResultError(`AggregateFunction.${method} of AggregatingState '${this.descriptor.name}'`, this.backend.currentKey, undefined);
  }
}

/** Snapshot of keyed state: key group -> state name -> [key, value] pairs. */
export type KeyedStateSnapshot = Record<number, Record<string, Array<[unknown, unknown]>>>;

export class HeapKeyedStateBackend {
  currentKey: unknown = undefined;
  currentCanonicalKey: unknown = undefined;
  private readonly states = new Map<string, { kind: string; state: HeapState<unknown> }>();
  private sweeping = false;
  /** Original key objects by canonical key, only for composite keys. */
  private readonly compositeKeys = new Map<unknown, unknown>();

  /** Called once when the first state with a TTL is registered (the operator schedules the sweep). */
  onTtlState: ((sweepIntervalMillis: number) => void) | undefined;

  constructor(
    readonly maxParallelism: number,
    /** Processing time, for TTL (injectable for tests). */
    readonly now: () => number = Date.now,
  ) {}

  /** Removes expired state of every TTL state. */
  sweepExpired(): void {
    const now = this.now();
    for (const { state } of this.states.values()) state.sweep(now);
  }

  setCurrentKey(key: unknown): void {
    this.currentKey = key;
    this.currentCanonicalKey = typeof key === 'object' && key !== null ? canonicalKey(key) : key;
  }

  /** The current key gets state: remember the original of a composite key (for keys() and snapshots). */
  retainKey(): void {
    const key = this.currentKey;
    if (typeof key === 'object' && key !== null && !this.compositeKeys.has(this.currentCanonicalKey)) {
      this.compositeKeys.set(this.currentCanonicalKey, key);
    }
  }

  /** Whether any state holds a value under this (canonical) key. */
  hasState(ck: unknown): boolean {
    for (const { state } of this.states.values()) if (state.table.has(ck)) return true;
    return false;
  }

  /** A key lost some state: forget its original once no state holds it (keys without state hold nothing). */
  releaseKey(ck: unknown): void {
    if (!this.compositeKeys.has(ck)) return;
    for (const { state } of this.states.values()) if (state.table.has(ck)) return;
    this.compositeKeys.delete(ck);
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  private getOrCreate<S extends HeapState<unknown>>(descriptor: StateDescriptor<unknown>, create: () => S): S {
    const existing = this.states.get(descriptor.name);
    if (existing !== undefined) {
      if (existing.kind !== descriptor.kind) {
        throw new Error(`State '${descriptor.name}' is already registered as ${existing.kind} state, not ${descriptor.kind} state`);
      }
      return existing.state as S;
    }
    const state = create();
    this.states.set(descriptor.name, { kind: descriptor.kind, state });
    const ttl = descriptor.ttlConfig;
    if (ttl !== undefined && ttl.sweepIntervalMillis > 0 && !this.sweeping) {
      this.sweeping = true;
      this.onTtlState?.(ttl.sweepIntervalMillis);
    }
    return state;
  }

  getValueState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.getOrCreate(d, () => new HeapValueState<unknown>(this, d.defaultValue, d.ttlConfig)) as unknown as ValueState<T>;
  }
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.getOrCreate(d, () => new HeapListState<unknown>(this, d.ttlConfig) as unknown as HeapState<unknown>) as unknown as ListState<T>;
  }
  getMapState<K, V>(d: MapStateDescriptor<K, V>): MapState<K, V> {
    return this.getOrCreate(d, () => new HeapMapState<unknown, unknown>(this, d.ttlConfig) as unknown as HeapState<unknown>) as unknown as MapState<K, V>;
  }
  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.getOrCreate(d, () => new HeapReducingState<unknown>(this, d.name, d.reduceFunction as (a: unknown, b: unknown) => unknown, d.ttlConfig)) as unknown as ReducingState<T>;
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.getOrCreate(
      d,
      () => new HeapAggregatingState<IN, ACC, OUT>(this, d) as unknown as HeapState<unknown>,
    ) as unknown as AggregatingState<IN, OUT>;
  }

  /** The registered state object of that name (for applyToKeyedState). */
  stateByName(name: string): unknown {
    const s = this.states.get(name);
    if (s === undefined) throw new Error(`No keyed state named '${name}' is registered`);
    return s.state;
  }

  /** Every key that has a value in the named state, as the user gave it. */
  keys(stateName: string): unknown[] {
    const s = this.states.get(stateName);
    if (!s) return [];
    return [...s.state.table.keys()].map((ck) => this.originalKey(ck));
  }

  private originalKey(ck: unknown): unknown {
    return this.compositeKeys.has(ck) ? this.compositeKeys.get(ck) : ck;
  }

  /** Number of keys holding any state (for tests and metrics). */
  numKeys(): number {
    const all = new Set<unknown>();
    for (const { state } of this.states.values()) for (const k of state.table.keys()) all.add(k);
    return all.size;
  }

  snapshot(): KeyedStateSnapshot {
    const out: KeyedStateSnapshot = {};
    for (const [name, { state }] of this.states) {
      for (const [ck, v] of state.table) {
        const key = this.originalKey(ck);
        const kg = assignToKeyGroup(key, this.maxParallelism);
        const group = (out[kg] ??= {});
        (group[name] ??= []).push([key, v]);
      }
    }
    return out;
  }
}
