/**
 * tidemark/cep: complex event processing (Flink CEP): the Pattern API, CEP.pattern(stream, pattern)
 * and the functions that handle matches. The entry point sits with the API because CEP.pattern()
 * takes and builds DataStreams; the patterns, the NFA and the operator (lib/cep) know nothing of them.
 */
export { Pattern, MalformedPatternException, type Match, type Quantifier, type ConsumingStrategy, type Stage, type WithinType } from '../../cep/pattern.ts';
export { AfterMatchSkipStrategy, type SkipKind } from '../../cep/aftermatch/after-match-skip-strategy.ts';
export type { Condition, SimpleCondition, IterativeCondition, ConditionContext, ConditionNode } from '../../cep/conditions.ts';
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
  type PatternSelectFn,
  type PatternFlatSelectFn,
  type PatternTimeoutFn,
  type PatternFlatTimeoutFn,
  type EventComparator,
  type StageNames,
} from '../../cep/functions.ts';
export type { PartialMatchOverflow, CepMetrics, PatternRule, RejectedRule } from '../../cep/operator/cep-operator.ts';
export { compileExpression, ExpressionError, type CompiledExpression, type ExprNode } from '../../cep/spec/expression.ts';
export {
  PatternSpecError,
  type PatternSpec,
  type InnerContiguity,
  type StageSpec,
  type GroupSpec,
  type QuantifierSpec,
  type WindowSpec,
  type AfterMatchSkipSpec,
} from '../../cep/spec/pattern-spec.ts';
