/**
 * A partial match's timestamps (start, previous, start event id) are read from its events; an NFA
 * state snapshot still writes them as fields (the layout every version wrote), a restore reads them
 * back, and a snapshot whose timestamps are not its events' fails naming why instead of running a
 * partial match with other times than it says.
 */
import { describe, expect, test } from 'vitest';
import { Pattern } from '../../lib/api/cep/index.ts';
import { NFA } from '../../lib/cep/nfa/nfa.ts';
import { restoreNFAState, snapshotNFAState, type NFAStateSnapshot } from '../../lib/cep/nfa/nfa-state-snapshot.ts';

interface Ev {
  readonly name: string;
}

function pattern(): Pattern<Ev, string> {
  return Pattern.begin<Ev>('a')
    .where((e) => e.name === 'a')
    .followedBy('b')
    .where((e) => e.name === 'b')
    .followedBy('c')
    .where((e) => e.name === 'c')
    .within(100);
}

/** A state after a@10, x@15, b@20: one partial match waiting for c (started at 10, last event at 20). */
function snapshotAfterAB(): NFAStateSnapshot<Ev> {
  const nfa = NFA.compile(pattern(), true);
  const st = nfa.createInitialNFAState();
  nfa.process(st, { name: 'a' }, 10);
  nfa.process(st, { name: 'x' }, 15);
  nfa.process(st, { name: 'b' }, 20);
  return JSON.parse(JSON.stringify(snapshotNFAState(st))) as NFAStateSnapshot<Ev>;
}

describe('NFA state snapshots: partial-match timestamps', () => {
  test('are written as fields and come back from the events on restore', () => {
    const snap = snapshotAfterAB();
    const waiting = snap.partialMatches.filter((c) => c.entry >= 0);
    expect(waiting.map((c) => [c.startTimestamp, c.previousTimestamp, c.startEventTimestamp, c.startEventId])).toEqual([[10, 20, 10, 0]]);
    const start = snap.partialMatches.filter((c) => c.entry < 0);
    expect(start.map((c) => [c.startTimestamp, c.previousTimestamp, c.startEventTimestamp, c.startEventId])).toEqual([[-1, -1, -1, -1]]);

    const nfa = NFA.compile(pattern(), true);
    const restored = restoreNFAState(snap, nfa.getStates());
    const cs = [...restored.getPartialMatches()].find((c) => !c.state.isStart())!;
    expect([cs.startTimestamp, cs.previousTimestamp, cs.startEventTimestamp, cs.startEventId]).toEqual([10, 20, 10, 0]);
    // The window still counts from a@10: a c at 110 is too late, and the partial match times out there.
    const out = nfa.advanceTime(restored, 110);
    expect(out.timedOut.map((t) => t.timestamp)).toEqual([110]);
    expect(nfa.process(restored, { name: 'c' }, 110)).toEqual([]);
  });

  test('other than the events they name fail the restore, saying so', () => {
    const snap = snapshotAfterAB();
    const nfa = NFA.compile(pattern(), true);
    const tampered = (field: 'previousTimestamp' | 'startTimestamp'): NFAStateSnapshot<Ev> => ({
      ...snap,
      partialMatches: snap.partialMatches.map((c) => (c.entry >= 0 ? { ...c, [field]: c[field] + 1 } : c)),
    });
    expect(() => restoreNFAState(tampered('previousTimestamp'), nfa.getStates())).toThrow(/timestamps \(start 10, previous 21\) other than its events' \(10, 20\)/);
    expect(() => restoreNFAState(tampered('startTimestamp'), nfa.getStates())).toThrow(/timestamps \(start 11, previous 20\) other than its events' \(10, 20\)/);
  });
});
