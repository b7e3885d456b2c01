/**
 * Transcribed from Flink's TimesRangeITCase (flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/):
 * times(from, to) with the contiguity variants. Expected matches are Flink's.
 */
import { describe, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { Event, NFATestHarness, comparePatterns, type Rec } from './harness.ts';
import { named } from './itcase-utils.ts';

const feed = (pattern: Pattern<Event, string>, records: Array<Rec<Event>>) => NFATestHarness.forPattern(pattern).feedRecords(records);

/** Flink's ConsecutiveData (testTimesRange / testTimesRangeFromZero use equal events of their own). */
const startEvent = new Event(40, 'c', 1.0);
const middleEvent1 = new Event(41, 'a', 2.0);
const middleEvent2 = new Event(42, 'a', 3.0);
const middleEvent3 = new Event(43, 'a', 4.0);
const end = new Event(44, 'b', 5.0);
const f = () => new Event(23, 'f', 1.0);

/** start(c), then middle(a) linked by `link`, configured by `middle`, then followedBy end1(b). */
function cAB(link: 'next' | 'followedBy' | 'followedByAny', middle: (p: Pattern<Event, 'start' | 'middle'>) => Pattern<Event, 'start' | 'middle'>) {
  const start = Pattern.begin<Event>('start').where(named('c'));
  const m = (link === 'next' ? start.next('middle') : link === 'followedBy' ? start.followedBy('middle') : start.followedByAny('middle')).where(named('a'));
  return middle(m).followedBy('end1').where(named('b'));
}

/** c f a1 f a2 a3 b at 1..7. */
const withGaps = (): Array<Rec<Event>> => [
  [startEvent, 1],
  [f(), 2],
  [middleEvent1, 3],
  [f(), 4],
  [middleEvent2, 5],
  [middleEvent3, 6],
  [end, 7],
];

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
