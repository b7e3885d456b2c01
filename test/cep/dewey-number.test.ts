/** DeweyNumber against a model (digits in an array, Flink's DeweyNumber as written): every operation, every length. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { DeweyNumber } from '../../lib/cep/nfa/dewey-number.ts';

type Op = { kind: 'increase'; times: number } | { kind: 'addStage' };

function modelApply(d: number[], op: Op): number[] {
  if (op.kind === 'addStage') return [...d, 0];
  const r = d.slice();
  r[r.length - 1]! += op.times;
  return r;
}

function modelCompatible(a: number[], b: number[]): boolean {
  if (a.length > b.length) return b.every((x, i) => a[i] === x);
  if (a.length === b.length) {
    const last = a.length - 1;
    for (let i = 0; i < last; i++) if (a[i] !== b[i]) return false;
    return a[last]! >= b[last]!;
  }
  return false;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('increase' as const), times: fc.integer({ min: 0, max: 3 }) }),
  fc.constant({ kind: 'addStage' as const }),
);

/** A version and its model digits, built by a random sequence of operations from a random run. */
const versionArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.array(opArb, { maxLength: 8 })).map(([run, ops]) => {
  let v = DeweyNumber.of(run);
  let d = [run];
  for (const op of ops) {
    v = op.kind === 'addStage' ? v.addStage() : v.increase(op.times);
    d = modelApply(d, op);
  }
  return { v, d };
});

describe('DeweyNumber (compact digits) = the array model', () => {
  test('toString, length, getRun, equals, fromString round trip', () => {
    fc.assert(
      fc.property(versionArb, ({ v, d }) => {
        expect(v.toString()).toBe(d.join('.'));
        expect(v.length()).toBe(d.length);
        expect(v.getRun()).toBe(d[0]);
        const parsed = DeweyNumber.fromString(d.join('.'));
        expect(parsed.equals(v)).toBe(true);
        expect(v.equals(parsed)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('isCompatibleWith and equals between any two versions', () => {
    fc.assert(
      fc.property(versionArb, versionArb, (a, b) => {
        expect(a.v.isCompatibleWith(b.v)).toBe(modelCompatible(a.d, b.d));
        expect(b.v.isCompatibleWith(a.v)).toBe(modelCompatible(b.d, a.d));
        expect(a.v.equals(b.v)).toBe(a.d.join('.') === b.d.join('.'));
      }),
      { numRuns: 2000 },
    );
  });

  test('versions that share long prefixes (deep loops) compare digit by digit', () => {
    // Prefix pairs are rare in random pairs: derive b from a.
    fc.assert(
      fc.property(versionArb, fc.array(opArb, { maxLength: 4 }), (a, ops) => {
        let v = a.v;
        let d = a.d;
        for (const op of ops) {
          v = op.kind === 'addStage' ? v.addStage() : v.increase(op.times);
          d = modelApply(d, op);
        }
        expect(v.isCompatibleWith(a.v)).toBe(modelCompatible(d, a.d));
        expect(a.v.isCompatibleWith(v)).toBe(modelCompatible(a.d, d));
      }),
      { numRuns: 2000 },
    );
  });
});
