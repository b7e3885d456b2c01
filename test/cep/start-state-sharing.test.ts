/**
 * A start-state partial match holds only its state and version and never changes, so one NFA hands
 * the same object to every key that reaches a run (NFA.startStateAt) instead of a new one per event
 * that starts a partial match. Keys sharing them must not notice: events of several keys interleaved
 * through one NFA give each key what its own NFA gives it (matches, timeouts, state).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { AfterMatchSkipStrategy, Pattern } from '../../lib/api/cep/index.ts';
import { NFA, type NFAState } from '../../lib/cep/nfa/nfa.ts';
import { snapshotNFAState } from '../../lib/cep/nfa/nfa-state-snapshot.ts';

interface Ev {
  readonly id: number;
  readonly name: string;
}

const PATTERNS: ReadonlyArray<() => Pattern<Ev, string>> = [
  () => Pattern.begin<Ev>('a').where((e) => e.name === 'a').followedBy('b').where((e) => e.name === 'b').followedBy('c').where((e) => e.name === 'c').within(20),
  () =>
    Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipPastLastEvent())
      .where((e) => e.name === 'a')
      .followedByAny('b')
      .where((e) => e.name === 'b')
      .oneOrMore()
      .followedBy('c')
      .where((e) => e.name === 'c')
      .within(15),
  // Starts with an optional stage (two start states) and a loop.
  () => Pattern.begin<Ev>('a').where((e) => e.name === 'a').optional().followedBy('b').where((e) => e.name === 'b').times(1, 2).within(10),
];

const show = (m: Map<string, Ev[]>) => [...m].map(([k, evs]) => `${k}:${evs.map((e) => e.id).join(',')}`).join(' ');

function step(nfa: NFA<Ev>, st: NFAState<Ev>, e: Ev, t: number, skip: AfterMatchSkipStrategy, out: string[]): void {
  const r = nfa.advanceTime(st, t, skip);
  for (const m of r.matches) out.push(`match@${t} ${show(m)}`);
  for (const x of r.timedOut) out.push(`timeout@${x.timestamp} ${show(x.match)}`);
  for (const m of nfa.process(st, e, t, skip)) out.push(`match@${t} ${show(m)}`);
}

const eventsArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: 0, max: 4 })), { maxLength: 60 })
  .map((xs) => {
    let t = 0;
    return xs.map(([key, name, dt], id) => ({ key, ev: { id, name }, t: (t += dt) }));
  });

describe('start-state partial matches shared by the keys of one NFA', () => {
  test('property: keys interleaved through one NFA get what each gets from an NFA of its own', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: PATTERNS.length - 1 }), eventsArb, (p, events) => {
        const skip = PATTERNS[p]!().getAfterMatchSkipStrategy();
        const shared = NFA.compile(PATTERNS[p]!(), true);
        const own = [0, 1, 2].map(() => NFA.compile(PATTERNS[p]!(), true));
        const sharedStates = [0, 1, 2].map(() => shared.createInitialNFAState());
        const ownStates = own.map((nfa) => nfa.createInitialNFAState());
        const sharedOut: string[][] = [[], [], []];
        const ownOut: string[][] = [[], [], []];
        for (const { key, ev, t } of events) {
          step(shared, sharedStates[key]!, ev, t, skip, sharedOut[key]!);
          step(own[key]!, ownStates[key]!, ev, t, skip, ownOut[key]!);
        }
        expect(sharedOut).toEqual(ownOut);
        for (let k = 0; k < 3; k++) expect(snapshotNFAState(sharedStates[k]!)).toEqual(snapshotNFAState(ownStates[k]!));
      }),
      { numRuns: 300 },
    );
  });

  test('two keys that start their first partial match hold the same start state', () => {
    const nfa = NFA.compile(PATTERNS[0]!());
    const [k1, k2] = [nfa.createInitialNFAState(), nfa.createInitialNFAState()];
    nfa.process(k1, { id: 0, name: 'a' }, 1);
    nfa.process(k2, { id: 0, name: 'a' }, 5);
    const start = (st: NFAState<Ev>) => [...st.getPartialMatches()].find((cs) => cs.state.isStart())!;
    expect(start(k1).version.toString()).toBe('2');
    expect(start(k1)).toBe(start(k2));
  });
});
