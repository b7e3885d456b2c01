/**
 * The CEP operator gives a key's emptied NFA state back to its NFA (NFA.recycle) and the next key to
 * start gets it (createInitialNFAState). A recycled state must be indistinguishable from a new one:
 * the same snapshot (start state at version 1, event ids from 0, nothing buffered) and the same
 * matches, timeouts and state for any events that follow. States that are not empty are not taken.
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

function pattern(skipPastLast: boolean): Pattern<Ev, string> {
  const begin = skipPastLast ? Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipPastLastEvent()) : Pattern.begin<Ev>('a');
  return begin
    .where((e) => e.name === 'a')
    .followedByAny('b')
    .where((e) => e.name === 'b')
    .oneOrMore()
    .followedBy('c')
    .where((e) => e.name === 'c')
    .within(20);
}

/** Feeds (event, timestamp) pairs as the operator does (time advanced first); returns what came out. */
function feed(nfa: NFA<Ev>, st: NFAState<Ev>, events: ReadonlyArray<[Ev, number]>, skip: AfterMatchSkipStrategy): string[] {
  const out: string[] = [];
  const show = (m: Map<string, Ev[]>) => [...m].map(([k, evs]) => `${k}:${evs.map((e) => e.id).join(',')}`).join(' ');
  for (const [e, t] of events) {
    const r = nfa.advanceTime(st, t, skip);
    for (const m of r.matches) out.push(`match@${t} ${show(m)}`);
    for (const x of r.timedOut) out.push(`timeout@${x.timestamp} ${show(x.match)}`);
    for (const m of nfa.process(st, e, t, skip)) out.push(`match@${t} ${show(m)}`);
  }
  return out;
}

const eventsArb = fc
  .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'x'), fc.integer({ min: 0, max: 6 })), { maxLength: 30 })
  .map((xs) => {
    let t = 0;
    return xs.map(([name, dt], id): [Ev, number] => [{ id, name }, (t += dt)]);
  });

describe('NFA state recycling', () => {
  test('a recycled state is a new state: same snapshot, then the same matches, timeouts and state', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, fc.boolean(), (first, then, skipPastLast) => {
        const skip = skipPastLast ? AfterMatchSkipStrategy.skipPastLastEvent() : AfterMatchSkipStrategy.noSkip();
        const nfa = NFA.compile(pattern(skipPastLast), true);
        const used = nfa.createInitialNFAState();
        feed(nfa, used, first, skip);
        // Everything times out: the state is empty (only the start state, nothing buffered).
        const end = (first.at(-1)?.[1] ?? 0) + 100;
        nfa.advanceTime(used, end, skip);
        expect(used.isEmpty()).toBe(true);
        nfa.recycle(used);
        const reused = nfa.createInitialNFAState();
        expect(reused).toBe(used);
        const fresh = NFA.compile(pattern(skipPastLast), true).createInitialNFAState();
        expect(snapshotNFAState(reused)).toEqual(snapshotNFAState(fresh));
        const other = NFA.compile(pattern(skipPastLast), true);
        expect(feed(nfa, reused, then, skip)).toEqual(feed(other, fresh, then, skip));
        expect(snapshotNFAState(reused)).toEqual(snapshotNFAState(fresh));
      }),
      { numRuns: 200 },
    );
  });

  test('a state that still holds partial matches is not taken back', () => {
    const nfa = NFA.compile(pattern(false), true);
    const st = nfa.createInitialNFAState();
    nfa.process(st, { id: 0, name: 'a' }, 1);
    expect(st.isEmpty()).toBe(false);
    nfa.recycle(st);
    expect(nfa.createInitialNFAState()).not.toBe(st);
  });

  test('a recycled state does not keep the room its former key needed for many partial matches', () => {
    // A key with thousands of open partial matches, then all timed out: the state goes to the NFA's
    // pool (up to thousands of states, for as long as the job runs), and must not hold arrays sized
    // for its burst there.
    const p = Pattern.begin<Ev>('a').where((e) => e.name === 'a').followedByAny('b').where((e) => e.name === 'b').within(1000);
    const nfa = NFA.compile(p, false);
    const st = nfa.createInitialNFAState();
    for (let i = 0; i < 3000; i++) nfa.process(st, { id: i, name: 'a' }, i % 100);
    expect(st.numPartialMatches()).toBe(3000);
    nfa.advanceTime(st, 5000);
    expect(st.isEmpty()).toBe(true);
    nfa.recycle(st);
    const reused = nfa.createInitialNFAState();
    expect(reused).toBe(st);
    type Queue = { queue: unknown[] } | null;
    const inner = reused as unknown as { pms: Queue; spare: Queue; completedMatches: Queue };
    for (const q of [inner.pms, inner.spare, inner.completedMatches]) expect(q?.queue.length ?? 0).toBeLessThanOrEqual(16);
    // And it still works as a new state.
    nfa.process(reused, { id: 0, name: 'a' }, 1);
    expect(nfa.process(reused, { id: 1, name: 'b' }, 2)).toHaveLength(1);
  });
});
