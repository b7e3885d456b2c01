/**
 * tidemark/cep: complex event processing (Flink CEP): the Pattern API, CEP.pattern(stream, pattern)
 * and the functions that handle matches.
 */
export { Pattern, MalformedPatternException, type Match, type Quantifier, type ConsumingStrategy, type Stage, type WithinType } from './pattern.ts';
export { AfterMatchSkipStrategy, type SkipKind } from './aftermatch/after-match-skip-strategy.ts';
export type { Condition, SimpleCondition, IterativeCondition, ConditionContext, ConditionNode } from './conditions.ts';
export { CEP, PatternStream } from './pattern-stream.ts';
export {
  PatternProcessFunction,
  type TimedOutPartialMatchHandler,
  type PatternContext,
  type PatternProcessFn,
  type PatternSelectFunction,
  type PatternFlatSelectFunction,
  type PatternTimeoutFunction,
  type PatternFlatTimeoutFunction,
  type EventComparator,
  type StageNames,
} from './functions.ts';
export type { PartialMatchOverflow, CepMetrics, PatternRule, RejectedRule } from './operator/cep-operator.ts';
export { compileExpression, ExpressionError, type CompiledExpression, type ExprNode } from './spec/expression.ts';
export {
  PatternSpecError,
  type PatternSpec,
  type InnerContiguity,
  type StageSpec,
  type GroupSpec,
  type QuantifierSpec,
  type WindowSpec,
  type AfterMatchSkipSpec,
} from './spec/pattern-spec.ts';
