/**
 * Entry point of CEP on a stream (Flink's CEP and PatternStream).
 * ```ts
 * const alerts = CEP.pattern(txns.keyBy((t) => t.card), smallThenLarge)
 *   .sideOutputLateData(late)
 *   .process((m, ctx, out) => out.collect(`card ${m.small[0]!.card}`));
 * ```
 * Event time by default: records need timestamps and the stream watermarks. `inProcessingTime()`
 * matches in arrival order instead.
 */
import { DataStream, KeyedStream, type SingleOutputStreamOperator } from '../datastream.ts';
import { AbstractStreamOperator } from '../../operators/abstract-stream-operator.ts';
import { keyedBroadcastUnion, type Tagged } from '../connected-streams.ts';
import type { Collector } from '../../core/functions/collector.ts';
import type { OpenContext } from '../../core/functions/rich-function.ts';
import { asRichFunction } from '../../core/functions/function-utils.ts';
import { AsyncFunctionResultError, IllegalStateException, isAsyncFunction } from '../../core/errors.ts';
import { OutputTag } from '../../core/output-tag.ts';
import { Pattern, type Match } from '../../cep/pattern.ts';
import { PatternSpecError } from '../../cep/spec/pattern-spec.ts';
import { NFA } from '../../cep/nfa/nfa.ts';
import { CepOperator, type CepOperatorOptions, type PartialMatchOverflow, type PatternRule, type RejectedRule } from '../../cep/operator/cep-operator.ts';
import {
  PatternProcessFunction,
  type EventComparator,
  type PatternContext,
  type PatternFlatSelectFn,
  type PatternProcessFn,
  type PatternSelectFn,
  type PatternTimeoutFn,
  type PatternFlatTimeoutFn,
  type TimedOutPartialMatchHandler,
} from '../../cep/functions.ts';

interface PatternStreamSettings<T> {
  readonly comparator?: EventComparator<T>;
  readonly processingTime: boolean;
  readonly lateDataTag?: OutputTag<T>;
  readonly rejectedRulesTag?: OutputTag<RejectedRule>;
  readonly maxPartialMatches?: { readonly max: number; readonly overflow: PartialMatchOverflow };
  readonly initialRules?: readonly PatternRule[];
}

export class CEP {
  private constructor() {}

  /**
   * Matches `pattern` on `input`: per key on a KeyedStream (in parallel), else over the whole stream
   * in one subtask. `comparator` orders events with equal timestamps (default: arrival order).
   */
  static pattern<T, K, Names extends string>(
    input: DataStream<T> | KeyedStream<T, K>,
    pattern: Pattern<T, Names>,
    comparator?: EventComparator<T>,
  ): PatternStream<T, Names> {
    if (!(input instanceof DataStream)) throw new TypeError('CEP.pattern() needs a DataStream or KeyedStream as its first argument');
    if (!(pattern instanceof Pattern)) throw new TypeError('CEP.pattern() needs a Pattern as its second argument (Pattern.begin(...) ...)');
    if (comparator !== undefined && typeof comparator !== 'function') throw new TypeError('CEP.pattern(): the comparator must be a function (a, b) => number');
    // Fail at job-build time, not on the first record, for patterns that cannot run.
    NFA.compile(pattern as Pattern<T, string>);
    return new PatternStream<T, Names>(input, pattern, { comparator, processingTime: false });
  }

  /**
   * Matches patterns that arrive at runtime on `rules` (each `{ id, action: 'upsert' | 'delete', spec }`,
   * spec as in Pattern.toSpec()) on every key of `input`, without restarting the job. Every subtask
   * gets every rule; replacing a rule drops its partial matches, re-sending an identical one keeps
   * them. A rule that cannot be applied is rejected (sideOutputRejectedRules) and changes nothing.
   * The rule stream's watermarks are ignored: only `input` drives event time.
   * ```ts
   * CEP.dynamicPatterns(txns.keyBy((t) => t.card), rules)
   *   .process((m, ctx, out) => out.collect(`${ctx.patternId()}: ${JSON.stringify(m)}`));
   * ```
   */
  static dynamicPatterns<T, K>(input: KeyedStream<T, K>, rules: DataStream<PatternRule>, comparator?: EventComparator<T>): PatternStream<T, string> {
    if (!(input instanceof KeyedStream)) throw new TypeError('CEP.dynamicPatterns() needs a KeyedStream (keyBy) as its first argument');
    if (!(rules instanceof DataStream)) throw new TypeError('CEP.dynamicPatterns() needs a DataStream of rules as its second argument');
    return new PatternStream<T, string>(input, undefined, { comparator, processingTime: false }, rules);
  }
}


/**
 * Passes rules on and keeps their channel out of event time: idle from the start, watermarks and
 * status dropped, so a rule stream without timestamps (a socket, a file) does not hold back the
 * events' watermark.
 */
class RuleChannelOperator extends AbstractStreamOperator<Tagged> {
  override open(): void {
    this.output.emitWatermarkStatus(true);
  }
  processElement(value: unknown, timestamp: number): void {
    this.output.collect({ i: 2, v: value }, timestamp);
  }
  override processWatermark(): void {}
  override processWatermarkStatus(): void {}
}

export class PatternStream<T, Names extends string> {
  /** @internal */
  constructor(
    private readonly input: DataStream<T>,
    private readonly pattern: Pattern<T, Names> | undefined,
    private readonly settings: PatternStreamSettings<T>,
    private readonly rules?: DataStream<PatternRule>,
  ) {}

  private with(change: Partial<PatternStreamSettings<T>>): PatternStream<T, Names> {
    return new PatternStream<T, Names>(this.input, this.pattern, { ...this.settings, ...change }, this.rules);
  }

  /** Matches events in arrival order, timed by the wall clock (within() in processing time). */
  inProcessingTime(): PatternStream<T, Names> {
    return this.with({ processingTime: true });
  }
  /** Matches events in timestamp order once the watermark passes them (the default). */
  inEventTime(): PatternStream<T, Names> {
    return this.with({ processingTime: false });
  }
  /** Records behind the watermark go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): PatternStream<T, Names> {
    if (!(tag instanceof OutputTag)) throw new TypeError('sideOutputLateData() needs an OutputTag');
    return this.with({ lateDataTag: tag });
  }
  /** Dynamic patterns: rules that cannot be applied go to this side output (else a warning on stderr). */
  sideOutputRejectedRules(tag: OutputTag<RejectedRule>): PatternStream<T, Names> {
    if (this.rules === undefined) throw new IllegalStateException('sideOutputRejectedRules() applies to CEP.dynamicPatterns()');
    if (!(tag instanceof OutputTag)) throw new TypeError('sideOutputRejectedRules() needs an OutputTag');
    return this.with({ rejectedRulesTag: tag });
  }
  /**
   * Dynamic patterns: rules that run from the first record on, before any rule of the rule stream
   * (which is read concurrently, so its rules apply from whenever they arrive). Each is checked now:
   * a rule that cannot run fails the job build, naming the rule. Later upserts and deletes on the
   * rule stream change them as any other rule.
   * ```ts
   * CEP.dynamicPatterns(txns.keyBy((t) => t.card), ruleUpdates).withInitialRules(rulesFromFile)
   * ```
   */
  withInitialRules(rules: readonly PatternRule[]): PatternStream<T, Names> {
    if (this.rules === undefined) throw new IllegalStateException('withInitialRules() applies to CEP.dynamicPatterns()');
    if (!Array.isArray(rules)) throw new TypeError('withInitialRules() needs an array of rules { id, action, spec }');
    const running = new Set<string>();
    for (const [i, rule] of rules.entries()) {
      const r = rule as Partial<PatternRule> | null;
      const name = typeof r?.id === 'string' ? `rule '${r.id}'` : `rule ${i}`;
      if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || r.id === '') {
        throw new PatternSpecError(`initialRules[${i}]`, `a rule must be an object { id, action, spec } with a non-empty id, got ${JSON.stringify(rule)}`);
      }
      if (r.action === 'delete') {
        if (!running.delete(r.id)) throw new PatternSpecError(`initialRules[${i}]`, `${name}: delete of a rule that is not running`);
        continue;
      }
      if (r.action !== 'upsert' || r.spec === undefined || r.spec === null) {
        throw new PatternSpecError(`initialRules[${i}]`, `${name}: expected action 'upsert' with a spec, or 'delete'`);
      }
      try {
        NFA.compile(Pattern.fromSpec<T>(r.spec));
      } catch (e) {
        throw new PatternSpecError(`initialRules[${i}]`, `${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      running.add(r.id);
    }
    return this.with({ initialRules: [...rules] });
  }
  /**
   * Bounds the open partial matches of a key: beyond `max`, fail the job naming the key ('fail',
   * the default) or drop the partial matches that started first ('drop-oldest').
   */
  maxPartialMatchesPerKey(max: number, overflow: PartialMatchOverflow = 'fail'): PatternStream<T, Names> {
    if (!Number.isInteger(max) || max <= 0) throw new RangeError(`maxPartialMatchesPerKey needs a positive integer, got ${String(max)}`);
    if (overflow !== 'fail' && overflow !== 'drop-oldest') throw new RangeError(`maxPartialMatchesPerKey: overflow must be 'fail' or 'drop-oldest', got ${String(overflow)}`);
    return this.with({ maxPartialMatches: { max, overflow } });
  }

  /** Calls `fn` for each match (and, if it implements TimedOutPartialMatchHandler, for each timed-out partial match). */
  process<OUT>(fn: PatternProcessFn<T, Names, OUT>): SingleOutputStreamOperator<OUT> {
    if (typeof fn !== 'function' && (typeof fn !== 'object' || fn === null || typeof fn.processMatch !== 'function')) {
      throw new TypeError('process() needs a function (match, ctx, out) => void or a PatternProcessFunction');
    }
    const s = this.settings;
    const options: CepOperatorOptions<T> = {
      pattern: this.pattern as Pattern<T, string> | undefined,
      isProcessingTime: s.processingTime,
      comparator: s.comparator,
      lateDataTag: s.lateDataTag,
      rejectedRulesTag: s.rejectedRulesTag,
      maxPartialMatches: s.maxPartialMatches,
      initialRules: s.initialRules,
    };
    const make = () => new CepOperator<T, OUT>(fn as PatternProcessFn<T, string, OUT>, options) as never;
    if (this.rules !== undefined) {
      // Events partitioned by key, rules (tagged 2 by RuleChannelOperator) to every subtask.
      const rules = this.rules.transformWith<Tagged>('Rules', () => new RuleChannelOperator() as never).broadcast();
      return keyedBroadcastUnion(this.input as KeyedStream<T, unknown>, rules).keyedOperator<OUT>('DynamicCepOperator', make);
    }
    const keyed = this.input instanceof KeyedStream ? (this.input as KeyedStream<T, unknown>) : this.input.keyBy(() => 0);
    const op = keyed.keyedOperator<OUT>('CepOperator', make);
    if (!(this.input instanceof KeyedStream)) op.setParallelism(1);
    return op;
  }

  /** One output per match. With a timeout tag and function, timed-out partial matches go to that side output. */
  select<OUT>(fn: PatternSelectFn<T, Names, OUT>): SingleOutputStreamOperator<OUT>;
  select<OUT, TO>(
    timedOutTag: OutputTag<TO>,
    timeoutFn: PatternTimeoutFn<T, Names, TO>,
    fn: PatternSelectFn<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT>;
  select<OUT, TO>(
    a: PatternSelectFn<T, Names, OUT> | OutputTag<TO>,
    timeoutFn?: PatternTimeoutFn<T, Names, TO>,
    fn?: PatternSelectFn<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT> {
    const select = fn ?? a;
    // Its Promise would be the match's result.
    if (isAsyncFunction(method(select, 'select', 'select() needs a function (match) => result or a PatternSelectFunction { select(match) }'))) {
      throw new AsyncFunctionResultError('The pattern select() function');
    }
    const tag = fn === undefined ? undefined : timeoutTag<TO>(a);
    if (tag !== undefined) checkTimeout(timeoutFn);
    return this.process(PatternSelectAdapter.of<T, Names, OUT, TO>('select', select, tag, timeoutFn));
  }

  /** Any number of outputs per match. With a timeout tag and function, timed-out partial matches go to that side output. */
  flatSelect<OUT>(fn: PatternFlatSelectFn<T, Names, OUT>): SingleOutputStreamOperator<OUT>;
  flatSelect<OUT, TO>(
    timedOutTag: OutputTag<TO>,
    timeoutFn: PatternFlatTimeoutFn<T, Names, TO>,
    fn: PatternFlatSelectFn<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT>;
  flatSelect<OUT, TO>(
    a: PatternFlatSelectFn<T, Names, OUT> | OutputTag<TO>,
    timeoutFn?: PatternFlatTimeoutFn<T, Names, TO>,
    fn?: PatternFlatSelectFn<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT> {
    const flat = fn ?? a;
    method(flat, 'flatSelect', 'flatSelect() needs a function (match, out) => void or a PatternFlatSelectFunction { flatSelect(match, out) }');
    const tag = fn === undefined ? undefined : timeoutTag<TO>(a);
    if (tag !== undefined) checkTimeout(timeoutFn);
    return this.process(PatternSelectAdapter.of<T, Names, OUT, TO>('flatSelect', flat, tag, timeoutFn));
  }
}

const TIMEOUT_USAGE = 'The timeout function must be a function (match, timeoutTimestamp[, out]) => ... or an object with timeout(match, timeoutTimestamp[, out])';

/** Its Promise would be the timed-out match's value on the side output, or emit whenever it settles: refused. */
function checkTimeout(timeoutFn: unknown): void {
  if (isAsyncFunction(method(timeoutFn, 'timeout', TIMEOUT_USAGE))) throw new AsyncFunctionResultError('The pattern timeout function');
}

function timeoutTag<TO>(tag: unknown): OutputTag<TO> {
  if (!(tag instanceof OutputTag)) throw new TypeError('The first argument must be the OutputTag of the timed-out partial matches');
  return tag as OutputTag<TO>;
}

/** The function as given, or the method of Flink's function object (`{ select(match) }`); refuses anything else. */
function method(fn: unknown, name: 'select' | 'flatSelect' | 'timeout', usage: string): (...args: never[]) => unknown {
  if (typeof fn === 'function') return fn as (...args: never[]) => unknown;
  const m = typeof fn === 'object' && fn !== null ? (fn as Record<string, unknown>)[name] : undefined;
  if (typeof m !== 'function') throw new TypeError(usage);
  return m as (...args: never[]) => unknown;
}

type UserFn = ((...args: unknown[]) => unknown) | Record<'select' | 'flatSelect' | 'timeout', (...args: unknown[]) => unknown>;

/**
 * select()/flatSelect() with an optional timeout function as a PatternProcessFunction (Flink's
 * PatternSelectAdapter & co.). The user's functions are fields, not closures: each subtask gets its own
 * copy, fields included; a rich one is given the runtime context, opened and closed; an object's method
 * is called on it.
 */
class PatternSelectAdapter<T, Names extends string, OUT, TO> extends PatternProcessFunction<T, Names, OUT> {
  static of<T, Names extends string, OUT, TO>(kind: 'select' | 'flatSelect', fn: unknown, tag: OutputTag<TO> | undefined, timeout: unknown): PatternSelectAdapter<T, Names, OUT, TO> {
    return tag === undefined ? new PatternSelectAdapter(kind, fn as UserFn) : new PatternSelectWithTimeoutAdapter(kind, fn as UserFn, tag, timeout as UserFn);
  }
  constructor(
    protected readonly kind: 'select' | 'flatSelect',
    protected readonly fn: UserFn,
  ) {
    super();
  }
  processMatch(m: Match<T, Names>, _ctx: PatternContext, out: Collector<OUT>): void {
    const fn = this.fn;
    if (this.kind === 'select') out.collect((typeof fn === 'function' ? fn(m) : fn.select(m)) as OUT);
    else if (typeof fn === 'function') return fn(m, out) as void; // a Promise (an async flatSelect) is refused by the operator
    else return fn.flatSelect(m, out) as void;
  }
  protected users(): unknown[] {
    return [this.fn];
  }
  override open(context: OpenContext): void {
    for (const f of this.users()) {
      const rich = asRichFunction(f);
      rich?.setRuntimeContext?.(this.getRuntimeContext());
      rich?.open?.(context);
    }
  }
  override close(): void {
    for (const f of this.users()) asRichFunction(f)?.close?.();
  }
}

class PatternSelectWithTimeoutAdapter<T, Names extends string, OUT, TO> extends PatternSelectAdapter<T, Names, OUT, TO> implements TimedOutPartialMatchHandler<T, Names> {
  constructor(
    kind: 'select' | 'flatSelect',
    fn: UserFn,
    private readonly tag: OutputTag<TO>,
    private readonly timeoutFn: UserFn,
  ) {
    super(kind, fn);
  }
  processTimedOutMatch(m: Match<T, Names>, ctx: PatternContext): void {
    const t = this.timeoutFn;
    if (this.kind === 'select') ctx.output(this.tag, (typeof t === 'function' ? t(m, ctx.timestamp()) : t.timeout(m, ctx.timestamp())) as TO);
    else {
      const out: Collector<TO> = { collect: (v: TO) => ctx.output(this.tag, v) };
      if (typeof t === 'function') t(m, ctx.timestamp(), out);
      else t.timeout(m, ctx.timestamp(), out);
    }
  }
  // One object may be both the select and the timeout function (a class implementing both): opened once.
  protected override users(): unknown[] {
    return this.timeoutFn === this.fn ? [this.fn] : [this.fn, this.timeoutFn];
  }
}

