/**
 * The order of matches, and which matches the skip strategies keep, exactly as Flink 1.20.0 emits them:
 * 180 cases (three patterns with optional/looping/times stages and combinations, the five skip
 * strategies, random events with repeated timestamps) recorded by running each as a job on Flink 1.20.0
 * (fixtures/FlinkMatchOrder.java). Many matches tie on their first event, so these pin down the
 * java.util.PriorityQueue order of partial and completed matches (noSkip too: Flink polls its matches
 * from the completed-matches queue).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Pattern } from '../../lib/cep/pattern.ts';
import { AfterMatchSkipStrategy } from '../../lib/cep/aftermatch/after-match-skip-strategy.ts';
import { NFA, type PatternMatch } from '../../lib/cep/nfa/nfa.ts';
import { Event } from './harness.ts';
import { named } from './itcase-utils.ts';

const SKIPS: Record<string, () => AfterMatchSkipStrategy> = {
  noSkip: () => AfterMatchSkipStrategy.noSkip(),
  skipToNext: () => AfterMatchSkipStrategy.skipToNext(),
  skipPastLast: () => AfterMatchSkipStrategy.skipPastLastEvent(),
  skipToFirstS1: () => AfterMatchSkipStrategy.skipToFirst('s1'),
  skipToLastS1: () => AfterMatchSkipStrategy.skipToLast('s1'),
};
const PATTERNS: Record<string, (skip: AfterMatchSkipStrategy) => Pattern<Event, string>> = {
  // the issue's example pattern
  issue: (skip) =>
    Pattern.begin<Event>('s0', skip).where(named('d')).optional().followedBy('s1').where(named('d')).oneOrMore()
      .followedByAny('s2').where(named('a')).times(2, 4).allowCombinations(),
  p0: (skip) => Pattern.begin<Event>('s0', skip).where(named('d')).optional().followedBy('s1').where(named('d')).oneOrMore().followedBy('s2').where(named('a')),
  p1: (skip) => Pattern.begin<Event>('s0', skip).where(named('d')).optional().followedBy('s1').where(named('d')).oneOrMore().followedByAny('s2').where(named('a')),
};

/** As Flink's CepOperator feeds the NFA: advanceTime once per timestamp, the events, then the final watermark. */
function run(pattern: Pattern<Event, string>, records: Array<[Event, number]>): string {
  const nfa = NFA.compile(pattern);
  const state = nfa.createInitialNFAState();
  const skip = pattern.getAfterMatchSkipStrategy();
  const out: Array<PatternMatch<Event>> = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const [event, ts] of records) {
    if (ts !== last) out.push(...nfa.advanceTime(state, ts, skip).matches);
    last = ts;
    out.push(...nfa.process(state, event, ts, skip));
  }
  out.push(...nfa.advanceTime(state, Number.MAX_SAFE_INTEGER, skip).matches);
  const ids = (m: PatternMatch<Event>, k: string) => (m.get(k) ?? []).map((e) => e.getId()).join(',');
  return out.map((m) => `{s0=[${ids(m, 's0')}] s1=[${ids(m, 's1')}] s2=[${ids(m, 's2')}]}`).join(' ');
}

const lines = readFileSync(new URL('./fixtures/flink-1.20-match-order.txt', import.meta.url), 'utf8').trim().split('\n');

describe('matches in Flink 1.20 order', () => {
  test('every recorded case gives Flink\'s matches in Flink\'s order', () => {
    expect(lines.length).toBe(180);
    for (const line of lines) {
      const [pattern, skip, events, expected] = line.split('|') as [string, string, string, string];
      const records = events.split(' ').map((s): [Event, number] => {
        const [, id, name, ts] = /^(\d+):(\w+)@(\d+)$/.exec(s)!;
        return [new Event(Number(id), name!, 0.0), Number(ts)];
      });
      expect(run(PATTERNS[pattern]!(SKIPS[skip]!()), records), line).toBe(expected);
    }
  });
});
