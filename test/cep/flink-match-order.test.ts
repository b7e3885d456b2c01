/**
 * The order of matches, and which matches the skip strategies keep, exactly as Flink 1.20.0 emits them:
 * 180 cases (three patterns with optional/looping/times stages and combinations, the five skip
 * strategies, random events with repeated timestamps) recorded by running each as a job on Flink 1.20.0
 * (fixtures/FlinkMatchOrder.java), and 60 more of the same patterns with within(), whose timed-out
 * partial matches come in Flink's order too (fixtures/FlinkTimeoutOrder.java). Many matches tie on their
 * first event, so these pin down the java.util.PriorityQueue order of partial and completed matches
 * (noSkip too: Flink polls its matches from the completed-matches queue).
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
const WINDOWED: Record<string, (skip: AfterMatchSkipStrategy) => Pattern<Event, string>> = {
  w0: (skip) => PATTERNS.p0!(skip).within(6),
  w1: (skip) => PATTERNS.issue!(skip).within(8),
  w2: (skip) => PATTERNS.p1!(skip).within(5),
};

/**
 * As Flink's CepOperator feeds the NFA (onEventTime): per timestamp advanceTime (its matches, then its
 * timed-out partial matches), then the events; at the end advanceTime(the final watermark). Matches are
 * `{s0=[ids] s1=[ids] s2=[ids]}`; with `tagged`, matches are prefixed M and timed-out ones T (and @timestamp).
 */
function run(pattern: Pattern<Event, string>, records: Array<[Event, number]>, tagged: boolean): string {
  const nfa = NFA.compile(pattern, tagged);
  const state = nfa.createInitialNFAState();
  const skip = pattern.getAfterMatchSkipStrategy();
  const out: string[] = [];
  const ids = (m: PatternMatch<Event>, k: string) => (m.get(k) ?? []).map((e) => e.getId()).join(',');
  const text = (m: PatternMatch<Event>) => `{s0=[${ids(m, 's0')}] s1=[${ids(m, 's1')}] s2=[${ids(m, 's2')}]}`;
  const matched = (ms: Array<PatternMatch<Event>>) => {
    for (const m of ms) out.push(tagged ? `M${text(m)}` : text(m));
  };
  const advance = (ts: number) => {
    const r = nfa.advanceTime(state, ts, skip);
    matched(r.matches);
    for (const t of r.timedOut) out.push(`T${text(t.match)}@${t.timestamp}`);
  };
  let last = Number.NEGATIVE_INFINITY;
  for (const [event, ts] of records) {
    if (ts !== last) advance(ts);
    last = ts;
    matched(nfa.process(state, event, ts, skip));
  }
  advance(Number.MAX_SAFE_INTEGER);
  return out.join(' ');
}

function cases(file: string): Array<[string, string, Array<[Event, number]>, string]> {
  const lines = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [pattern, skip, events, expected] = line.split('|') as [string, string, string, string];
    const records = events.split(' ').map((s): [Event, number] => {
      const [, id, name, ts] = /^(\d+):(\w+)@(\d+)$/.exec(s)!;
      return [new Event(Number(id), name!, 0.0), Number(ts)];
    });
    return [pattern, skip, records, expected];
  });
}

describe('matches in Flink 1.20 order', () => {
  test("every recorded case gives Flink's matches in Flink's order", () => {
    const recorded = cases('flink-1.20-match-order.txt');
    expect(recorded.length).toBe(180);
    for (const [pattern, skip, records, expected] of recorded) {
      expect(run(PATTERNS[pattern]!(SKIPS[skip]!()), records, false), `${pattern} ${skip}`).toBe(expected);
    }
  });

  test("with within(): matches and timed-out partial matches in Flink's order", () => {
    const recorded = cases('flink-1.20-timeout-order.txt');
    expect(recorded.length).toBe(60);
    for (const [pattern, skip, records, expected] of recorded) {
      expect(run(WINDOWED[pattern]!(SKIPS[skip]!()), records, true), `${pattern} ${skip}`).toBe(expected);
    }
  });
});
