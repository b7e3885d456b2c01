/** Dynamic patterns: the safe expression language and the JSON pattern spec (round trips, validation, equivalence). */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  AfterMatchSkipStrategy,
  compileExpression,
  ExpressionError,
  MalformedPatternException,
  Pattern,
  PatternSpecError,
  type ConditionContext,
  type PatternSpec,
  type StageSpec,
} from '../../lib/api/cep/index.ts';
import { evaluate } from '../../lib/cep/conditions.ts';
import { NFA } from '../../lib/cep/nfa/nfa.ts';

type Ev = { amount?: number | null; kind?: string; tags?: string[]; n?: number };

/** A fake partial match: events per stage, and a timestamp. */
function ctxOf(stages: Record<string, unknown[]> = {}, ts: number | null = null): ConditionContext<unknown> {
  return { getEventsForPattern: (name) => stages[name] ?? [], timestamp: () => ts };
}

const ev = (source: string, event: unknown = {}, ctx?: ConditionContext<unknown>): unknown => compileExpression(source).evaluate(event, ctx);

function parseError(source: string, stageNames?: string[]): ExpressionError {
  try {
    compileExpression(source, stageNames);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    expect((e as ExpressionError).phase).toBe('parse');
    return e as ExpressionError;
  }
  throw new Error(`expected a parse error for ${source}`);
}

function runtimeError(source: string, event: unknown, ctx?: ConditionContext<unknown>): ExpressionError {
  const c = compileExpression(source);
  try {
    c.evaluate(event, ctx);
  } catch (e) {
    expect(e).toBeInstanceOf(ExpressionError);
    expect((e as ExpressionError).phase).toBe('runtime');
    return e as ExpressionError;
  }
  throw new Error(`expected a runtime error for ${source}`);
}

describe('expression language', () => {
  test('literals, arithmetic and precedence', () => {
    expect(ev('1 + 2 * 3')).toBe(7);
    expect(ev('(1 + 2) * 3')).toBe(9);
    expect(ev('10 - 4 - 3')).toBe(3); // left associative
    expect(ev('2 * 7 % 4')).toBe(2);
    expect(ev('-2 * -3 + +1')).toBe(7);
    expect(ev('1.5e2 / 3')).toBe(50);
    expect(ev('7 / 0')).toBe(Infinity);
    expect(ev('true || false && false')).toBe(true); // && binds tighter
    expect(ev('(true || false) && false')).toBe(false);
    expect(ev('true or false and false')).toBe(true);
    expect(ev('1 + 2 == 3 && 2 < 3')).toBe(true);
    expect(ev('null')).toBe(null);
    // `not` binds loosely (not (1 == 2)); `!` binds tightly ((!1) is a type error).
    expect(ev('not 1 == 2')).toBe(true);
    expect(runtimeError('!1 == 2', {}).message).toContain("'!' expects a boolean, got number");
    expect(ev('not not true')).toBe(true);
    expect(ev('!!true && !false')).toBe(true);
    // ternary, right associative
    expect(ev('n > 5 ? "big" : n > 0 ? "small" : "none"', { n: 3 })).toBe('small');
    expect(ev('n > 5 ? "big" : n > 0 ? "small" : "none"', { n: -1 })).toBe('none');
  });

  test('strings: both quotes, escapes, concatenation, ordering', () => {
    expect(ev(`'it\\'s' + " \\"q\\"\\n" + '\\u0041'`)).toBe(`it's "q"\nA`);
    expect(ev('"abc" < "abd" && "b" > "a"')).toBe(true);
    expect(ev('name == \'Alice\'', { name: 'Alice' })).toBe(true);
    expect(ev('"1" == 1')).toBe(false); // strict: no coercion
  });

  test('fields: bare names, nested, brackets, indexes, explicit event', () => {
    const e = { amount: 5, card: { id: 'c1', 'odd key': 7, owner: { country: 'NL' } }, tags: ['a', 'b'], i: 1, event: 'field-named-event' };
    expect(ev('amount', e)).toBe(5);
    expect(ev('card.id', e)).toBe('c1');
    expect(ev('card.owner.country', e)).toBe('NL');
    expect(ev('card["odd key"]', e)).toBe(7);
    expect(ev("card['owner']['country']", e)).toBe('NL');
    expect(ev('tags[1]', e)).toBe('b');
    expect(ev('tags[i]', e)).toBe('b'); // computed index
    expect(ev('tags[5]', e)).toBe(null);
    expect(ev('event.amount + event.card.owner.country', { amount: 1, card: { owner: { country: 2 } } })).toBe(3);
    expect(ev('event.event', e)).toBe('field-named-event');
    expect(ev('event > 3', 4)).toBe(true); // a stream of numbers
    expect(ev('missing.deeper.still', e)).toBe(null);
    expect(ev('amount.x', e)).toBe(null); // member of a number
  });

  test('null semantics: missing fields are null, comparisons with null are false, arithmetic propagates null', () => {
    const e = { amount: null };
    expect(ev('missing == null && amount == null', e)).toBe(true);
    expect(ev('missing < 5', e)).toBe(false);
    expect(ev('missing >= 5', e)).toBe(false);
    expect(ev('missing * 2', e)).toBe(null);
    expect(ev('missing * 2 > 1', e)).toBe(false);
    expect(ev('missing != 5', e)).toBe(true); // strict inequality
    expect(ev('missing not in [1, 2]', e)).toBe(true);
    expect(ev('abs(missing)', e)).toBe(null);
    expect(ev('lower(missing)', e)).toBe(null);
    expect(ev('length(missing)', e)).toBe(null);
    expect(ev('missing && true', e)).toBe(false); // null counts as false
    expect(ev('!missing', e)).toBe(true);
    expect(compileExpression('missing').test({}, ctxOf())).toBe(false);
  });

  test('type errors: predicates are false, computations throw an error naming the expression', () => {
    expect(ev('"a" < 1')).toBe(false);
    expect(ev('true > false')).toBe(false);
    expect(ev('startsWith(5, "a")')).toBe(false);
    expect(ev('matches(5, "a")')).toBe(false);
    const err = runtimeError('amount * 2 > 10', { amount: 'abc' });
    expect(err.message).toBe(`'*' expects numbers, got string and number at 7 in "amount * 2 > 10"`);
    expect(err.position).toBe(7);
    expect(runtimeError('a + b', { a: 'x', b: 1 }).message).toContain("'+' expects two numbers or two strings, got string and number");
    expect(runtimeError('amount && true', { amount: 1 }).message).toContain("'&&' expects a boolean, got number");
    expect(runtimeError('lower(n)', { n: 1 }).message).toContain('lower() expects a string, got number');
    expect(() => compileExpression('amount').test({ amount: 3 })).toThrow(/a condition expects a boolean, got number/);
    expect(() => compileExpression('-name').evaluate({ name: 'x' })).toThrow(ExpressionError);
  });

  test('in / not in: literal lists, computed lists, lists from the event', () => {
    const e = { country: 'NL', n: 2, tags: ['vip', 'new'], pair: [1, 2] };
    expect(ev('country in ["NL", "BE"]', e)).toBe(true);
    expect(ev("country not in ['NL', 'BE']", e)).toBe(false);
    expect(ev('n + 1 in [1, 3]', e)).toBe(true);
    expect(ev('n in [n - 1, n * 2]', e)).toBe(false); // computed list
    expect(ev('"vip" in tags', e)).toBe(true);
    expect(ev('"x" in country', e)).toBe(false); // not a list: false, use contains() for strings
    expect(ev('pair in [[1, 2], [3]]', e)).toBe(true); // lists compare by content
    expect(ev('[] == []')).toBe(true);
    expect(ev('country in []', e)).toBe(false);
  });

  test('functions', () => {
    const e = { x: -2.5, name: 'Alice Smith', tags: ['a', 'b'], s: 'abc' };
    expect(ev('abs(x)', e)).toBe(2.5);
    expect(ev('floor(x)', e)).toBe(-3);
    expect(ev('ceil(x)', e)).toBe(-2);
    expect(ev('round(2.5)')).toBe(3);
    expect(ev('round(1.23456, 2)')).toBe(1.23);
    expect(ev('min(3, x, 1)', e)).toBe(-2.5);
    expect(ev('max(3, x, 1)', e)).toBe(3);
    expect(ev('max(3, missing)', e)).toBe(null);
    expect(ev('lower(name) + upper(s)', e)).toBe('alice smithABC');
    expect(ev('length(name) + length(tags)', e)).toBe(13);
    expect(ev('contains(name, "Smi") && contains(tags, "b") && !contains(tags, "z")', e)).toBe(true);
    expect(ev('startsWith(name, "Al") && endsWith(name, "th")', e)).toBe(true);
    expect(ev('timestamp() - 1000', {}, ctxOf({}, 5000))).toBe(4000);
    expect(ev('timestamp()', {}, ctxOf({}, null))).toBe(null);
  });

  test('regex: compiled once at parse time, flags, guarded', () => {
    const c = compileExpression('matches(email, "^[a-z.]+@example\\\\.com$", "i")');
    expect(c.test({ email: 'Jane.Doe@EXAMPLE.com' })).toBe(true);
    expect(c.test({ email: 'jane@example.org' })).toBe(false);
    expect(c.test({ email: 'jane@example.com' })).toBe(true); // no 'g' flag: no lastIndex state between events
    expect(c.test({})).toBe(false);
    expect(parseError('matches(s, "(a+)+$")').message).toMatch(/exponential/);
    expect(parseError('matches(s, "([a-z]*)*")').message).toMatch(/exponential/);
    expect(parseError('matches(s, "^(\\\\w|\\\\d)*$")').message).toMatch(/exponential/); // overlapping alternatives backtrack too
    expect(() => compileExpression('matches(s, "^(ab|cd)$") && matches(s, "[ab]*")')).not.toThrow();
    expect(parseError(`matches(s, "${'a'.repeat(300)}")`).message).toMatch(/longer than 256/);
    expect(parseError('matches(s, "[")').message).toMatch(/^Invalid regular expression/);
    expect(parseError('matches(s, "a", "g")').message).toMatch(/regex flags/);
    expect(parseError('matches(s, pattern)').message).toMatch(/^Expected the regular expression as a string literal at 11/);
    expect(compileExpression('matches(s, "^(ab)+$")').test({ s: 'abab' })).toBe(true); // a plainly quantified group is fine
  });

  test('aggregates over the stages of the partial match', () => {
    const ctx = ctxOf({ small: [{ amount: 1 }, { amount: 2 }, { amount: null }, {}, { amount: 6 }], empty: [] });
    const stages = ['small', 'empty', 'large'];
    const agg = (s: string): unknown => compileExpression(s, stages).evaluate({ amount: 100 }, ctx);
    expect(agg('count(small)')).toBe(5);
    expect(agg('sum(small.amount)')).toBe(9); // nulls skipped
    expect(agg('avg(small.amount)')).toBe(3);
    expect(agg('min(small.amount)')).toBe(1);
    expect(agg('max(small.amount)')).toBe(6);
    expect(agg('first(small).amount + last(small).amount')).toBe(7);
    expect(agg('count(empty)')).toBe(0);
    expect(agg('sum(empty.amount)')).toBe(0);
    expect(agg('avg(empty.amount)')).toBe(null);
    expect(agg('max(empty.amount)')).toBe(null);
    expect(agg('last(empty).amount')).toBe(null);
    expect(agg('amount > 10 * max(small.amount)')).toBe(true); // candidate field next to an aggregate
    expect(agg('min(amount, 5)')).toBe(5); // two arguments: the numeric min
    // nested paths in stages
    expect(compileExpression('sum(s.card.limit)').evaluate({}, ctxOf({ s: [{ card: { limit: 2 } }, { card: { limit: 3 } }] }))).toBe(5);
    // without a context aggregates see no events
    expect(compileExpression('count(small)').evaluate({})).toBe(0);
    expect(compileExpression('count(small) + max(small.amount)', stages).stageRefs).toEqual(['small']);
    expect(runtimeError('sum(s.v)', {}, ctxOf({ s: [{ v: 'x' }] })).message).toContain('sum() expects numbers, got string');
    expect(parseError('count(smal) > 1', stages).message).toBe(`Unknown stage 'smal' in count() (expected one of small, empty, large) at 6 in "count(smal) > 1"`);
    expect(parseError('count(small.amount)', stages).message).toMatch(/^count\(\) takes a stage name, not a field/);
    expect(parseError('min(amount)', stages).message).toMatch(/^min\(\) takes two or more numbers, or a stage field like min\(stage.amount\)/);
    expect(parseError('sum(1 + 2)').message).toMatch(/^Expected a stage name, like sum\(stage.amount\)/);
    expect(parseError('count()').message).toBe('count() takes 1 argument, not 0 at 0 in "count()"');
  });

  test('safety: no prototype, no this, no calls but the whitelist, all refused at parse time', () => {
    const attacks = [
      'constructor.constructor("return process")()',
      'constructor',
      '__proto__',
      'x.__proto__.polluted',
      'x["__proto__"]',
      "x['constructor']['constructor']",
      'prototype',
      'a.prototype',
      'this',
      'this.amount',
      'eval("1")',
      'Function("return 1")',
      'require("fs")',
      'import("fs")',
      'process.exit()',
      'process.mainModule.require("child_process")',
      'toString()',
      'amount.toFixed(2)',
      '"abc".constructor',
      'lower.call(null, "x")',
      '(lower)("x")',
      'first(s).amount()',
      'x = 1',
      'x; y',
      '`template`',
      'a => a',
      'new Date()',
      '{}.x',
      'x ?? 1',
      'a === b',
    ];
    for (const source of attacks) {
      expect(() => compileExpression(source), source).toThrow(ExpressionError);
    }
    expect(parseError('constructor.constructor("return process")()').message).toMatch(/^'constructor' is not allowed as a name/);
    expect(parseError('this').message).toMatch(/^'this' is not allowed/);
    expect(parseError('process.exit()').message).toMatch(/^Calling a value is not allowed/);
    expect(parseError('eval("1")').message).toMatch(/^Unknown function 'eval' \(expected one of abs, min, max/);
  });

  test('safety at runtime: only own properties of data are read', () => {
    const inherited = Object.create({ secret: 1 }) as object;
    expect(ev('secret == null', inherited)).toBe(true);
    expect(ev('x[k]', { x: {}, k: '__proto__' })).toBe(null);
    expect(ev('x[k]', { x: {}, k: 'constructor' })).toBe(null);
    expect(ev('x[k]', { x: { a: 1 }, k: 'toString' })).toBe(null);
    expect(ev('x[k]', { x: { a: 1 }, k: { a: 1 } })).toBe(null); // only string / integer keys
    const polluted = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    expect(ev('a + 1', polluted)).toBe(2);
    expect(ev('polluted == null', polluted)).toBe(true);
    class Account {
      constructor(readonly balance: number) {}
      drain(): number {
        return 0;
      }
    }
    expect(ev('balance', new Account(3))).toBe(3);
    expect(ev('drain == null', new Account(3))).toBe(true); // prototype methods are invisible
    expect(ev('f == null', { f: () => 1 })).toBe(true); // functions read as null
    expect(ev('globalThis == null && process == null')).toBe(true); // names are fields, never globals
  });

  test('resource limits: deep nesting and huge sources are refused', () => {
    expect(parseError('('.repeat(500) + '1' + ')'.repeat(500)).message).toMatch(/nests too deeply/);
    expect(parseError(Array(1000).fill('1').join(' + ')).message).toMatch(/nests too deeply/);
    expect(parseError('!'.repeat(500) + 'true').message).toMatch(/nests too deeply/);
    expect(parseError('1'.repeat(70_000)).message).toMatch(/longer than 65536/);
    // a long but flat in-list is fine
    expect(ev(`n in [${Array.from({ length: 5000 }, (_, i) => i).join(', ')}]`, { n: 4999 })).toBe(true);
  });

  test('parse error messages name the position and what was expected', () => {
    const messages: Array<[string, string]> = [
      ['amount > (1', `Expected ')' at 11 in "amount > (1", found end of input`],
      ['', `Expected an expression at 0 in "", found end of input`],
      ['amount >', `Expected an expression at 8 in "amount >", found end of input`],
      ['amount 5', `Expected an operator or the end of the expression at 7 in "amount 5", found '5'`],
      ['a.', `Expected a field name after '.' at 2 in "a.", found end of input`],
      ['[1, 2', `Expected ',' or ']' at 5 in "[1, 2", found end of input`],
      ['abs(1, 2)', `abs() takes 1 argument, not 2 at 0 in "abs(1, 2)"`],
      ['a ? b', `Expected ':' at 5 in "a ? b", found end of input`],
      ['1 < 2 < 3', `Comparisons cannot be chained (use '&&') at 6 in "1 < 2 < 3"`],
      ['a == b == c', `Comparisons cannot be chained (use '&&') at 7 in "a == b == c"`],
      ['a = 1', `Unexpected character '='; use '==' to compare at 2 in "a = 1"`],
      ['a & b', `Unexpected character '&'; use '&&' at 2 in "a & b"`],
      ['a #', `Unexpected character '#' at 2 in "a #"`],
      ['"abc', `Unterminated string starting at 0 in "\\"abc"`],
      ['"\\q"', `Unknown escape in string at 1 in "\\"\\\\q\\""`],
      ['10min', `Expected an operator after a number at 2 in "10min", found 'm'`],
      ['foo(1)', `Unknown function 'foo' (expected one of ${['abs', 'min', 'max', 'round', 'floor', 'ceil', 'lower', 'upper', 'length', 'contains', 'startsWith', 'endsWith', 'matches', 'timestamp', 'count', 'sum', 'avg', 'first', 'last'].join(', ')}) at 0 in "foo(1)"`],
      ['and', `Expected an expression at 0 in "and", found 'and'`],
    ];
    for (const [source, message] of messages) expect(parseError(source).message, source).toBe(message);
    const e = parseError('amount > (1');
    expect([e.source, e.position]).toEqual(['amount > (1', 11]);
  });
});

describe('expression conditions in the Pattern API', () => {
  test('where/or/until accept expression strings and keep their text', () => {
    const p = Pattern.begin<Ev>('a').where('amount > 10').or('kind == "vip"').oneOrMore().until('kind == "stop"');
    const stage = p.getStages()[0]!;
    expect(stage.condition).toMatchObject({ kind: 'or', left: { kind: 'test', expression: 'amount > 10' }, right: { kind: 'test', expression: 'kind == "vip"' } });
    expect(stage.until).toMatchObject({ kind: 'test', expression: 'kind == "stop"' });
    const ctx = ctxOf() as ConditionContext<Ev>;
    expect([{ amount: 20 }, { amount: 5 }, { amount: 5, kind: 'vip' }].map((e) => evaluate(stage.condition, e, ctx))).toEqual([true, false, true]);
    // function conditions still work and carry no expression
    const f = Pattern.begin<Ev>('a').where((e) => e.amount === 1).getStages()[0]!.condition;
    expect(f.kind === 'test' && f.expression).toBe(undefined);
  });

  test('a bad expression fails at where() with an ExpressionError; aggregates read earlier stages', () => {
    expect(() => Pattern.begin<Ev>('a').where('amount >')).toThrow(ExpressionError);
    const p = Pattern.begin<Ev>('small').where('amount < 1').oneOrMore().next('large').where('amount > 10 * sum(small.amount)');
    const large = p.getStages()[1]!.condition;
    const ctx = ctxOf({ small: [{ amount: 0.5 }, { amount: 0.7 }] }) as ConditionContext<Ev>;
    expect(evaluate(large, { amount: 13 }, ctx)).toBe(true);
    expect(evaluate(large, { amount: 11 }, ctx)).toBe(false);
  });
});

/** fromSpec(toSpec(p)) is p again (toString and spec), also through JSON text. */
function roundTrip(p: Pattern<Ev, string>): PatternSpec {
  const spec = p.toSpec();
  const back = Pattern.fromSpec<Ev>(spec);
  expect(back.toString()).toBe(p.toString());
  expect(back.toSpec()).toEqual(spec);
  const viaJson = Pattern.fromSpec<Ev>(JSON.stringify(spec));
  expect(viaJson.toString()).toBe(p.toString());
  expect(JSON.parse(JSON.stringify(viaJson.toSpec()))).toEqual(spec);
  expect(back.getAfterMatchSkipStrategy()).toEqual(p.getAfterMatchSkipStrategy());
  expect(back.getStages().map((st) => st.window)).toEqual(p.getStages().map((st) => st.window));
  return spec;
}

describe('pattern spec', () => {
  const group = (): Pattern<Ev, string> => Pattern.begin<Ev>('ga').where('kind == "a"').next('gb').where('kind == "b"');

  test('round trips of many pattern shapes', () => {
    const shapes: Array<Pattern<Ev, string>> = [
      Pattern.begin<Ev>('only'),
      Pattern.begin<Ev>('a').where('amount < 1.00'),
      Pattern.begin<Ev>('a').where('amount < 1').next('b').where('amount > 500').followedBy('c').followedByAny('d'),
      Pattern.begin<Ev>('a').oneOrMore().greedy().consecutive().next('b'),
      Pattern.begin<Ev>('a').timesOrMore(3).allowCombinations().optional().followedBy('b'),
      Pattern.begin<Ev>('a').times(2).next('b').times(2, 4).optional().greedy(),
      Pattern.begin<Ev>('a').times(0, 3).followedBy('b'),
      Pattern.begin<Ev>('a').oneOrMore().until('kind == "stop"').followedBy('b').where('amount > avg(a.amount)'),
      Pattern.begin<Ev>('a').notNext('x').where('kind == "x"').next('b'),
      Pattern.begin<Ev>('a').notFollowedBy('x').where('kind == "x"').within('10 min'),
      Pattern.begin<Ev>('a').followedBy('b').within(500, 'PREVIOUS_AND_CURRENT').within(1000, 'PREVIOUS_AND_CURRENT'),
      Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipToNext()).next('b'),
      Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipPastLastEvent()).next('b'),
      Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipToFirst('b')).next('b'),
      Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipToLast('b').throwExceptionOnMiss()).next('b').oneOrMore(),
      Pattern.begin(group()),
      Pattern.begin<Ev>('a').next(group()).times(2, 3).consecutive(),
      Pattern.begin<Ev>('a').followedByAny(group()).oneOrMore().optional().until('kind == "z"'),
      Pattern.begin<Ev>('a').followedBy(Pattern.begin<Ev>('x').next(group()).oneOrMore().within('1 s')).next('z'),
      Pattern.begin<Ev>('a').where('amount > 1').where('amount < 9').or('kind == "vip"').where('n != 0'),
      Pattern.begin<Ev>('a').where('amount > 1 || n > 0').where('kind == "k" ? true : false').or('tags == null'),
      Pattern.begin<Ev>('a').where('true').next('b').where("kind in ['x', \"y\"] and not count(a) > 2"),
    ];
    for (const p of shapes) roundTrip(p);
  });

  test('the canonical spec of a pattern (the documented example)', () => {
    const p = Pattern.begin<Ev>('small', AfterMatchSkipStrategy.skipToLast('small'))
      .where('amount < 1.00')
      .times(2, 3)
      .consecutive()
      .followedBy('large')
      .where('amount > 500')
      .where('amount > 10 * max(small.amount)')
      .followedByAny(Pattern.begin<Ev>('a').where("kind == 'a'").next('b').where("kind == 'b'"))
      .oneOrMore()
      .optional()
      .until("kind == 'stop'")
      .followedBy('last')
      .notFollowedBy('refund')
      .where("type == 'refund'")
      .within('10 min');
    const single = { kind: 'SINGLE', optional: false, greedy: false } as const;
    expect(roundTrip(p)).toEqual({
      version: 1,
      stages: [
        { name: 'small', quantifier: { kind: 'TIMES', times: { from: 2, to: 3 }, innerContiguity: 'STRICT', optional: false, greedy: false }, condition: 'amount < 1.00' },
        { name: 'large', contiguity: 'SKIP_TILL_NEXT', quantifier: single, condition: 'amount > 500 && amount > 10 * max(small.amount)' },
        {
          group: {
            stages: [
              { name: 'a', quantifier: single, condition: "kind == 'a'" },
              { name: 'b', contiguity: 'STRICT', quantifier: single, condition: "kind == 'b'" },
            ],
          },
          contiguity: 'SKIP_TILL_ANY',
          quantifier: { kind: 'LOOPING', times: { from: 1 }, innerContiguity: 'SKIP_TILL_NEXT', optional: true, greedy: false },
          until: "kind == 'stop'",
        },
        { name: 'last', contiguity: 'SKIP_TILL_NEXT', quantifier: single },
        { name: 'refund', contiguity: 'NOT_FOLLOW', quantifier: single, condition: "type == 'refund'" },
      ],
      window: { ms: 600_000, type: 'FIRST_AND_LAST' },
      afterMatchSkip: { type: 'SKIP_TO_LAST', stage: 'small', throwOnMiss: false },
    } satisfies PatternSpec);
  });

  test('where/or trees become one expression, parenthesized where precedence needs it', () => {
    const cond = (p: Pattern<Ev, string>): string | undefined => p.toSpec().stages[0]!.condition;
    expect(cond(Pattern.begin<Ev>('a').where('a > 1').where('b > 1').where('c > 1'))).toBe('a > 1 && b > 1 && c > 1');
    expect(cond(Pattern.begin<Ev>('a').where('a > 1').or('b > 1').where('c > 1'))).toBe('(a > 1 || b > 1) && c > 1');
    expect(cond(Pattern.begin<Ev>('a').where('a > 1 || b > 1').where('c > 1 && d > 1'))).toBe('(a > 1 || b > 1) && c > 1 && d > 1');
    expect(cond(Pattern.begin<Ev>('a').where('a > 1 && b > 1').or('c ? d : e'))).toBe('a > 1 && b > 1 || (c ? d : e)');
    expect(cond(Pattern.begin<Ev>('a').or('a > 1').or('not b'))).toBe('a > 1 || not b');
  });

  test('lenient input forms read to the canonical spec', () => {
    const spec = {
      version: 1,
      stages: [
        { name: 'a', contiguity: 'SKIP_TILL_NEXT', condition: 'amount > 0' },
        { name: 'b', contiguity: 'STRICT', quantifier: { kind: 'LOOPING' } },
        { name: 'c', quantifier: { kind: 'TIMES', times: { from: 0, to: 2 } } },
        { name: 'd', quantifier: { kind: 'TIMES', times: { from: 3 } } },
        { name: 'group(x)', group: { stages: [{ name: 'x' }] } },
      ],
      window: { duration: '2 min' },
      afterMatchSkip: { type: 'NO_SKIP' },
    } as PatternSpec;
    const p = Pattern.fromSpec<Ev>(spec);
    expect(p.toString()).toBe('begin(a).next(b){1,}.followedBy(c){1,2}?.followedBy(d){3,3}.followedBy((begin(x))).within(120000 ms)');
    const out = p.toSpec();
    expect(out.stages[0]).toEqual({ name: 'a', quantifier: { kind: 'SINGLE', optional: false, greedy: false }, condition: 'amount > 0' });
    expect(out.stages[2]!.quantifier).toEqual({ kind: 'TIMES', times: { from: 1, to: 2 }, innerContiguity: 'SKIP_TILL_NEXT', optional: true, greedy: false });
    expect(out.window).toEqual({ ms: 120_000, type: 'FIRST_AND_LAST' });
    expect(out.afterMatchSkip).toBeUndefined();
    expect(Pattern.fromSpec(out).toSpec()).toEqual(out);
  });

  test('invalid specs: errors name the JSON path and keep the Pattern API rules', () => {
    const base = (stages: unknown[], extra: object = {}): string => JSON.stringify({ version: 1, stages, ...extra });
    const cases: Array<[string, string]> = [
      ['nope', 'spec: not valid JSON'],
      ['[]', 'spec: expected an object'],
      [JSON.stringify({ stages: [{ name: 'a' }] }), 'version: missing; expected 1'],
      [JSON.stringify({ version: 2, stages: [{ name: 'a' }] }), 'version: expected 1 (the only spec version)'],
      [base([]), 'stages: expected a non-empty array of stages'],
      [base([{ name: 'a' }], { name: 'rule-1' }), 'name: unknown field (expected one of version, stages, window, afterMatchSkip)'],
      [base([{}]), 'stages[0].name: expected a stage name (a string), or a group'],
      [base([{ name: 'a', quantifer: {} }]), 'stages[0].quantifer: unknown field (expected one of name, group, contiguity, quantifier, condition, until, window)'],
      [base([{ name: 'a', contiguity: 'STRICT' }]), 'stages[0].contiguity: the first stage begins the pattern and has no contiguity; leave it out'],
      [base([{ name: 'a' }, { name: 'b', contiguity: 'NEXT' }]), 'stages[1].contiguity: expected one of STRICT, SKIP_TILL_NEXT, SKIP_TILL_ANY, NOT_NEXT, NOT_FOLLOW'],
      [base([{ name: 'a' }, { name: 'b', quantifier: { kind: 'LOOPING', times: { from: 0 } } }]), 'stages[1].quantifier.times.from: expected a positive integer'],
      [base([{ name: 'a' }, { name: 'b', quantifier: { kind: 'LOOPING', times: { from: 1.5 } } }]), 'stages[1].quantifier.times.from: expected a positive integer'],
      [base([{ name: 'a' }, { name: 'b', quantifier: { kind: 'LOOPING', times: { from: 1, to: 3 } } }]), 'stages[1].quantifier.times.to: a LOOPING quantifier has no upper bound; use TIMES for from..to'],
      [base([{ name: 'a', quantifier: { kind: 'TIMES' } }]), 'stages[0].quantifier.times: a TIMES quantifier needs times: { from, to }'],
      [base([{ name: 'a', quantifier: { kind: 'SINGLE', times: { from: 1 } } }]), 'stages[0].quantifier.times: only a LOOPING or TIMES quantifier has times'],
      [base([{ name: 'a', quantifier: { kind: 'ONCE' } }]), 'stages[0].quantifier.kind: expected one of SINGLE, LOOPING, TIMES'],
      [base([{ name: 'a', quantifier: { kind: 'SINGLE', optional: 'yes' } }]), 'stages[0].quantifier.optional: expected true or false'],
      // the Pattern API's own rules, under the path of the field that triggered them
      [base([{ name: 'a' }, { name: 'a' }]), 'stages[1].name: Duplicate pattern name: a. Names must be unique.'],
      [base([{ name: 'a:b' }]), "stages[0].name: Stage name 'a:b' cannot contain the character ':'"],
      [base([{ name: '' }]), 'stages[0].name: A pattern stage needs a non-empty name'],
      [base([{ name: 'a', quantifier: { kind: 'TIMES', times: { from: 3, to: 2 } } }]), 'stages[0].quantifier.times: The to should be a number greater than or equal to from: 3.'],
      [base([{ name: 'a', quantifier: { kind: 'TIMES', times: { from: 0, to: 0 } } }]), 'stages[0].quantifier.times: The from and to should not be both equal to 0.'],
      [base([{ name: 'a', quantifier: { kind: 'SINGLE', greedy: true } }]), 'stages[0].quantifier.greedy: greedy() is applicable only to looping or times patterns'],
      [base([{ name: 'a', quantifier: { kind: 'SINGLE', innerContiguity: 'STRICT' } }]), 'stages[0].quantifier.innerContiguity: Combinations applicable only to looping or times patterns'],
      [base([{ name: 'a' }, { name: 'n', contiguity: 'NOT_NEXT', quantifier: { kind: 'LOOPING' } }]), "stages[1].quantifier.times: A quantifier is not applicable to the NOT pattern 'n'"],
      [base([{ name: 'a' }, { name: 'n', contiguity: 'NOT_FOLLOW', quantifier: { kind: 'SINGLE', optional: true } }]), 'stages[1].quantifier.optional: Option not applicable to NOT pattern'],
      [base([{ name: 'a', until: 'x > 1' }]), 'stages[0].until: The until condition is only applicable to looping states.'],
      [base([{ name: 'a' }, { group: { stages: [{ name: 'x' }] }, contiguity: 'NOT_NEXT' }]), 'stages[1].contiguity: A group pattern cannot be a negative (notNext / notFollowedBy) stage'],
      [base([{ group: { stages: [{ name: 'x' }] }, condition: 'x > 1' }]), 'stages[0].condition: where() cannot be applied to a group pattern stage; apply it inside the group'],
      [base([{ group: { stages: [{ name: 'x' }] }, quantifier: { kind: 'LOOPING', greedy: true } }]), 'stages[0].quantifier.greedy: greedy() cannot be applied to a group pattern stage; apply it inside the group'],
      [base([{ name: 'x' }, { group: { stages: [{ name: 'x' }] } }]), 'stages[1].group: Duplicate pattern name: x. Names must be unique.'],
      [base([{ name: 'my-group', group: { stages: [{ name: 'x' }] } }]), "stages[0].name: a group stage is named after its stages ('group(x)'); leave the name out"],
      [base([{ group: { stages: [{ name: 'x' }, { name: 'y', quantifier: { kind: 'TIMES', times: { from: -1 } } }] } }]), 'stages[0].group.stages[1].quantifier.times.from: expected a non-negative integer'],
      // expressions: parse errors and stage names, checked against the whole pattern
      [base([{ name: 'a', condition: 'amount > (1' }]), `stages[0].condition: Expected ')' at 11 in "amount > (1", found end of input`],
      [base([{ name: 'a' }, { name: 'b', condition: 'count(c) > 1' }]), `stages[1].condition: Unknown stage 'c' in count() (expected one of a, b) at 6 in "count(c) > 1"`],
      [base([{ name: 'a', condition: 42 }]), 'stages[0].condition: expected an expression (a string)'],
      // window and skip strategy
      [base([{ name: 'a' }], { window: { ms: 0 } }), 'window.ms: expected a positive integer'],
      [base([{ name: 'a' }], { window: {} }), 'window: expected either ms or duration'],
      [base([{ name: 'a' }], { window: { duration: '10 parsecs' } }), "window.duration: Invalid window duration '10 parsecs': unknown unit 'parsecs' (ms, s, min, h, d)"],
      [base([{ name: 'a' }], { window: { ms: 5, type: 'SESSION' } }), 'window.type: expected one of FIRST_AND_LAST, PREVIOUS_AND_CURRENT'],
      [base([{ name: 'a' }], { window: { ms: 5, type: 'PREVIOUS_AND_CURRENT' } }), "window.type: a pattern's window is FIRST_AND_LAST; put a PREVIOUS_AND_CURRENT window on the stage it applies to (stages[i].window)"],
      [base([{ name: 'a' }, { name: 'b', window: { ms: 5, type: 'FIRST_AND_LAST' } }]), "stages[1].window.type: a stage's window is PREVIOUS_AND_CURRENT; put a FIRST_AND_LAST window on the pattern"],
      [base([{ name: 'a' }], { afterMatchSkip: { type: 'SKIP_TO_FIRST' } }), 'afterMatchSkip.stage: expected the name of a stage (SKIP_TO_FIRST skips to one)'],
      [base([{ name: 'a' }], { afterMatchSkip: { type: 'SKIP_TO_LAST', stage: 'b' } }), "afterMatchSkip.stage: unknown stage 'b' (expected one of a)"],
      [base([{ name: 'a' }], { afterMatchSkip: { type: 'NO_SKIP', throwOnMiss: true } }), 'afterMatchSkip.throwOnMiss: only SKIP_TO_FIRST / SKIP_TO_LAST take throwOnMiss'],
    ];
    for (const [json, message] of cases) {
      let error: unknown;
      try {
        Pattern.fromSpec(json);
      } catch (e) {
        error = e;
      }
      expect(error, json).toBeInstanceOf(PatternSpecError);
      expect(error, json).toBeInstanceOf(MalformedPatternException);
      expect((error as Error).message, json).toContain(message);
    }
  });

  test('toSpec refuses function conditions, naming the stage', () => {
    expect(() => Pattern.begin<Ev>('small').where((e) => (e.amount ?? 0) < 1).toSpec()).toThrow(
      new MalformedPatternException("stage 'small' has a function condition; only expression conditions can be serialized"),
    );
    expect(() => Pattern.begin<Ev>('a').where('amount > 1').or((e) => e.kind === 'x').toSpec()).toThrow("stage 'a' has a function condition");
    const isBig = (e: Ev): e is Ev & { big: true } => (e.amount ?? 0) > 100;
    expect(() => Pattern.begin<Ev>('a').next('b').subtype(isBig).toSpec()).toThrow("stage 'b' has a function condition");
    expect(() => Pattern.begin<Ev>('a').oneOrMore().until(() => true).toSpec()).toThrow("stage 'a' has a function until condition");
    // toSpec checks what fromSpec would, so a spec it returns can always be read back
    expect(() => Pattern.begin<Ev>('a').where('count(typo) > 0').toSpec()).toThrow(PatternSpecError);
  });
});

// ---- properties -----------------------------------------------------------------------------------

type RawStage = {
  group: RawGroup | undefined;
  contiguity: StageSpec['contiguity'];
  kind: 'SINGLE' | 'LOOPING' | 'TIMES';
  from: number;
  extra: number;
  inner: 'STRICT' | 'SKIP_TILL_NEXT' | 'SKIP_TILL_ANY';
  optional: boolean;
  greedy: boolean;
  condition: string | undefined;
  until: string | undefined;
  window: number | undefined;
};
type RawGroup = { stages: RawStage[]; window: { ms: number; type: 'FIRST_AND_LAST' } | undefined; skip: { type: string; stage: number; throwOnMiss: boolean } | undefined };

const EXPRESSIONS = ['amount > 1', 'kind == "a" || n < 3', 'count(s0) > 1', 'sum(s0.amount) < 10 && not startsWith(kind, "x")', 'true', "kind in ['a', 'b']"];

function rawGroup(depth: number): fc.Arbitrary<RawGroup> {
  const stage: fc.Arbitrary<RawStage> = fc.record({
    group: depth > 0 ? fc.option(rawGroup(depth - 1), { nil: undefined, freq: 4 }) : fc.constant(undefined),
    contiguity: fc.constantFrom('STRICT', 'SKIP_TILL_NEXT', 'SKIP_TILL_ANY', 'NOT_NEXT', 'NOT_FOLLOW' as const),
    kind: fc.constantFrom('SINGLE', 'LOOPING', 'TIMES' as const),
    from: fc.integer({ min: 1, max: 5 }),
    extra: fc.integer({ min: 0, max: 3 }),
    inner: fc.constantFrom('STRICT', 'SKIP_TILL_NEXT', 'SKIP_TILL_ANY' as const),
    optional: fc.boolean(),
    greedy: fc.boolean(),
    condition: fc.option(fc.constantFrom(...EXPRESSIONS), { nil: undefined }),
    until: fc.option(fc.constantFrom(...EXPRESSIONS), { nil: undefined }),
    window: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined }),
  });
  return fc.record({
    stages: fc.array(stage, { minLength: 1, maxLength: 4 }),
    window: fc.option(fc.record({ ms: fc.integer({ min: 1, max: 10_000_000 }), type: fc.constant('FIRST_AND_LAST' as const) }), { nil: undefined }),
    skip: fc.option(fc.record({ type: fc.constantFrom('SKIP_TO_NEXT', 'SKIP_PAST_LAST_EVENT', 'SKIP_TO_FIRST', 'SKIP_TO_LAST'), stage: fc.nat(), throwOnMiss: fc.boolean() }), { nil: undefined }),
  });
}

/** Turns raw choices into a canonical spec the Pattern API accepts (names s0, s1, ... in pre-order). */
function canonical(raw: RawGroup): PatternSpec {
  let counter = 0;
  const names: string[] = [];
  const pendingSkips: Array<[PatternSpec['afterMatchSkip'] & object, number]> = [];
  const group = (g: RawGroup): Omit<PatternSpec, 'version'> => {
    const stages = g.stages.map((r, i): StageSpec => {
      const first = i === 0;
      const isGroup = r.group !== undefined;
      let contiguity = r.contiguity!;
      if (isGroup && contiguity.startsWith('NOT')) contiguity = 'STRICT';
      const negative = contiguity.startsWith('NOT') && !first;
      const kind = negative ? 'SINGLE' : r.kind;
      const out: StageSpec = isGroup ? { group: group(r.group!) } : { name: `s${counter++}` };
      if (!isGroup) names.push(out.name!);
      if (!first) out.contiguity = contiguity;
      out.quantifier =
        kind === 'SINGLE'
          ? { kind, optional: !negative && r.optional, greedy: false }
          : {
              kind,
              times: kind === 'LOOPING' ? { from: r.from } : { from: r.from, to: r.from + r.extra },
              innerContiguity: r.inner,
              optional: r.optional,
              // Flink rejects greedy() after allowCombinations() (and a spec applies them in that order)
              greedy: !isGroup && r.greedy && r.inner !== 'SKIP_TILL_ANY',
            };
      if (!isGroup && r.condition !== undefined) out.condition = r.condition;
      if (kind === 'LOOPING' && r.until !== undefined) out.until = r.until;
      if (r.window !== undefined) out.window = { ms: r.window, type: 'PREVIOUS_AND_CURRENT' };
      return out;
    });
    // Flink's rules: no negation right after an optional stage, no optional stage right after a greedy one.
    for (let i = 1; i < stages.length; i++) {
      const prev = stages[i - 1]!.quantifier!;
      const cur = stages[i]!;
      if (cur.contiguity?.startsWith('NOT')) prev.optional = false;
      if (prev.greedy) cur.quantifier!.optional = false;
    }
    const out: Omit<PatternSpec, 'version'> = { stages };
    if (g.window) out.window = { ...g.window };
    if (g.skip) {
      const named = g.skip.type === 'SKIP_TO_FIRST' || g.skip.type === 'SKIP_TO_LAST';
      out.afterMatchSkip = { type: g.skip.type as 'SKIP_TO_NEXT' };
      if (named) {
        out.afterMatchSkip.throwOnMiss = g.skip.throwOnMiss;
        pendingSkips.push([out.afterMatchSkip, g.skip.stage]);
      }
    }
    return out;
  };
  const body = group(raw);
  // every stage exists once all are named; then point skip strategies at one of them
  for (const [skip, index] of pendingSkips) {
    const { throwOnMiss } = skip;
    delete skip.throwOnMiss;
    Object.assign(skip, { stage: names[index % names.length], throwOnMiss });
  }
  return { version: 1, ...body };
}

type Cond = { src: string; fn: (e: Ev, ctx: ConditionContext<Ev>) => boolean };

const num = (v: unknown): v is number => typeof v === 'number';
const atoms: fc.Arbitrary<Cond> = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map((c) => ({ src: `amount < ${c}`, fn: (e: Ev) => num(e.amount) && e.amount < c })),
  fc.integer({ min: -5, max: 5 }).map((c) => ({ src: `amount >= ${c}`, fn: (e: Ev) => num(e.amount) && e.amount >= c })),
  fc.integer({ min: -5, max: 5 }).map((c) => ({ src: `amount * 2 + 1 > ${c}`, fn: (e: Ev) => num(e.amount) && e.amount * 2 + 1 > c })),
  fc.integer({ min: 0, max: 5 }).map((c) => ({ src: `abs(n) <= ${c}`, fn: (e: Ev) => num(e.n) && Math.abs(e.n) <= c })),
  fc.constantFrom('a', 'b', 'c').map((k) => ({ src: `kind == "${k}"`, fn: (e: Ev) => (e.kind ?? null) === k })),
  fc.constantFrom('a', 'b', 'c').map((k) => ({ src: `kind != '${k}'`, fn: (e: Ev) => (e.kind ?? null) !== k })),
  fc.subarray(['a', 'b', 'c']).map((ks) => ({ src: `kind in [${ks.map((k) => `"${k}"`).join(', ')}]`, fn: (e: Ev) => ks.includes(e.kind as string) })),
  fc.subarray(['a', 'b', 'c']).map((ks) => ({ src: `kind not in [${ks.map((k) => `"${k}"`).join(', ')}]`, fn: (e: Ev) => !ks.includes(e.kind as string) })),
  fc.constantFrom('x', 'y').map((t) => ({ src: `contains(tags, "${t}")`, fn: (e: Ev) => Array.isArray(e.tags) && e.tags.includes(t) })),
  fc.integer({ min: 0, max: 3 }).map((k) => ({ src: `count(prev) > ${k}`, fn: (_e: Ev, c: ConditionContext<Ev>) => c.getEventsForPattern('prev').length > k })),
  fc.integer({ min: -5, max: 5 }).map((k) => ({
    src: `sum(prev.amount) < ${k}`,
    fn: (_e: Ev, c: ConditionContext<Ev>) => c.getEventsForPattern('prev').reduce((s, p) => s + (num(p.amount) ? p.amount : 0), 0) < k,
  })),
  fc.constant({ src: 'amount > avg(prev.amount)', fn: (e: Ev, c: ConditionContext<Ev>) => {
    const xs = c.getEventsForPattern('prev').map((p) => p.amount).filter(num);
    return xs.length > 0 && num(e.amount) && e.amount > xs.reduce((a, b) => a + b, 0) / xs.length;
  } }),
);
const conds: fc.Arbitrary<Cond> = fc.letrec<{ cond: Cond }>((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atoms,
    fc.tuple(tie('cond'), tie('cond')).map(([a, b]) => ({ src: `(${a.src}) && (${b.src})`, fn: (e: Ev, c: ConditionContext<Ev>) => a.fn(e, c) && b.fn(e, c) })),
    fc.tuple(tie('cond'), tie('cond')).map(([a, b]) => ({ src: `(${a.src}) or (${b.src})`, fn: (e: Ev, c: ConditionContext<Ev>) => a.fn(e, c) || b.fn(e, c) })),
    tie('cond').map((a) => ({ src: `!(${a.src})`, fn: (e: Ev, c: ConditionContext<Ev>) => !a.fn(e, c) })),
    tie('cond').map((a) => ({ src: `not (${a.src})`, fn: (e: Ev, c: ConditionContext<Ev>) => !a.fn(e, c) })),
  ),
})).cond;

const events: fc.Arbitrary<Ev> = fc.record(
  {
    amount: fc.oneof(fc.integer({ min: -6, max: 6 }), fc.double({ min: -6, max: 6, noNaN: true }), fc.constant(null)),
    kind: fc.constantFrom('a', 'b', 'c', 'x'),
    tags: fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 3 }),
    n: fc.integer({ min: -6, max: 6 }),
  },
  { requiredKeys: [] },
);

describe('pattern spec properties', () => {
  test('random canonical specs round-trip: spec -> Pattern -> spec is the identity', () => {
    fc.assert(
      fc.property(rawGroup(2), (raw) => {
        const spec = canonical(raw);
        const p = Pattern.fromSpec<Ev>(spec);
        expect(p.toSpec()).toEqual(spec);
        expect(Pattern.fromSpec<Ev>(JSON.stringify(spec)).toString()).toBe(p.toString());
      }),
      { numRuns: 200 },
    );
  });

  test('a pattern read from a spec evaluates its conditions like the hand-written function pattern', () => {
    const ops = fc.array(fc.tuple(fc.constantFrom('where', 'or' as const), conds), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(ops, fc.array(events, { minLength: 1, maxLength: 8 }), fc.array(events, { maxLength: 4 }), (chain, evs, prev) => {
        let byFn = Pattern.begin<Ev>('prev').next('cur');
        let byExpr = Pattern.begin<Ev>('prev').next('cur');
        for (const [op, c] of chain) {
          byFn = op === 'where' ? byFn.where(c.fn) : byFn.or(c.fn);
          byExpr = op === 'where' ? byExpr.where(c.src) : byExpr.or(c.src);
        }
        const fromSpec = Pattern.fromSpec<Ev>(JSON.stringify(byExpr.toSpec()));
        const ctx: ConditionContext<Ev> = { getEventsForPattern: (name) => (name === 'prev' ? prev : []), timestamp: () => null };
        const fnCond = byFn.getStages()[1]!.condition;
        const exprCond = byExpr.getStages()[1]!.condition;
        const specCond = fromSpec.getStages()[1]!.condition;
        for (const e of evs) {
          const expected = evaluate(fnCond, e, ctx);
          expect(evaluate(exprCond, e, ctx)).toBe(expected);
          expect(evaluate(specCond, e, ctx)).toBe(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('pattern spec limits', () => {
  test('specs from outside are bounded: times and the number of stages', () => {
    const one = (times: unknown) => ({ version: 1, stages: [{ name: 'a', quantifier: { kind: 'TIMES', times } }] });
    expect(() => Pattern.fromSpec(one({ from: 1001 }) as never)).toThrow('stages[0].quantifier.times.from: at most 1000');
    expect(() => Pattern.fromSpec(one({ from: 1, to: 5000 }) as never)).toThrow('stages[0].quantifier.times.to: at most 1000');
    const many = { version: 1, stages: Array.from({ length: 101 }, (_, i) => ({ name: `s${i}` })) };
    expect(() => Pattern.fromSpec(many as never)).toThrow('stages.length: at most 100');
    // The largest allowed count compiles (state names are no longer found by a quadratic search).
    expect(NFA.compile(Pattern.fromSpec(one({ from: 1000 }) as never)).getStates().length).toBeGreaterThan(1000);
  });
});
