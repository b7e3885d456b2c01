/**
 * Flink's Quantifier.greedy() (checked on Flink 1.20.0): greedy() after allowCombinations() (skip-till-any between the loop's
 * events) is rejected when the pattern is built, "Option not applicable to FollowedByAny pattern";
 * the other order, greedy() then allowCombinations(), Flink accepts (combinations() checks no greedy
 * flag), and so does tidemark. A JSON spec does not record the order and reads as the rejected one.
 */
import { describe, expect, test } from 'vitest';
import { MalformedPatternException, Pattern } from '../../lib/cep/pattern.ts';
import { PatternSpecError, type PatternSpec } from '../../lib/cep/spec/pattern-spec.ts';
import { Event, NFATestHarness } from './harness.ts';
import { named } from './itcase-utils.ts';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MalformedPatternException);
    return (e as Error).message;
  }
  throw new Error('expected a MalformedPatternException');
};

describe('greedy() and allowCombinations()', () => {
  test('greedy() after allowCombinations() is rejected, as Flink does (looping, timesOrMore, times)', () => {
    const s0 = Pattern.begin<Event>('s0').where(named('a'));
    expect(message(() => s0.oneOrMore().allowCombinations().greedy())).toBe('Option not applicable to FollowedByAny pattern');
    expect(message(() => s0.timesOrMore(2).allowCombinations().greedy())).toBe('Option not applicable to FollowedByAny pattern');
    expect(message(() => s0.followedBy('s1').times(2, 4).allowCombinations().greedy())).toBe('Option not applicable to FollowedByAny pattern');
    // the outer contiguity is not what Flink checks: followedByAny(...).oneOrMore().greedy() is fine
    expect(() => s0.followedByAny('s1').oneOrMore().greedy()).not.toThrow();
    expect(() => s0.oneOrMore().consecutive().greedy()).not.toThrow();
  });

  test('allowCombinations() after greedy() is accepted, as Flink does, and runs', () => {
    const p = Pattern.begin<Event>('s0').where(named('a')).oneOrMore().greedy().allowCombinations().followedBy('s1').where(named('b'));
    expect(p.getStages()[0]!.quantifier).toMatchObject({ greedy: true, innerConsuming: 'SKIP_TILL_ANY' });
    const a1 = new Event(1, 'a', 1);
    const a2 = new Event(2, 'a', 1);
    const b = new Event(3, 'b', 1);
    const matches = NFATestHarness.forPattern(p).feedRecords([
      [a1, 1],
      [a2, 2],
      [b, 3],
    ]);
    expect(matches.length).toBeGreaterThan(0);
    // a spec would read back as greedy() after allowCombinations(): toSpec refuses rather than write one
    const q = Pattern.begin<Event>('s0').where('name == "a"').oneOrMore().greedy().allowCombinations();
    expect(message(() => q.toSpec())).toMatch(/stage 's0': greedy\(\) with allowCombinations\(\) has no spec/);
  });

  test('consecutive() and allowCombinations() exclude each other and apply once, as in Flink', () => {
    // Messages as Flink 1.20.0's Quantifier.combinations() / consecutive() throw them (checked on Flink itself).
    const loop = Pattern.begin<Event>('s0').oneOrMore();
    expect(message(() => loop.allowCombinations().consecutive())).toBe('You can apply either combinations or consecutive, not both!');
    expect(message(() => loop.consecutive().allowCombinations())).toBe('You can apply either combinations or consecutive, not both!');
    expect(message(() => loop.allowCombinations().allowCombinations())).toBe('Combinations already applied!');
    expect(message(() => loop.consecutive().consecutive())).toBe('Consecutive already applied!');
  });

  test('a spec with greedy and SKIP_TILL_ANY inner contiguity is rejected at its greedy field', () => {
    const spec: PatternSpec = {
      version: 1,
      stages: [{ name: 's0', quantifier: { kind: 'LOOPING', times: { from: 1 }, innerContiguity: 'SKIP_TILL_ANY', optional: false, greedy: true } }],
    };
    expect(() => Pattern.fromSpec(spec)).toThrow(PatternSpecError);
    expect(() => Pattern.fromSpec(spec)).toThrow('stages[0].quantifier.greedy: Option not applicable to FollowedByAny pattern');
    const times: PatternSpec = { version: 1, stages: [{ name: 'a' }, { name: 's1', quantifier: { kind: 'TIMES', times: { from: 2, to: 4 }, innerContiguity: 'SKIP_TILL_ANY', greedy: true } }] };
    expect(() => Pattern.fromSpec(times)).toThrow('stages[1].quantifier.greedy: Option not applicable to FollowedByAny pattern');
    // without greedy, or greedy with another inner contiguity, the same spec is fine
    expect(() => Pattern.fromSpec({ version: 1, stages: [{ name: 's0', quantifier: { kind: 'LOOPING', times: { from: 1 }, innerContiguity: 'SKIP_TILL_ANY' } }] })).not.toThrow();
    expect(() => Pattern.fromSpec({ version: 1, stages: [{ name: 's0', quantifier: { kind: 'LOOPING', times: { from: 1 }, innerContiguity: 'STRICT', greedy: true } }] })).not.toThrow();
  });
});
