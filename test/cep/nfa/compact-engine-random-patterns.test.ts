/**
 * The compact engine against the general NFA over random patterns built with the whole Pattern API
 * (next / followedBy / followedByAny / notNext / notFollowedBy, group stages and a group at the
 * start, where / or / and, times / times(n,m) / oneOrMore / optional / consecutive /
 * allowCombinations / until / greedy, FIRST_AND_LAST and PREVIOUS_AND_CURRENT windows, skip
 * strategies set on the pattern, iterative conditions reading ctx.getEventsForPattern and
 * ctx.timestamp): whatever pattern the NFA runs on compact states must behave as the general NFA
 * in every call (matches, timed-out partial matches, match times, counts, timeouts, snapshots),
 * and its conditions must be called in the same order, for the same partial matches, seeing the
 * same events (conditions are user code: side effects and errors happen in the same order).
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { AfterMatchSkipStrategy, Pattern } from '../../../lib/api/cep/index.ts';
import type { ConditionContext } from '../../../lib/cep/conditions.ts';
import { NFA, type NFAState, type PatternMatch } from '../../../lib/cep/nfa/nfa.ts';
import { restoreNFAState, restoreNFAStateFor, snapshotNFAState } from '../../../lib/cep/nfa/nfa-state-snapshot.ts';

interface Ev {
  readonly id: number;
  readonly letter: string;
  readonly v: number;
}

type CondKind = 'plain' | 'or' | 'and' | 'iterative' | 'time' | 'none';
type Quant = 'one' | 'times2' | 'times3' | 'times12' | 'oneOrMore' | 'optional' | 'times2consecutive' | 'times2combinations' | 'oneOrMoreUntil' | 'oneOrMoreGreedy';
type Link = 'next' | 'followedBy' | 'followedByAny' | 'notNext' | 'notFollowedBy' | 'groupNext' | 'groupFollowedBy';
interface StageSpec {
  readonly link: Link;
  readonly letters: readonly string[];
  readonly cond: CondKind;
  readonly quant: Quant;
}
interface PatternSpec {
  readonly stages: readonly StageSpec[];
  readonly within: number | undefined;
  readonly withinType: 'FIRST_AND_LAST' | 'PREVIOUS_AND_CURRENT';
  readonly skip: number;
  readonly handleTimeout: boolean;
  readonly beginWithGroup: boolean;
}

const SKIPS = [AfterMatchSkipStrategy.noSkip(), AfterMatchSkipStrategy.skipPastLastEvent(), AfterMatchSkipStrategy.skipToNext(), AfterMatchSkipStrategy.skipToFirst('s1')];

/** What the conditions were asked, in order: stage, event, the events of s0 the context showed. */
let calls: string[] = [];

function condition(name: string, i: number, letters: readonly string[], kind: CondKind) {
  return (e: Ev, ctx: ConditionContext<Ev>): boolean => {
    calls.push(`${name}:${e.id}:${ctx.getEventsForPattern('s0').map((x) => x.id).join('/')}`);
    if (!letters.includes(e.letter)) return false;
    if (kind === 'iterative') return ctx.getEventsForPattern(name).length + (i > 0 ? ctx.getEventsForPattern(`s${i - 1}`).length : 0) < 3 || e.v % 2 === 0;
    if (kind === 'time') return (ctx.timestamp() ?? 0) % 3 !== 0;
    return true;
  };
}

// (Patterns built step by step through the builder's changing types.)
/* eslint-disable @typescript-eslint/no-explicit-any */
function withCondition(p: any, name: string, i: number, s: { letters: readonly string[]; cond: CondKind }): any {
  if (s.cond === 'none') return p;
  p = p.where(condition(name, i, s.letters, s.cond));
  if (s.cond === 'or') p = p.or((e: Ev) => e.letter === 'c');
  if (s.cond === 'and') p = p.where((e: Ev) => e.v !== 4);
  return p;
}
function quantified(p: any, q: Quant): any {
  switch (q) {
    case 'one':
      return p;
    case 'times2':
      return p.times(2);
    case 'times3':
      return p.times(3);
    case 'times12':
      return p.times(1, 2);
    case 'oneOrMore':
      return p.oneOrMore();
    case 'optional':
      return p.optional();
    case 'times2consecutive':
      return p.times(2).consecutive();
    case 'times2combinations':
      return p.times(2).allowCombinations();
    case 'oneOrMoreUntil':
      return p.oneOrMore().until((e: Ev) => e.v === 5);
    case 'oneOrMoreGreedy':
      return p.oneOrMore().greedy();
  }
}
function build(spec: PatternSpec): Pattern<Ev, string> {
  const s0 = spec.stages[0]!;
  const skip = SKIPS[spec.skip]!;
  let p: any = spec.beginWithGroup
    ? Pattern.begin<Ev>(withCondition(Pattern.begin<Ev>('s0'), 's0', 0, s0).next('s0b').where((e: Ev) => e.letter !== 'c'), skip)
    : quantified(withCondition(Pattern.begin<Ev>('s0', skip), 's0', 0, s0), s0.quant);
  for (let i = 1; i < spec.stages.length; i++) {
    const s = spec.stages[i]!;
    if (s.link === 'groupNext' || s.link === 'groupFollowedBy') {
      const group = withCondition(Pattern.begin<Ev>(`s${i}`), `s${i}`, i, s)
        .followedBy(`s${i}b`)
        .where((e: Ev) => e.letter === 'b');
      p = s.link === 'groupNext' ? p.next(group) : p.followedBy(group);
      if (s.quant === 'times2') p = p.times(2);
    } else {
      p = quantified(withCondition(p[s.link](`s${i}`), `s${i}`, i, s), s.quant);
    }
  }
  return spec.within === undefined ? p : p.within(spec.within, spec.withinType);
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const stageSpec = fc.record<StageSpec>({
  link: fc.constantFrom<Link>('next', 'next', 'followedBy', 'followedBy', 'followedByAny', 'notNext', 'notFollowedBy', 'groupNext', 'groupFollowedBy'),
  letters: fc.subarray(['a', 'b', 'c'], { minLength: 1, maxLength: 2 }),
  cond: fc.constantFrom<CondKind>('plain', 'plain', 'or', 'and', 'iterative', 'time', 'none'),
  quant: fc.constantFrom<Quant>('one', 'one', 'one', 'times2', 'times3', 'times12', 'oneOrMore', 'optional', 'times2consecutive', 'times2combinations', 'oneOrMoreUntil', 'oneOrMoreGreedy'),
});
const patternSpec = fc.record<PatternSpec>({
  stages: fc.array(stageSpec, { minLength: 1, maxLength: 4 }),
  within: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  withinType: fc.constantFrom<PatternSpec['withinType']>('FIRST_AND_LAST', 'FIRST_AND_LAST', 'PREVIOUS_AND_CURRENT'),
  skip: fc.constantFrom(0, 0, 0, 1, 2, 3),
  handleTimeout: fc.boolean(),
  beginWithGroup: fc.boolean(),
});

type Op =
  | { readonly op: 'event'; readonly key: number; readonly letter: string; readonly v: number; readonly dt: number }
  | { readonly op: 'advance'; readonly key: number; readonly dt: number }
  | { readonly op: 'restore'; readonly key: number; readonly deflate: boolean }
  | { readonly op: 'drop'; readonly key: number; readonly keep: number }
  | { readonly op: 'recycle'; readonly key: number };
const key = fc.integer({ min: 0, max: 1 });
const ops = fc.array(
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        op: fc.constant('event' as const),
        key,
        letter: fc.constantFrom('a', 'b', 'c', 'x'),
        v: fc.integer({ min: 0, max: 5 }),
        dt: fc.constantFrom(0, 1, 1, 2, 3, -1),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), key, dt: fc.integer({ min: 0, max: 10 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('restore' as const), key, deflate: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), key, keep: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('recycle' as const), key }) },
  ),
  { maxLength: 60, size: 'medium' },
);

const show = (m: PatternMatch<Ev>): string => [...m].map(([k, es]) => `${k}=${es.map((e) => e.id).join(',')}`).join(' ');

test('every pattern the NFA runs compact behaves as the general NFA, its conditions asked in the same order', () => {
  const kinds = new Set<string>();
  let compactPatterns = 0;
  let deflated = 0;
  fc.assert(
    fc.property(patternSpec, ops, (spec, run) => {
      let pattern: Pattern<Ev, string>;
      let compact: NFA<Ev>;
      let general: NFA<Ev>;
      try {
        pattern = build(spec);
        // (Forced on: a pattern with a skip strategy runs general states by default; here its compact ones are inflated.)
        compact = NFA.compile(pattern, spec.handleTimeout, undefined, { compact: true });
        general = NFA.compile(pattern, spec.handleTimeout, undefined, { compact: false });
      } catch {
        return; // a pattern the API rejects
      }
      if (!compact.isCompact()) return;
      compactPatterns++;
      if (spec.beginWithGroup) kinds.add('group at the start');
      if (spec.skip !== 0) kinds.add('skip strategy');
      for (const s of spec.stages.slice(1)) kinds.add(s.link);
      for (const s of spec.stages) kinds.add(s.cond).add(s.quant);
      const skip = pattern.getAfterMatchSkipStrategy();
      const sc = [compact.createInitialNFAState(), compact.createInitialNFAState()];
      const sg = [general.createInitialNFAState(), general.createInitialNFAState()];
      const time = [0, 0];
      let id = 0;
      const observe = (nfa: NFA<Ev>, st: NFAState<Ev>, t: number) => ({
        n: st.numPartialMatches(),
        next: nfa.nextTimeout(st),
        due: nfa.needsAdvance(st, t + 3),
        empty: st.isEmpty(),
        snapshot: snapshotNFAState(st),
      });
      const advance = (nfa: NFA<Ev>, st: NFAState<Ev>, t: number) => {
        const at: number[] = [];
        const r = nfa.advanceTime(st, t, skip, at);
        return [...r.matches.map(show), ...r.timedOut.map((x) => `timed out @${x.timestamp} ${show(x.match)}`), `at ${at.join(',')}`];
      };
      const both = <R>(f: (nfa: NFA<Ev>, st: NFAState<Ev>) => R, k: number): void => {
        calls = [];
        const a = f(compact, sc[k]!);
        const callsA = calls;
        calls = [];
        const b = f(general, sg[k]!);
        expect(a).toEqual(b);
        expect(callsA).toEqual(calls);
      };
      for (const op of run) {
        const k = op.key;
        switch (op.op) {
          case 'event': {
            const t = (time[k] = Math.max(0, time[k]! + op.dt));
            const e: Ev = { id: id++, letter: op.letter, v: op.v };
            both((nfa, st) => advance(nfa, st, t), k);
            both((nfa, st) => nfa.process(st, e, t, skip).map(show), k);
            break;
          }
          case 'advance': {
            const t = (time[k] = time[k]! + op.dt);
            both((nfa, st) => advance(nfa, st, t), k);
            break;
          }
          case 'restore': {
            const snapshot = JSON.parse(JSON.stringify(snapshotNFAState(sc[k]!))) as ReturnType<typeof snapshotNFAState<Ev>>;
            sg[k] = restoreNFAState(JSON.parse(JSON.stringify(snapshotNFAState(sg[k]!))), general.getStates());
            // Restored compact unless matches wait for the skip strategy; either way it goes on as the general one.
            if (op.deflate) {
              sc[k] = restoreNFAStateFor(snapshot, compact);
              expect(sc[k]!.compact === null).toBe(snapshot.completedMatches.length > 0);
              deflated++;
            } else {
              sc[k] = restoreNFAState(snapshot, compact.getStates());
            }
            break;
          }
          case 'drop':
            both((nfa, st) => nfa.dropOldestPartialMatches(st, op.keep), k);
            break;
          case 'recycle':
            expect(sc[k]!.isEmpty()).toBe(sg[k]!.isEmpty());
            if (sc[k]!.isEmpty()) {
              compact.recycle(sc[k]!);
              general.recycle(sg[k]!);
              sc[k] = compact.createInitialNFAState();
              sg[k] = general.createInitialNFAState();
              time[k] = 0;
            }
            break;
        }
        expect(observe(compact, sc[k]!, time[k]!)).toEqual(observe(general, sg[k]!, time[k]!));
      }
    }),
    { numRuns: 3000 },
  );
  // (The compact engine did run, on patterns of every kind it takes.)
  expect(compactPatterns).toBeGreaterThan(300);
  expect(deflated).toBeGreaterThan(100);
  for (const k of ['group at the start', 'skip strategy', 'next', 'followedBy', 'groupNext', 'groupFollowedBy', 'or', 'and', 'iterative', 'time', 'none', 'times2', 'times3', 'times2consecutive']) {
    expect(kinds).toContain(k);
  }
});
