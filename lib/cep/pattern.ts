/**
 * The CEP pattern API (Flink's Pattern), typed: stage names accumulate in the type, so a match of
 * `Pattern.begin<Txn>('small')...next('large')` is `{ small: Txn[]; large: Txn[] }`.
 * ```ts
 * const smallThenLarge = Pattern.begin<Txn>('small').where((t) => t.amount < 1)
 *   .next('large').where((t) => t.amount > 500)
 *   .within('1 min');
 * ```
 * A pattern is a chain of stages; each `next/followedBy/...` starts a new stage with the given
 * contiguity, and `where/or/until/subtype` and the quantifiers configure the current stage.
 * Conditions may be expression strings (`.where('amount < 1.00')`); a pattern made only of those
 * round-trips through JSON with `toSpec()` / `Pattern.fromSpec()` (dynamic patterns).
 */
import { toMillis, type DurationLike } from '../core/duration.ts';
import { AfterMatchSkipStrategy } from './aftermatch/after-match-skip-strategy.ts';
import { and, or, test, type Condition, type ConditionNode } from './conditions.ts';
import { MalformedPatternException } from './malformed-pattern-exception.ts';
// pattern-spec.ts imports this module for types only, so there is no runtime import cycle.
import { patternFromSpec, patternToSpec, type PatternSpec } from './spec/pattern-spec.ts';

export { MalformedPatternException };

/** How a stage takes events relative to the previous one (Flink's ConsumingStrategy). */
export type ConsumingStrategy = 'STRICT' | 'SKIP_TILL_NEXT' | 'SKIP_TILL_ANY' | 'NOT_NEXT' | 'NOT_FOLLOW';

/** How many events a stage takes (Flink's Quantifier). */
export interface Quantifier {
  /** 'single': one event; 'looping': one or more (timesOrMore: at least `times.from`); 'times': from..to. */
  readonly kind: 'single' | 'looping' | 'times';
  /** Contiguity to the previous stage. */
  readonly consuming: ConsumingStrategy;
  /** Contiguity between the events of a looping/times stage (default SKIP_TILL_NEXT). */
  readonly innerConsuming: 'STRICT' | 'SKIP_TILL_NEXT' | 'SKIP_TILL_ANY';
  readonly optional: boolean;
  readonly greedy: boolean;
  readonly times?: { readonly from: number; readonly to: number };
}

export type WithinType = 'FIRST_AND_LAST' | 'PREVIOUS_AND_CURRENT';

/** One stage of a pattern: a named event test, or a group pattern used as a stage. */
export interface Stage<T> {
  readonly name: string;
  readonly quantifier: Quantifier;
  readonly condition: ConditionNode<T>;
  readonly until?: ConditionNode<T>;
  /** Set when the stage is a group pattern (Pattern.begin(pattern), next(pattern), ...). */
  readonly group?: Pattern<T, string>;
  /** within(d, 'PREVIOUS_AND_CURRENT') on this stage: its event must come within `window` ms of the previous one. */
  readonly window?: number;
}

type MutableStage<T> = {
  name: string;
  quantifier: { -readonly [K in keyof Quantifier]: Quantifier[K] };
  quantifierApplied: boolean;
  condition: ConditionNode<T>;
  until?: ConditionNode<T>;
  group?: Pattern<T, string>;
  window?: number;
};

const SINGLE = (consuming: ConsumingStrategy): MutableStage<never>['quantifier'] => ({
  kind: 'single',
  consuming,
  innerConsuming: 'SKIP_TILL_NEXT',
  optional: false,
  greedy: false,
});

/** Names of the stages of a pattern (and of the stages inside its group patterns). */
export type Match<T, Names extends string> = { [N in Names]: T[] };

/**
 * `T`: the events of the stream; `Names`: the stage names so far; `C`: the events the current stage's
 * conditions see (narrowed by subtype(); back to `T` at the next stage).
 */
export class Pattern<T, Names extends string = string, C extends T = T> {
  private readonly stageList: Array<MutableStage<T>>;
  /** within() FIRST_AND_LAST, in ms. */
  private windowMs: number | undefined;
  private readonly skip: AfterMatchSkipStrategy;

  private constructor(stages: Array<MutableStage<T>>, skip: AfterMatchSkipStrategy, windowMs?: number) {
    this.stageList = stages;
    this.skip = skip;
    this.windowMs = windowMs;
  }

  /**
   * Starts a pattern with a stage named `name` (or with a group pattern). TypeScript cannot infer the name
   * once the event type is given, so give both to keep stage names in the type:
   * `Pattern.begin<Txn, 'small'>('small')`; later stages add theirs by inference.
   */
  static begin<T, N extends string = string>(name: N, skipStrategy?: AfterMatchSkipStrategy): Pattern<T, N>;
  static begin<T, G extends string>(group: Pattern<T, G>, skipStrategy?: AfterMatchSkipStrategy): Pattern<T, G>;
  static begin<T, N extends string>(nameOrGroup: N | Pattern<T, string>, skipStrategy = AfterMatchSkipStrategy.noSkip()): Pattern<T, N> {
    if (!(skipStrategy instanceof AfterMatchSkipStrategy)) {
      throw new TypeError('Pattern.begin(name, skipStrategy): the skip strategy must be an AfterMatchSkipStrategy (e.g. AfterMatchSkipStrategy.skipPastLastEvent())');
    }
    return new Pattern<T, N>([Pattern.stage<T>(nameOrGroup, 'SKIP_TILL_NEXT', [])], skipStrategy);
  }

  /**
   * A pattern from its JSON spec (an object or JSON text); see spec/pattern-spec.ts for the format.
   * Throws a PatternSpecError (a MalformedPatternException) naming the JSON path of the problem.
   */
  static fromSpec<T>(spec: PatternSpec | string): Pattern<T, string> {
    return patternFromSpec<T>(spec, Pattern);
  }

  private static stage<T>(nameOrGroup: string | Pattern<T, string>, consuming: ConsumingStrategy, existing: Array<MutableStage<T>>): MutableStage<T> {
    const taken = new Set(existing.flatMap((s) => (s.group ? s.group.allNames() : [s.name])));
    const names = typeof nameOrGroup === 'string' ? [nameOrGroup] : nameOrGroup.allNames();
    for (const n of names) {
      if (typeof n !== 'string' || n === '') throw new MalformedPatternException('A pattern stage needs a non-empty name');
      if (n.includes(':')) throw new MalformedPatternException(`Stage name '${n}' cannot contain the character ':'`);
      // Matches are plain objects keyed by stage name: '__proto__' would not be an own key.
      if (n === '__proto__') throw new MalformedPatternException("'__proto__' cannot be a stage name");
      if (taken.has(n)) throw new MalformedPatternException(`Duplicate pattern name: ${n}. Names must be unique.`);
      taken.add(n);
    }
    if (typeof nameOrGroup === 'string') {
      return { name: nameOrGroup, quantifier: SINGLE(consuming), quantifierApplied: false, condition: { kind: 'true' } };
    }
    return {
      name: `group(${names.join(',')})`,
      quantifier: SINGLE(consuming),
      quantifierApplied: false,
      condition: { kind: 'true' },
      group: nameOrGroup,
    };
  }

  private append<N extends string>(nameOrGroup: string | Pattern<T, string>, consuming: ConsumingStrategy): Pattern<T, Names | N> {
    if (typeof nameOrGroup !== 'string' && isNegation(consuming)) {
      throw new MalformedPatternException('A group pattern cannot be a negative (notNext / notFollowedBy) stage');
    }
    if (isNegation(consuming) && this.current().quantifier.optional) {
      // Flink's rule: the negation would apply on one path only.
      throw new MalformedPatternException(
        'Specifying a pattern with an optional path to NOT condition is not supported yet. You can simulate such pattern with two independent patterns, one with and the other without the optional part.',
      );
    }
    const stage = Pattern.stage<T>(nameOrGroup, consuming, this.stageList);
    return new Pattern<T, Names | N>([...this.stageList, stage], this.skip, this.windowMs);
  }

  /** The next event must match the new stage (strict contiguity). */
  next<N extends string>(name: N): Pattern<T, Names | N>;
  next<G extends string>(group: Pattern<T, G>): Pattern<T, Names | G>;
  next(nameOrGroup: string | Pattern<T, string>): Pattern<T, string> {
    return this.append(nameOrGroup, 'STRICT');
  }
  /** A later event matches the new stage; non-matching events in between are skipped (relaxed contiguity). */
  followedBy<N extends string>(name: N): Pattern<T, Names | N>;
  followedBy<G extends string>(group: Pattern<T, G>): Pattern<T, Names | G>;
  followedBy(nameOrGroup: string | Pattern<T, string>): Pattern<T, string> {
    return this.append(nameOrGroup, 'SKIP_TILL_NEXT');
  }
  /** Like followedBy, but also keeps partial matches that skip matching events (non-deterministic relaxed contiguity). */
  followedByAny<N extends string>(name: N): Pattern<T, Names | N>;
  followedByAny<G extends string>(group: Pattern<T, G>): Pattern<T, Names | G>;
  followedByAny(nameOrGroup: string | Pattern<T, string>): Pattern<T, string> {
    return this.append(nameOrGroup, 'SKIP_TILL_ANY');
  }
  /** The next event must NOT match the new stage. */
  notNext<N extends string>(name: N): Pattern<T, Names | N> {
    return this.append<N>(name, 'NOT_NEXT');
  }
  /** No event matching the new stage may come before the following stage matches (or, last with within, before the window closes). */
  notFollowedBy<N extends string>(name: N): Pattern<T, Names | N> {
    return this.append<N>(name, 'NOT_FOLLOW');
  }

  private current(): MutableStage<T> {
    return this.stageList[this.stageList.length - 1]!;
  }

  /** A copy whose current stage is changed by `edit` (patterns are immutable values). */
  private edit(edit: (s: MutableStage<T>) => void): Pattern<T, Names, C> {
    const stages = this.stageList.map((s) => ({ ...s, quantifier: { ...s.quantifier } }));
    edit(stages[stages.length - 1]!);
    return new Pattern<T, Names>(stages, this.skip, this.windowMs) as Pattern<T, Names, C>;
  }

  private noGroup(what: string): void {
    if (this.current().group) throw new MalformedPatternException(`${what} cannot be applied to a group pattern stage; apply it inside the group`);
  }

  /** The current stage takes events for which `condition` (a function or an expression string) holds (ANDed with earlier where()s). */
  where(condition: Condition<C> | string): Pattern<T, Names, C> {
    this.noGroup('where()');
    const node = test(condition as Condition<T> | string);
    return this.edit((s) => (s.condition = and(s.condition, node)));
  }
  /** ...or events for which `condition` holds. */
  or(condition: Condition<C> | string): Pattern<T, Names, C> {
    this.noGroup('or()');
    const node = test(condition as Condition<T> | string);
    return this.edit((s) => (s.condition = s.condition.kind === 'true' ? node : or(s.condition, node)));
  }
  /** Only events that pass the type guard (Flink's subtype(Class)). */
  subtype<S extends C>(guard: (event: C) => event is S): Pattern<T, Names, S> {
    this.noGroup('subtype()');
    const node = test<T>((e: T) => guard(e as C));
    return this.edit((s) => (s.condition = and(node, s.condition))) as unknown as Pattern<T, Names, S>;
  }
  /** A looping stage stops taking events at the first event for which `condition` holds. */
  until(condition: Condition<C> | string): Pattern<T, Names, C> {
    const q = this.current().quantifier;
    if (q.kind !== 'looping') throw new MalformedPatternException('The until condition is only applicable to looping states.');
    if (this.current().until) throw new MalformedPatternException('The until condition is already set for this stage.');
    const node = test(condition as Condition<T> | string);
    return this.edit((s) => (s.until = node));
  }

  private quantify(kind: 'looping' | 'times', times?: { from: number; to: number }): Pattern<T, Names, C> {
    const s = this.current();
    if (isNegation(s.quantifier.consuming)) {
      throw new MalformedPatternException(`A quantifier is not applicable to the NOT pattern '${s.name}'`);
    }
    if (s.quantifierApplied) {
      throw new MalformedPatternException(`Already applied quantifier to this Pattern. Current quantifier is: ${s.quantifier.kind}`);
    }
    return this.edit((st) => {
      st.quantifier.kind = kind;
      if (times) st.quantifier.times = times;
      st.quantifierApplied = true;
    });
  }

  /** One or more events (relaxed between them unless consecutive()). */
  oneOrMore(): Pattern<T, Names, C> {
    return this.quantify('looping', { from: 1, to: Number.POSITIVE_INFINITY });
  }
  /** At least `times` events. */
  timesOrMore(times: number): Pattern<T, Names, C> {
    positive(times);
    return this.quantify('looping', { from: times, to: Number.POSITIVE_INFINITY });
  }
  /** Exactly `times` events, or between `from` and `to`. */
  times(times: number): Pattern<T, Names, C>;
  times(from: number, to: number): Pattern<T, Names, C>;
  times(from: number, to?: number): Pattern<T, Names, C> {
    if (to === undefined) {
      positive(from);
      return this.quantify('times', { from, to: from });
    }
    if (!Number.isInteger(from) || from < 0) throw new MalformedPatternException('The from should be a non-negative number greater than or equal to 0.');
    if (!Number.isInteger(to) || to < from) throw new MalformedPatternException(`The to should be a number greater than or equal to from: ${from}.`);
    if (from === 0 && to === 0) throw new MalformedPatternException('The from and to should not be both equal to 0.');
    // times(0, n) is times(1, n).optional(), as in Flink.
    const p = this.quantify('times', { from: Math.max(from, 1), to });
    return from === 0 ? p.optional() : p;
  }
  /** The stage may also match no event at all. */
  optional(): Pattern<T, Names, C> {
    const s = this.current();
    if (isNegation(s.quantifier.consuming)) {
      throw new MalformedPatternException('Option not applicable to NOT pattern');
    }
    const previous = this.stageList[this.stageList.length - 2];
    if (previous?.quantifier.greedy) throw new MalformedPatternException('Optional pattern cannot be preceded by greedy pattern');
    return this.edit((st) => (st.quantifier.optional = true));
  }
  /**
   * A looping stage takes as many events as possible (instead of emitting every admissible length).
   * Throws after allowCombinations(), as Flink does.
   */
  greedy(): Pattern<T, Names, C> {
    const s = this.current();
    this.noGroup('greedy()');
    // Flink's Quantifier.greedy(): not after allowCombinations(). The other order (greedy() then
    // allowCombinations()) Flink accepts, and so do we.
    if (s.quantifier.innerConsuming === 'SKIP_TILL_ANY') throw new MalformedPatternException('Option not applicable to FollowedByAny pattern');
    if (s.quantifier.kind === 'single') throw new MalformedPatternException('greedy() is applicable only to looping or times patterns');
    return this.edit((st) => (st.quantifier.greedy = true));
  }
  /** The events of a looping/times stage must be contiguous (strict inner contiguity). */
  consecutive(): Pattern<T, Names, C> {
    const q = this.current().quantifier;
    if (q.kind === 'single') throw new MalformedPatternException('Combinations applicable only to looping or times patterns');
    // Flink's Quantifier.consecutive(): one inner contiguity, set once
    if (q.innerConsuming === 'SKIP_TILL_ANY') throw new MalformedPatternException('You can apply either combinations or consecutive, not both!');
    if (q.innerConsuming === 'STRICT') throw new MalformedPatternException('Consecutive already applied!');
    return this.edit((st) => (st.quantifier.innerConsuming = 'STRICT'));
  }
  /** The events of a looping/times stage may be any combination (non-deterministic relaxed inner contiguity). */
  allowCombinations(): Pattern<T, Names, C> {
    const q = this.current().quantifier;
    if (q.kind === 'single') throw new MalformedPatternException('Combinations applicable only to looping or times patterns');
    // Flink's Quantifier.combinations(): one inner contiguity, set once
    if (q.innerConsuming === 'STRICT') throw new MalformedPatternException('You can apply either combinations or consecutive, not both!');
    if (q.innerConsuming === 'SKIP_TILL_ANY') throw new MalformedPatternException('Combinations already applied!');
    return this.edit((st) => (st.quantifier.innerConsuming = 'SKIP_TILL_ANY'));
  }

  /**
   * A match must happen within `duration` of event time (or processing time). FIRST_AND_LAST (default):
   * between the first and the last event of the match; with several calls the smallest wins.
   * PREVIOUS_AND_CURRENT: applies to the current stage, whose (first) event must come within
   * `duration` of the previous matched event (Flink 1.17's per-stage window); it may not exceed the
   * FIRST_AND_LAST window.
   */
  within(duration: DurationLike, type: WithinType = 'FIRST_AND_LAST'): Pattern<T, Names, C> {
    const ms = toMillis(duration, 'within');
    if (ms <= 0) throw new MalformedPatternException('The within() window must be greater than zero');
    if (type === 'PREVIOUS_AND_CURRENT') return this.edit((st) => (st.window = st.window === undefined ? ms : Math.min(st.window, ms)));
    if (type !== 'FIRST_AND_LAST') throw new MalformedPatternException(`within(): the type must be 'FIRST_AND_LAST' or 'PREVIOUS_AND_CURRENT', got ${String(type)}`);
    return new Pattern<T, Names>(this.stageList, this.skip, this.windowMs === undefined ? ms : Math.min(this.windowMs, ms)) as Pattern<T, Names, C>;
  }

  // ---- reading a pattern (for the compiler and tools) -------------------------------------------

  /** The stages in order. */
  getStages(): ReadonlyArray<Stage<T>> {
    return this.stageList;
  }
  getName(): string {
    return this.current().name;
  }
  getQuantifier(): Quantifier {
    return this.current().quantifier;
  }
  /** The FIRST_AND_LAST window in ms (PREVIOUS_AND_CURRENT windows are on the stages). */
  getWindowTime(): number | undefined {
    return this.windowMs;
  }
  getAfterMatchSkipStrategy(): AfterMatchSkipStrategy {
    return this.skip;
  }
  /** Every stage name, including those inside group patterns. */
  allNames(): string[] {
    return this.stageList.flatMap((s) => (s.group ? s.group.allNames() : [s.name]));
  }

  /** The pattern as JSON-ready data; throws if a condition is a function (only expressions serialize). */
  toSpec(): PatternSpec {
    return patternToSpec(this);
  }

  toString(): string {
    return this.stageList
      .map((s, i) => {
        const q = s.quantifier;
        const link = i === 0 ? 'begin' : { STRICT: 'next', SKIP_TILL_NEXT: 'followedBy', SKIP_TILL_ANY: 'followedByAny', NOT_NEXT: 'notNext', NOT_FOLLOW: 'notFollowedBy' }[q.consuming];
        const quant = q.kind === 'single' ? '' : q.times!.to === Number.POSITIVE_INFINITY ? `{${q.times!.from},}` : `{${q.times!.from},${q.times!.to}}`;
        const gap = s.window === undefined ? '' : `.within(${s.window} ms, PREVIOUS_AND_CURRENT)`;
        return `${link}(${s.group ? `(${s.group.toString()})` : s.name})${quant}${q.optional ? '?' : ''}${q.greedy ? ' greedy' : ''}${gap}`;
      })
      .join('.')
      .concat(this.windowMs === undefined ? '' : `.within(${this.windowMs} ms)`);
  }
}

/** notNext / notFollowedBy: a stage that must not match. */
function isNegation(c: ConsumingStrategy): boolean {
  return c === 'NOT_NEXT' || c === 'NOT_FOLLOW';
}

function positive(n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new MalformedPatternException('You should give a positive number greater than 0.');
}
