/**
 * Transcribed from Flink's UntilConditionITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * until() on looping stages. Expected matches and the remaining partial matches are Flink's.
 */
import { describe, expect, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { Event, NFATestHarness, comparePatterns, type Rec } from './harness.ts';
import { comparePatternsByEvent, named } from './itcase-utils.ts';

/** Flink's UNTIL_CONDITION. */
const UNTIL_CONDITION = (e: Event): boolean => e.getPrice() === 5.0;

/** Flink asserts that exactly one partial match remains, waiting in the start state. */
function expectOnlyStartPartialMatch(harness: NFATestHarness<Event>): void {
  const partial = [...harness.state.getPartialMatches()];
  expect(partial).toHaveLength(1);
  expect(partial[0]!.getCurrentStateName()).toBe('start');
}

type Loop = 'oneOrMore' | 'combinations' | 'consecutive';

/** start(c) followedBy middle(a){1,}[?] (inner contiguity per `loop`) until(price == 5) followedBy end(price == 5). */
function untilPattern(loop: Loop, optional: boolean): Pattern<Event, string> {
  let p = Pattern.begin<Event>('start').where(named('c')).followedBy('middle').where(named('a')).oneOrMore();
  if (optional) p = p.optional();
  if (loop === 'combinations') p = p.allowCombinations();
  if (loop === 'consecutive') p = p.consecutive();
  return p.until(UNTIL_CONDITION).followedBy('end').where(UNTIL_CONDITION);
}

function run(pattern: Pattern<Event, string>, records: Array<Rec<Event>>) {
  const harness = NFATestHarness.forPattern(pattern);
  return { harness, matches: harness.feedRecords(records) };
}

describe('UntilConditionITCase', () => {
  test('testUntilConditionFollowedByOneOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const breaking = new Event(44, 'a', 5.0);
    const ignored = new Event(45, 'a', 6.0);
    const { harness, matches } = run(untilPattern('oneOrMore', false), [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 6],
      [ignored, 7],
    ]);
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, breaking],
      [startEvent, middleEvent1, breaking],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testUntilConditionFollowedByOneOrMoreCombinations', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const breaking = new Event(44, 'a', 5.0);
    const ignored = new Event(45, 'a', 6.0);
    const { harness, matches } = run(untilPattern('combinations', false), [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ignored, 7],
    ]);
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, breaking],
      [startEvent, middleEvent1, middleEvent2, breaking],
      [startEvent, middleEvent1, middleEvent3, breaking],
      [startEvent, middleEvent1, breaking],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testUntilConditionFollowedByOneOrMoreConsecutive', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const breaking = new Event(45, 'a', 5.0);
    const ignored = new Event(46, 'a', 6.0);
    const { harness, matches } = run(untilPattern('consecutive', false), [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 7],
      [ignored, 8],
    ]);
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, breaking],
      [startEvent, middleEvent1, breaking],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testUntilConditionFollowedByOneOrMoreConsecutive2', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'b', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const breaking = new Event(45, 'a', 5.0);
    const ignored = new Event(46, 'a', 6.0);
    const { harness, matches } = run(untilPattern('consecutive', false), [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 7],
      [ignored, 8],
    ]);
    comparePatterns(matches, [[startEvent, middleEvent1, breaking]]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testUntilConditionFollowedByZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const breaking = new Event(44, 'a', 5.0);
    const ignored = new Event(45, 'a', 6.0);
    const { harness, matches } = run(untilPattern('oneOrMore', true), [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 6],
      [ignored, 7],
    ]);
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, breaking],
      [startEvent, middleEvent1, breaking],
      [startEvent, breaking],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testUntilConditionFollowedByZeroOrMoreCombinations', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(43, 'a', 4.0);
    const breaking = new Event(44, 'a', 5.0);
    const ignored = new Event(45, 'a', 6.0);
    const { harness, matches } = run(untilPattern('combinations', true), [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ignored, 7],
    ]);
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, breaking],
      [startEvent, middleEvent1, middleEvent2, breaking],
      [startEvent, middleEvent1, middleEvent3, breaking],
      [startEvent, middleEvent1, breaking],
      [startEvent, breaking],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testUntilConditionFollowedByZeroOrMoreConsecutive', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const breaking = new Event(45, 'a', 5.0);
    const ignored = new Event(46, 'a', 6.0);
    const { harness, matches } = run(untilPattern('consecutive', true), [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 7],
      [ignored, 8],
    ]);
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, breaking],
      [startEvent, middleEvent1, breaking],
      [startEvent, breaking],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testUntilConditionFollowedByAnyOneOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const breaking = new Event(44, 'a', 5.0);
    const middleEvent3 = new Event(45, 'a', 6.0);
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedByAny('middle').where(named('a')).oneOrMore().until(UNTIL_CONDITION);
    const { matches } = run(pattern, [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 6],
      [middleEvent3, 7],
    ]);
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2],
      [startEvent, middleEvent1],
      [startEvent, middleEvent2],
      [startEvent, middleEvent3],
    ]);
  });

  test('testUntilConditionFollowedByAnyZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const breaking = new Event(44, 'a', 5.0);
    const middleEvent3 = new Event(45, 'a', 6.0);
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedByAny('middle')
      .where(named('a'))
      .oneOrMore()
      .optional()
      .until(UNTIL_CONDITION);
    const { matches } = run(pattern, [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [breaking, 6],
      [middleEvent3, 7],
    ]);
    comparePatterns(matches, [[startEvent, middleEvent1, middleEvent2], [startEvent, middleEvent1], [startEvent, middleEvent2], [startEvent, middleEvent3], [startEvent]]);
  });

  test('testUntilConditionWithEmptyWhere', () => {
    // middleEvent3 shares the id 40 with startEvent (as in Flink): compared in Flink's event order.
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(40, 'd', 1.0);
    const breaking = new Event(44, 'a', 5.0);
    const ignored = new Event(45, 'a', 6.0);
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy('middle').oneOrMore().until(UNTIL_CONDITION);
    const { harness, matches } = run(pattern, [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ignored, 7],
    ]);
    comparePatternsByEvent(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3],
      [startEvent, middleEvent1, middleEvent2],
      [startEvent, middleEvent1],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  /** until: the prices of the middle events taken so far sum to 6.0. */
  const sumIsSix = (_e: Event, ctx: { getEventsForPattern(name: string): Event[] }): boolean =>
    ctx.getEventsForPattern('middle').reduce((sum, m) => sum + m.getPrice(), 0) === 6.0;

  test('testIterativeUntilConditionOneOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(40, 'd', 1.0);
    const breaking = new Event(44, 'a', 5.0);
    const ignored = new Event(45, 'a', 6.0);
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy('middle').oneOrMore().until(sumIsSix);
    const { harness, matches } = run(pattern, [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ignored, 7],
    ]);
    comparePatternsByEvent(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3],
      [startEvent, middleEvent1, middleEvent2],
      [startEvent, middleEvent1],
    ]);
    expectOnlyStartPartialMatch(harness);
  });

  test('testIterativeUntilConditionZeroOrMore', () => {
    const startEvent = new Event(40, 'c', 1.0);
    const middleEvent1 = new Event(41, 'a', 2.0);
    const middleEvent2 = new Event(42, 'a', 3.0);
    const middleEvent3 = new Event(40, 'd', 1.0);
    const breaking = new Event(44, 'a', 5.0);
    const ignored = new Event(45, 'a', 6.0);
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy('middle').oneOrMore().optional().until(sumIsSix);
    const { harness, matches } = run(pattern, [
      [startEvent, 1],
      [middleEvent1, 3],
      [middleEvent2, 4],
      [middleEvent3, 5],
      [breaking, 6],
      [ignored, 7],
    ]);
    comparePatternsByEvent(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3],
      [startEvent, middleEvent1, middleEvent2],
      [startEvent, middleEvent1],
      [startEvent],
    ]);
    expectOnlyStartPartialMatch(harness);
  });
});
