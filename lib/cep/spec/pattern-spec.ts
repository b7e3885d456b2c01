/**
 * The JSON form of a pattern, for dynamic patterns: rules that arrive at runtime (on a broadcast
 * stream), are kept in checkpointed state and so must round-trip through JSON. Modelled on Flink's
 * FLIP-200 / Ververica dynamic CEP format, with conditions written in the expression language of
 * expression.ts instead of class names or Aviator expressions.
 * ```json
 * {
 *   "version": 1,
 *   "stages": [
 *     { "name": "small", "quantifier": { "kind": "TIMES", "times": { "from": 2, "to": 3 },
 *       "innerContiguity": "STRICT", "optional": false, "greedy": false }, "condition": "amount < 1.00" },
 *     { "name": "large", "contiguity": "SKIP_TILL_NEXT", "quantifier": { "kind": "SINGLE", "optional": false, "greedy": false },
 *       "condition": "amount > 500 && amount > 10 * max(small.amount)" },
 *     { "group": { "stages": [ { "name": "a", "condition": "kind == 'a'" },
 *                              { "name": "b", "contiguity": "STRICT", "condition": "kind == 'b'" } ] },
 *       "contiguity": "SKIP_TILL_ANY", "quantifier": { "kind": "LOOPING", "times": { "from": 1 },
 *       "innerContiguity": "SKIP_TILL_NEXT", "optional": true, "greedy": false }, "until": "kind == 'stop'" },
 *     { "name": "last", "contiguity": "SKIP_TILL_NEXT", "quantifier": { "kind": "SINGLE", "optional": false, "greedy": false } },
 *     { "name": "refund", "contiguity": "NOT_FOLLOW", "quantifier": { "kind": "SINGLE", "optional": false, "greedy": false },
 *       "condition": "type == 'refund'" }
 *   ],
 *   "window": { "ms": 600000, "type": "FIRST_AND_LAST" },
 *   "afterMatchSkip": { "type": "SKIP_TO_LAST", "stage": "small", "throwOnMiss": false }
 * }
 * ```
 * - `stages` run in order. A stage has a `name` or is a `group` (a nested pattern: `stages` and
 *   optionally its own `window`/`afterMatchSkip`, as Pattern.begin(pattern) / next(pattern)); a group
 *   stage's name is derived (`group(a,b)`), so `name` may be left out or must equal that.
 * - `contiguity` links a stage to the previous one: STRICT (next), SKIP_TILL_NEXT (followedBy,
 *   the default), SKIP_TILL_ANY (followedByAny), NOT_NEXT (notNext), NOT_FOLLOW (notFollowedBy).
 *   The first stage has none (or SKIP_TILL_NEXT).
 * - `quantifier`: SINGLE (default); LOOPING with `times.from` (oneOrMore is from 1, timesOrMore(n)
 *   is from n; no `to`); TIMES with `times.from..to` (`to` defaults to `from`; from 0 means optional).
 *   `innerContiguity` (LOOPING/TIMES): SKIP_TILL_NEXT (default), STRICT (consecutive), SKIP_TILL_ANY
 *   (allowCombinations). `optional`, `greedy` default to false; `greedy` with SKIP_TILL_ANY is
 *   rejected, as Flink rejects greedy() after allowCombinations().
 * - `condition` / `until`: expressions (see expression.ts); aggregates may name any stage of the
 *   whole pattern. No condition means every event matches.
 * - `window` of the pattern (or group): `{ "ms": 600000 }` or `{ "duration": "10 min" }`, type
 *   FIRST_AND_LAST (the default, the only one here). A stage's own `window` (same shape, type
 *   PREVIOUS_AND_CURRENT, the default there) bounds the time since the previous matched event
 *   (within(d, 'PREVIOUS_AND_CURRENT') on that stage). `afterMatchSkip`: `type` NO_SKIP (default), SKIP_TO_NEXT,
 *   SKIP_PAST_LAST_EVENT, SKIP_TO_FIRST / SKIP_TO_LAST with `stage` and `throwOnMiss`.
 * - Unknown fields are errors (a misspelt "quantifer" should not silently mean SINGLE).
 *
 * `toSpec()` writes the canonical form: every field above except defaults that are absences (no
 * first-stage contiguity, no condition/until/window, no afterMatchSkip for NO_SKIP, no times or
 * innerContiguity for SINGLE; `optional`/`greedy`/`throwOnMiss` always written). Several where()/or()
 * calls become one expression (`a && b || c`). `Pattern.fromSpec(p.toSpec())` equals `p`, and
 * fromSpec then toSpec of a canonical spec gives the same spec.
 */
import type { ConsumingStrategy, Pattern, Stage, WithinType } from '../pattern.ts';
import type { ConditionNode } from '../conditions.ts';
import { AfterMatchSkipStrategy, type SkipKind } from '../aftermatch/after-match-skip-strategy.ts';
import { MalformedPatternException } from '../malformed-pattern-exception.ts';
import { toMillis } from '../../core/duration.ts';
import { compileExpression, ExpressionError } from './expression.ts';
import { registerErrorClass } from '../../core/errors.ts';

export type InnerContiguity = 'STRICT' | 'SKIP_TILL_NEXT' | 'SKIP_TILL_ANY';

export interface QuantifierSpec {
  kind: 'SINGLE' | 'LOOPING' | 'TIMES';
  /** LOOPING: `{ from }` (at least from); TIMES: `{ from, to }`. Not for SINGLE. */
  times?: { from: number; to?: number | null };
  /** Between the events of a LOOPING/TIMES stage. */
  innerContiguity?: InnerContiguity;
  optional?: boolean;
  greedy?: boolean;
}

export interface StageSpec {
  /** Required for a plain stage; derived for a group. */
  name?: string;
  /** The stage's events are a nested pattern (a group pattern). */
  group?: GroupSpec;
  /** Link to the previous stage; absent on the first stage. */
  contiguity?: ConsumingStrategy;
  quantifier?: QuantifierSpec;
  /** An expression; absent means every event matches. */
  condition?: string;
  /** An expression ending a LOOPING stage. */
  until?: string;
  /** PREVIOUS_AND_CURRENT window of this stage. */
  window?: WindowSpec;
}

export interface WindowSpec {
  /** Milliseconds (a positive integer); or give `duration`. */
  ms?: number;
  /** A duration string such as "10 min" or "PT10M"; or give `ms`. */
  duration?: string;
  type?: WithinType;
}

export interface AfterMatchSkipSpec {
  type: SkipKind;
  /** SKIP_TO_FIRST / SKIP_TO_LAST: the stage to skip to. */
  stage?: string;
  /** SKIP_TO_FIRST / SKIP_TO_LAST: fail when the stage has no event in a match. */
  throwOnMiss?: boolean;
}

export interface GroupSpec {
  stages: StageSpec[];
  window?: WindowSpec;
  afterMatchSkip?: AfterMatchSkipSpec;
}

/** A pattern as JSON-ready data (see the module comment for the format). */
export interface PatternSpec extends GroupSpec {
  version: 1;
}

/** A spec that is not valid, with the JSON path of the problem (`stages[1].quantifier.times.from`). */
export class PatternSpecError extends MalformedPatternException {
  override name = 'PatternSpecError';
  constructor(
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${detail}`, options);
  }

  /** The spec (input, often from a file or a stream of rules) is where to look, not the code. */
  override get pointsAtCode(): boolean {
    return false;
  }
}
registerErrorClass(PatternSpecError);

/** What fromSpec needs of the Pattern class, passed in so this module imports pattern.ts for types only. */
export type PatternStatics = Pick<typeof Pattern, 'begin'>;

// ---- spec -> Pattern ------------------------------------------------------------------------------

/** Builds a pattern from a spec (object or JSON text) through the Pattern API. */
export function patternFromSpec<T>(input: PatternSpec | string, P: PatternStatics): Pattern<T, string> {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new PatternSpecError('spec', `not valid JSON (${(e as Error).message})`, { cause: e });
    }
  }
  const spec = checkSpec(json);
  return buildGroup<T>(spec, '', P);
}

/** Runs `f`, turning a Pattern API or expression error into a PatternSpecError at `path`. */
function at<R>(path: string, f: () => R): R {
  try {
    return f();
  } catch (e) {
    if (e instanceof PatternSpecError) throw e;
    if (e instanceof Error) throw new PatternSpecError(path, e.message, { cause: e });
    throw e;
  }
}

function skipStrategy(s: NSkip): AfterMatchSkipStrategy {
  switch (s.type) {
    case 'NO_SKIP':
      return AfterMatchSkipStrategy.noSkip();
    case 'SKIP_TO_NEXT':
      return AfterMatchSkipStrategy.skipToNext();
    case 'SKIP_PAST_LAST_EVENT':
      return AfterMatchSkipStrategy.skipPastLastEvent();
    case 'SKIP_TO_FIRST':
    case 'SKIP_TO_LAST': {
      const base = s.type === 'SKIP_TO_FIRST' ? AfterMatchSkipStrategy.skipToFirst(s.stage!) : AfterMatchSkipStrategy.skipToLast(s.stage!);
      return s.throwOnMiss ? base.throwExceptionOnMiss() : base;
    }
  }
}

function buildGroup<T>(g: NGroup, prefix: string, P: PatternStatics): Pattern<T, string> {
  const skip = at(`${prefix}afterMatchSkip`, () => skipStrategy(g.skip));
  let p: Pattern<T, string> | undefined;
  g.stages.forEach((s, i) => {
    const path = `${prefix}stages[${i}]`;
    const target: string | Pattern<T, string> = s.group ? buildGroup<T>(s.group, `${path}.group.`, P) : s.name!;
    const where = s.group ? `${path}.group` : `${path}.name`;
    if (p === undefined) {
      p = at(where, () => (typeof target === 'string' ? P.begin<T, string>(target, skip) : P.begin<T, string>(target, skip)));
    } else {
      const prev = p;
      p = at(s.group && s.contiguity.startsWith('NOT') ? `${path}.contiguity` : where, () => link(prev, s.contiguity, target));
    }
    const built = p.getStages()[p.getStages().length - 1]!;
    if (s.group && s.name !== undefined && s.name !== built.name) {
      throw new PatternSpecError(`${path}.name`, `a group stage is named after its stages ('${built.name}'); leave the name out`);
    }
    p = applyStage(p, s, path);
    if (s.window !== undefined) {
      const ms = s.window;
      p = at(`${path}.window`, () => p!.within(ms, 'PREVIOUS_AND_CURRENT'));
    }
  });
  if (g.window !== undefined) {
    const w = g.window;
    p = at(`${prefix}window`, () => p!.within(w.ms));
  }
  return p!;
}

function link<T>(p: Pattern<T, string>, c: ConsumingStrategy, target: string | Pattern<T, string>): Pattern<T, string> {
  if (typeof target !== 'string') {
    if (c === 'NOT_NEXT' || c === 'NOT_FOLLOW') throw new MalformedPatternException('A group pattern cannot be a negative (notNext / notFollowedBy) stage');
    return c === 'STRICT' ? p.next(target) : c === 'SKIP_TILL_ANY' ? p.followedByAny(target) : p.followedBy(target);
  }
  switch (c) {
    case 'STRICT':
      return p.next(target);
    case 'SKIP_TILL_NEXT':
      return p.followedBy(target);
    case 'SKIP_TILL_ANY':
      return p.followedByAny(target);
    case 'NOT_NEXT':
      return p.notNext(target);
    case 'NOT_FOLLOW':
      return p.notFollowedBy(target);
  }
}

/** Quantifier, inner contiguity, optional, greedy, condition, until: each one Pattern API call. */
function applyStage<T>(p: Pattern<T, string>, s: NStage, path: string): Pattern<T, string> {
  const q = s.quantifier;
  const qp = `${path}.quantifier`;
  if (q.kind === 'LOOPING') p = at(`${qp}.times`, () => (q.from === 1 ? p.oneOrMore() : p.timesOrMore(q.from)));
  if (q.kind === 'TIMES') p = at(`${qp}.times`, () => p.times(q.from, q.to!)); // times(n, n) is times(n)
  if (q.innerContiguity === 'STRICT') p = at(`${qp}.innerContiguity`, () => p.consecutive());
  if (q.innerContiguity === 'SKIP_TILL_ANY') p = at(`${qp}.innerContiguity`, () => p.allowCombinations());
  if (q.optional) p = at(`${qp}.optional`, () => p.optional());
  if (q.greedy) p = at(`${qp}.greedy`, () => p.greedy());
  if (s.condition !== undefined) p = at(`${path}.condition`, () => p.where(s.condition!));
  if (s.until !== undefined) p = at(`${path}.until`, () => p.until(s.until!));
  return p;
}

// ---- checking the shape of a spec -----------------------------------------------------------------

interface NQuantifier {
  kind: QuantifierSpec['kind'];
  from: number;
  to?: number;
  innerContiguity: InnerContiguity;
  optional: boolean;
  greedy: boolean;
}
interface NStage {
  name?: string;
  group?: NGroup;
  contiguity: ConsumingStrategy;
  quantifier: NQuantifier;
  /** PREVIOUS_AND_CURRENT window, ms. */
  window?: number;
  condition?: string;
  until?: string;
}
interface NSkip {
  type: SkipKind;
  stage?: string;
  throwOnMiss: boolean;
}
interface NGroup {
  stages: NStage[];
  window?: { ms: number };
  skip: NSkip;
}

const CONTIGUITIES: readonly ConsumingStrategy[] = ['STRICT', 'SKIP_TILL_NEXT', 'SKIP_TILL_ANY', 'NOT_NEXT', 'NOT_FOLLOW'];
const INNER: readonly InnerContiguity[] = ['STRICT', 'SKIP_TILL_NEXT', 'SKIP_TILL_ANY'];
const KINDS: ReadonlyArray<QuantifierSpec['kind']> = ['SINGLE', 'LOOPING', 'TIMES'];
const SKIPS: readonly SkipKind[] = ['NO_SKIP', 'SKIP_TO_NEXT', 'SKIP_PAST_LAST_EVENT', 'SKIP_TO_FIRST', 'SKIP_TO_LAST'];
const WITHIN: readonly WithinType[] = ['FIRST_AND_LAST', 'PREVIOUS_AND_CURRENT'];

const fail = (path: string, detail: string): never => {
  throw new PatternSpecError(path, detail);
};

function object(v: unknown, path: string, fields: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(path, 'expected an object');
  for (const k of Object.keys(v)) {
    if (!fields.includes(k)) fail(join(path, k), `unknown field (expected one of ${fields.join(', ')})`);
  }
  return v as Record<string, unknown>;
}

function join(path: string, key: string): string {
  return path === 'spec' ? key : `${path}.${key}`;
}

function oneOf<K extends string>(v: unknown, path: string, values: readonly K[]): K {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) return fail(path, `expected one of ${values.join(', ')}`);
  return v as K;
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') fail(path, 'expected true or false');
  return v as boolean;
}

/** Limits for specs from outside (a rule stream): each counted event of a stage is an NFA state. */
const MAX_TIMES = 1000;
const MAX_STAGES = 100;

function atMost(n: number, max: number, path: string): number {
  if (n > max) fail(path, `at most ${max} (a spec is bounded so one rule cannot stall the job)`);
  return n;
}

function integer(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(path, min === 0 ? 'expected a non-negative integer' : 'expected a positive integer');
  return v as number;
}

function text(v: unknown, path: string, what: string): string {
  if (typeof v !== 'string') fail(path, `expected ${what}`);
  return v as string;
}

/** Shape, then names and expressions against the whole pattern; returns a normalized spec. */
function checkSpec(json: unknown): NGroup {
  const root = object(json, 'spec', ['version', 'stages', 'window', 'afterMatchSkip']);
  if (root.version !== 1) fail('version', root.version === undefined ? 'missing; expected 1' : 'expected 1 (the only spec version)');
  const g = checkGroup(root, '');
  const names = allNames(g);
  checkNames(g, '', names);
  return g;
}

function checkGroup(o: Record<string, unknown>, prefix: string): NGroup {
  if (!Array.isArray(o.stages) || o.stages.length === 0) fail(`${prefix}stages`, 'expected a non-empty array of stages');
  atMost((o.stages as unknown[]).length, MAX_STAGES, `${prefix}stages.length`);
  const stages = (o.stages as unknown[]).map((s, i) => checkStage(s, `${prefix}stages[${i}]`, i === 0));
  const g: NGroup = { stages, skip: { type: 'NO_SKIP', throwOnMiss: false } };
  if (o.window !== undefined) g.window = { ms: checkWindow(o.window, `${prefix}window`, 'FIRST_AND_LAST') };
  if (o.afterMatchSkip !== undefined) g.skip = checkSkip(o.afterMatchSkip, `${prefix}afterMatchSkip`);
  return g;
}

function checkStage(v: unknown, path: string, first: boolean): NStage {
  const o = object(v, path, ['name', 'group', 'contiguity', 'quantifier', 'condition', 'until', 'window']);
  const s: NStage = { contiguity: 'SKIP_TILL_NEXT', quantifier: checkQuantifier(o.quantifier, `${path}.quantifier`) };
  if (o.group !== undefined) {
    s.group = checkGroup(object(o.group, `${path}.group`, ['stages', 'window', 'afterMatchSkip']), `${path}.group.`);
    if (o.name !== undefined) s.name = text(o.name, `${path}.name`, 'a string');
  } else {
    s.name = text(o.name, `${path}.name`, 'a stage name (a string), or a group');
  }
  if (o.contiguity !== undefined) {
    s.contiguity = oneOf(o.contiguity, `${path}.contiguity`, CONTIGUITIES);
    if (first && s.contiguity !== 'SKIP_TILL_NEXT') fail(`${path}.contiguity`, 'the first stage begins the pattern and has no contiguity; leave it out');
  }
  if (o.condition !== undefined) s.condition = text(o.condition, `${path}.condition`, 'an expression (a string)');
  if (o.until !== undefined) s.until = text(o.until, `${path}.until`, 'an expression (a string)');
  if (o.window !== undefined) s.window = checkWindow(o.window, `${path}.window`, 'PREVIOUS_AND_CURRENT');
  return s;
}

function checkQuantifier(v: unknown, path: string): NQuantifier {
  const q: NQuantifier = { kind: 'SINGLE', from: 1, innerContiguity: 'SKIP_TILL_NEXT', optional: false, greedy: false };
  if (v === undefined) return q;
  const o = object(v, path, ['kind', 'times', 'innerContiguity', 'optional', 'greedy']);
  q.kind = oneOf(o.kind, `${path}.kind`, KINDS);
  if (o.times !== undefined) {
    const tp = `${path}.times`;
    if (q.kind === 'SINGLE') fail(tp, 'only a LOOPING or TIMES quantifier has times');
    const t = object(o.times, tp, ['from', 'to']);
    q.from = atMost(integer(t.from, `${tp}.from`, q.kind === 'TIMES' ? 0 : 1), MAX_TIMES, `${tp}.from`);
    if (q.kind === 'LOOPING' && t.to !== undefined && t.to !== null) fail(`${tp}.to`, 'a LOOPING quantifier has no upper bound; use TIMES for from..to');
    if (q.kind === 'TIMES') q.to = t.to === undefined || t.to === null ? q.from : atMost(integer(t.to, `${tp}.to`, 0), MAX_TIMES, `${tp}.to`);
  } else if (q.kind === 'TIMES') {
    fail(`${path}.times`, 'a TIMES quantifier needs times: { from, to }');
  }
  if (o.innerContiguity !== undefined) q.innerContiguity = oneOf(o.innerContiguity, `${path}.innerContiguity`, INNER);
  q.optional = bool(o.optional, `${path}.optional`);
  q.greedy = bool(o.greedy, `${path}.greedy`);
  return q;
}

/** A window's ms; a pattern's window is FIRST_AND_LAST, a stage's PREVIOUS_AND_CURRENT (`type` may be given, must be that). */
function checkWindow(v: unknown, path: string, type: WithinType): number {
  const o = object(v, path, ['ms', 'duration', 'type']);
  if ((o.ms === undefined) === (o.duration === undefined)) fail(path, 'expected either ms or duration');
  let ms: number;
  if (o.ms !== undefined) ms = integer(o.ms, `${path}.ms`, 1);
  else {
    const d = text(o.duration, `${path}.duration`, "a duration string such as '10 min'");
    ms = at(`${path}.duration`, () => toMillis(d, 'window duration'));
    if (ms <= 0) fail(`${path}.duration`, 'expected a duration greater than zero');
  }
  if (o.type !== undefined && oneOf(o.type, `${path}.type`, WITHIN) !== type) {
    fail(
      `${path}.type`,
      type === 'FIRST_AND_LAST'
        ? "a pattern's window is FIRST_AND_LAST; put a PREVIOUS_AND_CURRENT window on the stage it applies to (stages[i].window)"
        : "a stage's window is PREVIOUS_AND_CURRENT; put a FIRST_AND_LAST window on the pattern",
    );
  }
  return ms;
}

function checkSkip(v: unknown, path: string): NSkip {
  const o = object(v, path, ['type', 'stage', 'throwOnMiss']);
  const type = oneOf(o.type, `${path}.type`, SKIPS);
  const named = type === 'SKIP_TO_FIRST' || type === 'SKIP_TO_LAST';
  if (named) {
    const stage = text(o.stage, `${path}.stage`, `the name of a stage (${type} skips to one)`);
    return { type, stage, throwOnMiss: bool(o.throwOnMiss, `${path}.throwOnMiss`) };
  }
  if (o.stage !== undefined) fail(`${path}.stage`, `${type} takes no stage`);
  if (o.throwOnMiss !== undefined) fail(`${path}.throwOnMiss`, `only SKIP_TO_FIRST / SKIP_TO_LAST take throwOnMiss`);
  return { type, throwOnMiss: false };
}

function allNames(g: NGroup): string[] {
  return g.stages.flatMap((s) => (s.group ? allNames(s.group) : [s.name!]));
}

/** Expressions compile against every stage name of the whole pattern (a typo in count(stage) is an error, not 0). */
function checkNames(g: NGroup, prefix: string, names: readonly string[]): void {
  const expr = (source: string, path: string): void => {
    try {
      compileExpression(source, names);
    } catch (e) {
      if (e instanceof ExpressionError) throw new PatternSpecError(path, e.message, { cause: e });
      throw e;
    }
  };
  g.stages.forEach((s, i) => {
    const path = `${prefix}stages[${i}]`;
    if (s.condition !== undefined) expr(s.condition, `${path}.condition`);
    if (s.until !== undefined) expr(s.until, `${path}.until`);
    if (s.group) checkNames(s.group, `${path}.group.`, names);
  });
  if (g.skip.stage !== undefined && !names.includes(g.skip.stage)) {
    fail(`${prefix}afterMatchSkip.stage`, `unknown stage '${g.skip.stage}' (expected one of ${names.join(', ')})`);
  }
}

// ---- Pattern -> spec ------------------------------------------------------------------------------

/** The canonical spec of a pattern; throws for a function condition, naming the stage. */
export function patternToSpec<T>(p: Pattern<T, string>): PatternSpec {
  const spec: PatternSpec = { version: 1, ...groupToSpec(p) };
  // The same checks as fromSpec, so every spec toSpec returns can be read back.
  checkSpec(spec);
  return spec;
}

function groupToSpec<T>(p: Pattern<T, string>): GroupSpec {
  const g: GroupSpec = { stages: p.getStages().map((s, i) => stageToSpec(s, i === 0)) };
  const ms = p.getWindowTime();
  if (ms !== undefined) g.window = { ms, type: 'FIRST_AND_LAST' };
  const skip = p.getAfterMatchSkipStrategy();
  if (skip.kind !== 'NO_SKIP') {
    g.afterMatchSkip = skip.patternName === undefined ? { type: skip.kind } : { type: skip.kind, stage: skip.patternName, throwOnMiss: skip.throwsOnMiss };
  }
  return g;
}

function stageToSpec<T>(s: Stage<T>, first: boolean): StageSpec {
  const out: StageSpec = s.group ? { group: groupToSpec(s.group) } : { name: s.name };
  if (!first) out.contiguity = s.quantifier.consuming;
  const q = s.quantifier;
  if (q.greedy && q.innerConsuming === 'SKIP_TILL_ANY') {
    // Built as greedy().allowCombinations() (Flink accepts that order); a spec does not record the order
    // and reads allowCombinations() first, then greedy(), which Flink rejects: no spec reads back as this.
    throw new MalformedPatternException(
      `stage '${s.name}': greedy() with allowCombinations() has no spec (read back, greedy() after allowCombinations() is rejected: Option not applicable to FollowedByAny pattern)`,
    );
  }
  const kind = q.kind === 'single' ? 'SINGLE' : q.kind === 'looping' ? 'LOOPING' : 'TIMES';
  out.quantifier =
    kind === 'SINGLE'
      ? { kind, optional: q.optional, greedy: q.greedy }
      : {
          kind,
          times: kind === 'LOOPING' ? { from: q.times!.from } : { from: q.times!.from, to: q.times!.to },
          innerContiguity: q.innerConsuming,
          optional: q.optional,
          greedy: q.greedy,
        };
  if (s.condition.kind !== 'true') out.condition = conditionText(s.condition, s.name, 'condition');
  if (s.until !== undefined) out.until = conditionText(s.until, s.name, 'until condition');
  if (s.window !== undefined) out.window = { ms: s.window, type: 'PREVIOUS_AND_CURRENT' };
  return out;
}

/** One expression for a where()/or() tree, parenthesized only where precedence needs it. */
function conditionText<T>(node: ConditionNode<T>, stage: string, what: string): string {
  switch (node.kind) {
    case 'true':
      return 'true';
    case 'test':
      if (node.expression === undefined) {
        throw new MalformedPatternException(`stage '${stage}' has a function ${what}; only expression conditions can be serialized`);
      }
      return node.expression;
    case 'and':
    case 'or': {
      const op = node.kind === 'and' ? '&&' : '||';
      const side = (child: ConditionNode<T>): string => {
        const t = conditionText(child, stage, what);
        return needsParens(child, op) ? `(${t})` : t;
      };
      return `${side(node.left)} ${op} ${side(node.right)}`;
    }
  }
}

function needsParens<T>(child: ConditionNode<T>, op: '&&' | '||'): boolean {
  if (child.kind === 'or') return op === '&&';
  if (child.kind !== 'test' || child.expression === undefined) return false;
  const ast = compileExpression(child.expression).ast;
  return ast.type === 'conditional' || (op === '&&' && ast.type === 'logical' && ast.op === '||');
}
