/**
 * Operator state on restore at any parallelism (Flink's RoundRobinOperatorStateRepartitioner): list
 * state entries are spread so each lands on exactly one new subtask, evenly; union list state reaches
 * every subtask whole; broadcast state is the same map everywhere.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { serialize, deserialize } from 'node:v8';
import { DefaultOperatorStateBackend, type OperatorStateSnapshot } from '../../lib/state/operator-state-backend.ts';
import { ListStateDescriptor, MapStateDescriptor } from '../../lib/core/state/state-descriptor.ts';

const OFFSETS = new ListStateDescriptor<string>('offsets');
const ALL = new ListStateDescriptor<string>('all');
const RULES = new MapStateDescriptor<string, number>('rules');

describe('operator state redistribution', () => {
  test('list entries go to exactly one new subtask (evenly when rescaled), union lists and broadcast state to every one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.array(fc.string({ maxLength: 3 }), { maxLength: 6 }), { minLength: 5, maxLength: 5 }), (oldP, newP, lists) => {
        const rules = new Map([['r1', 1], ['r2', 2]]);
        const snapshots: OperatorStateSnapshot[] = [];
        const written: string[] = [];
        for (let i = 0; i < oldP; i++) {
          const b = new DefaultOperatorStateBackend();
          const entries = lists[i]!.map((s) => `${i}:${s}`);
          written.push(...entries);
          b.getListState(OFFSETS).update(entries);
          b.getUnionListState(ALL).update(entries);
          for (const [k, v] of rules) b.getBroadcastState(RULES).put(k, v);
          snapshots.push(deserialize(serialize(b.snapshot())) as OperatorStateSnapshot);
        }
        const restored = Array.from({ length: newP }, (_, i) => {
          const b = new DefaultOperatorStateBackend();
          b.restore(snapshots, i, newP);
          return b;
        });
        const got = restored.flatMap((b) => b.getListState(OFFSETS).get());
        expect([...got].sort()).toEqual([...written].sort());
        const sizes = restored.map((b) => b.getListState(OFFSETS).get().length);
        // Rescaled: dealt evenly. (At the same parallelism each keeps its own: tested below.)
        if (oldP !== newP) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const b of restored) {
          expect([...b.getUnionListState(ALL).get()].sort()).toEqual([...written].sort());
          expect(new Map(b.getBroadcastState(RULES).entries())).toEqual(rules);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('at the same parallelism each subtask gets its own list state back', () => {
    const snapshots = [0, 1, 2].map((i) => {
      const b = new DefaultOperatorStateBackend();
      b.getListState(OFFSETS).update([`a${i}`, `b${i}`]);
      return b.snapshot();
    });
    for (const i of [0, 1, 2]) {
      const b = new DefaultOperatorStateBackend();
      b.restore(snapshots, i, 3);
      expect(b.getListState(OFFSETS).get()).toEqual([`a${i}`, `b${i}`]);
    }
  });

  test('a state registered with another mode than it was written with fails clearly', () => {
    const b = new DefaultOperatorStateBackend();
    b.getUnionListState(ALL).add('x');
    const r = new DefaultOperatorStateBackend();
    r.restore([b.snapshot()]);
    expect(() => r.getListState(ALL)).toThrow("Operator state 'all' was UNION state in the snapshot and is registered as SPLIT_DISTRIBUTE state now");
    expect(() => b.getListState(ALL)).toThrow("Operator state 'all' is already registered with mode UNION, not SPLIT_DISTRIBUTE");
  });
});
