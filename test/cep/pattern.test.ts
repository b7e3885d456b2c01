/** The CEP pattern API: stages, contiguity, quantifiers, conditions, within (also inside groups), skip strategies, Flink's validation messages, argument checks. */
import { describe, expect, expectTypeOf, test } from 'vitest';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { AfterMatchSkipStrategy, CEP, MalformedPatternException, Pattern, type Match, type StageNames } from '../../lib/api/cep/index.ts';
import { evaluate } from '../../lib/cep/conditions.ts';
import { NFA } from '../../lib/cep/nfa/nfa.ts';
import { Event, NFATestHarness, comparePatterns } from './harness.ts';

type Txn = { card: string; amount: number };
const ctx = { getEventsForPattern: () => [] as Txn[], timestamp: () => null };
const named = (n: string) => (e: Event) => e.getName() === n;

describe('Pattern', () => {
  test('stages keep their order, contiguity, quantifier and window; patterns are immutable values', () => {
    const base = Pattern.begin<Txn>('small').where((t) => t.amount < 1);
    const p = base.next('large').where((t) => t.amount > 500).oneOrMore().greedy().within('1 min');
    expect(p.getStages().map((s) => [s.name, s.quantifier.consuming, s.quantifier.kind])).toEqual([
      ['small', 'SKIP_TILL_NEXT', 'single'],
      ['large', 'STRICT', 'looping'],
    ]);
    expect(p.getQuantifier()).toMatchObject({ greedy: true, innerConsuming: 'SKIP_TILL_NEXT', times: { from: 1 } });
    expect(p.getWindowTime()).toBe(60_000);
    expect(base.getStages()).toHaveLength(1); // begin() pattern unchanged
    expect(p.toString()).toBe('begin(small).next(large){1,} greedy.within(60000 ms)');
  });

  test('where ANDs, or ORs, subtype narrows; conditions evaluate as a tree', () => {
    const p = Pattern.begin<Txn>('x')
      .where((t) => t.amount > 10)
      .where((t) => t.amount < 100)
      .or((t) => t.card === 'vip');
    const cond = p.getStages()[0]!.condition;
    const check = (t: Txn): boolean => evaluate(cond, t, ctx);
    expect([check({ card: 'a', amount: 50 }), check({ card: 'a', amount: 5 }), check({ card: 'vip', amount: 5 })]).toEqual([true, false, true]);
    const isBig = (t: Txn): t is Txn & { big: true } => t.amount > 1000;
    const s = Pattern.begin<Txn>('s').subtype(isBig).where((t) => t.card !== 'x');
    expect(evaluate(s.getStages()[0]!.condition, { card: 'y', amount: 2000 }, ctx)).toBe(true);
    expect(evaluate(s.getStages()[0]!.condition, { card: 'y', amount: 20 }, ctx)).toBe(false);
  });

  test('quantifiers: times, times range (0 means optional), timesOrMore, consecutive, allowCombinations, until', () => {
    expect(Pattern.begin<Txn>('a').times(3).getQuantifier()).toMatchObject({ kind: 'times', times: { from: 3, to: 3 } });
    expect(Pattern.begin<Txn>('a').times(0, 2).getQuantifier()).toMatchObject({ kind: 'times', optional: true, times: { from: 1, to: 2 } });
    expect(Pattern.begin<Txn>('a').timesOrMore(2).consecutive().getQuantifier()).toMatchObject({ kind: 'looping', innerConsuming: 'STRICT', times: { from: 2 } });
    expect(Pattern.begin<Txn>('a').oneOrMore().allowCombinations().getQuantifier().innerConsuming).toBe('SKIP_TILL_ANY');
    expect(Pattern.begin<Txn>('a').oneOrMore().until((t) => t.amount > 5).getStages()[0]!.until).toBeDefined();
  });

  test('malformed patterns are refused with Flink\'s messages', () => {
    const m = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(MalformedPatternException);
        return (e as Error).message;
      }
      throw new Error('expected a MalformedPatternException');
    };
    expect(m(() => Pattern.begin<Txn>('a').next('a'))).toBe('Duplicate pattern name: a. Names must be unique.');
    expect(m(() => Pattern.begin<Txn>('a').times(0))).toBe('You should give a positive number greater than 0.');
    expect(m(() => Pattern.begin<Txn>('a').times(3, 2))).toBe('The to should be a number greater than or equal to from: 3.');
    expect(m(() => Pattern.begin<Txn>('a').times(0, 0))).toBe('The from and to should not be both equal to 0.');
    expect(m(() => Pattern.begin<Txn>('a').until((t) => t.amount > 1))).toBe('The until condition is only applicable to looping states.');
    expect(m(() => Pattern.begin<Txn>('a').oneOrMore().times(2))).toMatch(/^Already applied quantifier to this Pattern/);
    expect(m(() => Pattern.begin<Txn>('a').notFollowedBy('b').optional())).toBe('Option not applicable to NOT pattern');
    expect(m(() => Pattern.begin<Txn>('a').greedy())).toMatch(/greedy\(\) is applicable only to looping/);
    expect(m(() => Pattern.begin<Txn>('a').within(0))).toMatch(/greater than zero/);
  });

  test('group patterns are stages whose names join the pattern\'s; names stay unique across groups', () => {
    const inner = Pattern.begin<Txn>('x').followedBy('y');
    const p = Pattern.begin<Txn>('start').next(inner).oneOrMore().followedBy('end');
    expect(p.allNames()).toEqual(['start', 'x', 'y', 'end']);
    expect(p.getStages()[1]!.group).toBe(inner);
    expect(() => Pattern.begin<Txn>('x').next(inner)).toThrow('Duplicate pattern name: x. Names must be unique.');
    expect(() => p.where(() => true)).not.toThrow(); // 'end' is a plain stage
    expect(() => Pattern.begin<Txn>('s').next(inner).where(() => true)).toThrow(/group pattern stage/);
  });

  test('skip strategies and within type', () => {
    const p = Pattern.begin<Txn>('a', AfterMatchSkipStrategy.skipToLast('a').throwExceptionOnMiss()).followedBy('b').within('10 s', 'PREVIOUS_AND_CURRENT').within('5 s');
    expect(p.getAfterMatchSkipStrategy()).toMatchObject({ kind: 'SKIP_TO_LAST', patternName: 'a', throwsOnMiss: true });
    expect([p.getWindowTime(), p.getStages()[1]!.window]).toEqual([5000, 10000]);
    expect(String(AfterMatchSkipStrategy.skipPastLastEvent())).toBe('SKIP_PAST_LAST_EVENT');
  });

  test('a match is typed by stage names', () => {
    const p = Pattern.begin<Txn, 'small'>('small').next<'large'>('large');
    const m: Match<Txn, 'small' | 'large'> = { small: [{ card: 'c', amount: 0.5 }], large: [{ card: 'c', amount: 600 }] };
    expect(p.allNames()).toEqual(Object.keys(m));
    expect(m.small[0]!.amount + m.large[0]!.amount).toBe(600.5);
  });
  test("Flink's rules: no negation after an optional stage, no optional stage after a greedy one", () => {
    const base = Pattern.begin<Txn>('a').followedBy('b').optional();
    expect(() => base.notNext('c')).toThrow(/optional path to NOT condition is not supported/);
    expect(() => base.notFollowedBy('c')).toThrow(/optional path to NOT condition is not supported/);
    expect(() => Pattern.begin<Txn>('a').oneOrMore().greedy().followedBy('b').optional()).toThrow('Optional pattern cannot be preceded by greedy pattern');
    expect(() => Pattern.begin<Txn>('a').followedBy('b').optional().followedBy('c')).not.toThrow();
  });
  test('StageNames reads the stage names off a pattern type (checked by tsc)', () => {
    const p = Pattern.begin<Txn, 'small'>('small').followedBy('large').notFollowedBy('refund');
    expectTypeOf<StageNames<typeof p>>().toEqualTypeOf<'small' | 'large' | 'refund'>();
    expect(p.allNames()).toEqual(['small', 'large', 'refund']);
  });
  test('subtype narrows what the later conditions of the stage see; the next stage sees the stream type again (checked by tsc)', () => {
    class Base {
      constructor(readonly kind: string) {}
    }
    class Sub extends Base {
      constructor(readonly volume: number) {
        super('sub');
      }
    }
    const isSub = (e: Base): e is Sub => e instanceof Sub;
    const p = Pattern.begin<Base, 'a'>('a').subtype(isSub).where((e) => e.volume > 5).followedBy('b');
    // @ts-expect-error the next stage's conditions see Base, which has no volume
    p.where((e) => e.volume > 1);
    const ctx = { getEventsForPattern: () => [], timestamp: () => 0 };
    const first = p.getStages()[0]!.condition;
    expect([evaluate(first, new Sub(6), ctx), evaluate(first, new Sub(1), ctx), evaluate(first, new Base('x'), ctx)]).toEqual([true, false, false]);
  });
});

describe('within() in group patterns', () => {
  test('within() inside a group pattern counts (the smallest window of the whole pattern applies, as in Flink)', () => {
    const a = new Event(1, 'a', 1);
    const b = new Event(2, 'b', 1);
    const c = new Event(3, 'c', 1);
    const group = Pattern.begin<Event>('a').where(named('a')).within(5).followedBy('b').where(named('b'));
    const p = Pattern.begin(group).followedBy('c').where(named('c'));
    expect(NFA.compile(p).getWindowTime()).toBe(5);
    comparePatterns(NFATestHarness.forPattern(p).feedRecords([[a, 0], [b, 100], [c, 101]]), []);
    comparePatterns(NFATestHarness.forPattern(p).feedRecords([[a, 0], [b, 2], [c, 4]]), [[a, b, c]]);
  });
});

describe('pattern and argument checks', () => {
  test('a group cannot end with notFollowedBy; misspelt stage names in expressions fail when the job is built', () => {
    const env = StreamExecutionEnvironment.create();
    const s = env.fromElements(new Event(1, 'a', 1));
    const group = Pattern.begin<Event>('a').notFollowedBy('n');
    expect(() => CEP.pattern(s, Pattern.begin(group).followedBy('c'))).toThrow(/A group pattern cannot end with notFollowedBy \('n'\)/);
    const typo = Pattern.begin<Event>('small').where('price < 1').followedBy('large').where('price > 10 * sum(smal.price)');
    expect(() => CEP.pattern(s, typo)).toThrow(MalformedPatternException);
    expect(() => CEP.pattern(s, typo)).toThrow(/Stage 'large'.*smal/);
  });

  test('bad arguments are rejected where they are passed', () => {
    const env = StreamExecutionEnvironment.create();
    const s = env.fromElements(1);
    expect(() => Pattern.begin<number>('a', 'skipPastLastEvent' as never)).toThrow(/must be an AfterMatchSkipStrategy/);
    expect(() => CEP.pattern(s, undefined as never)).toThrow(/needs a Pattern/);
    expect(() => CEP.pattern(s, Pattern.begin<number>('a')).sideOutputLateData('late' as never)).toThrow(/needs an OutputTag/);
    expect(() => Pattern.begin<number>('__proto__')).toThrow(/'__proto__' cannot be a stage name/);
    expect(() => Pattern.begin<number>('a', AfterMatchSkipStrategy.skipToFirst('a'))).not.toThrow();
  });
});
