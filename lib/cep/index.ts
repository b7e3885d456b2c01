/**
 * tidemark/cep: complex event processing. This part holds the pattern API; the NFA, its shared
 * buffer and the CEP operator build on it.
 */
export { Pattern, MalformedPatternException, type Match, type Quantifier, type ConsumingStrategy, type Stage, type WithinType } from './pattern.ts';
export { AfterMatchSkipStrategy, type SkipKind } from './aftermatch/after-match-skip-strategy.ts';
export type { Condition, SimpleCondition, IterativeCondition, ConditionContext } from './conditions.ts';
