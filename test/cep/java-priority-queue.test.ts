/**
 * JavaPriorityQueue is java.util.PriorityQueue: replaying op sequences recorded on a real Java 17
 * PriorityQueue (fixtures/JavaPriorityQueueTrace.java; few distinct keys, so ties abound) gives the
 * same iteration order after every op and the same poll results; and, against a simple model, the
 * heap is always a heap and polls come out in comparator order.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { JavaPriorityQueue } from '../../lib/cep/nfa/java-priority-queue.ts';

type El = { key: number; id: number };
type Step = { op: [string, ...number[]]; result: string; order: number[] };
const traces = JSON.parse(readFileSync(new URL('./fixtures/java-priority-queue-trace.json', import.meta.url), 'utf8')) as Step[][];
const byKey = (a: El, b: El): number => a.key - b.key;
const idMod = (e: El, m: number, k: number): boolean => e.id % m === k;

describe('JavaPriorityQueue', () => {
  test('replays Java 17 PriorityQueue traces exactly (offer, poll, remove(o), removeIf; iteration order)', () => {
    expect(traces.length).toBe(24);
    for (const steps of traces) {
      const q = new JavaPriorityQueue<El>(byKey);
      const all: El[] = [];
      for (const { op, result, order } of steps) {
        let got = '';
        if (op[0] === 'offer') {
          const e = { key: op[1]!, id: op[2]! };
          all[e.id] = e;
          q.offer(e);
        } else if (op[0] === 'poll') got = String(q.poll()!.id);
        else if (op[0] === 'remove') got = String(q.remove(all[op[1]!]!));
        else got = String(q.removeIf(idMod, op[1]!, op[2]!));
        expect(got).toBe(result);
        expect([...q].map((e) => e.id)).toEqual(order);
        expect(q.toArray().map((e) => e.id)).toEqual(order);
        expect(q.size).toBe(order.length);
      }
    }
  });

  test('stays a heap and polls in comparator order (model: a sorted multiset)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('offer' as const), key: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('poll' as const) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('removeIf' as const), m: fc.integer({ min: 2, max: 4 }), k: fc.nat({ max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const q = new JavaPriorityQueue<El>(byKey);
        let model: El[] = [];
        let id = 0;
        for (const o of ops) {
          if (o.kind === 'offer') {
            const e = { key: o.key, id: id++ };
            q.offer(e);
            model.push(e);
          } else if (o.kind === 'poll') {
            const e = q.poll();
            if (model.length === 0) expect(e).toBeUndefined();
            else {
              const min = Math.min(...model.map((x) => x.key));
              expect(e!.key).toBe(min);
              model = model.filter((x) => x !== e);
            }
          } else if (o.kind === 'remove') {
            if (model.length === 0) continue;
            const e = model[o.pick % model.length]!;
            expect(q.remove(e)).toBe(true);
            expect(q.remove(e)).toBe(false);
            model = model.filter((x) => x !== e);
          } else {
            const removed = q.removeIf(idMod, o.m, o.k);
            expect(removed).toBe(model.some((x) => idMod(x, o.m, o.k)));
            model = model.filter((x) => !idMod(x, o.m, o.k));
          }
          const arr = q.toArray();
          expect(new Set(arr)).toEqual(new Set(model));
          for (let i = 1; i < arr.length; i++) expect(byKey(arr[(i - 1) >>> 1]!, arr[i]!)).toBeLessThanOrEqual(0);
          expect(q.peek()).toBe(arr[0]);
        }
      }),
    );
  });
});
