/**
 * Small helpers shared by the test batteries transcribed from Flink's CEP *ITCase classes
 * (greedy, after-match-skip, not-pattern, until, iterative conditions, times-or-more, times-range, group).
 */
import { expect } from 'vitest';
import type { PatternMatch } from '../../lib/cep/nfa/nfa.ts';
import { Pattern } from '../../lib/cep/pattern.ts';
import { NFATestHarness } from './harness.ts';
import { Event, type Rec } from './harness.ts';

/** Name predicates, as Flink's `SimpleCondition.of(value -> value.getName().equals(x))` / `.contains(x)`. */
export const named =
  (name: string) =>
  (e: Event): boolean =>
    e.getName() === name;
export const nameContains =
  (part: string) =>
  (e: Event): boolean =>
    e.getName().includes(part);

/**
 * Records for Flink's `new StreamRecord<>(event)` (no timestamp): Flink feeds them all with the same
 * timestamp (Long.MIN_VALUE); these tests have no window, so one shared timestamp (0) is equivalent.
 */
export const untimed = (...events: Event[]): Array<Rec<Event>> => events.map((e) => [e, 0] as const);

/** Flink's NFATestUtilities.EventComparator: by name, then price, then id. */
function compareEvents(a: Event, b: Event): number {
  if (a.getName() !== b.getName()) return a.getName() < b.getName() ? -1 : 1;
  if (a.getPrice() !== b.getPrice()) return a.getPrice() - b.getPrice();
  return a.getId() - b.getId();
}

/**
 * Flink's comparePatterns with Flink's own event order (name, price, id), for tests whose events share
 * ids (the harness's comparePatterns orders the events of a match by id only, so tied ids would make
 * the comparison depend on the order of the events in the match). Same multiset semantics otherwise.
 */
export function comparePatternsByEvent(actual: Array<PatternMatch<Event>>, expected: Event[][]): void {
  const key = (events: Event[]): string =>
    [...events]
      .sort(compareEvents)
      .map((e) => String(e))
      .join(' ');
  const a = actual.map((m) => key([...m.values()].flat())).sort();
  const e = expected.map((ev) => key(ev)).sort();
  expect(a).toEqual(e);
}

// ---- Flink's ConsecutiveData, shared by TimesOrMoreITCase and TimesRangeITCase -------------------

export const feed = (pattern: Pattern<Event, string>, records: Array<Rec<Event>>) => NFATestHarness.forPattern(pattern).feedRecords(records);

export const startEvent = new Event(40, 'c', 1.0);
export const middleEvent1 = new Event(41, 'a', 2.0);
export const middleEvent2 = new Event(42, 'a', 3.0);
export const middleEvent3 = new Event(43, 'a', 4.0);
export const end = new Event(44, 'b', 5.0);
export const f = () => new Event(23, 'f', 1.0);

/** start(c), then middle(a) linked by `link`, configured by `middle`, then followedBy end1(b). */
export function cAB(link: 'next' | 'followedBy' | 'followedByAny', middle: (p: Pattern<Event, 'start' | 'middle'>) => Pattern<Event, 'start' | 'middle'>) {
  const start = Pattern.begin<Event>('start').where(named('c'));
  const m = (link === 'next' ? start.next('middle') : link === 'followedBy' ? start.followedBy('middle') : start.followedByAny('middle')).where(named('a'));
  return middle(m).followedBy('end1').where(named('b'));
}

/** c f a1 f a2 a3 b at 1..7. */
export const withGaps = (): Array<Rec<Event>> => [
  [startEvent, 1],
  [f(), 2],
  [middleEvent1, 3],
  [f(), 4],
  [middleEvent2, 5],
  [middleEvent3, 6],
  [end, 7],
];
