/**
 * An NFA state remembers when its next partial match times out (asked before every event); process()
 * keeps that up to date as partial matches start, move on, complete and are discarded, instead of
 * recomputing it from every partial match's first event. Whatever the pattern and events, the value
 * it keeps must be the one a recomputation gives, and the matches and timeouts must be as with
 * recomputation after every event.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { AfterMatchSkipStrategy, Pattern } from '../../lib/api/cep/index.ts';
import { NFA, type NFAState } from '../../lib/cep/nfa/nfa.ts';
import { snapshotNFAState } from '../../lib/cep/nfa/nfa-state-snapshot.ts';

interface Ev {
  readonly id: number;
  readonly letter: string;
}

type Link = 'next' | 'followedBy' | 'followedByAny' | 'notNext' | 'notFollowedBy';
type Quant = 'one' | 'optional' | 'oneOrMore' | 'times2';
interface Stage {
  readonly letter: string;
  readonly link: Link;
  readonly quant: Quant;
}

function buildPattern(stages: readonly Stage[], within: number, skip: AfterMatchSkipStrategy, gap: number | undefined): Pattern<Ev, string> {
  let p = Pattern.begin<Ev>('s0', skip).where((e) => e.letter === stages[0]!.letter);
  p = quantify(p, stages[0]!.quant);
  for (let i = 1; i < stages.length; i++) {
    const s = stages[i]!;
    p = p[s.link](`s${i}`).where((e) => e.letter === s.letter);
    if (s.link !== 'notNext' && s.link !== 'notFollowedBy') p = quantify(p, s.quant);
  }
  if (gap !== undefined) p = p.within(gap, 'PREVIOUS_AND_CURRENT');
  return p.within(within);
}

function quantify(p: Pattern<Ev, string>, q: Quant): Pattern<Ev, string> {
  if (q === 'optional') return p.optional();
  if (q === 'oneOrMore') return p.oneOrMore();
  if (q === 'times2') return p.times(2);
  return p;
}

/** Feeds the events as the CEP operator does (time advanced first, when needed); `recompute` forgets the next timeout after every step. */
function run(pattern: Pattern<Ev, string>, events: ReadonlyArray<[Ev, number]>, skip: AfterMatchSkipStrategy, recompute: boolean, nfaCheck?: (nfa: NFA<Ev>, st: NFAState<Ev>) => void) {
  // (The general engine's cache: compact states keep their own, compared in nfa/compact-linear-engine-equals-general-nfa.test.ts.)
  const nfa = NFA.compile(pattern, true, undefined, { compact: false });
  const st = nfa.createInitialNFAState();
  const out: string[] = [];
  const show = (m: Map<string, Ev[]>): string => [...m].map(([k, es]) => `${k}=${es.map((e) => e.id).join(',')}`).join(' ');
  for (const [e, ts] of events) {
    if (recompute) st.nextTimeoutCache = Number.NaN;
    if (nfa.needsAdvance(st, ts)) {
      const adv = nfa.advanceTime(st, ts, skip);
      for (const m of adv.matches) out.push(`match@${ts} ${show(m)}`);
      for (const t of adv.timedOut) out.push(`timeout@${t.timestamp} ${show(t.match)}`);
    }
    if (recompute) st.nextTimeoutCache = Number.NaN;
    for (const m of nfa.process(st, e, ts, skip)) out.push(`match@${ts} ${show(m)}`);
    nfaCheck?.(nfa, st);
  }
  return { out, state: snapshotNFAState(st) };
}

describe('NFA next timeout', () => {
  test('the kept value equals a recomputation after every event, and the NFA behaves as with recomputation', () => {
    const stageArb = fc.record({
      letter: fc.constantFrom('a', 'b', 'c'),
      link: fc.constantFrom<Link>('next', 'followedBy', 'followedBy', 'followedByAny', 'notNext', 'notFollowedBy'),
      quant: fc.constantFrom<Quant>('one', 'one', 'optional', 'oneOrMore', 'times2'),
    });
    const skips = [
      AfterMatchSkipStrategy.noSkip(),
      AfterMatchSkipStrategy.skipToNext(),
      AfterMatchSkipStrategy.skipPastLastEvent(),
      AfterMatchSkipStrategy.skipToFirst('s1'),
    ];
    fc.assert(
      fc.property(
        fc.array(stageArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 2, max: 30 }),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
        fc.integer({ min: 0, max: skips.length - 1 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: 0, max: 5 })), { maxLength: 30 }),
        (stages, within, gap, skipIndex, input) => {
          const skip = skips[skipIndex]!;
          let pattern: Pattern<Ev, string>;
          try {
            pattern = buildPattern(stages, within, skip, gap);
            NFA.compile(pattern);
          } catch {
            return; // a pattern Flink rejects
          }
          let t = 0;
          const events = input.map(([letter, dt], id): [Ev, number] => [{ id, letter }, (t += dt)]);
          const kept = run(pattern, events, skip, false, (nfa, st) => {
            const value = nfa.nextTimeout(st);
            st.nextTimeoutCache = Number.NaN;
            expect(value).toBe(nfa.nextTimeout(st));
          });
          const recomputed = run(pattern, events, skip, true);
          expect(kept.out).toEqual(recomputed.out);
          expect(kept.state).toEqual(recomputed.state);
        },
      ),
      { numRuns: 600 },
    );
  });

  test('a followedBy chain keeps it through starts, moves and matches (no recomputation needed)', () => {
    const p = Pattern.begin<Ev>('a').where((e) => e.letter === 'a').followedBy('b').where((e) => e.letter === 'b').followedBy('c').where((e) => e.letter === 'c').within(10);
    const nfa = NFA.compile(p, false, undefined, { compact: false });
    const st = nfa.createInitialNFAState();
    const feed = (letter: string, id: number, ts: number): void => {
      nfa.process(st, { id, letter }, ts);
    };
    expect(nfa.nextTimeout(st)).toBe(Number.POSITIVE_INFINITY);
    feed('a', 0, 1); // starts a partial match: times out at 11
    expect(st.nextTimeoutCache).toBe(11);
    feed('a', 1, 3); // another, at 13
    feed('b', 2, 4); // both move on: still 11
    expect(st.nextTimeoutCache).toBe(11);
    feed('c', 3, 5); // both complete: none left, recomputed when next asked
    expect(st.nextTimeoutCache).toBeNaN();
    expect(nfa.nextTimeout(st)).toBe(Number.POSITIVE_INFINITY);
  });
});
