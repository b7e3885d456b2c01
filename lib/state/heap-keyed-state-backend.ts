/**
 * Heap keyed state backend. Each state is a Map from canonical key to value, so an access on the
 * hot path is one Map lookup; the key group of a key is computed only when a snapshot partitions
 * state by key group (which is what makes rescaling possible), not per record.
 */
import { canonicalKey } from './keys.ts';
import { assignToKeyGroup } from './key-groups.ts';
import type { ValueState, ValueStateDescriptor } from './value-state.ts';

class HeapValueState<T> implements ValueState<T> {
  readonly table = new Map<unknown, T>();
  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly defaultValue: T | undefined,
  ) {}
  value(): T | undefined {
    const v = this.table.get(this.backend.currentCanonicalKey);
    return v === undefined ? this.defaultValue : v;
  }
  update(value: T | undefined): void {
    if (value === undefined) this.table.delete(this.backend.currentCanonicalKey);
    else this.table.set(this.backend.currentCanonicalKey, value);
  }
  clear(): void {
    this.table.delete(this.backend.currentCanonicalKey);
  }
}

/** Snapshot of keyed state: key group -> state name -> [key, value] pairs. */
export type KeyedStateSnapshot = Record<number, Record<string, Array<[unknown, unknown]>>>;

export class HeapKeyedStateBackend {
  currentKey: unknown = undefined;
  currentCanonicalKey: unknown = undefined;
  private readonly states = new Map<string, HeapValueState<unknown>>();
  /** Original key objects by canonical key, only for composite keys. */
  private readonly compositeKeys = new Map<unknown, unknown>();

  constructor(readonly maxParallelism: number) {}

  setCurrentKey(key: unknown): void {
    this.currentKey = key;
    if (typeof key === 'object' && key !== null) {
      const ck = canonicalKey(key);
      if (!this.compositeKeys.has(ck)) this.compositeKeys.set(ck, key);
      this.currentCanonicalKey = ck;
    } else {
      this.currentCanonicalKey = key;
    }
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  getValueState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    let s = this.states.get(descriptor.name);
    if (s === undefined) {
      s = new HeapValueState<unknown>(this, descriptor.defaultValue);
      this.states.set(descriptor.name, s);
    }
    return s as unknown as ValueState<T>;
  }

  /** Every key that has a value in the named state, as the user gave it. */
  keys(stateName: string): unknown[] {
    const s = this.states.get(stateName);
    if (!s) return [];
    return [...s.table.keys()].map((ck) => (this.compositeKeys.has(ck) ? this.compositeKeys.get(ck) : ck));
  }

  snapshot(): KeyedStateSnapshot {
    const out: KeyedStateSnapshot = {};
    for (const [name, s] of this.states) {
      for (const [ck, v] of s.table) {
        const key = this.compositeKeys.has(ck) ? this.compositeKeys.get(ck) : ck;
        const kg = assignToKeyGroup(key, this.maxParallelism);
        const group = (out[kg] ??= {});
        (group[name] ??= []).push([key, v]);
      }
    }
    return out;
  }
}
