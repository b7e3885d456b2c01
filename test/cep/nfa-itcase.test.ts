/**
 * Flink's NFAITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/NFAITCase.java),
 * transcribed test by test with Flink's expected matches. Left out: testSharedBufferClearing (it
 * verifies calls on a Mockito spy of the SharedBufferAccessor).
 */
import { describe, expect, it } from 'vitest';
import { Pattern, type WithinType } from '../../lib/cep/pattern.ts';
import { AfterMatchSkipStrategy } from '../../lib/cep/aftermatch/after-match-skip-strategy.ts';
import { Event, SubEvent, isSubEvent, NFATestHarness, feedNFA, comparePatterns, asIds, type Rec } from './harness.ts';

const nameIs =
  (name: string) =>
  (e: Event): boolean =>
    e.getName() === name;
const volumeOf = (e: Event): number => (e as SubEvent).getVolume();

/** Flink's ConsecutiveData fixtures. */
const ConsecutiveData = {
  startEvent: new Event(40, 'c', 1.0),
  middleEvent1: new Event(41, 'a', 2.0),
  middleEvent2: new Event(42, 'a', 3.0),
  middleEvent3: new Event(43, 'a', 4.0),
  middleEvent4: new Event(43, 'a', 5.0),
  end: new Event(44, 'b', 5.0),
};

/**
 * A (match, timestamp) pair as a comparable string. Flink collects these in a HashSet of
 * Tuple2<HashMap, Long>: stage order does not matter and events compare by value.
 */
function matchKey(match: Map<string, Event[]> | Record<string, Event[]>, timestamp?: number): string {
  const entries = match instanceof Map ? [...match] : Object.entries(match);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([entries.map(([k, v]) => [k, v.map(String)]), timestamp ?? null]);
}
const asSet = (keys: string[]): string[] => [...new Set(keys)].sort();

describe('NFAITCase', () => {
  it('testNoConditionNFA', () => {
    const a = new Event(40, 'a', 1.0);
    const b = new Event(41, 'b', 2.0);
    const c = new Event(42, 'c', 3.0);
    const d = new Event(43, 'd', 4.0);
    const e = new Event(44, 'e', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [a, 1],
      [b, 2],
      [c, 3],
      [d, 4],
      [e, 5],
    ];

    const pattern = Pattern.begin<Event>('start').followedBy('end');

    comparePatterns(feedNFA(pattern, inputEvents), [
      [a, b],
      [b, c],
      [c, d],
      [d, e],
    ]);
  });

  it('testNoConditionLoopingNFA', () => {
    const a = new Event(40, 'a', 1.0);
    const b = new Event(41, 'b', 2.0);
    const c = new Event(42, 'c', 3.0);
    const d = new Event(43, 'd', 4.0);
    const e = new Event(44, 'e', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [a, 1],
      [b, 2],
      [c, 3],
      [d, 4],
      [e, 5],
    ];

    const pattern = Pattern.begin<Event>('start').followedBy('end').oneOrMore();

    comparePatterns(feedNFA(pattern, inputEvents), [
      [a, b, c, d, e],
      [a, b, c, d],
      [a, b, c],
      [a, b],
      [b, c, d, e],
      [b, c, d],
      [b, c],
      [c, d, e],
      [c, d],
      [d, e],
    ]);
  });

  it('testAnyWithNoConditionNFA', () => {
    const a = new Event(40, 'a', 1.0);
    const b = new Event(41, 'b', 2.0);
    const c = new Event(42, 'c', 3.0);
    const d = new Event(43, 'd', 4.0);
    const e = new Event(44, 'e', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [a, 1],
      [b, 2],
      [c, 3],
      [d, 4],
      [e, 5],
    ];

    const pattern = Pattern.begin<Event>('start').followedByAny('end');

    comparePatterns(feedNFA(pattern, inputEvents), [
      [a, b],
      [a, c],
      [a, d],
      [a, e],
      [b, c],
      [b, d],
      [b, e],
      [c, d],
      [c, e],
      [d, e],
    ]);
  });

  it('testSimplePatternNFA', () => {
    const startEvent = new Event(41, 'start', 1.0);
    const middleEvent = new SubEvent(42, 'foo', 1.0, 10.0);
    const endEvent = new Event(43, 'end', 1.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [new Event(43, 'foobar', 1.0), 2],
      [new SubEvent(41, 'barfoo', 1.0, 5.0), 3],
      [middleEvent, 3],
      [new Event(43, 'start', 1.0), 4],
      [endEvent, 5],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedBy('middle')
      .subtype(isSubEvent)
      .where((e) => volumeOf(e) > 5.0)
      .followedBy('end')
      .where(nameIs('end'));

    comparePatterns(feedNFA(pattern, inputEvents), [[startEvent, middleEvent, endEvent]]);
  });

  it('testStrictContinuityWithResults', () => {
    const middleEvent1 = new Event(41, 'a', 2.0);
    const end = new Event(42, 'b', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [middleEvent1, 3],
      [end, 5],
    ];

    const pattern = Pattern.begin<Event>('middle').where(nameIs('a')).next('end').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [[middleEvent1, end]]);
  });

  it('testStrictContinuityNoResults', () => {
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'c', 3.0);
    const end = new Event(43, 'b', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [middleEvent1, 3],
      [middleEvent2, 4],
      [end, 5],
    ];

    const pattern = Pattern.begin<Event>('middle').where(nameIs('a')).next('end').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), []);
  });

  // The window is measured between the first and the last event: start(1) .. end(11) is too long.
  it('testSimplePatternWithTimeWindowNFAWithinFirstAndLast', () => {
    const startEvent = new Event(2, 'start', 1.0);
    const middleEvent = new Event(3, 'middle', 1.0);
    const endEvent = new Event(5, 'end', 1.0);
    const events: Array<Rec<Event>> = [
      [new Event(1, 'start', 1.0), 1],
      [startEvent, 2],
      [middleEvent, 3],
      [new Event(4, 'foobar', 1.0), 4],
      [endEvent, 11],
      [new Event(6, 'end', 1.0), 13],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedBy('middle')
      .where(nameIs('middle'))
      .followedBy('end')
      .where(nameIs('end'))
      .within(10);

    comparePatterns(feedNFA(pattern, events), [[startEvent, middleEvent, endEvent]]);
  });

  // The window is measured between consecutive events: middle(3) .. end(11) fits in 9 ms.
  it('testSimplePatternWithTimeWindowNFAWithinPreviousAndCurrent', () => {
    const startEvent1 = new Event(1, 'start', 1.0);
    const startEvent2 = new Event(2, 'start', 1.0);
    const middleEvent = new Event(3, 'middle', 1.0);
    const endEvent = new Event(5, 'end', 1.0);
    const events: Array<Rec<Event>> = [
      [startEvent1, 1],
      [startEvent2, 2],
      [middleEvent, 3],
      [new Event(4, 'foobar', 1.0), 4],
      [endEvent, 11],
      [new Event(6, 'end', 1.0), 13],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedBy('middle')
      .where(nameIs('middle'))
      .followedBy('end')
      .where(nameIs('end'))
      .within(9, 'PREVIOUS_AND_CURRENT');

    comparePatterns(feedNFA(pattern, events), [
      [startEvent1, middleEvent, endEvent],
      [startEvent2, middleEvent, endEvent],
    ]);
  });

  it('testSimplePatternWithTimeoutHandlingWithinFirstAndLast', () => {
    const events: Array<Rec<Event>> = [
      [new Event(1, 'start', 1.0), 1],
      [new Event(2, 'start', 1.0), 2],
      [new Event(3, 'middle', 1.0), 3],
      [new Event(4, 'foobar', 1.0), 4],
      [new Event(5, 'end', 1.0), 11],
      [new Event(6, 'end', 1.0), 13],
    ];
    const timeoutPattern1 = { start: [new Event(1, 'start', 1.0)], middle: [new Event(3, 'middle', 1.0)] };
    const timeoutPattern2 = { start: [new Event(2, 'start', 1.0)], middle: [new Event(3, 'middle', 1.0)] };
    const timeoutPattern3 = { start: [new Event(1, 'start', 1.0)] };
    const timeoutPattern4 = { start: [new Event(2, 'start', 1.0)] };
    const expectedTimeoutPatterns = asSet([
      matchKey(timeoutPattern1, 11),
      matchKey(timeoutPattern2, 12),
      matchKey(timeoutPattern3, 11),
      matchKey(timeoutPattern4, 12),
    ]);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedByAny('middle')
      .where(nameIs('middle'))
      .followedByAny('end')
      .where(nameIs('end'))
      .within(10);

    const harness = NFATestHarness.forPattern(pattern, { timeoutHandling: true });
    const resultingPatterns = harness.feedRecords(events);
    const resultingTimeoutPatterns = asSet(harness.timedOut.map((t) => matchKey(t.match, t.timestamp)));

    expect(resultingPatterns).toHaveLength(1);
    expect(resultingTimeoutPatterns).toHaveLength(expectedTimeoutPatterns.length);
    expect(resultingTimeoutPatterns).toEqual(expectedTimeoutPatterns);
  });

  // Only the last stage carries the PREVIOUS_AND_CURRENT window, so only partial matches waiting for 'end' time out.
  it('testSimplePatternWithTimeoutHandlingWithinPreviousAndCurrent', () => {
    const events: Array<Rec<Event>> = [
      [new Event(1, 'start', 1.0), 1],
      [new Event(2, 'start', 1.0), 2],
      [new Event(3, 'middle', 1.0), 3],
      [new Event(4, 'foobar', 1.0), 4],
      [new Event(5, 'end', 1.0), 11],
      [new Event(6, 'end', 1.0), 13],
    ];
    const timeoutPattern1 = { start: [new Event(1, 'start', 1.0)], middle: [new Event(3, 'middle', 1.0)] };
    const timeoutPattern2 = { start: [new Event(2, 'start', 1.0)], middle: [new Event(3, 'middle', 1.0)] };
    const expectedTimeoutPatterns = asSet([matchKey(timeoutPattern1, 13), matchKey(timeoutPattern2, 13)]);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedByAny('middle')
      .where(nameIs('middle'))
      .followedByAny('end')
      .where(nameIs('end'))
      .within(10, 'PREVIOUS_AND_CURRENT');

    const harness = NFATestHarness.forPattern(pattern, { timeoutHandling: true });
    const resultingPatterns = harness.feedRecords(events);
    const resultingTimeoutPatterns = asSet(harness.timedOut.map((t) => matchKey(t.match, t.timestamp)));

    expect(resultingPatterns).toHaveLength(2);
    expect(resultingTimeoutPatterns).toHaveLength(expectedTimeoutPatterns.length);
    expect(resultingTimeoutPatterns).toEqual(expectedTimeoutPatterns);
  });

  /** A trailing notFollowedBy with a window: the match is emitted by advanceTime once the window has passed. */
  function testPendingStateMatches(withinType: WithinType): void {
    const events: Array<Rec<Event>> = [
      [new Event(1, 'start', 1.0), 1],
      [new Event(2, 'middle', 1.0), 4],
      [new Event(3, 'start', 1.0), 5],
      [new Event(4, 'start', 1.0), 11],
      [new Event(5, 'middle', 1.0), 18],
    ];
    const pendingMatches1 = { start: [new Event(3, 'start', 1.0)] };
    const pendingMatches2 = { start: [new Event(4, 'start', 1.0)] };
    const expectedPendingMatches = asSet([matchKey(pendingMatches1), matchKey(pendingMatches2)]);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .notFollowedBy('middle')
      .where(nameIs('middle'))
      .within(5, withinType);

    const harness = NFATestHarness.forPattern(pattern, { timeoutHandling: true });
    const pending: string[] = [];
    for (const [event, ts] of events) {
      pending.push(...harness.advanceTime(ts).map((m) => matchKey(m)));
      harness.process(event, ts);
    }
    const resultingPendingMatches = asSet(pending);

    expect(resultingPendingMatches).toHaveLength(2);
    expect(resultingPendingMatches).toHaveLength(expectedPendingMatches.length);
    expect(resultingPendingMatches).toEqual(expectedPendingMatches);
  }

  it('testPendingStateMatchesWithinFirstAndLast', () => {
    testPendingStateMatches('FIRST_AND_LAST');
  });

  it('testPendingStateMatchesWithinPreviousAndCurrent', () => {
    testPendingStateMatches('PREVIOUS_AND_CURRENT');
  });

  it('testBranchingPattern', () => {
    const startEvent = new Event(40, 'start', 1.0);
    const middleEvent1 = new SubEvent(41, 'foo1', 1.0, 10.0);
    const middleEvent2 = new SubEvent(42, 'foo2', 1.0, 10.0);
    const middleEvent3 = new SubEvent(43, 'foo3', 1.0, 10.0);
    const nextOne1 = new SubEvent(44, 'next-one', 1.0, 2.0);
    const nextOne2 = new SubEvent(45, 'next-one', 1.0, 2.0);
    const endEvent = new Event(46, 'end', 1.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [nextOne1, 6],
      [nextOne2, 7],
      [endEvent, 8],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedByAny('middle-first')
      .subtype(isSubEvent)
      .where((e) => volumeOf(e) > 5.0)
      .followedByAny('middle-second')
      .subtype(isSubEvent)
      .where(nameIs('next-one'))
      .followedByAny('end')
      .where(nameIs('end'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, nextOne1, endEvent],
      [startEvent, middleEvent2, nextOne1, endEvent],
      [startEvent, middleEvent3, nextOne1, endEvent],
      [startEvent, middleEvent1, nextOne2, endEvent],
      [startEvent, middleEvent2, nextOne2, endEvent],
      [startEvent, middleEvent3, nextOne2, endEvent],
    ]);
  });

  it('testComplexBranchingAfterZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);
    const end2 = new Event(45, 'd', 6.0);
    const end3 = new Event(46, 'd', 7.0);
    const end4 = new Event(47, 'e', 8.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [end1, 6],
      [end2, 7],
      [end3, 8],
      [end4, 9],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedByAny('end1')
      .where(nameIs('b'))
      .followedByAny('end2')
      .where(nameIs('d'))
      .followedByAny('end3')
      .where(nameIs('e'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end1, end2, end4],
      [startEvent, middleEvent1, middleEvent2, end1, end2, end4],
      [startEvent, middleEvent1, middleEvent3, end1, end2, end4],
      [startEvent, middleEvent2, middleEvent3, end1, end2, end4],
      [startEvent, middleEvent1, end1, end2, end4],
      [startEvent, middleEvent2, end1, end2, end4],
      [startEvent, middleEvent3, end1, end2, end4],
      [startEvent, end1, end2, end4],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end1, end3, end4],
      [startEvent, middleEvent1, middleEvent2, end1, end3, end4],
      [startEvent, middleEvent1, middleEvent3, end1, end3, end4],
      [startEvent, middleEvent2, middleEvent3, end1, end3, end4],
      [startEvent, middleEvent1, end1, end3, end4],
      [startEvent, middleEvent2, end1, end3, end4],
      [startEvent, middleEvent3, end1, end3, end4],
      [startEvent, end1, end3, end4],
    ]);
  });

  it('testZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent1, end1],
      [startEvent, middleEvent2, end1],
      [startEvent, end1],
    ]);
  });

  it('testEagerZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [new Event(50, 'd', 6.0), 5],
      [middleEvent3, 6],
      [end1, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedBy('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end1],
      [startEvent, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent1, end1],
      [startEvent, end1],
    ]);
  });

  it('testBeginWithZeroOrMore', () => {
    const middleEvent1 = new Event(40, 'a', 2.0);
    const middleEvent2 = new Event(41, 'a', 3.0);
    const middleEvent3 = new Event(41, 'a', 3.0);
    const end = new Event(42, 'b', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [end, 6],
    ];

    const pattern = Pattern.begin<Event>('middle').where(nameIs('a')).oneOrMore().optional().followedBy('end').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [middleEvent1, middleEvent2, middleEvent3, end],
      [middleEvent1, middleEvent2, end],
      [middleEvent2, middleEvent3, end],
      [middleEvent1, end],
      [middleEvent2, end],
      [middleEvent3, end],
      [end],
    ]);
  });

  it('testZeroOrMoreAfterZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'd', 3.0);
    const middleEvent3 = new Event(43, 'd', 4.0);
    const end = new Event(44, 'e', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [end, 6],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle-first')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy('middle-second')
      .where(nameIs('d'))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy('end')
      .where(nameIs('e'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent2, end],
      [startEvent, middleEvent1, end],
      [startEvent, end],
    ]);
  });

  it('testZeroOrMoreAfterBranching', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const merging = new Event(42, 'f', 3.0);
    const kleene1 = new Event(43, 'd', 4.0);
    const kleene2 = new Event(44, 'd', 4.0);
    const end = new Event(45, 'e', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [merging, 5],
      [kleene1, 6],
      [kleene2, 7],
      [end, 8],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('branching')
      .where(nameIs('a'))
      .followedByAny('merging')
      .where(nameIs('f'))
      .followedByAny('kleene')
      .where(nameIs('d'))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy('end')
      .where(nameIs('e'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, merging, end],
      [startEvent, middleEvent1, merging, kleene1, end],
      [startEvent, middleEvent1, merging, kleene2, end],
      [startEvent, middleEvent1, merging, kleene1, kleene2, end],
      [startEvent, middleEvent2, merging, end],
      [startEvent, middleEvent2, merging, kleene1, end],
      [startEvent, middleEvent2, merging, kleene2, end],
      [startEvent, middleEvent2, merging, kleene1, kleene2, end],
    ]);
  });

  it('testStrictContinuityNoResultsAfterZeroOrMore', () => {
    const start = new Event(40, 'd', 2.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 2.0);
    const middleEvent3 = new Event(43, 'c', 3.0);
    const end = new Event(44, 'b', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [start, 1],
      [middleEvent1, 2],
      [middleEvent2, 3],
      [middleEvent3, 4],
      [end, 5],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('d'))
      .followedBy('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .optional()
      .next('end')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), []);
  });

  it('testStrictContinuityResultsAfterZeroOrMore', () => {
    const start = new Event(40, 'd', 2.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 2.0);
    const end = new Event(43, 'b', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [start, 1],
      [middleEvent1, 2],
      [middleEvent2, 3],
      [end, 5],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('d'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .optional()
      .allowCombinations()
      .next('end')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [start, middleEvent1, middleEvent2, end],
      [start, middleEvent2, end],
    ]);
  });

  it('testAtLeastOne', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .followedByAny('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent1, end1],
      [startEvent, middleEvent2, end1],
    ]);
  });

  it('testBeginWithAtLeastOne', () => {
    const startEvent1 = new Event(41, 'a', 2.0);
    const startEvent2 = new Event(42, 'a', 3.0);
    const startEvent3 = new Event(42, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent1, 3],
      [startEvent2, 4],
      [startEvent3, 5],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('a')).oneOrMore().allowCombinations().followedBy('end').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent1, startEvent2, startEvent3, end1],
      [startEvent1, startEvent2, end1],
      [startEvent1, startEvent3, end1],
      [startEvent2, startEvent3, end1],
      [startEvent1, end1],
      [startEvent2, end1],
      [startEvent3, end1],
    ]);
  });

  it('testNextZeroOrMore', () => {
    const startEvent = new Event(40, 'start', 1.0);
    const middleEvent1 = new Event(40, 'middle', 2.0);
    const middleEvent2 = new Event(40, 'middle', 3.0);
    const middleEvent3 = new Event(40, 'middle', 4.0);
    const endEvent = new Event(46, 'end', 1.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [new Event(1, 'event', 1.0), 2],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [endEvent, 6],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .next('middle')
      .where(nameIs('middle'))
      .oneOrMore()
      .optional()
      .consecutive()
      .followedBy('end')
      .where(nameIs('end'));

    comparePatterns(feedNFA(pattern, inputEvents), [[startEvent, endEvent]]);
  });

  it('testAtLeastOneEager', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .followedByAny('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end1],
      [startEvent, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent2, middleEvent3, end1],
      [startEvent, middleEvent3, end1],
      [startEvent, middleEvent2, end1],
      [startEvent, middleEvent1, end1],
    ]);
  });

  it('testOptional', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent, 5],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('c')).followedBy('middle').where(nameIs('a')).optional().followedBy('end1').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent, end1],
      [startEvent, end1],
    ]);
  });

  it('testTimes', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 2],
      [middleEvent2, 3],
      [middleEvent3, 4],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .next('middle')
      .where(nameIs('a'))
      .times(2)
      .allowCombinations()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent1, middleEvent3, end1],
    ]);
  });

  it('testStartWithTimes', () => {
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [middleEvent1, 2],
      [middleEvent2, 3],
      [middleEvent3, 4],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('middle').where(nameIs('a')).times(2).consecutive().followedBy('end1').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [middleEvent1, middleEvent2, end1],
      [middleEvent2, middleEvent3, end1],
    ]);
  });

  it('testTimesNonStrictWithNext', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [ConsecutiveData.middleEvent1, 2],
      [new Event(23, 'f', 1.0), 3],
      [ConsecutiveData.middleEvent2, 4],
      [new Event(23, 'f', 1.0), 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .next('middle')
      .where(nameIs('a'))
      .times(2)
      .allowCombinations()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.end],
    ]);
  });

  it('testTimesNotStrictWithFollowedByEager', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [ConsecutiveData.middleEvent1, 2],
      [ConsecutiveData.middleEvent2, 4],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('c')).followedBy('middle').where(nameIs('a')).times(2).followedBy('end1').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
    ]);
  });

  it('testTimesNotStrictWithFollowedByNotEager', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [ConsecutiveData.middleEvent1, 2],
      [ConsecutiveData.middleEvent2, 4],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .times(2)
      .allowCombinations()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent3, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent3, ConsecutiveData.middleEvent1, ConsecutiveData.end],
    ]);
  });

  it('testTimesStrictWithNextAndConsecutive', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [ConsecutiveData.middleEvent1, 2],
      [new Event(23, 'f', 1.0), 3],
      [ConsecutiveData.middleEvent2, 4],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .next('middle')
      .where(nameIs('a'))
      .times(2)
      .consecutive()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), []);
  });

  it('testStartWithOptional', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const end1 = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [end1, 6],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('c')).optional().followedBy('end1').where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [[startEvent, end1], [end1]]);
  });

  it('testEndWithZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('c')).followedBy('middle').where(nameIs('a')).oneOrMore().optional();

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3],
      [startEvent, middleEvent1, middleEvent2],
      [startEvent, middleEvent1],
      [startEvent],
    ]);
  });

  it('testStartAndEndWithZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'd', 5.0);
    const end2 = new Event(45, 'd', 5.0);
    const end3 = new Event(46, 'd', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [end1, 6],
      [end2, 6],
      [end3, 6],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('a')).oneOrMore().optional();

    comparePatterns(feedNFA(pattern, inputEvents), [
      [middleEvent1, middleEvent2, middleEvent3],
      [middleEvent1, middleEvent2],
      [middleEvent1],
      [middleEvent2, middleEvent3],
      [middleEvent2],
      [middleEvent3],
    ]);
  });

  it('testEndWithOptional', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('c')).followedBy('middle').where(nameIs('a')).optional();

    comparePatterns(feedNFA(pattern, inputEvents), [[startEvent, middleEvent1], [startEvent]]);
  });

  it('testEndWithOneOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
    ];

    const pattern = Pattern.begin<Event>('start').where(nameIs('c')).followedBy('middle').where(nameIs('a')).oneOrMore();

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3],
      [startEvent, middleEvent1, middleEvent2],
      [startEvent, middleEvent1],
    ]);
  });

  // ---- Optional ----------------------------------------------------------------------------------

  it('testTimesNonStrictOptional1', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(23, 'f', 1.0), 2],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedBy('middle')
      .where(nameIs('a'))
      .times(3)
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [[ConsecutiveData.startEvent, ConsecutiveData.end]]);
  });

  it('testTimesNonStrictOptional2', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(23, 'f', 1.0), 2],
      [ConsecutiveData.middleEvent1, 3],
      [new Event(23, 'f', 1.0), 4],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .times(2)
      .allowCombinations()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testTimesNonStrictOptional3', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(23, 'f', 1.0), 2],
      [ConsecutiveData.middleEvent1, 3],
      [new Event(23, 'f', 1.0), 4],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .times(2)
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      // this exists because of the optional()
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testTimesStrictOptional', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(23, 'f', 1.0), 2],
      [ConsecutiveData.middleEvent1, 3],
      [new Event(23, 'f', 1.0), 4],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .times(2)
      .consecutive()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testOneOrMoreStrictOptional', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(23, 'f', 1.0), 2],
      [ConsecutiveData.middleEvent1, 3],
      [new Event(23, 'f', 1.0), 4],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .consecutive()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testTimesStrictOptional1', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [ConsecutiveData.middleEvent1, 3],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .next('middle')
      .where(nameIs('a'))
      .times(2)
      .consecutive()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testOptionalTimesNonStrictWithNext', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [ConsecutiveData.middleEvent1, 2],
      [new Event(23, 'f', 1.0), 3],
      [ConsecutiveData.middleEvent2, 4],
      [new Event(23, 'f', 1.0), 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .next('middle')
      .where(nameIs('a'))
      .times(2)
      .allowCombinations()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  // ---- Consecutive -------------------------------------------------------------------------------

  type InnerConsuming = 'STRICT' | 'SKIP_TILL_NEXT' | 'SKIP_TILL_ANY';

  /** c, followedBy a+ (inner contiguity per `strategy`), followedBy b, over c d a a a d a b. */
  function testOneOrMore(strategy: InnerConsuming, optional: boolean) {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(50, 'd', 6.0), 2],
      [ConsecutiveData.middleEvent1, 3],
      [ConsecutiveData.middleEvent2, 4],
      [ConsecutiveData.middleEvent3, 4],
      [new Event(50, 'd', 6.0), 5],
      [ConsecutiveData.middleEvent4, 6],
      [ConsecutiveData.end, 7],
    ];

    let pattern = Pattern.begin<Event>('start').where(nameIs('c')).followedBy('middle').where(nameIs('a')).oneOrMore();
    if (optional) pattern = pattern.optional();
    switch (strategy) {
      case 'STRICT':
        pattern = pattern.consecutive();
        break;
      case 'SKIP_TILL_NEXT':
        break;
      case 'SKIP_TILL_ANY':
        pattern = pattern.allowCombinations();
        break;
    }
    return feedNFA(pattern.followedBy('end1').where(nameIs('b')), inputEvents);
  }

  it('testStrictOneOrMore', () => {
    comparePatterns(testOneOrMore('STRICT', false), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.end],
    ]);
  });

  it('testSkipTillNextOneOrMore', () => {
    comparePatterns(testOneOrMore('SKIP_TILL_NEXT', false), [
      [
        ConsecutiveData.startEvent,
        ConsecutiveData.middleEvent1,
        ConsecutiveData.middleEvent2,
        ConsecutiveData.middleEvent3,
        ConsecutiveData.middleEvent4,
        ConsecutiveData.end,
      ],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.end],
    ]);
  });

  it('testSkipTillAnyOneOrMore', () => {
    comparePatterns(testOneOrMore('SKIP_TILL_ANY', false), [
      [
        ConsecutiveData.startEvent,
        ConsecutiveData.middleEvent1,
        ConsecutiveData.middleEvent2,
        ConsecutiveData.middleEvent3,
        ConsecutiveData.middleEvent4,
        ConsecutiveData.end,
      ],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.middleEvent4, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent4, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent4, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.end],
    ]);
  });

  it('testStrictEagerZeroOrMore', () => {
    comparePatterns(testOneOrMore('STRICT', true), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testSkipTillAnyZeroOrMore', () => {
    comparePatterns(testOneOrMore('SKIP_TILL_ANY', true), [
      [
        ConsecutiveData.startEvent,
        ConsecutiveData.middleEvent1,
        ConsecutiveData.middleEvent2,
        ConsecutiveData.middleEvent3,
        ConsecutiveData.middleEvent4,
        ConsecutiveData.end,
      ],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent4, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.middleEvent4, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent4, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testSkipTillNextZeroOrMore', () => {
    comparePatterns(testOneOrMore('SKIP_TILL_NEXT', true), [
      [
        ConsecutiveData.startEvent,
        ConsecutiveData.middleEvent1,
        ConsecutiveData.middleEvent2,
        ConsecutiveData.middleEvent3,
        ConsecutiveData.middleEvent4,
        ConsecutiveData.end,
      ],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.end],
    ]);
  });

  it('testTimesStrict', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(23, 'f', 1.0), 2],
      [ConsecutiveData.middleEvent1, 3],
      [new Event(23, 'f', 1.0), 4],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .times(2)
      .consecutive()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
    ]);
  });

  it('testTimesNonStrict', () => {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [new Event(23, 'f', 1.0), 2],
      [ConsecutiveData.middleEvent1, 3],
      [new Event(23, 'f', 1.0), 4],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
      [ConsecutiveData.end, 7],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedByAny('middle')
      .where(nameIs('a'))
      .times(2)
      .allowCombinations()
      .followedBy('end1')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent2, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent1, ConsecutiveData.middleEvent3, ConsecutiveData.end],
      [ConsecutiveData.startEvent, ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3, ConsecutiveData.end],
    ]);
  });

  function testStartWithOneOrZeroOrMoreStrict(pattern: Pattern<Event, string>): void {
    const inputEvents: Array<Rec<Event>> = [
      [ConsecutiveData.startEvent, 1],
      [ConsecutiveData.middleEvent1, 3],
      [ConsecutiveData.startEvent, 4],
      [ConsecutiveData.middleEvent2, 5],
      [ConsecutiveData.middleEvent3, 6],
    ];

    comparePatterns(feedNFA(pattern, inputEvents), [
      [ConsecutiveData.middleEvent1],
      [ConsecutiveData.middleEvent2, ConsecutiveData.middleEvent3],
      [ConsecutiveData.middleEvent2],
      [ConsecutiveData.middleEvent3],
    ]);
  }

  it('testStartWithZeroOrMoreStrict', () => {
    testStartWithOneOrZeroOrMoreStrict(Pattern.begin<Event>('start').where(nameIs('a')).oneOrMore().optional().consecutive());
  });

  it('testStartWithOneOrMoreStrict', () => {
    testStartWithOneOrZeroOrMoreStrict(Pattern.begin<Event>('start').where(nameIs('a')).oneOrMore().consecutive());
  });

  // ---- Clearing SharedBuffer ---------------------------------------------------------------------

  /** After the pruning advanceTime only the initial state is left, and the buffer holds nothing. */
  function expectOnlyInitialState(harness: NFATestHarness<Event>): void {
    const partialMatches = [...harness.state.getPartialMatches()];
    expect(partialMatches).toHaveLength(1);
    expect(partialMatches[0]!.getCurrentStateName()).toBe('start');
    expect(harness.state.sharedBuffer.isEmpty()).toBe(true);
  }

  function testTimesClearingBuffer(withinType: WithinType): void {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .next('middle')
      .where(nameIs('a'))
      .times(2)
      .followedBy('end1')
      .where(nameIs('b'))
      .within(8, withinType);

    const harness = NFATestHarness.forPattern(pattern);
    harness.feedRecord(startEvent, 1);
    harness.feedRecord(middleEvent1, 2);
    harness.feedRecord(middleEvent2, 3);
    harness.feedRecord(middleEvent3, 4);
    harness.feedRecord(end1, 6);

    // pruning element
    harness.advanceTime(10);

    expectOnlyInitialState(harness);
  }

  it('testTimesClearingBufferWithinFirstAndLast', () => {
    testTimesClearingBuffer('FIRST_AND_LAST');
  });

  it('testTimesClearingBufferWithinPreviousAndCurrent', () => {
    testTimesClearingBuffer('PREVIOUS_AND_CURRENT');
  });

  function testOptionalClearingBuffer(withinType: WithinType): void {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent = new Event(43, 'a', 4.0);
    const end1 = new Event(44, 'b', 5.0);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedBy('middle')
      .where(nameIs('a'))
      .optional()
      .followedBy('end1')
      .where(nameIs('b'))
      .within(8, withinType);

    const harness = NFATestHarness.forPattern(pattern);
    harness.feedRecord(startEvent, 1);
    harness.feedRecord(middleEvent, 5);
    harness.feedRecord(end1, 6);

    // pruning element
    harness.advanceTime(10);

    expectOnlyInitialState(harness);
  }

  it('testOptionalClearingBufferWithinFirstAndLast', () => {
    testOptionalClearingBuffer('FIRST_AND_LAST');
  });

  it('testOptionalClearingBufferWithinPreviousAndCurrent', () => {
    testOptionalClearingBuffer('PREVIOUS_AND_CURRENT');
  });

  // Flink's helper ignores its withinType argument (within(8) is always FIRST_AND_LAST); kept as is.
  function testAtLeastOneClearingBuffer(_withinType: WithinType): void {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const end1 = new Event(44, 'b', 5.0);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedBy('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .followedBy('end1')
      .where(nameIs('b'))
      .within(8);

    const harness = NFATestHarness.forPattern(pattern);
    harness.feedRecord(startEvent, 1);
    harness.feedRecord(middleEvent1, 3);
    harness.feedRecord(middleEvent2, 4);
    harness.feedRecord(end1, 6);

    // pruning element
    harness.advanceTime(10);

    expectOnlyInitialState(harness);
  }

  it('testAtLeastOneClearingBufferWithinFirstAndLast', () => {
    testAtLeastOneClearingBuffer('FIRST_AND_LAST');
  });

  it('testAtLeastOneClearingBufferWithPreviousAndCurrent', () => {
    testAtLeastOneClearingBuffer('PREVIOUS_AND_CURRENT');
  });

  it('testZeroOrMoreClearingBufferWithinFirstAndLast', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const end1 = new Event(44, 'b', 5.0);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedBy('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'))
      .within(8);

    const harness = NFATestHarness.forPattern(pattern);
    harness.feedRecord(startEvent, 1);
    harness.feedRecord(middleEvent1, 3);
    harness.feedRecord(middleEvent2, 4);
    harness.feedRecord(end1, 6);

    // pruning element
    harness.advanceTime(10);

    expectOnlyInitialState(harness);
  });

  // With the window only between consecutive events, the two partial matches waiting in 'middle' survive.
  it('testZeroOrMoreClearingBufferWithinPreviousAndCurrent', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const end1 = new Event(44, 'b', 5.0);

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedBy('middle')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .optional()
      .followedBy('end1')
      .where(nameIs('b'))
      .within(8, 'PREVIOUS_AND_CURRENT');

    const harness = NFATestHarness.forPattern(pattern);
    harness.feedRecord(startEvent, 1);
    harness.feedRecord(middleEvent1, 3);
    harness.feedRecord(middleEvent2, 4);
    harness.feedRecord(end1, 6);

    // pruning element
    harness.advanceTime(10);

    const partialMatches = [...harness.state.getPartialMatches()];
    expect(partialMatches).toHaveLength(3);
    expect(partialMatches.map((c) => c.getCurrentStateName()).join('')).toBe('middle:0middle:0start');
  });

  // ---- Skip till next ----------------------------------------------------------------------------

  it('testBranchingPatternSkipTillNext', () => {
    const startEvent = new Event(40, 'start', 1.0);
    const middleEvent1 = new SubEvent(41, 'foo1', 1.0, 10.0);
    const middleEvent2 = new SubEvent(42, 'foo2', 1.0, 10.0);
    const middleEvent3 = new SubEvent(43, 'foo3', 1.0, 10.0);
    const nextOne1 = new SubEvent(44, 'next-one', 1.0, 2.0);
    const nextOne2 = new SubEvent(45, 'next-one', 1.0, 2.0);
    const endEvent = new Event(46, 'end', 1.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [nextOne1, 6],
      [nextOne2, 7],
      [endEvent, 8],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedBy('middle-first')
      .subtype(isSubEvent)
      .where((e) => volumeOf(e) > 5.0)
      .followedBy('middle-second')
      .subtype(isSubEvent)
      .where(nameIs('next-one'))
      .followedByAny('end')
      .where(nameIs('end'));

    comparePatterns(feedNFA(pattern, inputEvents), [[startEvent, middleEvent1, nextOne1, endEvent]]);
  });

  it('testBranchingPatternMixedFollowedBy', () => {
    const startEvent = new Event(40, 'start', 1.0);
    const middleEvent1 = new SubEvent(41, 'foo1', 1.0, 10.0);
    const middleEvent2 = new SubEvent(42, 'foo2', 1.0, 10.0);
    const middleEvent3 = new SubEvent(43, 'foo3', 1.0, 10.0);
    const nextOne1 = new SubEvent(44, 'next-one', 1.0, 2.0);
    const nextOne2 = new SubEvent(45, 'next-one', 1.0, 2.0);
    const endEvent = new Event(46, 'end', 1.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [nextOne1, 6],
      [nextOne2, 7],
      [endEvent, 8],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('start'))
      .followedByAny('middle-first')
      .subtype(isSubEvent)
      .where((e) => volumeOf(e) > 5.0)
      .followedBy('middle-second')
      .subtype(isSubEvent)
      .where(nameIs('next-one'))
      .followedByAny('end')
      .where(nameIs('end'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, nextOne1, endEvent],
      [startEvent, middleEvent2, nextOne1, endEvent],
      [startEvent, middleEvent3, nextOne1, endEvent],
    ]);
  });

  // Two adjacent allowCombinations loops over the same events: many branches share buffer entries.
  it('testMultipleTakesVersionCollision', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(41, 'a', 3.0);
    const middleEvent3 = new Event(41, 'a', 4.0);
    const middleEvent4 = new Event(41, 'a', 5.0);
    const middleEvent5 = new Event(41, 'a', 6.0);
    const end = new Event(44, 'b', 5.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [middleEvent4, 6],
      [middleEvent5, 7],
      [end, 10],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where(nameIs('c'))
      .followedBy('middle1')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .followedBy('middle2')
      .where(nameIs('a'))
      .oneOrMore()
      .allowCombinations()
      .followedBy('end')
      .where(nameIs('b'));

    comparePatterns(feedNFA(pattern, inputEvents), [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent4, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent4, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent3, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent3, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent4, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent3, middleEvent4, end],
      [startEvent, middleEvent1, middleEvent4, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent4, end],
      [startEvent, middleEvent1, middleEvent2, middleEvent5, end],
      [startEvent, middleEvent1, middleEvent2, end],
    ]);
  });

  it('testNFAResultOrdering', () => {
    const startEvent1 = new Event(41, 'a-1', 2.0);
    const startEvent2 = new Event(41, 'a-2', 3.0);
    const startEvent3 = new Event(41, 'a-3', 4.0);
    const startEvent4 = new Event(41, 'a-4', 5.0);
    const endEvent1 = new Event(41, 'b-1', 6.0);
    const endEvent2 = new Event(41, 'b-2', 7.0);
    const endEvent3 = new Event(41, 'b-3', 8.0);
    const inputEvents: Array<Rec<Event>> = [
      [startEvent1, 1],
      [startEvent2, 3],
      [startEvent3, 4],
      [startEvent4, 5],
      [endEvent1, 6],
      [endEvent2, 7],
      [endEvent3, 10],
    ];

    const pattern = Pattern.begin<Event>('start')
      .where((s) => s.getName().startsWith('a-'))
      .times(4)
      .allowCombinations()
      .followedByAny('middle')
      .where((s) => s.getName().startsWith('b-'))
      .times(3)
      .consecutive();

    const resultingPatterns = NFATestHarness.forPattern(pattern).feedRecords(inputEvents);

    expect(resultingPatterns).toHaveLength(1);
    const match = resultingPatterns[0]!;
    expect(match.get('start')).toEqual([startEvent1, startEvent2, startEvent3, startEvent4]);
    expect(match.get('middle')).toEqual([endEvent1, endEvent2, endEvent3]);
  });

  // The keys of a match come in pattern order, not in (hash or alphabetical) key order.
  it('testNFAResultKeyOrdering', () => {
    const a1 = new Event(41, 'a', 2.0);
    const b1 = new Event(41, 'b', 3.0);
    const aa1 = new Event(41, 'aa', 4.0);
    const bb1 = new Event(41, 'bb', 5.0);
    const ab1 = new Event(41, 'ab', 6.0);
    const inputEvents: Array<Rec<Event>> = [
      [a1, 1],
      [b1, 3],
      [aa1, 4],
      [bb1, 5],
      [ab1, 6],
    ];

    const pattern = Pattern.begin<Event>('a')
      .where((s) => s.getName() === 'a')
      .next('b')
      .where((s) => s.getName() === 'b')
      .next('aa')
      .where((s) => s.getName() === 'aa')
      .next('bb')
      .where((s) => s.getName() === 'bb')
      .next('ab')
      .where((s) => s.getName() === 'ab');

    const resultingPatterns = NFATestHarness.forPattern(pattern).feedRecords(inputEvents);

    expect(resultingPatterns).toHaveLength(1);
    const match = asIds(resultingPatterns[0]!);
    expect(Object.keys(match)).toEqual(['a', 'b', 'aa', 'bb', 'ab']);
    expect(match).toEqual({ a: [41], b: [41], aa: [41], bb: [41], ab: [41] });
  });

  /** Two a's at 1 and 2, then advanceTime(4) with a 3 ms window: how many events stay in the buffer. */
  function testLoopClearing(withinType: WithinType): void {
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipPastLastEvent())
      .times(4)
      .where(nameIs('a'))
      .within(3, withinType);

    const a1 = new Event(40, 'a', 1.0);
    const a2 = new Event(40, 'a', 1.0);

    const harness = NFATestHarness.forPattern(pattern, { skip: AfterMatchSkipStrategy.noSkip() });
    harness.process(a1, 1);
    harness.process(a2, 2);
    harness.advanceTime(4);

    expect(harness.state.sharedBuffer.numEvents()).toBe(withinType === 'FIRST_AND_LAST' ? 1 : 2);
  }

  it('testLoopClearingWithinFirstAndLast', () => {
    testLoopClearing('FIRST_AND_LAST');
  });

  it('testLoopClearingWithinPreviousAndCurrent', () => {
    testLoopClearing('PREVIOUS_AND_CURRENT');
  });
});
