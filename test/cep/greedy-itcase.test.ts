/**
 * Transcribed from Flink's GreedyITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * greedy() on looping and times stages. Expected matches are Flink's.
 */
import { describe, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { Event, NFATestHarness, comparePatterns, type Rec } from './harness.ts';
import { comparePatternsByEvent, named } from './itcase-utils.ts';

const feed = (pattern: Pattern<Event, string>, records: Array<Rec<Event>>) => NFATestHarness.forPattern(pattern).feedRecords(records);

/** c a* d (greedy), optionally with until(price > 3.0) on the a's. */
function cAStarD(opts: { optional: boolean; until?: boolean }): Pattern<Event, string> {
  let p = Pattern.begin<Event>('start').where(named('c')).followedBy('middle').where(named('a')).oneOrMore();
  if (opts.optional) p = p.optional();
  p = p.greedy();
  if (opts.until) p = p.until((e) => e.getPrice() > 3.0);
  return p.followedBy('end').where(named('d'));
}

describe('GreedyITCase', () => {
  test('testGreedyZeroOrMore', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: true }), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [[c, a1, a2, a3, d]]);
  });

  test('testGreedyZeroOrMoreInBetween', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: true }), [
      [c, 1],
      [new Event(1, 'dummy', 1111), 2],
      [a1, 3],
      [new Event(1, 'dummy', 1111), 4],
      [a2, 5],
      [new Event(1, 'dummy', 1111), 6],
      [a3, 7],
      [d, 8],
    ]);
    comparePatterns(matches, [[c, a1, a2, a3, d]]);
  });

  test('testGreedyZeroOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: true }), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [new Event(43, 'dummy', 2.0), 4],
      [d, 5],
    ]);
    comparePatterns(matches, [[c, a1, a2, d]]);
  });

  test('testGreedyZeroOrMoreWithDummyEventsBeforeQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: true }), [
      [c, 1],
      [new Event(43, 'dummy', 2.0), 2],
      [d, 5],
    ]);
    comparePatterns(matches, [[c, d]]);
  });

  test('testGreedyUntilZeroOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 3.0);
    const a3 = new Event(43, 'a', 3.0);
    const d = new Event(45, 'd', 3.0);
    const matches = feed(cAStarD({ optional: true, until: true }), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [new Event(44, 'a', 4.0), 5],
      [d, 6],
    ]);
    comparePatterns(matches, [[c, a1, a2, a3, d]]);
  });

  test('testGreedyUntilWithDummyEventsBeforeQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 3.0);
    const a3 = new Event(43, 'a', 3.0);
    const d = new Event(45, 'd', 3.0);
    const matches = feed(cAStarD({ optional: true, until: true }), [
      [c, 1],
      [new Event(44, 'a', 4.0), 2],
      [a1, 3],
      [a2, 4],
      [a3, 5],
      [d, 6],
    ]);
    comparePatterns(matches, [[c, d]]);
  });

  test('testGreedyOneOrMore', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: false }), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [d, 5],
    ]);
    comparePatterns(matches, [[c, a1, a2, a3, d]]);
  });

  test('testGreedyOneOrMoreInBetween', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: false }), [
      [c, 1],
      [new Event(1, 'dummy', 1111), 2],
      [a1, 3],
      [new Event(1, 'dummy', 1111), 4],
      [a2, 5],
      [new Event(1, 'dummy', 1111), 6],
      [a3, 7],
      [d, 8],
    ]);
    comparePatterns(matches, [[c, a1, a2, a3, d]]);
  });

  test('testGreedyOneOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: false }), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [new Event(43, 'dummy', 2.0), 4],
      [d, 5],
    ]);
    comparePatterns(matches, [[c, a1, a2, d]]);
  });

  test('testGreedyOneOrMoreWithDummyEventsBeforeQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const d = new Event(44, 'd', 3.0);
    const matches = feed(cAStarD({ optional: false }), [
      [c, 1],
      [new Event(43, 'dummy', 2.0), 2],
      [d, 5],
    ]);
    comparePatterns(matches, []);
  });

  test('testGreedyUntilOneOrMoreWithDummyEventsAfterQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 3.0);
    const a3 = new Event(43, 'a', 3.0);
    const d = new Event(45, 'd', 3.0);
    const matches = feed(cAStarD({ optional: false, until: true }), [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [new Event(44, 'a', 4.0), 5],
      [d, 6],
    ]);
    comparePatterns(matches, [[c, a1, a2, a3, d]]);
  });

  test('testGreedyUntilOneOrMoreWithDummyEventsBeforeQuantifier', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 3.0);
    const a3 = new Event(43, 'a', 3.0);
    const d = new Event(45, 'd', 3.0);
    const matches = feed(cAStarD({ optional: false, until: true }), [
      [c, 1],
      [new Event(44, 'a', 4.0), 2],
      [a1, 3],
      [a2, 4],
      [a3, 5],
      [d, 6],
    ]);
    comparePatterns(matches, []);
  });

  test('testGreedyZeroOrMoreBeforeGroupPattern', () => {
    // Flink gives all but f the id 40: compared in Flink's event order (name, price, id).
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(40, 'a', 1.0);
    const a2 = new Event(40, 'a', 1.0);
    const a3 = new Event(40, 'a', 1.0);
    const d1 = new Event(40, 'd', 1.0);
    const e1 = new Event(40, 'e', 1.0);
    const d2 = new Event(40, 'd', 1.0);
    const e2 = new Event(40, 'e', 1.0);
    const f = new Event(44, 'f', 3.0);
    // c a* (d e){2} f
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedBy('middle')
      .where(named('a'))
      .oneOrMore()
      .optional()
      .greedy()
      .followedBy(Pattern.begin<Event>('middle1').where(named('d')).followedBy('middle2').where(named('e')))
      .times(2)
      .followedBy('end')
      .where(named('f'));
    const matches = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [new Event(43, 'dummy', 2.0), 4],
      [a3, 5],
      [d1, 6],
      [e1, 7],
      [d2, 8],
      [e2, 9],
      [f, 10],
    ]);
    comparePatternsByEvent(matches, [[c, a1, a2, a3, d1, e1, d2, e2, f]]);
  });

  test('testEndWithZeroOrMoreGreedy', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    // c a*
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy('end').where(named('a')).oneOrMore().optional().greedy();
    const matches = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [new Event(44, 'dummy', 2.0), 4],
      [a3, 5],
    ]);
    comparePatterns(matches, [[c], [c, a1], [c, a1, a2], [c, a1, a2, a3]]);
  });

  test('testEndWithZeroOrMoreConsecutiveGreedy', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    // c a*
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedBy('end')
      .where(named('a'))
      .oneOrMore()
      .optional()
      .consecutive()
      .greedy();
    const matches = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [new Event(44, 'dummy', 2.0), 4],
      [a3, 5],
    ]);
    comparePatterns(matches, [[c], [c, a1], [c, a1, a2]]);
  });

  test('testEndWithGreedyTimesRange', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    const a4 = new Event(44, 'a', 2.0);
    // c a{2, 5}
    const pattern = Pattern.begin<Event>('start').where(named('c')).followedBy('end').where(named('a')).times(2, 5).greedy();
    const matches = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [a4, 5],
      [new Event(44, 'dummy', 2.0), 6],
    ]);
    comparePatterns(matches, [
      [c, a1, a2],
      [c, a1, a2, a3],
      [c, a1, a2, a3, a4],
    ]);
  });

  test('testGreedyTimesRange', () => {
    const c = new Event(40, 'c', 1.0);
    const a1 = new Event(41, 'a', 2.0);
    const a2 = new Event(42, 'a', 2.0);
    const a3 = new Event(43, 'a', 2.0);
    const a4 = new Event(44, 'a', 2.0);
    const d = new Event(45, 'd', 2.0);
    // c a{2, 5} d
    const pattern = Pattern.begin<Event>('start')
      .where(named('c'))
      .followedBy('middle')
      .where(named('a'))
      .times(2, 5)
      .greedy()
      .followedBy('end')
      .where(named('d'));
    const matches = feed(pattern, [
      [c, 1],
      [a1, 2],
      [a2, 3],
      [a3, 4],
      [a4, 5],
      [d, 6],
    ]);
    comparePatterns(matches, [[c, a1, a2, a3, a4, d]]);
  });
});
