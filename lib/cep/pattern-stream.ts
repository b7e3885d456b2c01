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
import { DataStream, KeyedStream, type SingleOutputStreamOperator } from '../api/datastream.ts';
import type { Collector } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import type { Match, Pattern } from './pattern.ts';
import { NFA } from './nfa/nfa.ts';
import { CepOperator, type PartialMatchOverflow } from './operator/cep-operator.ts';
import {
  PatternProcessFunction,
  type EventComparator,
  type PatternContext,
  type PatternFlatSelectFunction,
  type PatternProcessFn,
  type PatternSelectFunction,
  type PatternTimeoutFunction,
  type TimedOutPartialMatchHandler,
} from './functions.ts';

interface PatternStreamSettings<T> {
  readonly comparator?: EventComparator<T>;
  readonly processingTime: boolean;
  readonly lateDataTag?: OutputTag<T>;
  readonly maxPartialMatches?: { readonly max: number; readonly overflow: PartialMatchOverflow };
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
    if (comparator !== undefined && typeof comparator !== 'function') throw new TypeError('CEP.pattern(): the comparator must be a function (a, b) => number');
    // Fail at job-build time, not on the first record, for patterns that cannot run.
    NFA.compile(pattern as Pattern<T, string>);
    return new PatternStream<T, Names>(input, pattern, { comparator, processingTime: false });
  }
}

export class PatternStream<T, Names extends string> {
  /** @internal */
  constructor(
    private readonly input: DataStream<T>,
    private readonly pattern: Pattern<T, Names>,
    private readonly settings: PatternStreamSettings<T>,
  ) {}

  private with(change: Partial<PatternStreamSettings<T>>): PatternStream<T, Names> {
    return new PatternStream<T, Names>(this.input, this.pattern, { ...this.settings, ...change });
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
    return this.with({ lateDataTag: tag });
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
    const keyed = this.input instanceof KeyedStream ? (this.input as KeyedStream<T, unknown>) : this.input.keyBy(() => 0);
    const s = this.settings;
    const options = {
      pattern: this.pattern as Pattern<T, string>,
      isProcessingTime: s.processingTime,
      comparator: s.comparator,
      lateDataTag: s.lateDataTag,
      maxPartialMatches: s.maxPartialMatches,
    };
    const op = keyed.keyedOperator<OUT>('CepOperator', () => new CepOperator<T, OUT>(fn as PatternProcessFn<T, string, OUT>, options) as never);
    if (!(this.input instanceof KeyedStream)) op.setParallelism(1);
    return op;
  }

  /** One output per match. With a timeout tag and function, timed-out partial matches go to that side output. */
  select<OUT>(fn: PatternSelectFunction<T, Names, OUT>): SingleOutputStreamOperator<OUT>;
  select<OUT, TO>(
    timedOutTag: OutputTag<TO>,
    timeoutFn: PatternTimeoutFunction<T, Names, TO>,
    fn: PatternSelectFunction<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT>;
  select<OUT, TO>(
    a: PatternSelectFunction<T, Names, OUT> | OutputTag<TO>,
    timeoutFn?: PatternTimeoutFunction<T, Names, TO>,
    fn?: PatternSelectFunction<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT> {
    const select = fn ?? (a as PatternSelectFunction<T, Names, OUT>);
    if (typeof select !== 'function') throw new TypeError('select() needs a function (match) => result');
    return this.process(
      withTimeout<T, Names, OUT, TO>((m, _ctx, out) => out.collect(select(m)), fn === undefined ? undefined : [a as OutputTag<TO>, timeoutFn!]),
    );
  }

  /** Any number of outputs per match. With a timeout tag and function, timed-out partial matches go to that side output. */
  flatSelect<OUT>(fn: PatternFlatSelectFunction<T, Names, OUT>): SingleOutputStreamOperator<OUT>;
  flatSelect<OUT, TO>(
    timedOutTag: OutputTag<TO>,
    timeoutFn: PatternTimeoutFunction<T, Names, TO>,
    fn: PatternFlatSelectFunction<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT>;
  flatSelect<OUT, TO>(
    a: PatternFlatSelectFunction<T, Names, OUT> | OutputTag<TO>,
    timeoutFn?: PatternTimeoutFunction<T, Names, TO>,
    fn?: PatternFlatSelectFunction<T, Names, OUT>,
  ): SingleOutputStreamOperator<OUT> {
    const flat = fn ?? (a as PatternFlatSelectFunction<T, Names, OUT>);
    if (typeof flat !== 'function') throw new TypeError('flatSelect() needs a function (match, out) => void');
    return this.process(withTimeout<T, Names, OUT, TO>((m, _ctx, out) => flat(m, out), fn === undefined ? undefined : [a as OutputTag<TO>, timeoutFn!]));
  }
}

/** A process function around a select function, with an optional timeout side output. */
function withTimeout<T, Names extends string, OUT, TO>(
  onMatch: (m: Match<T, Names>, ctx: PatternContext, out: Collector<OUT>) => void,
  timeout: [OutputTag<TO>, PatternTimeoutFunction<T, Names, TO>] | undefined,
): PatternProcessFn<T, Names, OUT> {
  if (timeout === undefined) return onMatch;
  const [tag, timeoutFn] = timeout;
  if (typeof timeoutFn !== 'function') throw new TypeError('The timeout function must be a function (match, timeoutTimestamp) => value');
  class SelectWithTimeout extends PatternProcessFunction<T, Names, OUT> implements TimedOutPartialMatchHandler<T, Names> {
    processMatch(m: Match<T, Names>, ctx: PatternContext, out: Collector<OUT>): void {
      onMatch(m, ctx, out);
    }
    processTimedOutMatch(m: Match<T, Names>, ctx: PatternContext): void {
      ctx.output(tag, timeoutFn(m, ctx.timestamp()));
    }
  }
  return new SelectWithTimeout();
}

