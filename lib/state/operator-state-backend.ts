/**
 * Operator state (Flink's DefaultOperatorStateBackend): state of an operator subtask that is not
 * keyed. A list state is split evenly over the subtasks when the job is restored at another
 * parallelism (round robin); a union list state goes whole to every subtask (each picks what it
 * needs, as a Kafka source picks its partitions); broadcast state is the same map on every subtask.
 */
import type { BroadcastState, ListState } from '../core/state/state.ts';
import type { ListStateDescriptor, MapStateDescriptor } from '../core/state/state-descriptor.ts';

export type OperatorStateMode = 'SPLIT_DISTRIBUTE' | 'UNION' | 'BROADCAST';

/** Operator state of one subtask: state name -> how it redistributes and its entries. */
export type OperatorStateSnapshot = Record<string, { mode: OperatorStateMode; entries: unknown[] }>;

class PartitionableListState<T> implements ListState<T> {
  list: T[] = [];
  constructor(readonly mode: OperatorStateMode) {}
  get(): T[] {
    return this.list;
  }
  add(value: T): void {
    this.list.push(value);
  }
  addAll(values: T[]): void {
    for (const v of values) this.list.push(v);
  }
  update(values: T[]): void {
    this.list = values.slice();
  }
  clear(): void {
    this.list = [];
  }
}

class HeapBroadcastState<K, V> implements BroadcastState<K, V> {
  readonly map = new Map<K, V>();
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  contains(key: K): boolean {
    return this.map.has(key);
  }
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
  keys(): IterableIterator<K> {
    return this.map.keys();
  }
  values(): IterableIterator<V> {
    return this.map.values();
  }
  put(key: K, value: V): void {
    this.map.set(key, value);
  }
  remove(key: K): void {
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
}

export class DefaultOperatorStateBackend {
  private readonly lists = new Map<string, PartitionableListState<unknown>>();
  private readonly broadcast = new Map<string, HeapBroadcastState<unknown, unknown>>();
  /** Restored entries by name, taken when the state is registered again. */
  private readonly restored = new Map<string, { mode: OperatorStateMode; entries: unknown[] }>();

  /** A list state split over the subtasks on restore (Flink's getListState). */
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.list(descriptor.name, 'SPLIT_DISTRIBUTE') as ListState<T>;
  }

  /** A list state every subtask gets whole on restore (Flink's getUnionListState). */
  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.list(descriptor.name, 'UNION') as ListState<T>;
  }

  /** The broadcast state of that name, the same on every subtask (Flink's getBroadcastState). */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    let state = this.broadcast.get(descriptor.name);
    if (state === undefined) {
      this.checkName(descriptor.name, 'BROADCAST');
      this.broadcast.set(descriptor.name, (state = new HeapBroadcastState()));
      const r = this.take(descriptor.name, 'BROADCAST');
      if (r !== undefined) for (const [k, v] of r as Array<[unknown, unknown]>) state.put(k, v);
    }
    return state as BroadcastState<K, V>;
  }

  private list(name: string, mode: OperatorStateMode): PartitionableListState<unknown> {
    let state = this.lists.get(name);
    if (state !== undefined) {
      if (state.mode !== mode) throw new TypeError(`Operator state '${name}' is already registered with mode ${state.mode}, not ${mode}`);
      return state;
    }
    this.checkName(name, mode);
    this.lists.set(name, (state = new PartitionableListState(mode)));
    const r = this.take(name, mode);
    if (r !== undefined) state.list = r;
    return state;
  }

  private checkName(name: string, mode: OperatorStateMode): void {
    if (mode === 'BROADCAST' ? this.lists.has(name) : this.broadcast.has(name)) {
      throw new TypeError(`Operator state '${name}' is already registered with another mode than ${mode}`);
    }
  }

  private take(name: string, mode: OperatorStateMode): unknown[] | undefined {
    const r = this.restored.get(name);
    if (r === undefined) return undefined;
    if (r.mode !== mode) throw new TypeError(`Operator state '${name}' was ${r.mode} state in the snapshot and is registered as ${mode} state now`);
    this.restored.delete(name);
    return r.entries;
  }

  /** Names of registered broadcast states. */
  broadcastStateNames(): string[] {
    return [...this.broadcast.keys()];
  }

  /** A copy of all operator state (lists and maps copied; their values shared: serialize before going on). */
  snapshot(): OperatorStateSnapshot {
    const out: OperatorStateSnapshot = {};
    for (const [name, r] of this.restored) out[name] = { mode: r.mode, entries: r.entries.slice() };
    for (const [name, s] of this.lists) out[name] = { mode: s.mode, entries: s.list.slice() };
    for (const [name, s] of this.broadcast) out[name] = { mode: 'BROADCAST', entries: [...s.map] };
    return out;
  }

  /**
   * Restores the snapshots of all old subtasks (in subtask order) into subtask `index` of `parallelism`
   * (Flink's RoundRobinOperatorStateRepartitioner): at the same parallelism each subtask gets its own
   * list state back; at another, list entries are dealt round robin over the new subtasks,
   * union lists go whole to each, broadcast state is taken from the first snapshot (all are equal).
   */
  restore(snapshots: readonly OperatorStateSnapshot[], index = 0, parallelism = 1): void {
    const byName = new Map<string, { mode: OperatorStateMode; entries: unknown[] }>();
    for (const snap of snapshots) {
      for (const [name, { mode, entries }] of Object.entries(snap)) {
        let r = byName.get(name);
        if (r === undefined) byName.set(name, (r = { mode, entries: [] }));
        else if (r.mode !== mode) throw new TypeError(`Operator state '${name}' has mode ${r.mode} in one snapshot and ${mode} in another`);
        if (mode === 'BROADCAST' && r.entries.length > 0) continue;
        for (const e of entries) r.entries.push(e);
      }
    }
    // Same parallelism as the snapshots were taken at: each subtask keeps its own list state (Flink keeps
    // the assignment then), so a source's splits or an async queue stay where they were.
    const unchanged = snapshots.length === parallelism;
    for (const [name, r] of byName) {
      let entries = r.entries;
      if (r.mode === 'SPLIT_DISTRIBUTE') entries = unchanged ? (snapshots[index]![name]?.entries.slice() ?? []) : r.entries.filter((_, i) => i % parallelism === index);
      this.restored.set(name, { mode: r.mode, entries });
    }
  }
}
