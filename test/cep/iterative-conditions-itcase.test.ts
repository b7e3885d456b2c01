/**
 * Transcribed from Flink's IterativeConditionsITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * iterative conditions reading the events already matched (ctx.getEventsForPattern). Expected matches
 * are Flink's. The start events all share the id 40 (as in Flink), so matches are compared in Flink's
 * event order (name, price, id).
 */
import { describe, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import type { ConditionContext } from '../../lib/cep/conditions.ts';
import { Event, NFATestHarness, SubEvent, isSubEvent, type Rec } from './harness.ts';
import { comparePatternsByEvent as comparePatterns, named } from './itcase-utils.ts';

const startEvent1 = new Event(40, 'start', 1.0);
const startEvent2 = new Event(40, 'start', 2.0);
const startEvent3 = new Event(40, 'start', 3.0);
const startEvent4 = new Event(40, 'start', 4.0);
const middleEvent1 = new SubEvent(41, 'foo1', 1.0, 10);
const middleEvent2 = new SubEvent(42, 'foo2', 2.0, 10);
const middleEvent3 = new SubEvent(43, 'foo3', 3.0, 10);
const middleEvent4 = new SubEvent(43, 'foo4', 1.0, 10);
const nextOne = new Event(44, 'next-one', 1.0);
const endEvent = new Event(46, 'end', 1.0);

const feed = (pattern: Pattern<Event, string>, records: Array<Rec<Event>>) => NFATestHarness.forPattern(pattern).feedRecords(records);
const priceSum = (events: Event[]): number => events.reduce((s, e) => s + e.getPrice(), 0);

/** Flink's MySubeventIterCondition: a foo* sub event keeping the sum of the middle prices below 5. */
const mySubeventIterCondition = (value: Event, ctx: ConditionContext<Event>): boolean => {
  const v = value as SubEvent;
  if (!v.getName().startsWith('foo')) return false;
  return priceSum(ctx.getEventsForPattern('middle')) + v.getPrice() < 5.0;
};

/** Flink's MyEventIterCondition: a start event keeping the sum of the start prices below 5. */
const myEventIterCondition = (value: Event, ctx: ConditionContext<Event>): boolean => {
  if (value.getName() !== 'start') return false;
  return priceSum(ctx.getEventsForPattern('start')) + value.getPrice() < 5.0;
};

function testIterativeWithBranchingPattern(eager: boolean) {
  let middle = Pattern.begin<Event>('start').where(named('start')).followedBy('middle').subtype(isSubEvent).where(mySubeventIterCondition).oneOrMore();
  if (!eager) middle = middle.allowCombinations();
  const pattern = middle.followedBy('end').where(named('end'));
  return feed(pattern, [
    [startEvent1, 1],
    [middleEvent1, 2],
    [middleEvent2, 3],
    [startEvent2, 4],
    [middleEvent3, 5],
    [middleEvent4, 5],
    [nextOne, 6],
    [endEvent, 8],
  ]);
}

function testIterativeWithLoopingStarting(eager: boolean) {
  // Flink: eager ? where().oneOrMore().optional() : where().oneOrMore().allowCombinations().optional()
  let start = Pattern.begin<Event>('start').where(myEventIterCondition).oneOrMore();
  start = eager ? start.optional() : start.allowCombinations().optional();
  const pattern = start.followedBy('end').where(named('end'));
  return feed(pattern, [
    [startEvent1, 1],
    [startEvent2, 2],
    [startEvent3, 3],
    [endEvent, 4],
  ]);
}

describe('IterativeConditionsITCase', () => {
  test('testIterativeWithBranchingPatternEager', () => {
    comparePatterns(testIterativeWithBranchingPattern(true), [
      [startEvent1, endEvent, middleEvent1, middleEvent2, middleEvent4],
      [startEvent1, endEvent, middleEvent2, middleEvent1],
      [startEvent1, endEvent, middleEvent1],
      [startEvent2, endEvent, middleEvent3, middleEvent4],
      [startEvent2, endEvent, middleEvent3],
    ]);
  });

  test('testIterativeWithBranchingPatternCombinations', () => {
    comparePatterns(testIterativeWithBranchingPattern(false), [
      [startEvent1, endEvent, middleEvent1, middleEvent2, middleEvent4],
      [startEvent1, endEvent, middleEvent2, middleEvent1],
      [startEvent1, endEvent, middleEvent3, middleEvent1],
      [startEvent2, endEvent, middleEvent3, middleEvent4],
      [startEvent1, endEvent, middleEvent4, middleEvent1],
      [startEvent1, endEvent, middleEvent1],
      [startEvent2, endEvent, middleEvent3],
    ]);
  });

  test('testIterativeWithLoopingStartingEager', () => {
    comparePatterns(testIterativeWithLoopingStarting(true), [
      [startEvent1, startEvent2, endEvent],
      [startEvent1, endEvent],
      [startEvent2, endEvent],
      [startEvent3, endEvent],
      [endEvent],
    ]);
  });

  test('testIterativeWithLoopingStartingCombination', () => {
    comparePatterns(testIterativeWithLoopingStarting(false), [
      [startEvent1, startEvent2, endEvent],
      [startEvent1, startEvent3, endEvent],
      [startEvent1, endEvent],
      [startEvent2, endEvent],
      [startEvent3, endEvent],
      [endEvent],
    ]);
  });

  test('testIterativeWithPrevPatternDependency', () => {
    const pattern = Pattern.begin<Event>('start')
      .where(named('start'))
      .oneOrMore()
      .followedBy('end')
      .where((value, ctx) => value.getName() === 'end' && priceSum(ctx.getEventsForPattern('start')) >= 2.0);
    const matches = feed(pattern, [
      [startEvent1, 1],
      [startEvent2, 2],
      [endEvent, 4],
    ]);
    comparePatterns(matches, [
      [startEvent1, startEvent2, endEvent],
      [startEvent2, endEvent],
    ]);
  });

  test('testIterativeWithABACPattern', () => {
    const pattern = Pattern.begin<Event>('start')
      .where(named('start'))
      .followedByAny('middle1')
      .subtype(isSubEvent)
      .where((value) => value.getName().startsWith('foo'))
      .followedBy('middle2')
      .where((value, ctx) => value.getName() === 'start' && priceSum(ctx.getEventsForPattern('middle2')) + value.getPrice() <= 5.0)
      .oneOrMore()
      .followedBy('end')
      .where(named('end'));
    const matches = feed(pattern, [
      [startEvent1, 1], // 1
      [middleEvent1, 2], // 1
      [startEvent2, 2], // 2
      [startEvent3, 2], // 3
      [middleEvent2, 2], // 2
      [startEvent4, 2], // 4
      [middleEvent3, 2], // 3
      [middleEvent4, 2], // 1
      [endEvent, 4],
    ]);
    comparePatterns(matches, [
      [startEvent1, startEvent2, startEvent3, middleEvent1, endEvent],
      [startEvent1, middleEvent1, startEvent2, endEvent],
      [startEvent1, middleEvent2, startEvent4, endEvent],
      [startEvent2, middleEvent2, startEvent4, endEvent],
      [startEvent3, middleEvent2, startEvent4, endEvent],
    ]);
  });

  test('testIterativeWithPrevPatternDependencyAfterBranching', () => {
    const pattern = Pattern.begin<Event>('start')
      .where(named('start'))
      .oneOrMore()
      .followedByAny('middle1')
      .subtype(isSubEvent)
      .where((value) => value.getName().startsWith('foo'))
      .followedByAny('end')
      .where((value, ctx) => value.getName() === 'end' && priceSum(ctx.getEventsForPattern('start')) >= 2.0);
    const matches = feed(pattern, [
      [startEvent1, 1],
      [startEvent2, 2],
      [middleEvent1, 4],
      [startEvent3, 5],
      [middleEvent2, 6],
      [endEvent, 7],
    ]);
    comparePatterns(matches, [
      [startEvent1, startEvent2, middleEvent1, endEvent],
      [startEvent2, middleEvent1, endEvent],
      [startEvent1, startEvent2, middleEvent2, endEvent],
      [startEvent1, startEvent2, startEvent3, middleEvent2, endEvent],
      [startEvent2, startEvent3, middleEvent2, endEvent],
      [startEvent2, middleEvent2, endEvent],
      [startEvent3, middleEvent2, endEvent],
    ]);
  });
});
