/**
 * Transcribed from Flink's GroupITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * group patterns (Pattern.begin(pattern), next/followedBy/followedByAny(pattern)) with quantifiers,
 * nesting, negation after a group, and until() on a looping group. Expected matches are Flink's.
 */
import { describe, expect, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { Event, NFATestHarness, comparePatterns, type Rec } from './harness.ts';
import { named } from './itcase-utils.ts';

const feed = (pattern: Pattern<Event, string>, records: Array<Rec<Event>>) => NFATestHarness.forPattern(pattern).feedRecords(records);

/** The group (a b): middle1(a) followedBy middle2(b). */
const ab = () => Pattern.begin<Event>('middle1').where(named('a')).followedBy('middle2').where(named('b'));

/** c a1 b1 a2 b2 d at 1..6 (Flink's events for the (a b) tests). */
function cababd() {
  const c = new Event(40, 'c', 1.0);
  const a1 = new Event(41, 'a', 2.0);
  const b1 = new Event(42, 'b', 3.0);
  const a2 = new Event(43, 'a', 4.0);
  const b2 = new Event(44, 'b', 5.0);
  const d = new Event(45, 'd', 6.0);
  const records: Array<Rec<Event>> = [
    [c, 1],
    [a1, 2],
    [b1, 3],
    [a2, 4],
    [b2, 5],
    [d, 6],
  ];
  return { c, a1, b1, a2, b2, d, records };
}

/** c a1 b1 a2 b2 a3 b3 d at 1..8 (Flink's events for the followedByAny group tests). */
function cabababd() {
  const c = new Event(40, 'c', 1.0);
  const a1 = new Event(41, 'a', 2.0);
  const b1 = new Event(42, 'b', 3.0);
  const a2 = new Event(43, 'a', 4.0);
  const b2 = new Event(44, 'b', 5.0);
  const a3 = new Event(45, 'a', 4.0);
  const b3 = new Event(46, 'b', 5.0);
  const d = new Event(47, 'd', 6.0);
  const records: Array<Rec<Event>> = [
    [c, 1],
    [a1, 2],
    [b1, 3],
    [a2, 4],
    [b2, 5],
    [a3, 6],
    [b3, 7],
    [d, 8],
  ];
  return { c, a1, b1, a2, b2, a3, b3, d, records };
}

describe('GroupITCase', () => {
  test('testGroupFollowedByTimes', () => {
    const { c, a1, b1, a2, b2, d, records } = cababd();
    // c (a b){2} d
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy(ab()).times(2).followedBy('end').where(named('d'));
    comparePatterns(feed(pattern, records), [[c, a1, b1, a2, b2, d]]);
  });

  test('testGroupFollowedByOptional', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const b = new Event(43, 'b', 3.0);
    const d = new Event(44, 'd', 4.0);
    // c (a b)? d
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy(ab()).optional().followedBy('end').where(named('d'));
    const matches = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [b, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [
      [c, d],
      [c, a1, b, d],
    ]);
  });

  test('testFollowedByGroupTimesOptional', () => {
    const c = new Event(40, 'c', 1.0);
    const a = new Event(41, 'a', 2.0);
    const d = new Event(45, 'd', 3.0);
    // c (a b){2}? d
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy(ab()).times(2).optional().followedBy('end').where(named('d'));
    const matches = feed(pattern, [
      [c, 1],
      [a, 2],
      [d, 3],
    ]);
    comparePatterns(matches, [[c, d]]);
  });

  test('testGroupFollowedByOneOrMore', () => {
    const { c, a1, b1, a2, b2, d, records } = cababd();
    // c (a b)+ d
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy(ab()).oneOrMore().followedBy('end').where(named('d'));
    comparePatterns(feed(pattern, records), [
      [c, a1, b1, d],
      [c, a1, b1, a2, b2, d],
    ]);
  });

  test('testGroupFollowedByZeroOrMore', () => {
    const { c, a1, b1, a2, b2, d, records } = cababd();
    // c (a b)* d
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy(ab()).oneOrMore().optional().followedBy('end').where(named('d'));
    comparePatterns(feed(pattern, records), [
      [c, d],
      [c, a1, b1, d],
      [c, a1, b1, a2, b2, d],
    ]);
  });

  test('testGroupFollowedByAnyTimesCombinations', () => {
    const { c, a1, b1, a2, b2, a3, b3, d, records } = cabababd();
    // c any (a b){2} d
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedByAny(ab())
      .times(2)
      .allowCombinations()
      .followedBy('end')
      .where(named('d'));
    comparePatterns(feed(pattern, records), [
      [c, a1, b1, a2, b2, d],
      [c, a1, b1, a3, b3, d],
      [c, a2, b2, a3, b3, d],
    ]);
  });

  test('testGroupFollowedByAnyTimesOptional', () => {
    const { c, a1, b1, a2, b2, a3, b3, d, records } = cabababd();
    // c any (a b){2}? d
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedByAny(ab()).times(2).optional().followedBy('end').where(named('d'));
    comparePatterns(feed(pattern, records), [
      [c, d],
      [c, a1, b1, a2, b2, d],
      [c, a2, b2, a3, b3, d],
    ]);
  });

  test('testGroupFollowedByAnyOneOrMore', () => {
    const { c, a1, b1, a2, b2, a3, b3, d, records } = cabababd();
    // c any (a b){1,} d
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedByAny(ab()).oneOrMore().followedBy('end').where(named('d'));
    comparePatterns(feed(pattern, records), [
      [c, a1, b1, d],
      [c, a2, b2, d],
      [c, a3, b3, d],
      [c, a1, b1, a2, b2, d],
      [c, a2, b2, a3, b3, d],
      [c, a1, b1, a2, b2, a3, b3, d],
    ]);
  });

  test('testGroupNextZeroOrMore', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const a2 = new Event(43, 'a', 3.0);
    const b2 = new Event(44, 'b', 3.0);
    const a3 = new Event(45, 'a', 4.0);
    const b3 = new Event(46, 'b', 3.0);
    const d = new Event(47, 'd', 1.0);
    // c next (a b)* d
    const pattern = Pattern.begin<Event>('start').where(named('c')).next(ab()).oneOrMore().optional().consecutive().followedBy('end').where(named('d'));
    const matches = feed(pattern, [
      [c, 1],
      [a1, 3],
      [b1, 4],
      [a2, 5],
      [b2, 6],
      [a3, 7],
      [b3, 8],
      [d, 9],
    ]);
    comparePatterns(matches, [
      [c, d],
      [c, a1, b1, d],
      [c, a1, b1, a2, b2, d],
      [c, a1, b1, a2, b2, a3, b3, d],
    ]);
  });

  /** c a1 b1 d a2 b2 e at 1..7 (testGroupNotFollowedBy / testGroupNotNext). */
  function cabdabe() {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const d = new Event(43, 'd', 3.0);
    const a2 = new Event(44, 'a', 4.0);
    const b2 = new Event(45, 'b', 5.0);
    const e = new Event(46, 'e', 6.0);
    const records: Array<Rec<Event>> = [
      [c, 1],
      [a1, 2],
      [b1, 3],
      [d, 4],
      [a2, 5],
      [b2, 6],
      [e, 7],
    ];
    return { c, a2, b2, e, records };
  }

  test('testGroupNotFollowedBy', () => {
    const { c, a2, b2, e, records } = cabdabe();
    // c (a b) ^d e
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedByAny(ab())
      .notFollowedBy('notPattern')
      .where(named('d'))
      .followedBy('end')
      .where(named('e'));
    comparePatterns(feed(pattern, records), [[c, a2, b2, e]]);
  });

  test('testGroupNotNext', () => {
    const { c, a2, b2, e, records } = cabdabe();
    // c (a b) next ^d e
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedByAny(ab())
      .notNext('notPattern')
      .where(named('d'))
      .followedBy('end')
      .where(named('e'));
    comparePatterns(feed(pattern, records), [[c, a2, b2, e]]);
  });

  test('testGroupNest', () => {
    const d = new Event(40, 'd', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const c1 = new Event(43, 'c', 4.0);
    const b2 = new Event(44, 'b', 5.0);
    const c2 = new Event(45, 'c', 4.0);
    const e = new Event(46, 'e', 6.0);
    // d (a (b c)*)? e
    const pattern = Pattern.begin<Event>('start')
      .where(named('d'))
      .followedBy(
        Pattern.begin<Event>('middle1')
          .where(named('a'))
          .followedBy(Pattern.begin<Event>('middle2').where(named('b')).followedBy('middle3').where(named('c')))
          .oneOrMore()
          .optional(),
      )
      .optional()
      .followedBy('end')
      .where(named('e'));
    const matches = feed(pattern, [
      [d, 1],
      [a1, 2],
      [b1, 3],
      [c1, 4],
      [b2, 5],
      [c2, 6],
      [e, 7],
    ]);
    comparePatterns(matches, [
      [d, e],
      [d, a1, e],
      [d, a1, b1, c1, e],
      [d, a1, b1, c1, b2, c2, e],
    ]);
  });

  /** d a1 (b c)x3 a2 (b c)x3 e, optionally with a breaking event after c4 (testGroupNestTimes[Consecutive]). */
  function nestTimesData(breaking: boolean) {
    const d = new Event(40, 'd', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const c1 = new Event(43, 'c', 4.0);
    const b2 = new Event(44, 'b', 5.0);
    const c2 = new Event(45, 'c', 4.0);
    const b3 = new Event(46, 'b', 5.0);
    const c3 = new Event(47, 'c', 4.0);
    const a2 = new Event(48, 'a', 2.0);
    const b4 = new Event(49, 'b', 3.0);
    const c4 = new Event(50, 'c', 4.0);
    const b5 = new Event(51, 'b', 5.0);
    const c5 = new Event(52, 'c', 4.0);
    const b6 = new Event(53, 'b', 5.0);
    const c6 = new Event(54, 'c', 4.0);
    const e = new Event(55, 'e', 6.0);
    const events = [d, a1, b1, c1, b2, c2, b3, c3, a2, b4, c4, ...(breaking ? [new Event(0, 'breaking', 99.0)] : []), b5, c5, b6, c6, e];
    const records = events.map((ev, i) => [ev, i + 1] as const);
    return { d, a1, b1, c1, b2, c2, b3, c3, a2, b4, c4, b5, c5, b6, c6, e, records };
  }

  test('testGroupNestTimes', () => {
    const { d, a1, b1, c1, b2, c2, b3, c3, a2, b4, c4, b5, c5, b6, c6, e, records } = nestTimesData(false);
    // d any (a (b c){3}){0, 2} e
    const pattern = Pattern.begin<Event>('start')
      .where(named('d'))
      .followedByAny(
        Pattern.begin<Event>('middle1')
          .where(named('a'))
          .followedBy(Pattern.begin<Event>('middle2').where(named('b')).followedBy('middle3').where(named('c')))
          .times(3),
      )
      .times(0, 2)
      .followedBy('end')
      .where(named('e'));
    comparePatterns(feed(pattern, records), [
      [d, e],
      [d, a1, b1, c1, b2, c2, b3, c3, e],
      [d, a2, b4, c4, b5, c5, b6, c6, e],
      [d, a1, b1, c1, b2, c2, b3, c3, a2, b4, c4, b5, c5, b6, c6, e],
    ]);
  });

  test('testGroupNestTimesConsecutive', () => {
    const { d, a1, b1, c1, b2, c2, b3, c3, e, records } = nestTimesData(true);
    // d any (a (b c){3}){0, 2} e, both quantifiers consecutive
    const pattern = Pattern.begin<Event>('start')
      .where(named('d'))
      .followedByAny(
        Pattern.begin<Event>('middle1')
          .where(named('a'))
          .followedBy(Pattern.begin<Event>('middle2').where(named('b')).followedBy('middle3').where(named('c')))
          .times(3)
          .consecutive(),
      )
      .times(0, 2)
      .consecutive()
      .followedBy('end')
      .where(named('e'));
    comparePatterns(feed(pattern, records), [
      [d, e],
      [d, a1, b1, c1, b2, c2, b3, c3, e],
    ]);
  });

  test('testGroupBegin', () => {
    const a1 = new Event(41, 'a', 2.0);
    const b1 = new Event(42, 'b', 3.0);
    const a2 = new Event(43, 'a', 4.0);
    const b2 = new Event(44, 'b', 5.0);
    const d = new Event(45, 'd', 6.0);
    // (a b){1, 2} d
    const pattern = Pattern.begin(ab()).times(1, 2).followedBy('end').where(named('d'));
    const matches = feed(pattern, [
      [a1, 1],
      [b1, 2],
      [a2, 3],
      [b2, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [
      [a1, b1, d],
      [a2, b2, d],
      [a1, b1, a2, b2, d],
    ]);
  });

  test('testGroupFollowedByOneOrMoreWithUntilCondition', () => {
    const { c, a1, b1, a2, b2, d, records } = cababd();
    // c (a b)+ d, the group looping until a d
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedBy(ab())
      .oneOrMore()
      .until(named('d'))
      .followedBy('end')
      .where(named('d'));
    const harness = NFATestHarness.forPattern(pattern);
    comparePatterns(harness.feedRecords(records), [
      [c, a1, b1, d],
      [c, a1, b1, a2, b2, d],
    ]);
    const partial = [...harness.state.getPartialMatches()];
    expect(partial).toHaveLength(1);
    expect(partial[0]!.getCurrentStateName()).toBe('start');
  });

  test('testGroupStartsWithOptionalPattern', () => {
    const a = new Event(40, 'a', 1.0);
    const c = new Event(41, 'c', 2.0);
    const d = new Event(42, 'd', 3.0);
    // a (b? c) d
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .next(Pattern.begin<Event>('middle1').where(named('b')).optional().next('middle2').where(named('c')))
      .next('d')
      .where(named('d'));
    const matches = feed(pattern, [
      [a, 1],
      [c, 2],
      [d, 3],
    ]);
    comparePatterns(matches, [[a, c, d]]);
  });

  test('testFollowedByOptionalGroupPattern', () => {
    const a = new Event(40, 'a', 1.0);
    const d1 = new Event(41, 'd', 2.0);
    const d2 = new Event(42, 'd', 3.0);
    // a -> (b c)? d
    const pattern = Pattern.begin<Event>('start')
      .where(named('a'))
      .followedBy(Pattern.begin<Event>('middle1').where(named('b')).next('middle2').where(named('c')))
      .optional()
      .next('d')
      .where(named('d'));
    const matches = feed(pattern, [
      [a, 1],
      [d1, 2],
      [d2, 3],
    ]);
    comparePatterns(matches, [[a, d1]]);
  });
});
