/**
 * Transcribed from Flink's NotPatternITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * notNext() and notFollowedBy(), including notFollowedBy at the end of a pattern with within().
 * Expected matches are Flink's. Several events share ids (as in Flink), so matches are compared in
 * Flink's event order (name, price, id).
 */
import { describe, expect, test } from 'vitest';
import { Pattern, type WithinType } from '../../lib/cep/pattern.ts';
import { AfterMatchSkipStrategy } from '../../lib/cep/aftermatch/after-match-skip-strategy.ts';
import { Event, NFATestHarness, type Rec } from './harness.ts';
import { comparePatternsByEvent as comparePatterns, named } from './itcase-utils.ts';

const feed = (pattern: Pattern<Event, string>, records: Array<Rec<Event>>) => NFATestHarness.forPattern(pattern).feedRecords(records);

/** Flink's NotFollowByData. */
const D = {
  A_1: new Event(40, 'a', 1.0),
  B_1: new Event(41, 'b', 2.0),
  B_2: new Event(42, 'b', 3.0),
  B_3: new Event(42, 'b', 4.0),
  C_1: new Event(43, 'c', 5.0),
  B_4: new Event(42, 'b', 6.0),
  B_5: new Event(42, 'b', 7.0),
  B_6: new Event(42, 'b', 8.0),
  D_1: new Event(43, 'd', 9.0),
};

/** Timestamps 0, 1, 2, ... (Flink's `i++`). */
const fromZero = (...events: Event[]): Array<Rec<Event>> => events.map((e, i) => [e, i] as const);

function testNotNextAfterOneOrMore(allMatches: boolean) {
  const a = Pattern.begin<Event>('a').where(named('a'));
  const pattern = (allMatches ? a.followedByAny('b*') : a.followedBy('b*'))
    .where(named('b'))
    .oneOrMore()
    .notNext('not c')
    .where(named('c'))
    .followedBy('d')
    .where(named('d'));
  return feed(pattern, fromZero(D.A_1, D.B_1, D.C_1, D.B_2, D.D_1));
}

function testNotFollowedByAfterOneOrMore(eager: boolean, allMatches: boolean) {
  const a = Pattern.begin<Event>('a').where(named('a'));
  const b = (allMatches ? a.followedByAny('b*') : a.followedBy('b*')).where(named('b'));
  const pattern = (eager ? b.oneOrMore() : b.oneOrMore().allowCombinations())
    .notFollowedBy('not c')
    .where(named('c'))
    .followedBy('d')
    .where(named('d'));
  return feed(pattern, fromZero(D.A_1, D.B_1, D.B_2, D.B_3, D.C_1, D.B_4, D.B_5, D.B_6, D.D_1));
}

function testNotFollowedByBeforeOneOrMore(eager: boolean, allMatches: boolean, optional: boolean) {
  const a = Pattern.begin<Event>('a').where(named('a')).notFollowedBy('not c').where(named('c'));
  let b = (allMatches ? a.followedByAny('b*') : a.followedBy('b*')).where(named('b')).oneOrMore();
  if (optional) b = b.optional();
  const pattern = (eager ? b : b.allowCombinations()).followedBy('d').where(named('d'));
  return feed(pattern, fromZero(D.A_1, D.B_1, D.C_1, D.B_4, D.B_5, D.B_6, D.D_1));
}

describe('NotPatternITCase', () => {
  test('testNotNext', () => {
    const a1 = new Event(40, 'a', 1.0);
    const c1 = new Event(41, 'c', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const c2 = new Event(43, 'c', 4.0);
    const d = new Event(43, 'd', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notNext('notPattern')
      .where(named('b'))
      .followedByAny('middle')
      .where(named('c'))
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [c1, 2],
      [b1, 3],
      [c2, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [
      [a1, c1, d],
      [a1, c2, d],
    ]);
  });

  test('testNotNextNoMatches', () => {
    const a1 = new Event(40, 'a', 1.0);
    const b1 = new Event(42, 'b', 3.0);
    const c1 = new Event(41, 'c', 2.0);
    const c2 = new Event(43, 'c', 4.0);
    const d = new Event(43, 'd', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notNext('notPattern')
      .where(named('b'))
      .followedBy('middle')
      .where(named('c'))
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [b1, 2],
      [c1, 3],
      [c2, 4],
      [d, 5],
    ]);
    expect(matches).toHaveLength(0);
  });

  test('testNotNextNoMatchesAtTheEnd', () => {
    const a1 = new Event(40, 'a', 1.0);
    const c1 = new Event(41, 'c', 2.0);
    const c2 = new Event(43, 'c', 4.0);
    const d = new Event(43, 'd', 4.0);
    const b1 = new Event(42, 'b', 3.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .followedByAny('middle')
      .where(named('c'))
      .followedByAny('end')
      .where(named('d'))
      .notNext('notPattern')
      .where(named('b'));
    const matches = feed(pattern, [
      [a1, 1],
      [c1, 2],
      [c2, 3],
      [d, 4],
      [b1, 5],
    ]);
    expect(matches).toHaveLength(0);
  });

  test('testNotFollowedBy', () => {
    const a1 = new Event(40, 'a', 1.0);
    const c1 = new Event(41, 'c', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const c2 = new Event(43, 'c', 4.0);
    const d = new Event(43, 'd', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notFollowedBy('notPattern')
      .where(named('b'))
      .followedByAny('middle')
      .where(named('c'))
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [c1, 2],
      [b1, 3],
      [c2, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [[a1, c1, d]]);
  });

  test('testNotFollowedByBeforeOptional', () => {
    const a1 = new Event(40, 'a', 1.0);
    const c1 = new Event(41, 'c', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const c2 = new Event(43, 'c', 4.0);
    const d = new Event(43, 'd', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notFollowedBy('notPattern')
      .where(named('b'))
      .followedByAny('middle')
      .where(named('c'))
      .optional()
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [c1, 2],
      [b1, 3],
      [c2, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [[a1, c1, d]]);
  });

  test('testTimesWithNotFollowedBy', () => {
    const a1 = new Event(40, 'a', 1.0);
    const b1 = new Event(41, 'b', 2.0);
    const c = new Event(42, 'c', 3.0);
    const b2 = new Event(43, 'b', 4.0);
    const d = new Event(43, 'd', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .followedByAny('middle')
      .where(named('b'))
      .times(2)
      .notFollowedBy('notPattern')
      .where(named('c'))
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [b1, 2],
      [c, 3],
      [b2, 4],
      [d, 5],
    ]);
    comparePatterns(matches, []);
  });

  test('testIgnoreStateOfTimesWithNotFollowedBy', () => {
    const a1 = new Event(40, 'a', 1.0);
    const e = new Event(41, 'e', 2.0);
    const c1 = new Event(42, 'c', 3.0);
    const b1 = new Event(43, 'b', 4.0);
    const c2 = new Event(44, 'c', 5.0);
    const d1 = new Event(45, 'd', 6.0);
    const d2 = new Event(46, 'd', 7.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notFollowedBy('notPattern')
      .where(named('b'))
      .followedByAny('middle')
      .where(named('c'))
      .times(2)
      .optional()
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [d1, 2],
      [e, 1],
      [b1, 3],
      [c1, 2],
      [c2, 4],
      [d2, 5],
    ]);
    comparePatterns(matches, [[a1, d1]]);
  });

  test('testTimesWithNotFollowedByAfter', () => {
    const a1 = new Event(40, 'a', 1.0);
    const e = new Event(41, 'e', 2.0);
    const c1 = new Event(42, 'c', 3.0);
    const b1 = new Event(43, 'b', 4.0);
    const b2 = new Event(44, 'b', 5.0);
    const d1 = new Event(46, 'd', 7.0);
    const d2 = new Event(47, 'd', 8.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .followedByAny('middle')
      .where(named('b'))
      .times(2)
      .notFollowedBy('notPattern')
      .where(named('c'))
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [d1, 2],
      [e, 1],
      [b1, 3],
      [b2, 3],
      [c1, 2],
      [d2, 5],
    ]);
    comparePatterns(matches, []);
  });

  test('testNotFollowedByBeforeOptionalAtTheEnd', () => {
    const a1 = new Event(40, 'a', 1.0);
    const c1 = new Event(41, 'c', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const c2 = new Event(43, 'c', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notFollowedBy('notPattern')
      .where(named('b'))
      .followedByAny('end')
      .where(named('c'))
      .optional();
    const matches = feed(pattern, [
      [a1, 1],
      [c1, 2],
      [b1, 3],
      [c2, 4],
    ]);
    comparePatterns(matches, [[a1, c1], [a1]]);
  });

  test('testNotFollowedByBeforeOptionalTimes', () => {
    const a1 = new Event(40, 'a', 1.0);
    const c1 = new Event(41, 'c', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const c2 = new Event(43, 'c', 4.0);
    const d = new Event(43, 'd', 4.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notFollowedBy('notPattern')
      .where(named('b'))
      .followedByAny('middle')
      .where(named('c'))
      .times(2)
      .optional()
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [c1, 2],
      [b1, 3],
      [c2, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [[a1, c1, c2, d]]);
  });

  test('testNotFollowedByWithBranchingAtStart', () => {
    const a1 = new Event(40, 'a', 1.0);
    const b1 = new Event(42, 'b', 3.0);
    const c1 = new Event(41, 'c', 2.0);
    const a2 = new Event(41, 'a', 4.0);
    const c2 = new Event(43, 'c', 5.0);
    const d = new Event(43, 'd', 6.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .notFollowedBy('notPattern')
      .where(named('b'))
      .followedBy('middle')
      .where(named('c'))
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [b1, 2],
      [c1, 3],
      [a2, 4],
      [c2, 5],
      [d, 6],
    ]);
    comparePatterns(matches, [[a2, c2, d]]);
  });

  test('testNotNextAfterOneOrMoreSkipTillNext', () => {
    expect(testNotNextAfterOneOrMore(false)).toHaveLength(0);
  });

  test('testNotNextAfterOneOrMoreSkipTillAny', () => {
    comparePatterns(testNotNextAfterOneOrMore(true), [[D.A_1, D.B_2, D.D_1]]);
  });

  test('testNotFollowedByNextAfterOneOrMoreEager', () => {
    expect(testNotFollowedByAfterOneOrMore(true, false)).toHaveLength(0);
  });

  test('testNotFollowedByAnyAfterOneOrMoreEager', () => {
    comparePatterns(testNotFollowedByAfterOneOrMore(true, true), [
      [D.A_1, D.B_4, D.B_5, D.B_6, D.D_1],
      [D.A_1, D.B_4, D.B_5, D.D_1],
      [D.A_1, D.B_4, D.D_1],
      [D.A_1, D.B_5, D.B_6, D.D_1],
      [D.A_1, D.B_5, D.D_1],
      [D.A_1, D.B_6, D.D_1],
    ]);
  });

  test('testNotFollowedByNextAfterOneOrMoreCombinations', () => {
    expect(testNotFollowedByAfterOneOrMore(false, false)).toHaveLength(0);
  });

  test('testNotFollowedByAnyAfterOneOrMoreCombinations', () => {
    comparePatterns(testNotFollowedByAfterOneOrMore(false, true), [
      [D.A_1, D.B_4, D.B_5, D.B_6, D.D_1],
      [D.A_1, D.B_4, D.B_5, D.D_1],
      [D.A_1, D.B_4, D.B_6, D.D_1],
      [D.A_1, D.B_4, D.D_1],
      [D.A_1, D.B_5, D.B_6, D.D_1],
      [D.A_1, D.B_5, D.D_1],
      [D.A_1, D.B_6, D.D_1],
    ]);
  });

  const eagerBefore = [
    [D.A_1, D.B_1, D.B_4, D.B_5, D.B_6, D.D_1],
    [D.A_1, D.B_1, D.B_4, D.B_5, D.D_1],
    [D.A_1, D.B_1, D.B_4, D.D_1],
    [D.A_1, D.B_1, D.D_1],
  ];
  const combinationsBefore = [
    [D.A_1, D.B_1, D.B_4, D.B_5, D.B_6, D.D_1],
    [D.A_1, D.B_1, D.B_4, D.B_6, D.D_1],
    [D.A_1, D.B_1, D.B_4, D.B_5, D.D_1],
    [D.A_1, D.B_1, D.B_4, D.D_1],
    [D.A_1, D.B_1, D.B_5, D.B_6, D.D_1],
    [D.A_1, D.B_1, D.B_5, D.D_1],
    [D.A_1, D.B_1, D.B_6, D.D_1],
    [D.A_1, D.B_1, D.D_1],
  ];

  test('testNotFollowedByAnyBeforeOneOrMoreEager', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(true, true, false), eagerBefore);
  });

  test('testNotFollowedByAnyBeforeOneOrMoreCombinations', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(false, true, false), combinationsBefore);
  });

  test('testNotFollowedByBeforeOneOrMoreEager', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(true, false, false), eagerBefore);
  });

  test('testNotFollowedByBeforeOneOrMoreCombinations', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(false, false, false), combinationsBefore);
  });

  test('testNotFollowedByBeforeZeroOrMoreEagerSkipTillNext', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(true, false, true), eagerBefore);
  });

  test('testNotFollowedByBeforeZeroOrMoreCombinationsSkipTillNext', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(false, false, true), combinationsBefore);
  });

  test('testNotFollowedByBeforeZeroOrMoreEagerSkipTillAny', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(true, true, true), eagerBefore);
  });

  test('testNotFollowedByBeforeZeroOrMoreCombinationsSkipTillAny', () => {
    comparePatterns(testNotFollowedByBeforeOneOrMore(false, true, true), combinationsBefore);
  });

  /** Flink's testNotFollowedByWithinAtEnd(withinType): a notFollowedBy b within 3 ms, at the end of the pattern. */
  function testNotFollowedByWithinAtEnd(withinType: WithinType) {
    const a1 = new Event(40, 'a', 1.0);
    const b1 = new Event(41, 'b', 2.0);
    const a2 = new Event(42, 'a', 3.0);
    const c = new Event(43, 'c', 4.0);
    const b2 = new Event(44, 'b', 5.0);
    const a3 = new Event(45, 'a', 7.0);
    const b3 = new Event(46, 'b', 8.0);
    const pattern = Pattern.begin<Event>('a').where(named('a')).notFollowedBy('b').where(named('b')).within(3, withinType);
    const matches = feed(pattern, [
      [a1, 1],
      [b1, 2],
      [a2, 4],
      [c, 5],
      [b2, 10],
      [a3, 11],
      [b3, 13],
    ]);
    comparePatterns(matches, [[a2]]);
  }

  test('testNotFollowedByWithinFirstAndLastAtEnd', () => {
    testNotFollowedByWithinAtEnd('FIRST_AND_LAST');
  });

  test('testNotFollowedByWithinPreviousAndCurrentAtEnd', () => {
    testNotFollowedByWithinAtEnd('PREVIOUS_AND_CURRENT');
  });

  test('testNotFollowByBeforeTimesWithin', () => {
    const a1 = new Event(40, 'a', 1.0);
    const b1 = new Event(41, 'b', 2.0);
    const a2 = new Event(42, 'a', 3.0);
    const c1 = new Event(43, 'c', 4.0);
    const c2 = new Event(44, 'c', 5.0);
    const a3 = new Event(45, 'a', 7.0);
    const c3 = new Event(46, 'c', 8.0);
    const c4 = new Event(47, 'c', 8.0);
    const pattern = Pattern.begin<Event>('a')
      .where(named('a'))
      .notFollowedBy('b')
      .where(named('b'))
      .followedBy('c')
      .where(named('c'))
      .times(0, 2)
      .within(3);
    const matches = feed(pattern, [
      [a1, 1],
      [b1, 2],
      [a2, 10],
      [c1, 11],
      [c2, 12],
      [a3, 20],
      [c3, 21],
      [c4, 24],
    ]);
    comparePatterns(matches, [[a1], [a2], [a2, c1], [a2, c1, c2], [a3], [a3, c3]]);
  });

  test('testNotFollowedByWithinAtEndAfterMatch', () => {
    const a1 = new Event(40, 'a', 1.0);
    const a2 = new Event(41, 'a', 2.0);
    const a3 = new Event(42, 'a', 3.0);
    const c1 = new Event(43, 'c', 4.0);
    const c2 = new Event(44, 'c', 5.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipPastLastEvent())
      .where(named('a'))
      .oneOrMore()
      .allowCombinations()
      .followedBy('c')
      .where(named('c'))
      .notFollowedBy('b')
      .where(named('b'))
      .within(5);
    const harness = NFATestHarness.forPattern(pattern, { skip: AfterMatchSkipStrategy.skipPastLastEvent() });
    const matches = harness.feedRecords([
      [a1, 1],
      [a2, 2],
      [a3, 3],
      [c1, 4],
      [c2, 10],
    ]);
    comparePatterns(matches, [[a1, a2, a3, c1]]);
  });
});
