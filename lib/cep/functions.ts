/**
 * What a CEP job implements (Flink's PatternProcessFunction, TimedOutPartialMatchHandler,
 * PatternSelectFunction, PatternFlatSelectFunction).
 */
import { AbstractRichFunction } from '../core/functions/rich-function.ts';
import type { Collector } from '../core/functions/collector.ts';
import type { OutputTag } from '../core/output-tag.ts';
import type { Match, Pattern } from './pattern.ts';

/** What a pattern function sees besides the match (Flink's PatternProcessFunction.Context). */
export interface PatternContext {
  /** Event time of the match: the timestamp of its last event, or where its window closed (timeouts, trailing notFollowedBy). */
  timestamp(): number;
  currentProcessingTime(): number;
  /** Emits to a side output. */
  output<X>(tag: OutputTag<X>, value: X): void;
  /** The id of the rule that matched (CEP.dynamicPatterns); undefined for CEP.pattern. */
  patternId(): string | undefined;
}

/**
 * Handles each match (Flink's PatternProcessFunction). Implement TimedOutPartialMatchHandler as well
 * to receive partial matches that timed out (within()).
 * ```ts
 * class Alert extends PatternProcessFunction<Txn, 'small' | 'large', string> implements TimedOutPartialMatchHandler<Txn, 'small' | 'large'> {
 *   processMatch(m: Match<Txn, 'small' | 'large'>, ctx: PatternContext, out: Collector<string>) {
 *     out.collect(`card ${m.small[0]!.card}: ${m.large[0]!.amount}`);
 *   }
 *   processTimedOutMatch(m: Match<Txn, 'small' | 'large'>, ctx: PatternContext) {
 *     ctx.output(timedOut, m.small[0]!);
 *   }
 * }
 * ```
 */
export abstract class PatternProcessFunction<T, Names extends string, OUT> extends AbstractRichFunction {
  abstract processMatch(match: Match<T, Names>, ctx: PatternContext, out: Collector<OUT>): void;
}

/** Receives partial matches pruned by within() (Flink's TimedOutPartialMatchHandler). */
export interface TimedOutPartialMatchHandler<T, Names extends string = string> {
  processTimedOutMatch(match: Match<T, Names>, ctx: PatternContext): void;
}

export type PatternProcessFn<T, Names extends string, OUT> =
  | PatternProcessFunction<T, Names, OUT>
  | ((match: Match<T, Names>, ctx: PatternContext, out: Collector<OUT>) => void);

/** One output per match (Flink's PatternSelectFunction). `select()` also takes a plain function: PatternSelectFn. */
export interface PatternSelectFunction<T, Names extends string, OUT> {
  select(match: Match<T, Names>): OUT;
}
export type PatternSelectFn<T, Names extends string, OUT> = ((match: Match<T, Names>) => OUT) | PatternSelectFunction<T, Names, OUT>;
/** Any number of outputs per match (Flink's PatternFlatSelectFunction). */
export interface PatternFlatSelectFunction<T, Names extends string, OUT> {
  flatSelect(match: Match<T, Names>, out: Collector<OUT>): void;
}
export type PatternFlatSelectFn<T, Names extends string, OUT> = ((match: Match<T, Names>, out: Collector<OUT>) => void) | PatternFlatSelectFunction<T, Names, OUT>;
/** A timed-out partial match and its timeout timestamp, to one value (Flink's PatternTimeoutFunction). */
export interface PatternTimeoutFunction<T, Names extends string, OUT> {
  timeout(match: Match<T, Names>, timeoutTimestamp: number): OUT;
}
export type PatternTimeoutFn<T, Names extends string, OUT> = ((match: Match<T, Names>, timeoutTimestamp: number) => OUT) | PatternTimeoutFunction<T, Names, OUT>;
/** A timed-out partial match and its timeout timestamp, to any number of values (Flink's PatternFlatTimeoutFunction). */
export interface PatternFlatTimeoutFunction<T, Names extends string, OUT> {
  timeout(match: Match<T, Names>, timeoutTimestamp: number, out: Collector<OUT>): void;
}
export type PatternFlatTimeoutFn<T, Names extends string, OUT> =
  | ((match: Match<T, Names>, timeoutTimestamp: number, out: Collector<OUT>) => void)
  | PatternFlatTimeoutFunction<T, Names, OUT>;

/** Orders events with equal timestamps before they reach the NFA (Flink's EventComparator). */
export type EventComparator<T> = (a: T, b: T) => number;

export function isTimedOutHandler<T>(f: unknown): f is TimedOutPartialMatchHandler<T> {
  return typeof f === 'object' && f !== null && typeof (f as { processTimedOutMatch?: unknown }).processTimedOutMatch === 'function';
}

/** The stage names of a pattern's type: `StageNames<typeof smallThenLarge>` is `'small' | 'large'`. */
export type StageNames<P> = P extends Pattern<infer _T, infer N> ? N : never;
