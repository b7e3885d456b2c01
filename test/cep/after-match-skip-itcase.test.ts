/**
 * Transcribed from Flink's AfterMatchSkipITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * the after-match skip strategies (noSkip, skipToNext, skipPastLastEvent, skipToFirst, skipToLast).
 * Flink feeds these records without timestamps (see `untimed`). Expected matches are Flink's.
 */
import { describe, expect, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { AfterMatchSkipStrategy } from '../../lib/cep/aftermatch/after-match-skip-strategy.ts';
import { Event, NFATestHarness, asIds, comparePatterns } from './harness.ts';
import { nameContains, named, untimed } from './itcase-utils.ts';

/** Flink's TwoVariablesFollowedByAny: a followedByAny b. */
const TwoVariablesFollowedByAny = {
  a1: new Event(1, 'a', 0.0),
  b1: new Event(2, 'b', 0.0),
  a2: new Event(4, 'a', 0.0),
  b2: new Event(5, 'b', 0.0),
  compute(skip: AfterMatchSkipStrategy) {
    const { a1, b1, a2, b2 } = TwoVariablesFollowedByAny;
    const pattern = Pattern.begin<Event>('start').where(named('a')).followedByAny('end').where(named('b'));
    return NFATestHarness.forPattern(pattern, { skip }).feedRecords(untimed(a1, b1, a2, b2));
  },
};

/** Flink's QuantifierAtEndOfPattern: a next b+. */
const QuantifierAtEndOfPattern = {
  a1: new Event(1, 'a', 0.0),
  b1: new Event(2, 'b', 0.0),
  b2: new Event(4, 'b', 0.0),
  b3: new Event(5, 'b', 0.0),
  compute(skip: AfterMatchSkipStrategy) {
    const { a1, b1, b2, b3 } = QuantifierAtEndOfPattern;
    const pattern = Pattern.begin<Event>('start').where(named('a')).next('end').where(named('b')).oneOrMore();
    return NFATestHarness.forPattern(pattern, { skip }).feedRecords(untimed(a1, b1, b2, b3));
  },
};

/** Flink's MissedSkipTo: a next b*(consecutive) next c, fed a c, so stage b never has an event. */
const MissedSkipTo = {
  a: new Event(1, 'a', 0.0),
  c: new Event(4, 'c', 0.0),
  compute(skip: AfterMatchSkipStrategy) {
    const pattern = Pattern.begin<Event>('a')
      .where(nameContains('a'))
      .next('b')
      .where(nameContains('b'))
      .oneOrMore()
      .optional()
      .consecutive()
      .next('c')
      .where(nameContains('c'));
    return NFATestHarness.forPattern(pattern, { skip }).feedRecords(untimed(MissedSkipTo.a, MissedSkipTo.c));
  },
};

/** Events written as `id:name@timestamp`, space-separated (as the issue writes them). */
function timedEvents(text: string): Array<[Event, number]> {
  return text.split(' ').map((s) => {
    const [, id, name, ts] = /^(\d+):(\w+)@(\d+)$/.exec(s)!;
    return [new Event(Number(id), name!, 0.0), Number(ts)];
  });
}

describe('AfterMatchSkipITCase', () => {
  test('testNoSkip', () => {
    const [a1, a2, a3, a4, a5, a6] = [1, 2, 3, 4, 5, 6].map((i) => new Event(i, 'a', 0.0)) as [Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.noSkip()).where(named('a')).times(3);
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, a2, a3, a4, a5, a6));
    comparePatterns(matches, [
      [a1, a2, a3],
      [a2, a3, a4],
      [a3, a4, a5],
      [a4, a5, a6],
    ]);
  });

  test('testNoSkipWithFollowedByAny', () => {
    const { a1, b1, a2, b2 } = TwoVariablesFollowedByAny;
    comparePatterns(TwoVariablesFollowedByAny.compute(AfterMatchSkipStrategy.noSkip()), [
      [a1, b1],
      [a1, b2],
      [a2, b2],
    ]);
  });

  test('testSkipToNextWithFollowedByAny', () => {
    const { a1, b1, a2, b2 } = TwoVariablesFollowedByAny;
    comparePatterns(TwoVariablesFollowedByAny.compute(AfterMatchSkipStrategy.skipToNext()), [
      [a1, b1],
      [a2, b2],
    ]);
  });

  test('testNoSkipWithQuantifierAtTheEnd', () => {
    const { a1, b1, b2, b3 } = QuantifierAtEndOfPattern;
    comparePatterns(QuantifierAtEndOfPattern.compute(AfterMatchSkipStrategy.noSkip()), [
      [a1, b1, b2, b3],
      [a1, b1, b2],
      [a1, b1],
    ]);
  });

  test('testSkipToNextWithQuantifierAtTheEnd', () => {
    const { a1, b1 } = QuantifierAtEndOfPattern;
    comparePatterns(QuantifierAtEndOfPattern.compute(AfterMatchSkipStrategy.skipToNext()), [[a1, b1]]);
  });

  test('testSkipPastLast', () => {
    const [a1, a2, a3, a4, a5, a6] = [1, 2, 3, 4, 5, 6].map((i) => new Event(i, 'a', 0.0)) as [Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipPastLastEvent()).where(named('a')).times(3);
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, a2, a3, a4, a5, a6));
    comparePatterns(matches, [
      [a1, a2, a3],
      [a4, a5, a6],
    ]);
  });

  test('testSkipToFirst', () => {
    const [ab1, ab2, ab3, ab4, ab5, ab6] = [1, 2, 3, 4, 5, 6].map((i) => new Event(i, 'ab', 0.0)) as [Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipToFirst('end'))
      .where(nameContains('a'))
      .times(2)
      .next('end')
      .where(nameContains('b'))
      .times(2);
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(ab1, ab2, ab3, ab4, ab5, ab6));
    comparePatterns(matches, [
      [ab1, ab2, ab3, ab4],
      [ab3, ab4, ab5, ab6],
    ]);
  });

  test('testSkipToLast', () => {
    const [ab1, ab2, ab3, ab4, ab5, ab6, ab7] = [1, 2, 3, 4, 5, 6, 7].map((i) => new Event(i, 'ab', 0.0)) as [Event, Event, Event, Event, Event, Event, Event];
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipToLast('end'))
      .where(nameContains('a'))
      .times(2)
      .next('end')
      .where(nameContains('b'))
      .times(2);
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(ab1, ab2, ab3, ab4, ab5, ab6, ab7));
    comparePatterns(matches, [
      [ab1, ab2, ab3, ab4],
      [ab4, ab5, ab6, ab7],
    ]);
  });

  test('testSkipPastLast2', () => {
    const a1 = new Event(1, 'a1', 0.0);
    const a2 = new Event(2, 'a2', 0.0);
    const b1 = new Event(3, 'b1', 0.0);
    const b2 = new Event(4, 'b2', 0.0);
    const c1 = new Event(5, 'c1', 0.0);
    const c2 = new Event(6, 'c2', 0.0);
    const d1 = new Event(7, 'd1', 0.0);
    const d2 = new Event(7, 'd2', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipPastLastEvent())
      .where(nameContains('a'))
      .followedByAny('b')
      .where(nameContains('b'))
      .followedByAny('c')
      .where(nameContains('c'))
      .followedBy('d')
      .where(nameContains('d'));
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, a2, b1, b2, c1, c2, d1, d2));
    comparePatterns(matches, [[a1, b1, c1, d1]]);
  });

  test('testSkipPastLast3', () => {
    const a1 = new Event(1, 'a1', 0.0);
    const c = new Event(2, 'c', 0.0);
    const a2 = new Event(3, 'a2', 0.0);
    const b2 = new Event(4, 'b2', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipPastLastEvent()).where(nameContains('a')).next('b').where(nameContains('b'));
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, c, a2, b2));
    comparePatterns(matches, [[a2, b2]]);
  });

  test('testSkipToFirstWithOptionalMatch', () => {
    const ab1 = new Event(1, 'ab1', 0.0);
    const c1 = new Event(2, 'c1', 0.0);
    const ab2 = new Event(3, 'ab2', 0.0);
    const c2 = new Event(4, 'c2', 0.0);
    const pattern = Pattern.begin<Event>('x', AfterMatchSkipStrategy.skipToFirst('b'))
      .where(nameContains('x'))
      .oneOrMore()
      .optional()
      .next('b')
      .where(nameContains('b'))
      .next('c')
      .where(nameContains('c'));
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(ab1, c1, ab2, c2));
    comparePatterns(matches, [
      [ab1, c1],
      [ab2, c2],
    ]);
  });

  test('testSkipToFirstAtStartPosition', () => {
    const ab1 = new Event(1, 'ab1', 0.0);
    const c1 = new Event(2, 'c1', 0.0);
    const ab2 = new Event(3, 'ab2', 0.0);
    const c2 = new Event(4, 'c2', 0.0);
    const pattern = Pattern.begin<Event>('b', AfterMatchSkipStrategy.skipToFirst('b')).where(nameContains('b')).next('c').where(nameContains('c'));
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(ab1, c1, ab2, c2));
    comparePatterns(matches, [
      [ab1, c1],
      [ab2, c2],
    ]);
  });

  test('testSkipToFirstWithOneOrMore', () => {
    const a1 = new Event(1, 'a1', 0.0);
    const b1 = new Event(2, 'b1', 0.0);
    const a2 = new Event(3, 'a2', 0.0);
    const b2 = new Event(4, 'b2', 0.0);
    const b3 = new Event(5, 'b3', 0.0);
    const a3 = new Event(3, 'a3', 0.0);
    const b4 = new Event(4, 'b4', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipToFirst('b'))
      .where(nameContains('a'))
      .next('b')
      .where(nameContains('b'))
      .oneOrMore()
      .consecutive();
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, b1, a2, b2, b3, a3, b4));
    comparePatterns(matches, [
      [a1, b1],
      [a2, b2],
      [a3, b4],
    ]);
  });

  test('testSkipToFirstElementOfMatch', () => {
    // skipToFirst on the match's own first event throws with throwExceptionOnMiss (Flink: FlinkRuntimeException,
    // with Flink's message).
    const a1 = new Event(1, 'a1', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipToFirst('a').throwExceptionOnMiss()).where(nameContains('a'));
    const harness = NFATestHarness.forPattern(pattern);
    expect(() => harness.feedRecords(untimed(a1))).toThrow(/Could not skip to first element of a match/);
  });

  test('testSkipToFirstNonExistentPosition', () => {
    expect(() => MissedSkipTo.compute(AfterMatchSkipStrategy.skipToFirst('b').throwExceptionOnMiss())).toThrow(/Could not skip to b\. No such element in the found match/);
  });

  test('testSkipToFirstNonExistentPositionWithoutException', () => {
    comparePatterns(MissedSkipTo.compute(AfterMatchSkipStrategy.skipToFirst('b')), [[MissedSkipTo.a, MissedSkipTo.c]]);
  });

  test('testSkipToLastNonExistentPosition', () => {
    expect(() => MissedSkipTo.compute(AfterMatchSkipStrategy.skipToLast('b').throwExceptionOnMiss())).toThrow(/Could not skip to b\. No such element in the found match/);
  });

  test('testSkipToLastNonExistentPositionWithoutException', () => {
    // (Flink's test uses skipToFirst here too.)
    comparePatterns(MissedSkipTo.compute(AfterMatchSkipStrategy.skipToFirst('b')), [[MissedSkipTo.a, MissedSkipTo.c]]);
  });

  test('testSkipToLastWithOneOrMore', () => {
    const a1 = new Event(1, 'a1', 0.0);
    const b1 = new Event(2, 'b1', 0.0);
    const a2 = new Event(3, 'a2', 0.0);
    const b2 = new Event(4, 'b2', 0.0);
    const b3 = new Event(5, 'b3', 0.0);
    const a3 = new Event(3, 'a3', 0.0);
    const b4 = new Event(4, 'b4', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipToLast('b'))
      .where(nameContains('a'))
      .next('b')
      .where(nameContains('b'))
      .oneOrMore()
      .consecutive();
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, b1, a2, b2, b3, a3, b4));
    comparePatterns(matches, [
      [a1, b1],
      [a2, b2],
      [a3, b4],
    ]);
  });

  /** Flink's docs example: a+ (consecutive, greedy) next b over a1 a2 a3 b1, with each strategy. */
  const docsExample = (skip: AfterMatchSkipStrategy) => {
    const a1 = new Event(1, 'a1', 0.0);
    const a2 = new Event(2, 'a2', 0.0);
    const a3 = new Event(3, 'a3', 0.0);
    const b1 = new Event(4, 'b1', 0.0);
    const pattern = Pattern.begin<Event>('a', skip).where(nameContains('a')).oneOrMore().consecutive().greedy().next('b').where(nameContains('b'));
    return { a1, a2, a3, b1, matches: NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, a2, a3, b1)) };
  };

  test('testSkipPastLastWithOneOrMoreAtBeginning', () => {
    const { a1, a2, a3, b1, matches } = docsExample(AfterMatchSkipStrategy.skipPastLastEvent());
    comparePatterns(matches, [[a1, a2, a3, b1]]);
  });

  test('testSkipToLastWithOneOrMoreAtBeginning', () => {
    const { a1, a2, a3, b1, matches } = docsExample(AfterMatchSkipStrategy.skipToLast('a'));
    comparePatterns(matches, [
      [a1, a2, a3, b1],
      [a3, b1],
    ]);
  });

  test('testSkipToFirstWithOneOrMoreAtBeginning', () => {
    const { a1, a2, a3, b1, matches } = docsExample(AfterMatchSkipStrategy.skipToFirst('a'));
    comparePatterns(matches, [
      [a1, a2, a3, b1],
      [a2, a3, b1],
      [a3, b1],
    ]);
  });

  test('testNoSkipWithOneOrMoreAtBeginning', () => {
    const { a1, a2, a3, b1, matches } = docsExample(AfterMatchSkipStrategy.noSkip());
    comparePatterns(matches, [
      [a1, a2, a3, b1],
      [a2, a3, b1],
      [a3, b1],
    ]);
  });

  test('testSkipToFirstDiscarding', () => {
    const a = new Event(1, 'a', 0.0);
    const b = new Event(2, 'b', 0.0);
    const c1 = new Event(3, 'c1', 0.0);
    const c2 = new Event(4, 'c2', 0.0);
    const c3 = new Event(5, 'c3', 0.0);
    const d = new Event(6, 'd', 0.0);
    const pattern = Pattern.begin<Event>('a or c', AfterMatchSkipStrategy.skipToFirst('c*'))
      .where((e) => e.getName().includes('a') || e.getName().includes('c'))
      .followedBy('b or c')
      .where((e) => e.getName().includes('b') || e.getName().includes('c'))
      .followedBy('c*')
      .where(nameContains('c'))
      .oneOrMore()
      .greedy()
      .followedBy('d')
      .where(nameContains('d'));
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a, b, c1, c2, c3, d));
    comparePatterns(matches, [
      [a, b, c1, c2, c3, d],
      [c1, c2, c3, d],
    ]);
  });

  test('testSkipBeforeOtherAlreadyCompleted', () => {
    const a1 = new Event(1, 'a1', 0.0);
    const c1 = new Event(2, 'c1', 0.0);
    const a2 = new Event(3, 'a2', 1.0);
    const c2 = new Event(4, 'c2', 0.0);
    const b1 = new Event(5, 'b1', 1.0);
    const b2 = new Event(6, 'b2', 0.0);
    const pattern = Pattern.begin<Event>('a', AfterMatchSkipStrategy.skipToFirst('c'))
      .where(nameContains('a'))
      .followedBy('c')
      .where(nameContains('c'))
      .followedBy('b')
      .where((e, ctx) => e.getName().includes('b') && ctx.getEventsForPattern('a')[0]!.getPrice() === e.getPrice());
    const matches = NFATestHarness.forPattern(pattern).feedRecords(untimed(a1, c1, a2, c2, b1, b2));
    comparePatterns(matches, [
      [a1, c1, b2],
      [a2, c2, b1],
    ]);
  });

  // ---- ties: matches with the same first event, in the order of Flink's PriorityQueues (issue 15) ---

  test('skipToNext keeps, of matches that start at the same event, the one Flink\'s completed-matches heap polls first', () => {
    // Found by the random differential test against Flink 1.20 (issue 15); expected output is Flink's.
    // Completed matches sit in a java.util.PriorityQueue ordered by first event only; the ties come
    // out in the binary heap's order, and each emitted match prunes the other matches of its start.
    const records = timedEvents('1:c@1 2:b@2 3:d@3 4:b@5 5:d@7 6:d@9 7:c@10 8:a@12 9:b@14 10:a@17 11:a@20 12:a@23 13:c@24');
    const pattern = Pattern.begin<Event>('s0', AfterMatchSkipStrategy.skipToNext())
      .where(named('d'))
      .optional()
      .followedBy('s1')
      .where(named('d'))
      .oneOrMore()
      .followedByAny('s2')
      .where(named('a'))
      .times(2, 4)
      .allowCombinations();
    const matches = NFATestHarness.forPattern(pattern).feedRecords(records);
    // in emission order (a stable sort emitted { s0: [5], s1: [6], s2: [8, 10] } second)
    expect(matches.map(asIds)).toEqual([
      { s0: [3], s1: [5, 6], s2: [8, 10] },
      { s1: [5], s2: [8, 10] },
      { s1: [6], s2: [8, 10] },
    ]);
  });

  test('skipToFirst: ties on the first event are emitted, and so prune, in Flink\'s heap order', () => {
    // d1 d2 d3 a4 against s0 = d? followedBy s1 = d+ followedBy s2 = a, skipToFirst('s1').
    // Derived from Flink 1.20's NFA (and confirmed by running this job on Flink 1.20.0):
    // - all nine matches complete at a4; iterating the partial-match heap, doProcess offers them to the
    //   potential-matches queue, then processMatchesAccordingToSkipStrategy offers them (addAll, in that
    //   queue's array order) to completedMatches. They come in start order, so each offer stays where it is
    //   put and the array is: 0 P1 {1|2,3|4}, 1 P2 {1|2|4}, 2 P3 {-|1,2,3|4}, 3 P4 {-|1,2|4}, 4 P5 {-|1|4},
    //   5 P6 {2|3|4}, 6 P7 {-|2,3|4}, 7 P8 {-|2|4}, 8 P9 {-|3|4}   ({s0|s1|s2}, P1-P5 start at 1, P6-P8 at 2).
    // - poll() returns P1 and sifts the last element, P9, down from the root along the left-most ties
    //   (siftDown takes the left child on a tie): 0 -> 1 -> 3 -> 7, so P8 rises to index 3: [P2 P4 P3 P8 P5 P6 P7 P9].
    //   P1 is emitted; skipToFirst(s1) prunes what starts before its s1 event 2: P2-P5 (removeAll = bulkRemove
    //   then heapify: [P8 P6 P7 P9], P8 stays on top, ties never swap) and the partial matches of start 1.
    // - poll() returns P8 {-|2|4}: its s1 event is its own first event, so it prunes nothing (skipToFirst
    //   keeps what starts at the target). Then P6 {2|3|4}: prunes starts before 3, i.e. P7 and the
    //   partial matches of start 2. Then P9 {-|3|4}.
    // A stable sort orders the ties P6, P7, P8: P6 second would have pruned P7 and P8 (3 matches, not 4).
    const records = timedEvents('1:d@1 2:d@2 3:d@3 4:a@4');
    const pattern = Pattern.begin<Event>('s0', AfterMatchSkipStrategy.skipToFirst('s1'))
      .where(named('d'))
      .optional()
      .followedBy('s1')
      .where(named('d'))
      .oneOrMore()
      .followedBy('s2')
      .where(named('a'));
    const matches = NFATestHarness.forPattern(pattern).feedRecords(records);
    expect(matches.map(asIds)).toEqual([
      { s0: [1], s1: [2, 3], s2: [4] },
      { s1: [2], s2: [4] },
      { s0: [2], s1: [3], s2: [4] },
      { s1: [3], s2: [4] },
    ]);
  });

  test('testSharedBufferIsProperlyCleared', () => {
    const records = [0, 1, 2, 3].map((i) => [new Event(1, 'a', 1.0), i] as const);
    const pattern = Pattern.begin<Event>('start', AfterMatchSkipStrategy.skipPastLastEvent())
      .where(() => true)
      .times(2);
    const harness = NFATestHarness.forPattern(pattern);
    harness.feedRecords(records);
    expect(harness.state.sharedBuffer.isEmpty()).toBe(true);
  });
});
