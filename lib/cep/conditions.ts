/**
 * Pattern conditions (Flink's SimpleCondition / IterativeCondition). A simple condition sees the
 * event; an iterative one also sees the events already matched in this partial match. A condition
 * can also be an expression string (`'amount < 1.00'`, see spec/expression.ts), which keeps its
 * text so the pattern can be serialized (Pattern.toSpec).
 */
import { compileExpression } from './spec/expression.ts';

/** What an iterative condition can read of the partial match it would extend. */
export interface ConditionContext<T> {
  /** Events already accepted for the stage `name` in this partial match (empty if none). */
  getEventsForPattern(name: string): T[];
  /** Time of the event being tested (ms): its event time, or in processing time the time it was processed. */
  timestamp(): number | null;
}

export type SimpleCondition<T> = (event: T) => boolean;
export type IterativeCondition<T> = (event: T, ctx: ConditionContext<T>) => boolean;
/** A simple condition `(event) => boolean` is one too (it ignores the context). */
export type Condition<T> = IterativeCondition<T>;

/** A condition tree: where() ANDs, or() ORs, subtype() narrows (Flink's RichAndCondition/RichOrCondition/SubtypeCondition). */
export type ConditionNode<T> =
  | {
      kind: 'test';
      test: IterativeCondition<T>;
      /** The expression source when the test was compiled from one; absent for a function condition. */
      expression?: string;
    }
  | { kind: 'and'; left: ConditionNode<T>; right: ConditionNode<T> }
  | { kind: 'or'; left: ConditionNode<T>; right: ConditionNode<T> }
  | { kind: 'true' };

export function evaluate<T>(node: ConditionNode<T>, event: T, ctx: ConditionContext<T>): boolean {
  switch (node.kind) {
    case 'true':
      return true;
    case 'test':
      return node.test(event, ctx);
    case 'and':
      return evaluate(node.left, event, ctx) && evaluate(node.right, event, ctx);
    case 'or':
      return evaluate(node.left, event, ctx) || evaluate(node.right, event, ctx);
  }
}

export function and<T>(a: ConditionNode<T>, b: ConditionNode<T>): ConditionNode<T> {
  if (a.kind === 'true') return b;
  if (b.kind === 'true') return a;
  return { kind: 'and', left: a, right: b };
}

export function or<T>(a: ConditionNode<T>, b: ConditionNode<T>): ConditionNode<T> {
  return { kind: 'or', left: a, right: b };
}

export function test<T>(condition: Condition<T> | string): ConditionNode<T> {
  if (typeof condition === 'string') return expression<T>(condition);
  if (typeof condition !== 'function') throw new TypeError('A pattern condition must be a function (event[, ctx]) => boolean or an expression string');
  return { kind: 'test', test: condition as IterativeCondition<T> };
}

/**
 * A test compiled from an expression (throws ExpressionError for a bad one). Stage names are not
 * checked here: a group pattern is built before the stages around it exist; Pattern.fromSpec and
 * toSpec check them against the whole pattern.
 */
export function expression<T>(source: string): ConditionNode<T> {
  const compiled = compileExpression(source);
  return { kind: 'test', test: compiled.test, expression: source };
}
