/** Random inputs of an interval join for property tests: tagged left (1) / right (2) records and rising watermarks. */
import fc from 'fast-check';

export type JoinEv = { id: string; key: string; ts: number };
export type JoinStep = { side: 1 | 2; ev: JoinEv } | { wm: number };

/** Up to 40 steps over keys a and b, timestamps -5..60, watermarks rising by 0..10; ids name side and position (L3, R7). */
export const joinSteps: fc.Arbitrary<JoinStep[]> = fc
  .array(
    fc.oneof(
      { arbitrary: fc.record({ side: fc.constantFrom<1 | 2>(1, 2), key: fc.constantFrom('a', 'b'), ts: fc.integer({ min: -5, max: 60 }) }), weight: 4 },
      { arbitrary: fc.record({ wm: fc.nat({ max: 10 }) }), weight: 1 },
    ),
    { maxLength: 40 },
  )
  .map((xs) => {
    let wm = 0;
    return xs.map((s, n): JoinStep => ('wm' in s ? { wm: (wm += s.wm) } : { side: s.side, ev: { id: `${s.side === 1 ? 'L' : 'R'}${n}`, key: s.key, ts: s.ts } }));
  });
