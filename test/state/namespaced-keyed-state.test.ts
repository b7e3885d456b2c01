/**
 * The heap keyed state backend against a reference model: state per (key, namespace) for value, list,
 * map, reducing and aggregating state; whole-namespace reads and clears; namespace merging; composite
 * keys; and snapshots that restore — whole or split by key group over two subtasks — to the same state.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { serialize, deserialize } from 'node:v8';
import { HeapKeyedStateBackend, type InternalKvState, type InternalMergingState, type KeyedStateSnapshot } from '../../lib/state/heap-keyed-state-backend.ts';
import { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../../lib/core/state/state-descriptor.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../../lib/core/state/state.ts';
import { VOID_NAMESPACE, type Namespace } from '../../lib/state/namespace.ts';
import { assignToKeyGroup, keyGroupRangeForSubtask } from '../../lib/state/key-groups.ts';

const MAXP = 128;
const VALUE = new ValueStateDescriptor<number>('value');
const LIST = new ListStateDescriptor<number>('list');
const MAP = new MapStateDescriptor<string, number>('map');
const SUM = new ReducingStateDescriptor<number>('sum', (a, b) => a + b);
const AVG = new AggregatingStateDescriptor<number, [number, number], number>('avg', {
  createAccumulator: () => [0, 0],
  add: (v, [s, n]) => [s + v, n + 1],
  getResult: ([s, n]) => s / n,
  merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
});

class Window {
  constructor(readonly start: number) {}
  get id(): string {
    return `w${this.start}`;
  }
}
const windowOf = (ns: unknown): Namespace => ((ns as { id: string }).id === VOID_NAMESPACE.id ? VOID_NAMESPACE : new Window((ns as { start: number }).start));

const keyArb = fc.oneof(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 2 }), fc.constantFrom(['t', 1] as const, { user: 7 }));
const nsArb = fc.constantFrom<Namespace>(VOID_NAMESPACE, new Window(0), new Window(10));
type Op =
  | { op: 'value'; key: unknown; ns: Namespace; v: number | undefined }
  | { op: 'list' | 'sum' | 'avg'; key: unknown; ns: Namespace; v: number }
  | { op: 'put'; key: unknown; ns: Namespace; mk: string; v: number }
  | { op: 'clear'; key: unknown; ns: Namespace }
  | { op: 'clearNamespace'; ns: Namespace }
  | { op: 'merge'; key: unknown; ns: Namespace; from: Namespace };
const vArb = fc.integer({ min: -5, max: 5 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('value' as const), key: keyArb, ns: nsArb, v: fc.option(vArb, { nil: undefined }) }),
  fc.record({ op: fc.constantFrom('list' as const, 'sum' as const, 'avg' as const), key: keyArb, ns: nsArb, v: vArb }),
  fc.record({ op: fc.constant('put' as const), key: keyArb, ns: nsArb, mk: fc.constantFrom('x', 'y'), v: vArb }),
  fc.record({ op: fc.constant('clear' as const), key: keyArb, ns: nsArb }),
  fc.record({ op: fc.constant('clearNamespace' as const), ns: nsArb }),
  fc.record({ op: fc.constant('merge' as const), key: keyArb, ns: nsArb, from: nsArb }),
);

const nsId = (ns: Namespace) => String(typeof ns === 'object' ? ns.id : ns);
const cell = (key: unknown, ns: Namespace) => JSON.stringify([key, nsId(ns)]);

/** The model: per state, (key, namespace) -> value. */
type Model = Record<'value' | 'list' | 'map' | 'sum' | 'avg', Map<string, unknown>>;
function applyModel(m: Model, o: Op): void {
  const all = Object.values(m);
  switch (o.op) {
    case 'value':
      if (o.v === undefined) m.value.delete(cell(o.key, o.ns));
      else m.value.set(cell(o.key, o.ns), o.v);
      return;
    case 'list':
      m.list.set(cell(o.key, o.ns), [...((m.list.get(cell(o.key, o.ns)) as number[]) ?? []), o.v]);
      return;
    case 'sum':
      m.sum.set(cell(o.key, o.ns), ((m.sum.get(cell(o.key, o.ns)) as number) ?? 0) + o.v);
      return;
    case 'avg': {
      const [s, n] = (m.avg.get(cell(o.key, o.ns)) as [number, number]) ?? [0, 0];
      m.avg.set(cell(o.key, o.ns), [s + o.v, n + 1]);
      return;
    }
    case 'put':
      m.map.set(cell(o.key, o.ns), { ...((m.map.get(cell(o.key, o.ns)) as object) ?? {}), [o.mk]: o.v });
      return;
    case 'clear':
      for (const t of all) t.delete(cell(o.key, o.ns));
      return;
    case 'clearNamespace':
      for (const t of all) for (const c of [...t.keys()]) if (JSON.parse(c)[1] === nsId(o.ns)) t.delete(c);
      return;
    case 'merge': {
      if (nsId(o.from) === nsId(o.ns)) return;
      const from = cell(o.key, o.from);
      const to = cell(o.key, o.ns);
      const l = m.list.get(from) as number[] | undefined;
      if (l !== undefined) m.list.set(to, [...((m.list.get(to) as number[]) ?? []), ...l]);
      const s = m.sum.get(from) as number | undefined;
      if (s !== undefined) m.sum.set(to, ((m.sum.get(to) as number) ?? 0) + s);
      const a = m.avg.get(from) as [number, number] | undefined;
      if (a !== undefined) {
        const [s0, n0] = (m.avg.get(to) as [number, number]) ?? [0, 0];
        m.avg.set(to, [s0 + a[0], n0 + a[1]]);
      }
      m.list.delete(from);
      m.sum.delete(from);
      m.avg.delete(from);
    }
  }
}

function states(b: HeapKeyedStateBackend) {
  const p = <S,>(d: Parameters<HeapKeyedStateBackend['getPartitionedState']>[1]) => b.getPartitionedState(VOID_NAMESPACE, d, windowOf) as unknown as S & InternalKvState<unknown>;
  return {
    value: p<ValueState<number>>(VALUE),
    list: p<ListState<number> & InternalMergingState<number[]>>(LIST),
    map: p<MapState<string, number>>(MAP),
    sum: p<ReducingState<number> & InternalMergingState<number>>(SUM),
    avg: p<AggregatingState<number, number> & InternalMergingState<[number, number]>>(AVG),
  };
}

function applyBackend(b: HeapKeyedStateBackend, o: Op): void {
  const s = states(b);
  const all = [s.value, s.list, s.map, s.sum, s.avg];
  if (o.op === 'clearNamespace') {
    for (const st of all) st.clearNamespace(o.ns);
    return;
  }
  b.setCurrentKey(o.key);
  for (const st of all) st.setCurrentNamespace(o.ns);
  switch (o.op) {
    case 'value':
      return s.value.update(o.v);
    case 'list':
      return s.list.add(o.v);
    case 'sum':
      return s.sum.add(o.v);
    case 'avg':
      return s.avg.add(o.v);
    case 'put':
      return s.map.put(o.mk, o.v);
    case 'clear':
      for (const st of all) st.clear();
      return;
    case 'merge':
      if (nsId(o.from) === nsId(o.ns)) return;
      s.list.mergeNamespaces(o.ns, [o.from]);
      s.sum.mergeNamespaces(o.ns, [o.from]);
      s.avg.mergeNamespaces(o.ns, [o.from]);
  }
}

/** Everything the backend holds, read through namespaces() and entriesOf(), in the model's shape. */
function read(b: HeapKeyedStateBackend): Record<string, Record<string, unknown>> {
  const s = states(b);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, st] of Object.entries(s)) {
    const cells: Record<string, unknown> = {};
    for (const ns of st.namespaces()) {
      for (const [key, v] of st.entriesOf(ns)) cells[cell(key, ns)] = v instanceof Map ? Object.fromEntries(v) : v;
    }
    out[name] = cells;
  }
  return out;
}

function modelView(m: Model): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(m).map(([n, t]) => [n, Object.fromEntries(t)]));
}

function sorted(o: Record<string, Record<string, unknown>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(o).map(([n, c]) => [n, Object.fromEntries(Object.entries(c).sort())])));
}

describe('namespaced keyed state', () => {
  test('holds exactly the model: per (key, namespace), with namespace clears and merges; cleared state holds nothing', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const b = new HeapKeyedStateBackend(MAXP);
        const m: Model = { value: new Map(), list: new Map(), map: new Map(), sum: new Map(), avg: new Map() };
        for (const o of ops) {
          applyBackend(b, o);
          applyModel(m, o);
        }
        expect(sorted(read(b))).toEqual(sorted(modelView(m)));
        // Reads through the user interface agree too (the aggregating state returns getResult).
        const s = states(b);
        for (const c of new Set(Object.values(m).flatMap((t) => [...t.keys()]))) {
          const [key, ns] = JSON.parse(c) as [unknown, string];
          b.setCurrentKey(key);
          const namespace = ns === VOID_NAMESPACE.id ? VOID_NAMESPACE : new Window(Number(ns.slice(1)));
          for (const st of Object.values(s)) st.setCurrentNamespace(namespace);
          expect(s.value.value()).toBe(m.value.get(c));
          expect(s.sum.get()).toBe(m.sum.get(c));
          const a = m.avg.get(c) as [number, number] | undefined;
          expect(s.avg.get()).toBe(a === undefined ? undefined : a[0] / a[1]);
        }
        const composite = (b as unknown as { compositeKeys: Map<unknown, unknown> }).compositeKeys;
        const liveComposite = new Set(Object.values(m).flatMap((t) => [...t.keys()].map((c) => JSON.parse(c)[0]).filter((k) => typeof k === 'object').map((k) => JSON.stringify(k))));
        expect(composite.size).toBe(liveComposite.size);
      }),
      { numRuns: 300 },
    );
  });

  test('a serialized snapshot restores the same state; split over two subtasks, each gets exactly its key groups', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(opArb, { maxLength: 20 }), (head, tail) => {
        const b = new HeapKeyedStateBackend(MAXP);
        for (const o of head) applyBackend(b, o);
        const snap = deserialize(serialize(b.snapshot())) as KeyedStateSnapshot;
        for (const o of tail) applyBackend(b, o); // the snapshot is a copy: later writes do not change it
        const whole = new HeapKeyedStateBackend(MAXP);
        whole.restore([snap]);
        const reference = new HeapKeyedStateBackend(MAXP);
        for (const o of head) applyBackend(reference, o);
        expect(sorted(read(whole))).toEqual(sorted(read(reference)));
        const parts = [0, 1].map((i) => {
          const r = keyGroupRangeForSubtask(MAXP, 2, i);
          const part = new HeapKeyedStateBackend(MAXP);
          part.restore([snap], (kg) => kg >= r.start && kg <= r.end);
          const cells = read(part);
          for (const c of Object.values(cells).flatMap((x) => Object.keys(x))) {
            const kg = assignToKeyGroup(JSON.parse(c)[0], MAXP);
            expect(kg >= r.start && kg <= r.end).toBe(true);
          }
          return cells;
        });
        const union = Object.fromEntries(Object.keys(parts[0]!).map((n) => [n, { ...parts[0]![n], ...parts[1]![n] }]));
        expect(sorted(union)).toEqual(sorted(read(reference)));
      }),
      { numRuns: 200 },
    );
  });

  test('restoring into a state registered with another kind, or at another max parallelism, fails with a clear message', () => {
    const b = new HeapKeyedStateBackend(MAXP);
    b.setCurrentKey('k');
    b.getValueState(new ValueStateDescriptor<number>('s')).update(1);
    const snap = b.snapshot();
    const other = new HeapKeyedStateBackend(MAXP);
    other.restore([snap]);
    expect(() => other.getListState(new ListStateDescriptor<number>('s'))).toThrow("State 's' was value state in the snapshot and is registered as list state now");
    expect(() => new HeapKeyedStateBackend(256).restore([snap])).toThrow('max parallelism 128 into an operator with max parallelism 256');
  });

  test('restored state nobody registered again stays in the next snapshot', () => {
    const b = new HeapKeyedStateBackend(MAXP);
    b.setCurrentKey('k');
    b.getValueState(new ValueStateDescriptor<number>('old')).update(1);
    const next = new HeapKeyedStateBackend(MAXP);
    next.restore([b.snapshot()]);
    next.setCurrentKey('k');
    next.getValueState(new ValueStateDescriptor<number>('new')).update(2);
    const again = new HeapKeyedStateBackend(MAXP);
    again.restore([next.snapshot()]);
    again.setCurrentKey('k');
    expect(again.getValueState(new ValueStateDescriptor<number>('old')).value()).toBe(1);
    expect(again.getValueState(new ValueStateDescriptor<number>('new')).value()).toBe(2);
  });
});
