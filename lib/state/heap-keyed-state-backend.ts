/**
 * Heap keyed state backend (Flink's HeapKeyedStateBackend): every state is addressed by (key,
 * namespace). A state keeps one table per namespace (canonical key -> value), so the common access —
 * the current key in the current namespace — is one Map lookup, and a namespace (a window, say) can be
 * read or dropped as a whole. The key group of a key is computed only when a snapshot partitions state
 * by key group (what makes rescaling possible), not per record. A key or namespace whose state is
 * cleared holds nothing.
 */
import { canonicalKey } from './keys.ts';
import { assignToKeyGroup } from './key-groups.ts';
import { VOID_NAMESPACE, namespaceId, restoreNamespace, type Namespace, type NamespaceSerializer } from './namespace.ts';
import type { StateTtlConfig } from '../core/state/state-ttl-config.ts';
import { InvalidFunctionResultError } from '../core/errors.ts';
import type { AggregatingState, ListState, MapState, ReducingState, State, ValueState } from '../core/state/state.ts';
import type { TypeSerializer } from '../core/state/type-serializer.ts';
import type { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateDescriptor, ValueStateDescriptor } from '../core/state/state-descriptor.ts';

/** The state of one namespace: canonical key -> value (and last access, for TTL). */
interface NamespaceTable<V> {
  readonly namespace: Namespace;
  readonly id: string | number;
  readonly map: Map<unknown, V>;
  readonly touched: Map<unknown, number> | null;
  /** Whether the table is in its state's `tables` (an empty table is dropped and re-added on the next write). */
  attached: boolean;
}

/**
 * What the runtime and operators see of a state besides its user interface (Flink's InternalKvState):
 * the namespace it works in, and whole-namespace access for operators that fire a namespace at once.
 */
export interface InternalKvState<V> extends State {
  readonly name: string;
  readonly kind: StateDescriptor<unknown>['kind'];
  /** Later calls work on this namespace of the current key. */
  setCurrentNamespace(namespace: Namespace): void;
  /** The namespace later calls work on. */
  currentNamespace(): Namespace;
  /** The stored value of the current key and namespace (the list, the map, the accumulator). */
  getInternal(): V | undefined;
  updateInternal(value: V | undefined): void;
  /** Every namespace that holds state. */
  namespaces(): Namespace[];
  /** Every (key, value) of a namespace, keys as the user gave them, in insertion order. */
  entriesOf(namespace: Namespace): IterableIterator<[unknown, V]>;
  /** Every value of a namespace, in the order of entriesOf (an operator firing a namespace as a whole reads only these). */
  valuesOf(namespace: Namespace): IterableIterator<V>;
  /**
   * The values of a namespace by canonical key (what `currentCanonicalKey` holds; `originalKey` turns it
   * back into the key), undefined when the namespace holds nothing. Read-only, and without TTL checks:
   * for operators that read several namespaces of every key at once (window slices).
   */
  mapOf(namespace: Namespace): ReadonlyMap<unknown, V> | undefined;
  /** Number of keys with state in a namespace. */
  size(namespace: Namespace): number;
  /** Drops a namespace's state for every key. */
  clearNamespace(namespace: Namespace): void;
}

/** A state whose namespaces can be merged for the current key (Flink's InternalMergingState; session windows). */
export interface InternalMergingState<V> extends InternalKvState<V> {
  /** Merges the current key's state of `sources` into `target`; the sources are cleared. */
  mergeNamespaces(target: Namespace, sources: readonly Namespace[]): void;
}

const EMPTY_MAP: ReadonlyMap<unknown, unknown> = new Map();

abstract class HeapState<V> implements InternalKvState<V> {
  readonly tables = new Map<string | number, NamespaceTable<V>>();
  protected cur: NamespaceTable<V>;
  protected readonly ttl: StateTtlConfig | undefined;
  constructor(
    protected readonly backend: HeapKeyedStateBackend,
    readonly name: string,
    readonly kind: StateDescriptor<unknown>['kind'],
    ttl: StateTtlConfig | undefined,
  ) {
    this.ttl = ttl;
    this.cur = this.newTable(VOID_NAMESPACE, namespaceId(VOID_NAMESPACE));
  }

  private newTable(namespace: Namespace, id: string | number): NamespaceTable<V> {
    return { namespace, id, map: new Map(), touched: this.ttl === undefined ? null : new Map(), attached: false };
  }

  setCurrentNamespace(namespace: Namespace): void {
    const id = typeof namespace === 'object' ? namespace.id : namespace;
    if (id === this.cur.id) return;
    this.cur = this.tables.get(id) ?? this.newTable(namespace, id);
  }

  currentNamespace(): Namespace {
    return this.cur.namespace;
  }

  /** The table of a namespace, if it holds state. */
  table(namespace: Namespace): NamespaceTable<V> | undefined {
    return this.tables.get(namespaceId(namespace));
  }

  getInternal(): V | undefined {
    const ck = this.backend.currentCanonicalKey;
    if (this.ttl !== undefined) return this.readWithTtl(ck);
    return this.cur.map.get(ck);
  }

  private readWithTtl(ck: unknown): V | undefined {
    const t = this.cur;
    const v = t.map.get(ck);
    if (v === undefined) return undefined;
    const now = this.backend.now();
    const ttl = this.ttl!;
    if (now - t.touched!.get(ck)! >= ttl.ttlMillis) {
      if (ttl.stateVisibility === 'ReturnExpiredIfNotCleanedUp') return v;
      this.removeEntry(t, ck); // cleanup on access
      return undefined;
    }
    if (ttl.updateType === 'OnReadAndWrite') t.touched!.set(ck, now);
    return v;
  }

  updateInternal(value: V | undefined): void {
    const ck = this.backend.currentCanonicalKey;
    const t = this.cur;
    if (value === undefined) {
      this.removeEntry(t, ck);
      return;
    }
    const n = t.map.size;
    t.map.set(ck, value);
    if (t.map.size !== n) {
      if (!t.attached) this.attach(t);
      this.backend.retainKey(ck);
    }
    if (t.touched !== null) t.touched.set(ck, this.backend.now());
  }

  private attach(t: NamespaceTable<V>): void {
    t.attached = true;
    this.tables.set(t.id, t);
  }

  private removeEntry(t: NamespaceTable<V>, ck: unknown): void {
    if (!t.map.delete(ck)) return;
    t.touched?.delete(ck);
    this.backend.releaseKey(ck);
    if (t.map.size === 0 && t.attached) {
      t.attached = false;
      this.tables.delete(t.id);
    }
  }

  /** A write that mutates the current value in place (list add, map put) refreshes its TTL. */
  protected touch(): void {
    this.cur.touched?.set(this.backend.currentCanonicalKey, this.backend.now());
  }

  clear(): void {
    this.removeEntry(this.cur, this.backend.currentCanonicalKey);
  }

  namespaces(): Namespace[] {
    return [...this.tables.values()].map((t) => t.namespace);
  }

  *entriesOf(namespace: Namespace): IterableIterator<[unknown, V]> {
    const t = this.table(namespace);
    if (t === undefined) return;
    for (const [ck, v] of t.map) yield [this.backend.originalKey(ck), v];
  }

  valuesOf(namespace: Namespace): IterableIterator<V> {
    return (this.table(namespace)?.map ?? EMPTY_MAP).values() as IterableIterator<V>;
  }

  mapOf(namespace: Namespace): ReadonlyMap<unknown, V> | undefined {
    return this.table(namespace)?.map;
  }

  size(namespace: Namespace): number {
    return this.table(namespace)?.map.size ?? 0;
  }

  clearNamespace(namespace: Namespace): void {
    const t = this.table(namespace);
    if (t === undefined) return;
    for (const ck of t.map.keys()) this.backend.releaseKey(ck);
    t.map.clear();
    t.touched?.clear();
    t.attached = false;
    this.tables.delete(t.id);
  }

  /** Background cleanup: drops every expired entry. */
  sweep(now: number): void {
    if (this.ttl === undefined) return;
    for (const t of [...this.tables.values()]) {
      for (const [ck, at] of t.touched!) if (now - at >= this.ttl.ttlMillis) this.removeEntry(t, ck);
    }
  }

  /** Whether any namespace holds state for this canonical key. */
  hasKey(ck: unknown): boolean {
    for (const t of this.tables.values()) if (t.map.has(ck)) return true;
    return false;
  }

  /** Copies the containers a state mutates in place, so a snapshot does not change with later writes. */
  protected copyValue(v: V): V {
    return v;
  }

  /** The descriptor's serializer (withSerializer), applied to what goes into a snapshot and comes back. */
  serializer: TypeSerializer<unknown> | undefined;

  /** A value as a snapshot holds it: copied, and written with the serializer when there is one. */
  protected toSnapshot(v: V): unknown {
    const s = this.serializer;
    return s === undefined ? this.copyValue(v) : s.serialize(v);
  }

  /** A value from a snapshot, read back with the serializer when there is one. */
  protected fromSnapshot(data: unknown): V {
    const s = this.serializer;
    return s === undefined ? this.copyValue(data as V) : (s.deserialize(data) as V);
  }

  /**
   * Every entry as [key, namespace, value, last access (TTL only)], appended to its key group's list
   * in `byKeyGroup`. A plain loop, not a generator: this is the synchronous part of a checkpoint.
   */
  snapshotInto(byKeyGroup: Array<SnapshotEntry[] | undefined>, maxParallelism: number): void {
    const backend = this.backend;
    for (const t of this.tables.values()) {
      const namespace = t.namespace;
      const touched = t.touched;
      for (const [ck, v] of t.map) {
        const key = backend.originalKey(ck);
        const entry: SnapshotEntry = touched === null ? [key, namespace, this.toSnapshot(v)] : [key, namespace, this.toSnapshot(v), touched.get(ck)!];
        const kg = assignToKeyGroup(key, maxParallelism);
        const group = byKeyGroup[kg];
        if (group === undefined) byKeyGroup[kg] = [entry];
        else group.push(entry);
      }
    }
  }

  /** Puts back one snapshot entry (the current key is set to the entry's key). */
  restoreEntry(namespace: Namespace, value: unknown, lastAccess: number | undefined): void {
    this.setCurrentNamespace(namespace);
    this.updateInternal(this.fromSnapshot(value));
    if (lastAccess !== undefined) this.cur.touched?.set(this.backend.currentCanonicalKey, lastAccess);
  }
}

class HeapValueState<T> extends HeapState<T> implements ValueState<T> {
  private readonly defaultValue: T | undefined;
  constructor(backend: HeapKeyedStateBackend, d: ValueStateDescriptor<T>) {
    super(backend, d.name, d.kind, d.ttlConfig);
    this.defaultValue = d.defaultValue;
  }
  value(): T | undefined {
    const v = this.ttl === undefined ? this.cur.map.get(this.backend.currentCanonicalKey) : this.getInternal();
    return v === undefined ? this.defaultValue : v;
  }
  update(value: T | undefined): void {
    this.updateInternal(value);
  }
}

class HeapListState<T> extends HeapState<T[]> implements ListState<T>, InternalMergingState<T[]> {
  get(): T[] {
    return this.getInternal() ?? [];
  }
  add(value: T): void {
    const list = this.getInternal();
    if (list === undefined) this.updateInternal([value]);
    else {
      list.push(value);
      this.touch();
    }
  }
  addAll(values: T[]): void {
    if (values.length === 0) return;
    const list = this.getInternal();
    if (list === undefined) this.updateInternal(values.slice());
    else {
      for (const v of values) list.push(v);
      this.touch();
    }
  }
  update(values: T[]): void {
    this.updateInternal(values.length === 0 ? undefined : values.slice());
  }
  mergeNamespaces(target: Namespace, sources: readonly Namespace[]): void {
    const merged: T[] = [];
    for (const s of sources) {
      this.setCurrentNamespace(s);
      const list = this.getInternal();
      if (list !== undefined) for (const v of list) merged.push(v);
      this.clear();
    }
    this.setCurrentNamespace(target);
    this.addAll(merged);
  }
  protected override copyValue(v: T[]): T[] {
    return v.slice();
  }
  protected override toSnapshot(v: T[]): unknown {
    const s = this.serializer;
    return s === undefined ? v.slice() : v.map((e) => s.serialize(e));
  }
  protected override fromSnapshot(data: unknown): T[] {
    const s = this.serializer;
    return s === undefined ? (data as T[]).slice() : (data as unknown[]).map((e) => s.deserialize(e) as T);
  }
}

class HeapMapState<K, V> extends HeapState<Map<K, V>> implements MapState<K, V> {
  get(key: K): V | undefined {
    return this.getInternal()?.get(key);
  }
  put(key: K, value: V): void {
    let m = this.getInternal();
    if (m === undefined) this.updateInternal((m = new Map()));
    else this.touch();
    m.set(key, value);
  }
  putAll(entries: Map<K, V> | Record<string, V>): void {
    const it = entries instanceof Map ? entries : (Object.entries(entries) as unknown as Iterable<[K, V]>);
    for (const [k, v] of it) this.put(k, v);
  }
  remove(key: K): void {
    const m = this.getInternal();
    if (m === undefined) return;
    m.delete(key);
    if (m.size === 0) this.clear();
  }
  contains(key: K): boolean {
    return this.getInternal()?.has(key) ?? false;
  }
  entries(): IterableIterator<[K, V]> {
    return (this.getInternal() ?? new Map<K, V>()).entries();
  }
  keys(): IterableIterator<K> {
    return (this.getInternal() ?? new Map<K, V>()).keys();
  }
  values(): IterableIterator<V> {
    return (this.getInternal() ?? new Map<K, V>()).values();
  }
  isEmpty(): boolean {
    return this.getInternal() === undefined;
  }
  protected override copyValue(v: Map<K, V>): Map<K, V> {
    return new Map(v);
  }
  protected override toSnapshot(v: Map<K, V>): unknown {
    const s = this.serializer;
    if (s === undefined) return new Map(v);
    const out = new Map<K, unknown>();
    for (const [k, x] of v) out.set(k, s.serialize(x));
    return out;
  }
  protected override fromSnapshot(data: unknown): Map<K, V> {
    const s = this.serializer;
    if (s === undefined) return new Map(data as Map<K, V>);
    const out = new Map<K, V>();
    for (const [k, x] of data as Map<K, unknown>) out.set(k, s.deserialize(x) as V);
    return out;
  }
}

class HeapReducingState<T> extends HeapState<T> implements ReducingState<T>, InternalMergingState<T> {
  private readonly reduce: (a: T, b: T) => T;
  constructor(backend: HeapKeyedStateBackend, d: ReducingStateDescriptor<T>) {
    super(backend, d.name, d.kind, d.ttlConfig);
    this.reduce = d.reduceFunction;
  }
  get(): T | undefined {
    return this.getInternal();
  }
  add(value: T): void {
    const cur = this.getInternal();
    this.updateInternal(cur === undefined ? value : this.reduced(cur, value));
  }
  private reduced(a: T, b: T): T {
    // undefined would clear the state: the next add would silently start over.
    const next = this.reduce(a, b);
    if (next === undefined) throw new InvalidFunctionResultError(`The reduce function of ReducingState '${this.name}'`, this.backend.currentKey, next);
    return next;
  }
  mergeNamespaces(target: Namespace, sources: readonly Namespace[]): void {
    let merged: T | undefined;
    for (const s of sources) {
      this.setCurrentNamespace(s);
      const v = this.getInternal();
      if (v !== undefined) merged = merged === undefined ? v : this.reduced(merged, v);
      this.clear();
    }
    if (merged === undefined) return;
    this.setCurrentNamespace(target);
    this.add(merged);
  }
}

class HeapAggregatingState<IN, ACC, OUT> extends HeapState<ACC> implements AggregatingState<IN, OUT>, InternalMergingState<ACC> {
  constructor(
    backend: HeapKeyedStateBackend,
    private readonly descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ) {
    super(backend, descriptor.name, descriptor.kind, descriptor.ttlConfig);
  }
  get(): OUT | undefined {
    const acc = this.getInternal();
    return acc === undefined ? undefined : this.descriptor.aggregateFunction.getResult(acc);
  }
  add(value: IN): void {
    const f = this.descriptor.aggregateFunction;
    let acc = this.getInternal();
    if (acc === undefined) {
      acc = f.createAccumulator();
      if (acc === undefined) throw this.undefinedResult('createAccumulator()');
    }
    const next = f.add(value, acc);
    if (next === undefined) throw this.undefinedResult('add()');
    this.updateInternal(next);
  }
  mergeNamespaces(target: Namespace, sources: readonly Namespace[]): void {
    const f = this.descriptor.aggregateFunction;
    let merged: ACC | undefined;
    for (const s of sources) {
      this.setCurrentNamespace(s);
      const acc = this.getInternal();
      if (acc !== undefined) {
        if (merged === undefined) merged = acc;
        else {
          if (f.merge === undefined) throw new TypeError(`AggregatingState '${this.name}' cannot merge namespaces: its AggregateFunction has no merge()`);
          merged = f.merge(merged, acc);
          if (merged === undefined) throw this.undefinedResult('merge()');
        }
      }
      this.clear();
    }
    if (merged === undefined) return;
    this.setCurrentNamespace(target);
    const existing = this.getInternal();
    if (existing !== undefined) {
      if (f.merge === undefined) throw new TypeError(`AggregatingState '${this.name}' cannot merge namespaces: its AggregateFunction has no merge()`);
      merged = f.merge(existing, merged);
      if (merged === undefined) throw this.undefinedResult('merge()');
    }
    this.updateInternal(merged);
  }
  /** undefined would clear the state: the next add would silently start a fresh accumulator. */
  private undefinedResult(method: string): InvalidFunctionResultError {
    return new InvalidFunctionResultError(`AggregateFunction.${method} of AggregatingState '${this.descriptor.name}'`, this.backend.currentKey, undefined);
  }
}

/** One snapshot entry: key (as the user gave it), namespace, value, and the last access time of a TTL state. */
export type SnapshotEntry = [key: unknown, namespace: Namespace, value: unknown, lastAccess?: number];

/** Keyed state of one operator subtask by key group: key group -> state name -> entries. */
export interface KeyedStateSnapshot {
  readonly maxParallelism: number;
  /** State name -> kind, so a restore can check the descriptor a state is registered with again. */
  readonly kinds: Record<string, string>;
  readonly keyGroups: Record<number, Record<string, SnapshotEntry[]>>;
}

type AnyHeapState = HeapState<unknown>;

interface RestoredState {
  kind: string;
  entries: Array<SnapshotEntry | undefined>;
  /** Namespace id -> canonical key -> positions in `entries`. */
  index?: Map<string | number, Map<unknown, number[]>>;
}

export class HeapKeyedStateBackend {
  currentKey: unknown = undefined;
  currentCanonicalKey: unknown = undefined;
  private readonly states = new Map<string, AnyHeapState>();
  private sweeping = false;
  /** Composite (object) keys by canonical key, with how many (state, namespace) entries hold them. */
  private readonly compositeKeys = new Map<unknown, { key: unknown; refs: number }>();
  /**
   * Restored entries of states not registered again yet, by state name; `index` (built when first
   * needed) finds the entries of a (namespace, key), and a dropped entry is left as undefined.
   */
  private readonly restored = new Map<string, RestoredState>();

  /** Called once when the first state with a TTL is registered (the owner schedules the sweep). */
  onTtlState: ((sweepIntervalMillis: number) => void) | undefined;

  constructor(
    readonly maxParallelism: number,
    /** Processing time, for TTL (injectable for tests). */
    readonly now: () => number = Date.now,
  ) {}

  /** Removes expired state of every TTL state. */
  sweepExpired(): void {
    const now = this.now();
    for (const state of this.states.values()) state.sweep(now);
  }

  setCurrentKey(key: unknown): void {
    this.currentKey = key;
    this.currentCanonicalKey = typeof key === 'object' && key !== null ? canonicalKey(key) : key;
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  /** The current key got an entry in some (state, namespace): remember a composite key's original. */
  retainKey(ck: unknown): void {
    const key = this.currentKey;
    if (typeof key !== 'object' || key === null) return;
    const e = this.compositeKeys.get(ck);
    if (e === undefined) this.compositeKeys.set(ck, { key, refs: 1 });
    else e.refs++;
  }

  /** A key lost an entry: forget its original once nothing holds it. */
  releaseKey(ck: unknown): void {
    if (this.compositeKeys.size === 0) return;
    const e = this.compositeKeys.get(ck);
    if (e !== undefined && --e.refs === 0) this.compositeKeys.delete(ck);
  }

  /** Whether any state holds a value under this canonical key, in any namespace. */
  hasState(ck: unknown): boolean {
    for (const state of this.states.values()) if (state.hasKey(ck)) return true;
    return false;
  }

  /** The key as the user gave it, for a canonical key. */
  originalKey(ck: unknown): unknown {
    const e = this.compositeKeys.get(ck);
    return e === undefined ? ck : e.key;
  }

  private getOrCreate<S extends AnyHeapState>(descriptor: StateDescriptor<unknown>, create: () => S, namespaceSerializer: NamespaceSerializer = restoreNamespace): S {
    const existing = this.states.get(descriptor.name);
    if (existing !== undefined) {
      if (existing.kind !== descriptor.kind) {
        throw new TypeError(`State '${descriptor.name}' is already registered as ${existing.kind} state, not ${descriptor.kind} state`);
      }
      return existing as S;
    }
    const state = create();
    this.states.set(descriptor.name, state);
    this.restoreInto(state, namespaceSerializer);
    const ttl = descriptor.ttlConfig;
    if (ttl !== undefined && ttl.sweepIntervalMillis > 0 && !this.sweeping) {
      this.sweeping = true;
      this.onTtlState?.(ttl.sweepIntervalMillis);
    }
    return state;
  }

  /** The state of a descriptor in the void namespace (what the runtime context hands to user functions). */
  getOrCreateKeyedState<S extends State>(descriptor: StateDescriptor<unknown>): S & InternalKvState<unknown> {
    return this.getOrCreate(descriptor, () => this.create(descriptor)) as unknown as S & InternalKvState<unknown>;
  }

  /**
   * The state of a descriptor, working in `namespace` (Flink's getPartitionedState). The first call for
   * a state name creates it; `namespaceSerializer` then rebuilds the namespaces of its restored entries.
   */
  getPartitionedState<S extends State>(namespace: Namespace, descriptor: StateDescriptor<unknown>, namespaceSerializer?: NamespaceSerializer): S & InternalKvState<unknown> {
    const state = this.getOrCreate(descriptor, () => this.create(descriptor), namespaceSerializer);
    state.setCurrentNamespace(namespace);
    return state as unknown as S & InternalKvState<unknown>;
  }

  private create(d: StateDescriptor<unknown>): AnyHeapState {
    const state = this.createOfKind(d);
    state.serializer = d.serializer;
    return state;
  }

  private createOfKind(d: StateDescriptor<unknown>): AnyHeapState {
    switch (d.kind) {
      case 'value':
        return new HeapValueState(this, d as ValueStateDescriptor<unknown>);
      case 'list':
        return new HeapListState(this, d.name, d.kind, d.ttlConfig) as unknown as AnyHeapState;
      case 'map':
        return new HeapMapState(this, d.name, d.kind, d.ttlConfig) as unknown as AnyHeapState;
      case 'reducing':
        return new HeapReducingState(this, d as ReducingStateDescriptor<unknown>);
      case 'aggregating':
        return new HeapAggregatingState(this, d as AggregatingStateDescriptor<unknown, unknown, unknown>) as unknown as AnyHeapState;
    }
  }

  getValueState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.getOrCreateKeyedState<ValueState<T>>(d);
  }
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.getOrCreateKeyedState<ListState<T>>(d as StateDescriptor<unknown>);
  }
  getMapState<K, V>(d: MapStateDescriptor<K, V>): MapState<K, V> {
    return this.getOrCreateKeyedState<MapState<K, V>>(d as StateDescriptor<unknown>);
  }
  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.getOrCreateKeyedState<ReducingState<T>>(d as StateDescriptor<unknown>);
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.getOrCreateKeyedState<AggregatingState<IN, OUT>>(d as StateDescriptor<unknown>);
  }

  /** The registered state of that name (for applyToKeyedState). */
  stateByName(name: string): InternalKvState<unknown> {
    const s = this.states.get(name);
    if (s === undefined) throw new TypeError(`No keyed state named '${name}' is registered`);
    return s;
  }

  /** Whether a state of that name was restored and is not registered again yet (its entries wait for its descriptor). */
  isRestoredState(name: string): boolean {
    return this.restored.has(name);
  }

  /** Names of the registered states. */
  stateNames(): string[] {
    return [...this.states.keys()];
  }

  /** Every key that has a value in the named state and namespace, as the user gave it (Flink's getKeys). */
  getKeys(stateName: string, namespace: Namespace = VOID_NAMESPACE): unknown[] {
    const t = this.states.get(stateName)?.table(namespace);
    if (t === undefined) return [];
    return [...t.map.keys()].map((ck) => this.originalKey(ck));
  }

  /**
   * Runs `fn` for every key with state under the descriptor in `namespace`, with the current key set
   * to it (Flink's applyToAllKeys). The keys are taken first, so `fn` may clear the state.
   */
  applyToAllKeys<S extends State>(namespace: Namespace, descriptor: StateDescriptor<unknown>, fn: (key: unknown, state: S) => void): void {
    const state = this.getPartitionedState<S>(namespace, descriptor);
    const before = this.currentKey;
    try {
      for (const key of this.getKeys(descriptor.name, namespace)) {
        this.setCurrentKey(key);
        state.setCurrentNamespace(namespace);
        fn(key, state);
      }
    } finally {
      this.setCurrentKey(before);
    }
  }

  /** Number of keys holding any state (for tests and metrics). */
  numKeys(): number {
    const all = new Set<unknown>();
    for (const state of this.states.values()) for (const t of state.tables.values()) for (const k of t.map.keys()) all.add(k);
    return all.size;
  }

  /** Number of (key, namespace) entries over all states, restored ones not registered again yet included (for tests and metrics). */
  numEntries(): number {
    let n = 0;
    for (const state of this.states.values()) for (const t of state.tables.values()) n += t.map.size;
    for (const r of this.restored.values()) for (const e of r.entries) if (e !== undefined) n++;
    return n;
  }

  /**
   * Drops the current key's restored entries in `namespace` of every state not registered again
   * yet. An operator that drops a namespace (a window that is gone) clears the states it knows;
   * this drops those of states a user function registers only later (or never again), which would
   * otherwise come back with that registration, or stay in every snapshot.
   */
  clearUnregisteredNamespace(namespace: Namespace): void {
    if (this.restored.size === 0) return;
    const id = namespaceId(namespace);
    const ck = this.currentCanonicalKey;
    for (const r of this.restored.values()) {
      const positions = (r.index ??= this.indexOf(r.entries)).get(id)?.get(ck);
      if (positions === undefined) continue;
      for (const i of positions) r.entries[i] = undefined;
      r.index.get(id)!.delete(ck);
    }
  }

  private indexOf(entries: ReadonlyArray<SnapshotEntry | undefined>): Map<string | number, Map<unknown, number[]>> {
    const index = new Map<string | number, Map<unknown, number[]>>();
    entries.forEach((e, i) => {
      if (e === undefined) return;
      const id = namespaceId(restoreNamespace(e[1]));
      const k = typeof e[0] === 'object' && e[0] !== null ? canonicalKey(e[0]) : e[0];
      let byKey = index.get(id);
      if (byKey === undefined) index.set(id, (byKey = new Map()));
      const at = byKey.get(k);
      if (at === undefined) byKey.set(k, [i]);
      else at.push(i);
    });
    return index;
  }

  /**
   * A synchronous copy of all keyed state, by key group. Containers the backend mutates in place
   * (lists, maps) are copied; the values in them are shared, so the caller serializes the snapshot
   * before the operator processes the next record.
   */
  snapshot(): KeyedStateSnapshot {
    const keyGroups: Record<number, Record<string, SnapshotEntry[]>> = {};
    const kinds: Record<string, string> = {};
    for (const [name, state] of this.states) {
      kinds[name] = state.kind;
      const byKeyGroup = new Array<SnapshotEntry[] | undefined>(this.maxParallelism);
      state.snapshotInto(byKeyGroup, this.maxParallelism);
      for (let kg = 0; kg < byKeyGroup.length; kg++) {
        const entries = byKeyGroup[kg];
        if (entries !== undefined) (keyGroups[kg] ??= {})[name] = entries;
      }
    }
    // Restored state nobody registered again is kept: it belongs to the job and a later version may read it.
    for (const [name, { kind, entries }] of this.restored) {
      kinds[name] = kind;
      for (const entry of entries) {
        if (entry === undefined) continue;
        const kg = assignToKeyGroup(entry[0], this.maxParallelism);
        ((keyGroups[kg] ??= {})[name] ??= []).push(entry);
      }
    }
    return { maxParallelism: this.maxParallelism, kinds, keyGroups };
  }

  /**
   * Restores snapshots (one per old subtask at rescaling), keeping only the key groups `owns` accepts.
   * A state's entries are loaded when it is registered (it must be registered with the same kind).
   */
  restore(snapshots: readonly KeyedStateSnapshot[], owns: (keyGroup: number) => boolean = () => true): void {
    for (const snap of snapshots) {
      if (snap.maxParallelism !== this.maxParallelism) {
        throw new TypeError(maxParallelismChanged(snap.maxParallelism, this.maxParallelism));
      }
      for (const [kg, byName] of Object.entries(snap.keyGroups)) {
        if (!owns(Number(kg))) continue;
        for (const [name, entries] of Object.entries(byName)) {
          let r = this.restored.get(name);
          if (r === undefined) this.restored.set(name, (r = { kind: snap.kinds[name]!, entries: [] }));
          r.index = undefined;
          for (const e of entries) r.entries.push(e);
        }
      }
    }
    for (const state of this.states.values()) this.restoreInto(state, restoreNamespace);
  }

  private restoreInto(state: AnyHeapState, namespaceSerializer: NamespaceSerializer): void {
    const r = this.restored.get(state.name);
    if (r === undefined) return;
    if (r.kind !== state.kind) {
      throw new TypeError(`State '${state.name}' was ${r.kind} state in the snapshot and is registered as ${state.kind} state now`);
    }
    this.restored.delete(state.name);
    const before = this.currentKey;
    for (const entry of r.entries) {
      if (entry === undefined) continue;
      const [key, namespace, value, lastAccess] = entry;
      this.setCurrentKey(key);
      state.restoreEntry(namespaceSerializer(namespace), value, lastAccess);
    }
    state.setCurrentNamespace(VOID_NAMESPACE);
    this.setCurrentKey(before);
  }
}

/** Keyed state is split into max-parallelism key groups: restored into another number of key groups, keys would land in the wrong ones. */
export function maxParallelismChanged(written: number, now: number): string {
  return `Cannot restore keyed state written with max parallelism ${written} into an operator with max parallelism ${now}: the max parallelism of a stateful operator must not change`;
}
