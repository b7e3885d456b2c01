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
    const select = method<(m: Match<T, Names>) => OUT>(fn ?? a, 'select', 'select() needs a function (match) => result or a PatternSelectFunction { select(match) }');
    if (isAsyncFunction(select)) throw new AsyncFunctionResultError('The pattern select() function'); // its Promise would be the match's result
    const timeout = fn === undefined ? undefined : checkTimeout<(m: Match<T, Names>, ts: number) => TO>(a, timeoutFn);
    return this.process(
      withTimeout<T, Names, OUT, TO>((m, _ctx, out) => out.collect(select(m)), timeout && [timeout[0], (m, ts, out) => out.collect(timeout[1](m, ts))]),
    );
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
    const flat = method<(m: Match<T, Names>, out: Collector<OUT>) => void>(fn ?? a, 'flatSelect', 'flatSelect() needs a function (match, out) => void or a PatternFlatSelectFunction { flatSelect(match, out) }');
    return this.process(withTimeout<T, Names, OUT, TO>((m, _ctx, out) => flat(m, out), fn === undefined ? undefined : checkTimeout<(m: Match<T, Names>, ts: number, out: Collector<TO>) => void>(a, timeoutFn)));
  }
}

function checkTimeout<F>(tag: unknown, timeoutFn: unknown): [OutputTag<never>, F] {
  if (!(tag instanceof OutputTag)) throw new TypeError('The first argument must be the OutputTag of the timed-out partial matches');
  return [tag as OutputTag<never>, method<F>(timeoutFn, 'timeout', 'The timeout function must be a function (match, timeoutTimestamp[, out]) => ... or an object with timeout(match, timeoutTimestamp[, out])')];
}

/** A function as given, or Flink's function object (`{ select(match) }`) as a function that calls its method. */
function method<F>(fn: unknown, name: 'select' | 'flatSelect' | 'timeout', usage: string): F {
  if (typeof fn === 'function') return fn as F;
  const m = typeof fn === 'object' && fn !== null ? (fn as Record<string, unknown>)[name] : undefined;
  if (typeof m !== 'function') throw new TypeError(usage);
  // Still an async function when the method is one, so that it is refused as a plain one is.
  const call = isAsyncFunction(m) ? async (...args: unknown[]) => (await m.apply(fn, args)) as unknown : (...args: unknown[]) => m.apply(fn, args) as unknown;
  return call as F;
}

/** A process function around a select function, with an optional timeout side output. */
function withTimeout<T, Names extends string, OUT, TO>(
  onMatch: (m: Match<T, Names>, ctx: PatternContext, out: Collector<OUT>) => void,
  timeout: [OutputTag<TO>, (m: Match<T, Names>, ts: number, out: Collector<TO>) => void] | undefined,
): PatternProcessFn<T, Names, OUT> {
  if (timeout === undefined) return onMatch;
  const [tag, timeoutFn] = timeout;
  class SelectWithTimeout extends PatternProcessFunction<T, Names, OUT> implements TimedOutPartialMatchHandler<T, Names> {
    processMatch(m: Match<T, Names>, ctx: PatternContext, out: Collector<OUT>): void {
      return onMatch(m, ctx, out); // a Promise (an async flatSelect) is refused by the operator
    }
    processTimedOutMatch(m: Match<T, Names>, ctx: PatternContext): void {
      timeoutFn(m, ctx.timestamp(), { collect: (v: TO) => ctx.output(tag, v) });
    }
  }
  return new SelectWithTimeout();
}

