/**
 * Transcribed from Flink's TimesOrMoreITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * timesOrMore(n) with the contiguity variants. Expected matches are Flink's.
 */
import { describe, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { Event, NFATestHarness, comparePatterns, type Rec } from './harness.ts';
import { cAB, end, f, feed, middleEvent1, middleEvent2, middleEvent3, named, startEvent, withGaps } from './itcase-utils.ts';


describe('TimesOrMoreITCase', () => {
  test('testTimesOrMore', () => {
    const end1 = new Event(44, 'b', 5.0);
    const matches = feed(
      cAB('followedBy', (p) => p.timesOrMore(2).allowCombinations()),
      [
        [startEvent, 1],
        [middleEvent1, 2],
        [middleEvent2, 3],
        [middleEvent3, 4],
        [end1, 6],
      ],
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end1],
      [startEvent, middleEvent1, middleEvent2, end1],
      [startEvent, middleEvent1, middleEvent3, end1],
    ]);
  });

  test('testTimesOrMoreNonStrict', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.timesOrMore(2).allowCombinations()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent1, middleEvent3, end],
      [startEvent, middleEvent2, middleEvent3, end],
    ]);
  });

  test('testTimesOrMoreStrict', () => {
    // (Flink's test uses times(2).consecutive() here.)
    const matches = feed(
      cAB('followedByAny', (p) => p.times(2).consecutive()),
      withGaps(),
    );
    comparePatterns(matches, [[startEvent, middleEvent2, middleEvent3, end]]);
  });

  test('testTimesOrMoreStrictOptional', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.timesOrMore(2).consecutive().optional()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, end],
    ]);
  });

  test('testTimesOrMoreStrictOptional2', () => {
    const matches = feed(
      cAB('next', (p) => p.timesOrMore(2).consecutive().optional()),
      [
        [startEvent, 1],
        [middleEvent1, 3],
        [middleEvent2, 5],
        [middleEvent3, 6],
        [end, 7],
      ],
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, end],
    ]);
  });

  test('testTimesOrMoreNonStrictOptional', () => {
    const matches = feed(
      cAB('followedBy', (p) => p.timesOrMore(2).optional()),
      [
        [startEvent, 1],
        [f(), 2],
        [end, 7],
      ],
    );
    comparePatterns(matches, [[startEvent, end]]);
  });

  test('testTimesOrMoreNonStrictOptional2', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.timesOrMore(2).allowCombinations().optional()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent1, middleEvent3, end],
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, end],
    ]);
  });

  test('testTimesOrMoreNonStrictOptional3', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.timesOrMore(2).optional()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, end],
    ]);
  });

  test('testTimesOrMoreNonStrictWithNext', () => {
    const matches = feed(
      cAB('next', (p) => p.timesOrMore(2).allowCombinations()),
      [
        [startEvent, 1],
        [middleEvent1, 2],
        [f(), 3],
        [middleEvent2, 4],
        [f(), 5],
        [middleEvent3, 6],
        [end, 7],
      ],
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent1, middleEvent3, end],
    ]);
  });

  test('testTimesOrMoreNotStrictWithFollowedBy', () => {
    const matches = feed(
      cAB('followedBy', (p) => p.timesOrMore(2)),
      [
        [startEvent, 1],
        [middleEvent1, 2],
        [middleEvent2, 4],
        [middleEvent3, 6],
        [end, 7],
      ],
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
    ]);
  });

  test('testTimesOrMoreNotStrictWithFollowedByAny', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.timesOrMore(2).allowCombinations()),
      [
        [startEvent, 1],
        [middleEvent1, 2],
        [middleEvent2, 4],
        [middleEvent3, 6],
        [end, 7],
      ],
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent3, end],
    ]);
  });
});
