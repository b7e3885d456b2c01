/**
 * Compiled NFA states have unique names (Flink's NFAStateNameHandler.getUniqueInternalName): a
 * snapshot names each partial match's state, and restore finds the state by that name. The copy of a
 * state made for an optional stage after notFollowedBy (copyWithoutTransitiveNots) was named after
 * the state it copies, `s3:1` again, so a restored partial match could land in the copy without the
 * negation's stop edges, and a checkpoint + restore changed what the job matched.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { AfterMatchSkipStrategy, Pattern } from '../../lib/api/cep/index.ts';
import { NFA, type NFAState } from '../../lib/cep/nfa/nfa.ts';
import { restoreNFAState, snapshotNFAState } from '../../lib/cep/nfa/nfa-state-snapshot.ts';

interface Ev {
  readonly id: number;
  readonly letter: string;
}

const is = (l: string) => (e: Ev) => e.letter === l;
const show = (m: Map<string, Ev[]>) => [...m].map(([k, es]) => `${k}=${es.map((e) => e.id).join(',')}`).join(' ');

/** Feeds the events (time advanced first), restoring the state from its snapshot after each one when `restore`. */
function run(pattern: () => Pattern<Ev, string>, events: ReadonlyArray<[Ev, number]>, restore: boolean) {
  const nfa = NFA.compile(pattern(), true);
  const skip = pattern().getAfterMatchSkipStrategy();
  let st: NFAState<Ev> = nfa.createInitialNFAState();
  const out: string[] = [];
  for (const [e, ts] of events) {
    const adv = nfa.advanceTime(st, ts, skip);
    for (const m of adv.matches) out.push(`match@${ts} ${show(m)}`);
    for (const t of adv.timedOut) out.push(`timeout@${t.timestamp} ${show(t.match)}`);
    for (const m of nfa.process(st, e, ts, skip)) out.push(`match@${ts} ${show(m)}`);
    if (restore) st = restoreNFAState(snapshotNFAState(st), nfa.getStates());
  }
  return { out, state: snapshotNFAState(st) };
}

describe('NFA state names', () => {
  const optionalAfterNotFollowedBy = () =>
    Pattern.begin<Ev>('s0').where(is('b')).notFollowedBy('s1').where(is('b')).next('s2').where(is('a')).optional().followedBy('s3').where(is('c')).oneOrMore().greedy();

  test('an optional stage after notFollowedBy: every state has its own name', () => {
    const names = NFA.compile(optionalAfterNotFollowedBy()).getStates().map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('an optional stage after notFollowedBy: restoring the state after each event changes nothing', () => {
    // b0 starts; a1 is s2 (or skipped: s3 waits for c); b2 violates the notFollowedBy of the branch that skipped s2.
    const events: Array<[Ev, number]> = ['b', 'a', 'b', 'c'].map((letter, id) => [{ id, letter }, id]);
    const restored = run(optionalAfterNotFollowedBy, events, true);
    const straight = run(optionalAfterNotFollowedBy, events, false);
    expect(restored.state).toEqual(straight.state);
    expect(restored.out).toEqual(straight.out);
  });

  type Link = 'next' | 'followedBy' | 'followedByAny' | 'notNext' | 'notFollowedBy';
  type Quant = 'one' | 'optional' | 'oneOrMore' | 'times13' | 'optionalLoop' | 'group';
  test('property: names are unique and a restore after every event changes nothing', () => {
    const stageArb = fc.record({
      letter: fc.constantFrom('a', 'b', 'c'),
      link: fc.constantFrom<Link>('next', 'followedBy', 'followedByAny', 'notNext', 'notFollowedBy'),
      quant: fc.constantFrom<Quant>('one', 'optional', 'oneOrMore', 'times13', 'optionalLoop', 'group'),
      greedy: fc.boolean(),
    });
    const skips = [AfterMatchSkipStrategy.noSkip(), AfterMatchSkipStrategy.skipToNext(), AfterMatchSkipStrategy.skipPastLastEvent()];
    fc.assert(
      fc.property(
        fc.array(stageArb, { minLength: 2, maxLength: 5 }),
        fc.option(fc.integer({ min: 3, max: 20 }), { nil: undefined }),
        fc.integer({ min: 0, max: skips.length - 1 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: 0, max: 3 })), { maxLength: 25 }),
        (stages, within, skipIndex, input) => {
          const pattern = () => {
            let p = Pattern.begin<Ev>('s0', skips[skipIndex]!).where(is(stages[0]!.letter));
            for (let i = 1; i < stages.length; i++) {
              const s = stages[i]!;
              if (s.quant === 'group' && s.link !== 'notNext' && s.link !== 'notFollowedBy') {
                // A repeated group (a group's states are copies too).
                const g = Pattern.begin<Ev>(`g${i}`).where(is(s.letter)).followedBy(`h${i}`).where((e) => e.letter !== s.letter);
                p = p[s.link](g).oneOrMore();
                continue;
              }
              p = p[s.link](`s${i}`).where(is(s.letter));
              if (s.link === 'notNext' || s.link === 'notFollowedBy') continue;
              if (s.quant === 'optional') p = p.optional();
              else if (s.quant === 'oneOrMore') p = p.oneOrMore();
              else if (s.quant === 'times13') p = p.times(1, 3);
              else if (s.quant === 'optionalLoop') p = p.oneOrMore().optional();
              if (s.greedy && s.quant !== 'one' && s.quant !== 'optional') p = p.greedy();
            }
            return within === undefined ? p : p.within(within);
          };
          let nfa: NFA<Ev>;
          try {
            nfa = NFA.compile(pattern());
          } catch {
            return; // a pattern Flink rejects
          }
          const names = nfa.getStates().map((s) => s.name);
          expect(new Set(names).size).toBe(names.length);
          let t = 0;
          const events = input.map(([letter, dt], id): [Ev, number] => [{ id, letter }, (t += dt)]);
          const restored = run(pattern, events, true);
          const straight = run(pattern, events, false);
          expect(restored.out).toEqual(straight.out);
          expect(restored.state).toEqual(straight.state);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
