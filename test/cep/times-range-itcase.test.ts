/**
 * Transcribed from Flink's TimesRangeITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * times(from, to) with the contiguity variants. Expected matches are Flink's.
 */
import { describe, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { Event, NFATestHarness, comparePatterns, type Rec } from './harness.ts';
import { cAB, end, f, feed, middleEvent1, middleEvent2, middleEvent3, named, startEvent, withGaps } from './itcase-utils.ts';


/** c a1 a2 a3 b at 1, 2, 3, 4, 6. */
const contiguous = (): Array<Rec<Event>> => [
  [startEvent, 1],
  [middleEvent1, 2],
  [middleEvent2, 3],
  [middleEvent3, 4],
  [end, 6],
];

describe('TimesRangeITCase', () => {
  test('testTimesRange', () => {
    const matches = feed(
      cAB('next', (p) => p.times(1, 3).allowCombinations()),
      contiguous(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent1, middleEvent3, end],
      [startEvent, middleEvent1, end],
    ]);
  });

  test('testTimesRangeFromZero', () => {
    const matches = feed(
      cAB('next', (p) => p.times(0, 2).allowCombinations()),
      contiguous(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent1, middleEvent3, end],
      [startEvent, middleEvent1, end],
      [startEvent, end],
    ]);
  });

  test('testTimesRangeNonStrict', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.times(1, 3).allowCombinations()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent1, middleEvent3, end],
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, end],
      [startEvent, middleEvent2, end],
      [startEvent, middleEvent3, end],
    ]);
  });

  test('testTimesRangeStrict', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.times(0, 3).consecutive()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, end],
      [startEvent, middleEvent2, end],
      [startEvent, middleEvent3, end],
      [startEvent, end],
    ]);
  });

  test('testTimesRangeStrictOptional', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.times(1, 3).consecutive().optional()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, end],
      [startEvent, middleEvent2, end],
      [startEvent, middleEvent3, end],
      [startEvent, end],
    ]);
  });

  test('testTimesRangeStrictOptional1', () => {
    const matches = feed(
      cAB('next', (p) => p.times(1, 3).consecutive().optional()),
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
      [startEvent, middleEvent1, end],
      [startEvent, end],
    ]);
  });

  test('testTimesRangeNonStrictOptional1', () => {
    const matches = feed(
      cAB('followedBy', (p) => p.times(1, 3).optional()),
      [
        [startEvent, 1],
        [f(), 2],
        [end, 7],
      ],
    );
    comparePatterns(matches, [[startEvent, end]]);
  });

  test('testTimesRangeNonStrictOptional2', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.times(2, 3).allowCombinations().optional()),
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

  test('testTimesRangeNonStrictOptional3', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.times(2, 3).optional()),
      withGaps(),
    );
    comparePatterns(matches, [
      [startEvent, middleEvent1, middleEvent2, middleEvent3, end],
      [startEvent, middleEvent1, middleEvent2, end],
      [startEvent, middleEvent2, middleEvent3, end],
      [startEvent, end],
    ]);
  });

  test('testTimesRangeNonStrictWithNext', () => {
    const matches = feed(
      cAB('next', (p) => p.times(2, 3).allowCombinations()),
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

  test('testTimesRangeNotStrictWithFollowedBy', () => {
    const matches = feed(
      cAB('followedBy', (p) => p.times(2, 3)),
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

  test('testTimesRangeNotStrictWithFollowedByAny', () => {
    const matches = feed(
      cAB('followedByAny', (p) => p.times(2, 3).allowCombinations()),
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
