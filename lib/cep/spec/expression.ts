/**
 * A small, safe expression language for CEP conditions that arrive as data (dynamic patterns: rules
 * on a broadcast stream, kept in checkpointed state). A hand-written tokenizer and recursive-descent
 * parser build an AST, which is compiled once into plain closures; there is no `eval`, no
 * `new Function`, no prototype access and no method call on a value.
 * ```ts
 * const big = compileExpression('amount > 500 && card.country not in ["NL", "BE"]');
 * big.test({ amount: 900, card: { country: 'DE' } }); // true
 * compileExpression('sum(small.amount) < 10', ['small', 'large']); // aggregates over a stage
 * ```
 *
 * Grammar (lowest precedence first):
 * ```
 * expr        := or ('?' expr ':' expr)?
 * or          := and (('||' | 'or') and)*
 * and         := not (('&&' | 'and') not)*
 * not         := 'not' not | equality                 -- `not` binds loosely (SQL/Python): not a == b is not (a == b)
 * equality    := relational (('==' | '!=') relational)?                      -- no chaining
 * relational  := additive (('<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') additive)?
 * additive    := multiplicative (('+' | '-') multiplicative)*
 * multiplicative := unary (('*' | '/' | '%') unary)*
 * unary       := ('!' | '-' | '+') unary | postfix     -- `!` binds tightly (JS): !a == b is (!a) == b
 * postfix     := primary ('.' name | '[' expr ']')*
 * primary     := number | 'string' | "string" | true | false | null | '[' (expr (',' expr)*)? ']'
 *              | '(' expr ')' | name | function '(' args ')'
 * ```
 * A bare name is a field of the event (`amount`, `card.id`, `tags[0]`, `x["odd key"]`); `event` is the
 * event itself (`event.amount`, `event > 3` for a stream of numbers). Functions (a fixed list; any
 * other call is a parse error): abs, min, max, round(x[, digits]), floor, ceil, lower, upper, length,
 * contains(string|list, x), startsWith, endsWith, matches(s, 'regex'[, 'flags']), timestamp() (the
 * candidate's event time from the condition context), and aggregates over the events a stage of the
 * current partial match already took (the candidate excluded, as Flink's getEventsForPattern):
 * count(stage), sum(stage.field), avg(stage.field), min(stage.field), max(stage.field),
 * first(stage).field, last(stage).field.
 *
 * Semantics, as a rule engine over untidy data would want them:
 * - A missing field (or one holding undefined or a function) is `null`. Only own properties are read:
 *   `__proto__`, `constructor`, `prototype` and `this` are rejected at parse time.
 * - `==`/`!=` are strict (no coercion; lists and plain objects compare by content), so `x == null`
 *   tests for a missing field, and `x != 5` and `x not in [...]` hold for a missing `x`.
 * - Predicates never throw on data: `< <= > >=` compare two numbers or two strings and are false for
 *   anything else (null included); `in`, contains, startsWith, endsWith, matches are false on wrong types.
 * - Computations propagate null (`null * 2` is null, so `amount * 2 > 10` is false for a missing
 *   amount) and throw an ExpressionError naming the expression for any other wrong type
 *   (`'*' expects numbers, got string`). `+` also joins two strings. Division follows IEEE (x/0 is Infinity).
 * - `&&`, `||`, `!`, `?:` and a condition's result take booleans, with null counting as false;
 *   another type is an ExpressionError (a condition `amount` is a mistake, not "truthy").
 * - aggregates skip null values; avg/min/max of no values is null; first/last of no events is null.
 */
import type { ConditionContext } from '../conditions.ts';
import { registerErrorClass, TidemarkError } from '../../core/errors.ts';

/** A parse error (bad syntax, unknown function or stage, forbidden name) or a runtime type error. */
export class ExpressionError extends TidemarkError {
  override name = 'ExpressionError';
  constructor(
    message: string,
    /** The expression's text. */
    readonly source: string,
    /** 0-based offset into `source` of the offending token or operator. */
    readonly position: number,
    readonly phase: 'parse' | 'runtime',
  ) {
    super(message);
  }

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(ExpressionError);

/** Functions an expression may call. */
export const EXPRESSION_FUNCTIONS = [
  'abs', 'min', 'max', 'round', 'floor', 'ceil', 'lower', 'upper', 'length', 'contains', 'startsWith', 'endsWith',
  'matches', 'timestamp', 'count', 'sum', 'avg', 'first', 'last',
] as const;
export type ExpressionFunction = (typeof EXPRESSION_FUNCTIONS)[number];
type Aggregate = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'first' | 'last';
type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** The syntax tree of an expression (positions are offsets into the source). */
export type ExprNode =
  | { type: 'literal'; pos: number; value: null | boolean | number | string }
  | { type: 'event'; pos: number }
  | { type: 'field'; pos: number; name: string }
  | { type: 'member'; pos: number; object: ExprNode; key: string | number }
  | { type: 'index'; pos: number; object: ExprNode; index: ExprNode }
  | { type: 'list'; pos: number; items: ExprNode[] }
  | { type: 'unary'; pos: number; op: '!' | '-' | '+'; operand: ExprNode }
  | { type: 'binary'; pos: number; op: BinaryOp; left: ExprNode; right: ExprNode }
  | { type: 'logical'; pos: number; op: '&&' | '||'; left: ExprNode; right: ExprNode }
  | { type: 'in'; pos: number; negated: boolean; value: ExprNode; list: ExprNode }
  | { type: 'conditional'; pos: number; test: ExprNode; then: ExprNode; else: ExprNode }
  | { type: 'call'; pos: number; name: Exclude<ExpressionFunction, 'count' | 'sum' | 'avg' | 'first' | 'last'>; args: ExprNode[]; regex?: RegExp }
  | { type: 'aggregate'; pos: number; fn: Aggregate; stage: string; path: Array<string | number> };

/** A compiled expression: parse once, evaluate per event. */
export interface CompiledExpression {
  readonly source: string;
  readonly ast: ExprNode;
  /** Stages the expression's aggregates read, in order of appearance. */
  readonly stageRefs: readonly string[];
  /** The expression's value for `event` (a candidate event) in the partial match seen through `ctx`. */
  evaluate(event: unknown, ctx?: ConditionContext<unknown>): unknown;
  /** As a condition: true only for `true`; null (and false) is false; another type throws an ExpressionError. */
  test(event: unknown, ctx?: ConditionContext<unknown>): boolean;
}

/** Longest accepted expression, nesting depth and regex length: rules come from outside the job. */
export const MAX_EXPRESSION_LENGTH = 65_536;
export const MAX_EXPRESSION_DEPTH = 100;
export const MAX_REGEX_LENGTH = 256;

/** Names that would reach an object's prototype in JavaScript; never a field name here. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const KEYWORDS = new Set(['true', 'false', 'null', 'and', 'or', 'not', 'in']);
const FUNCTIONS: ReadonlySet<string> = new Set(EXPRESSION_FUNCTIONS);

/**
 * Parses `source` and compiles it to closures. `stageNames`, when given, are the pattern's stage
 * names: an aggregate naming another stage is then a parse error (without it, any name is accepted).
 */
export function compileExpression(source: string, stageNames?: Iterable<string>): CompiledExpression {
  if (typeof source !== 'string') throw new TypeError('An expression must be a string');
  const parser = new Parser(source, stageNames === undefined ? undefined : new Set(stageNames));
  const ast = parser.parse();
  const run = compileNode(ast, source);
  const evaluate = (event: unknown, ctx?: ConditionContext<unknown>): unknown => run(event, ctx);
  const test = (event: unknown, ctx?: ConditionContext<unknown>): boolean => toBool(run(event, ctx), 'a condition', source, 0);
  return { source, ast, stageRefs: parser.stageRefs, evaluate, test };
}

// ---- errors ---------------------------------------------------------------------------------------

function where(source: string, pos: number): string {
  // Long rules (big in-lists) are shown around the position rather than whole.
  if (source.length <= 160) return `at ${pos} in ${JSON.stringify(source)}`;
  const from = Math.max(0, pos - 60);
  return `at ${pos} in ${JSON.stringify(source.slice(from, pos + 60))} (offset ${from} of a ${source.length}-character expression)`;
}

function parseError(what: string, source: string, pos: number, found?: string): ExpressionError {
  return new ExpressionError(`${what} ${where(source, pos)}${found === undefined ? '' : `, found ${found}`}`, source, pos, 'parse');
}

function typeError(what: string, source: string, pos: number): ExpressionError {
  return new ExpressionError(`${what} ${where(source, pos)}`, source, pos, 'runtime');
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

// ---- tokenizer ------------------------------------------------------------------------------------

type Token =
  | { kind: 'num'; pos: number; text: string; value: number }
  | { kind: 'str'; pos: number; text: string; value: string }
  | { kind: 'name' | 'op' | 'eof'; pos: number; text: string };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '(', ')', '[', ']', ',', '.', '?', ':', '+', '-', '*', '/', '%', '<', '>', '!'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i))!;
      i += m[0].length;
      if (i < source.length && /[A-Za-z_$0-9]/.test(source[i]!)) throw parseError('Expected an operator after a number', source, i, `'${source[i]}'`);
      tokens.push({ kind: 'num', pos: start, text: m[0], value: Number(m[0]) });
    } else if (/[A-Za-z_$]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_$]/.test(source[i]!)) i++;
      tokens.push({ kind: 'name', pos: start, text: source.slice(start, i) });
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) throw parseError(`Unterminated string starting`, source, start);
        const ch = source[i]!;
        if (ch === c) break;
        if (ch === '\\') {
          const e = source[i + 1];
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
            value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          if (e === undefined || !(e in ESCAPES)) throw parseError('Unknown escape in string', source, i);
          value += ESCAPES[e];
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ kind: 'str', pos: start, text: source.slice(start, i), value });
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (op === undefined) {
        const hint = c === '=' ? "; use '==' to compare" : c === '&' ? "; use '&&'" : c === '|' ? "; use '||'" : '';
        throw parseError(`Unexpected character '${c}'${hint}`, source, i);
      }
      if ((op === '==' || op === '!=') && source[i + 2] === '=') {
        throw parseError(`Unexpected '${op}='; use '${op}' (it is already strict)`, source, i);
      }
      i += op.length;
      tokens.push({ kind: 'op', pos: start, text: op });
    }
  }
  tokens.push({ kind: 'eof', pos: source.length, text: '' });
  return tokens;
}

// ---- parser ---------------------------------------------------------------------------------------

function describe(t: Token): string {
  return t.kind === 'eof' ? 'end of input' : `'${t.text}'`;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private nesting = 0;
  /** AST depth of each node, kept as nodes are built: left-deep chains (a+a+a...) need no recursion to measure. */
  private readonly depth = new WeakMap<ExprNode, number>();
  readonly stageRefs: string[] = [];

  constructor(
    private readonly source: string,
    private readonly stageNames: ReadonlySet<string> | undefined,
  ) {
    if (source.length > MAX_EXPRESSION_LENGTH) throw parseError(`Expression longer than ${MAX_EXPRESSION_LENGTH} characters`, source, MAX_EXPRESSION_LENGTH);
    this.tokens = tokenize(source);
  }

  parse(): ExprNode {
    if (this.peek().kind === 'eof') throw this.expected('an expression');
    const node = this.expression();
    if (this.peek().kind !== 'eof') throw this.expected('an operator or the end of the expression');
    return node;
  }

  // -- token helpers

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.text === text;
  }
  private isWord(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'name' && t.text === text;
  }
  private expected(what: string, t: Token = this.peek()): ExpressionError {
    return parseError(`Expected ${what}`, this.source, t.pos, describe(t));
  }
  private expectOp(text: string): Token {
    if (!this.isOp(text)) throw this.expected(`'${text}'`);
    return this.next();
  }

  /** Records the node's depth and refuses trees deeper than the evaluator should recurse. */
  private make<N extends ExprNode>(node: N, ...children: ExprNode[]): N {
    let d = 0;
    for (const c of children) d = Math.max(d, this.depth.get(c) ?? 1);
    if (d + 1 > MAX_EXPRESSION_DEPTH) throw parseError(`Expression nests too deeply (more than ${MAX_EXPRESSION_DEPTH} levels)`, this.source, node.pos);
    this.depth.set(node, d + 1);
    return node;
  }

  // -- grammar, lowest precedence first

  private expression(): ExprNode {
    if (++this.nesting > MAX_EXPRESSION_DEPTH) throw parseError(`Expression nests too deeply (more than ${MAX_EXPRESSION_DEPTH} levels)`, this.source, this.peek().pos);
    const test = this.or();
    let node = test;
    if (this.isOp('?')) {
      const pos = this.next().pos;
      const then = this.expression();
      this.expectOp(':');
      const otherwise = this.expression();
      node = this.make({ type: 'conditional', pos, test, then, else: otherwise }, test, then, otherwise);
    }
    this.nesting--;
    return node;
  }

  private or(): ExprNode {
    let left = this.and();
    while (this.isOp('||') || this.isWord('or')) {
      const pos = this.next().pos;
      const right = this.and();
      left = this.make({ type: 'logical', pos, op: '||', left, right }, left, right);
    }
    return left;
  }

  private and(): ExprNode {
    let left = this.not();
    while (this.isOp('&&') || this.isWord('and')) {
      const pos = this.next().pos;
      const right = this.not();
      left = this.make({ type: 'logical', pos, op: '&&', left, right }, left, right);
    }
    return left;
  }

  private not(): ExprNode {
    if (this.isWord('not') && !this.isWord('in', 1)) {
      const pos = this.next().pos;
      if (++this.nesting > MAX_EXPRESSION_DEPTH) throw parseError(`Expression nests too deeply (more than ${MAX_EXPRESSION_DEPTH} levels)`, this.source, pos);
      const operand = this.not();
      this.nesting--;
      return this.make({ type: 'unary', pos, op: '!', operand }, operand);
    }
    return this.equality();
  }

  private equality(): ExprNode {
    const left = this.relational();
    if (!this.isOp('==') && !this.isOp('!=')) return left;
    const t = this.next();
    const right = this.relational();
    if (this.isOp('==') || this.isOp('!=')) throw parseError("Comparisons cannot be chained (use '&&')", this.source, this.peek().pos);
    return this.make({ type: 'binary', pos: t.pos, op: t.text as BinaryOp, left, right }, left, right);
  }

  private relational(): ExprNode {
    const left = this.additive();
    const t = this.peek();
    let node: ExprNode;
    if (t.kind === 'op' && (t.text === '<' || t.text === '<=' || t.text === '>' || t.text === '>=')) {
      this.next();
      const right = this.additive();
      node = this.make({ type: 'binary', pos: t.pos, op: t.text, left, right }, left, right);
    } else if (this.isWord('in') || (this.isWord('not') && this.isWord('in', 1))) {
      const negated = this.isWord('not');
      this.next();
      if (negated) this.next();
      const list = this.additive();
      node = this.make({ type: 'in', pos: t.pos, negated, value: left, list }, left, list);
    } else {
      return left;
    }
    const after = this.peek();
    if ((after.kind === 'op' && ['<', '<=', '>', '>='].includes(after.text)) || this.isWord('in') || (this.isWord('not') && this.isWord('in', 1))) {
      throw parseError("Comparisons cannot be chained (use '&&')", this.source, after.pos);
    }
    return node;
  }

  private additive(): ExprNode {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      const right = this.multiplicative();
      left = this.make({ type: 'binary', pos: t.pos, op: t.text as BinaryOp, left, right }, left, right);
    }
    return left;
  }

  private multiplicative(): ExprNode {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next();
      const right = this.unary();
      left = this.make({ type: 'binary', pos: t.pos, op: t.text as BinaryOp, left, right }, left, right);
    }
    return left;
  }

  private unary(): ExprNode {
    if (this.isOp('!') || this.isOp('-') || this.isOp('+')) {
      const t = this.next();
      if (++this.nesting > MAX_EXPRESSION_DEPTH) throw parseError(`Expression nests too deeply (more than ${MAX_EXPRESSION_DEPTH} levels)`, this.source, t.pos);
      const operand = this.unary();
      this.nesting--;
      return this.make({ type: 'unary', pos: t.pos, op: t.text as '!' | '-' | '+', operand }, operand);
    }
    return this.postfix();
  }

  private postfix(): ExprNode {
    let node = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.kind !== 'name') throw this.expected('a field name after \'.\'', t);
        node = this.make({ type: 'member', pos: t.pos, object: node, key: this.fieldName(t) }, node);
      } else if (this.isOp('[')) {
        const open = this.next();
        const index = this.expression();
        this.expectOp(']');
        if (index.type === 'literal' && (typeof index.value === 'string' || typeof index.value === 'number')) {
          if (typeof index.value === 'string' && FORBIDDEN.has(index.value)) throw this.forbidden(index.value, index.pos);
          node = this.make({ type: 'member', pos: open.pos, object: node, key: index.value }, node);
        } else {
          node = this.make({ type: 'index', pos: open.pos, object: node, index }, node, index);
        }
      } else if (this.isOp('(')) {
        // Only the built-in functions can be called; `a.b()` or `(f)()` would call into the data.
        throw parseError('Calling a value is not allowed (only the built-in functions can be called)', this.source, this.peek().pos);
      } else {
        return node;
      }
    }
  }

  private forbidden(name: string, pos: number): ExpressionError {
    return parseError(`'${name}' is not allowed as a name (it would reach JavaScript internals)`, this.source, pos);
  }

  private fieldName(t: Token): string {
    if (FORBIDDEN.has(t.text)) throw this.forbidden(t.text, t.pos);
    return t.text;
  }

  private primary(): ExprNode {
    const t = this.next();
    switch (t.kind) {
      case 'num':
      case 'str':
        return this.make({ type: 'literal', pos: t.pos, value: t.value });
      case 'eof':
        throw this.expected('an expression', t);
      case 'op':
        if (t.text === '(') {
          const inner = this.expression();
          this.expectOp(')');
          return inner;
        }
        if (t.text === '[') {
          const items: ExprNode[] = [];
          if (!this.isOp(']')) {
            do items.push(this.expression());
            while (this.isOp(',') && this.next());
          }
          if (!this.isOp(']')) throw this.expected(items.length === 0 ? "an expression or ']'" : "',' or ']'");
          this.next();
          return this.make({ type: 'list', pos: t.pos, items }, ...items);
        }
        throw this.expected('an expression', t);
      case 'name':
        break;
    }
    const name = t.text;
    if (name === 'true' || name === 'false') return this.make({ type: 'literal', pos: t.pos, value: name === 'true' });
    if (name === 'null') return this.make({ type: 'literal', pos: t.pos, value: null });
    if (KEYWORDS.has(name)) throw this.expected('an expression', t);
    if (name === 'this') throw parseError("'this' is not allowed (fields are read by name, or through 'event')", this.source, t.pos);
    if (this.isOp('(')) return this.call(t);
    if (name === 'event') return this.make({ type: 'event', pos: t.pos });
    return this.make({ type: 'field', pos: t.pos, name: this.fieldName(t) });
  }

  private call(nameToken: Token): ExprNode {
    const name = nameToken.text;
    const pos = nameToken.pos;
    if (!FUNCTIONS.has(name)) {
      throw parseError(`Unknown function '${name}' (expected one of ${EXPRESSION_FUNCTIONS.join(', ')})`, this.source, pos);
    }
    const fn = name as ExpressionFunction;
    this.expectOp('(');
    const args: ExprNode[] = [];
    if (!this.isOp(')')) {
      do args.push(this.expression());
      while (this.isOp(',') && this.next());
    }
    if (!this.isOp(')')) throw this.expected(args.length === 0 ? "an expression or ')'" : "',' or ')'");
    this.next();
    const arity = (min: number, max: number): void => {
      if (args.length < min || args.length > max) {
        const n = min === max ? `${min}` : max === Infinity ? `${min} or more` : `${min} to ${max}`;
        throw parseError(`${fn}() takes ${n} argument${n === '1' ? '' : 's'}, not ${args.length}`, this.source, pos);
      }
    };
    switch (fn) {
      case 'count':
      case 'sum':
      case 'avg':
      case 'first':
      case 'last':
        arity(1, 1);
        return this.aggregate(fn, pos, args[0]!);
      case 'min':
      case 'max': {
        if (args.length === 1) {
          if (this.stageRef(args[0]!) === undefined) throw parseError(`${fn}() takes two or more numbers, or a stage field like ${fn}(stage.amount)`, this.source, pos);
          return this.aggregate(fn, pos, args[0]!);
        }
        arity(2, Infinity);
        return this.make({ type: 'call', pos, name: fn, args }, ...args);
      }
      case 'timestamp':
        arity(0, 0);
        return this.make({ type: 'call', pos, name: fn, args });
      case 'round':
        arity(1, 2);
        return this.make({ type: 'call', pos, name: fn, args }, ...args);
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        arity(2, 2);
        return this.make({ type: 'call', pos, name: fn, args }, ...args);
      case 'matches': {
        arity(2, 3);
        const regex = this.regex(args[1]!, args[2]);
        return this.make({ type: 'call', pos, name: fn, args, regex }, ...args);
      }
      default:
        arity(1, 1);
        return this.make({ type: 'call', pos, name: fn, args }, ...args);
    }
  }

  /** `stage` or `stage.a.b` / `stage["a"]` with literal keys; undefined if `arg` is not of that shape. */
  private stageRef(arg: ExprNode): { stage: string; path: Array<string | number> } | undefined {
    const path: Array<string | number> = [];
    let node = arg;
    while (node.type === 'member') {
      path.unshift(node.key);
      node = node.object;
    }
    if (node.type !== 'field') return undefined;
    if (this.stageNames !== undefined && !this.stageNames.has(node.name)) return undefined;
    return { stage: node.name, path };
  }

  private aggregate(fn: Aggregate, pos: number, arg: ExprNode): ExprNode {
    const ref = this.stageRef(arg);
    if (ref === undefined) {
      let root = arg;
      while (root.type === 'member') root = root.object;
      if (root.type === 'field' && this.stageNames !== undefined) {
        const known = [...this.stageNames];
        throw parseError(`Unknown stage '${root.name}' in ${fn}() (expected one of ${known.length === 0 ? '(no stages)' : known.join(', ')})`, this.source, root.pos);
      }
      throw parseError(`Expected a stage name, like ${fn === 'count' ? 'count(stage)' : `${fn}(stage.amount)`}`, this.source, arg.pos);
    }
    if (fn === 'count' && ref.path.length > 0) throw parseError('count() takes a stage name, not a field', this.source, arg.pos);
    if (!this.stageRefs.includes(ref.stage)) this.stageRefs.push(ref.stage);
    return this.make({ type: 'aggregate', pos, fn, stage: ref.stage, path: ref.path });
  }

  /** matches(): the regex is a string literal, compiled once here; nested quantifiers are refused (catastrophic backtracking). */
  private regex(patternArg: ExprNode, flagsArg: ExprNode | undefined): RegExp {
    if (patternArg.type !== 'literal' || typeof patternArg.value !== 'string') throw this.expectedAt('the regular expression as a string literal', patternArg);
    if (flagsArg !== undefined && (flagsArg.type !== 'literal' || typeof flagsArg.value !== 'string' || !/^[imsu]*$/.test(flagsArg.value))) {
      throw this.expectedAt("regex flags as a string literal of i, m, s, u", flagsArg);
    }
    const text = patternArg.value;
    if (text.length > MAX_REGEX_LENGTH) throw parseError(`Regular expression longer than ${MAX_REGEX_LENGTH} characters`, this.source, patternArg.pos);
    if (hasNestedQuantifier(text)) {
      throw parseError(
        'Regular expression has a quantified group containing a quantifier or an alternation (like (a+)+ or (\\w|\\d)*), which can take exponential time; use a character class such as [ab]* instead',
        this.source,
        patternArg.pos,
      );
    }
    try {
      // No 'g'/'y': those make RegExp.test stateful (lastIndex) across events.
      return new RegExp(text, flagsArg?.type === 'literal' ? String(flagsArg.value) : '');
    } catch (e) {
      throw parseError(`Invalid regular expression (${(e as Error).message})`, this.source, patternArg.pos);
    }
  }

  private expectedAt(what: string, node: ExprNode): ExpressionError {
    return parseError(`Expected ${what}`, this.source, node.pos);
  }
}

/**
 * Heuristic ReDoS guard: a quantified group that contains a quantifier or an alternation (overlapping
 * alternatives such as (\w|\d)* backtrack exponentially, like nested quantifiers).
 */
function hasNestedQuantifier(re: string): boolean {
  const stack: boolean[] = []; // per open group: does it contain a quantifier?
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const quantifiedInside = stack.pop() ?? false;
      const after = re[i + 1];
      const quantifiedGroup = after === '*' || after === '+' || after === '{';
      if (quantifiedInside && quantifiedGroup) return true;
      if ((quantifiedInside || quantifiedGroup) && stack.length > 0) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{' || c === '|') && stack.length > 0) stack[stack.length - 1] = true;
  }
  return false;
}

// ---- evaluation -----------------------------------------------------------------------------------

type Run = (event: unknown, ctx: ConditionContext<unknown> | undefined) => unknown;

/** A field of plain data: own properties only, undefined and functions read as null. */
function getOwn(obj: unknown, key: string | number): unknown {
  if (obj === null || typeof obj !== 'object') return null;
  if (typeof key === 'string' && FORBIDDEN.has(key)) return null;
  if (!Object.hasOwn(obj, key)) return null;
  return data((obj as Record<string | number, unknown>)[key]);
}

function data(v: unknown): unknown {
  return v === undefined || typeof v === 'function' ? null : v;
}

function readPath(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = data(value);
  for (const key of path) v = getOwn(v, key);
  return v;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Strict equality, by content for lists and plain objects (data from JSON has no identity). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(data(x), data(b[i])));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && same(data(a[k]), data(b[k])));
  }
  return false;
}

function toBool(v: unknown, what: string, source: string, pos: number): boolean {
  if (v === true) return true;
  if (v === false || v === null) return false;
  throw typeError(`${what} expects a boolean, got ${typeName(v)}`, source, pos);
}

function compileNode(node: ExprNode, source: string): Run {
  const sub = (n: ExprNode): Run => compileNode(n, source);
  const numberOp = (what: string, pos: number, ...values: unknown[]): ExpressionError =>
    typeError(`${what} expects numbers, got ${values.map(typeName).join(' and ')}`, source, pos);
  switch (node.type) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'event':
      return (e) => data(e);
    case 'field': {
      const name = node.name;
      return (e) => getOwn(e, name);
    }
    case 'member': {
      const object = sub(node.object);
      const key = node.key;
      return (e, c) => getOwn(object(e, c), key);
    }
    case 'index': {
      const object = sub(node.object);
      const index = sub(node.index);
      return (e, c) => {
        const o = object(e, c);
        const k = index(e, c);
        return typeof k === 'string' || (typeof k === 'number' && Number.isInteger(k)) ? getOwn(o, k) : null;
      };
    }
    case 'list': {
      const items = node.items.map(sub);
      return (e, c) => items.map((item) => item(e, c));
    }
    case 'unary': {
      const operand = sub(node.operand);
      const { op, pos } = node;
      if (op === '!') return (e, c) => !toBool(operand(e, c), "'!'", source, pos);
      return (e, c) => {
        const v = operand(e, c);
        if (v === null) return null;
        if (typeof v !== 'number') throw numberOp(`'${op}'`, pos, v);
        return op === '-' ? -v : v;
      };
    }
    case 'logical': {
      const left = sub(node.left);
      const right = sub(node.right);
      const { op, pos } = node;
      const what = `'${op}'`;
      return op === '&&'
        ? (e, c) => toBool(left(e, c), what, source, pos) && toBool(right(e, c), what, source, pos)
        : (e, c) => toBool(left(e, c), what, source, pos) || toBool(right(e, c), what, source, pos);
    }
    case 'conditional': {
      const test = sub(node.test);
      const then = sub(node.then);
      const otherwise = sub(node.else);
      const pos = node.pos;
      return (e, c) => (toBool(test(e, c), "'?:'", source, pos) ? then(e, c) : otherwise(e, c));
    }
    case 'binary':
      return compileBinary(node.op, sub(node.left), sub(node.right), node.pos, source);
    case 'in': {
      const value = sub(node.value);
      const negated = node.negated;
      const items = node.list.type === 'list' ? node.list.items : undefined;
      if (items !== undefined && items.every((i) => i.type === 'literal')) {
        // A literal list (the common `country in ["NL", "BE"]`) becomes a Set once.
        const set = new Set(items.map((i) => (i.type === 'literal' ? i.value : null)));
        return (e, c) => set.has(value(e, c) as never) !== negated;
      }
      const list = sub(node.list);
      return (e, c) => {
        const v = value(e, c);
        const l = list(e, c);
        const found = Array.isArray(l) && l.some((x) => same(data(x), v));
        return found !== negated;
      };
    }
    case 'aggregate':
      return compileAggregate(node.fn, node.stage, node.path, node.pos, source);
    case 'call':
      return compileCall(node, node.args.map(sub), source);
  }
}

function compileBinary(op: BinaryOp, left: Run, right: Run, pos: number, source: string): Run {
  switch (op) {
    case '==':
      return (e, c) => same(left(e, c), right(e, c));
    case '!=':
      return (e, c) => !same(left(e, c), right(e, c));
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const cmp = { '<': (a: number | string, b: number | string) => a < b, '<=': (a: number | string, b: number | string) => a <= b, '>': (a: number | string, b: number | string) => a > b, '>=': (a: number | string, b: number | string) => a >= b }[op];
      return (e, c) => {
        const a = left(e, c);
        const b = right(e, c);
        // Two numbers or two strings; anything else (null, mixed types) is simply not ordered.
        return (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string') ? cmp(a, b) : false;
      };
    }
    default: {
      const f = { '+': (a: number, b: number) => a + b, '-': (a: number, b: number) => a - b, '*': (a: number, b: number) => a * b, '/': (a: number, b: number) => a / b, '%': (a: number, b: number) => a % b }[op];
      return (e, c) => {
        const a = left(e, c);
        const b = right(e, c);
        if (typeof a === 'number' && typeof b === 'number') return f(a, b);
        if (a === null || b === null) return null;
        if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
        throw typeError(`'${op}' expects ${op === '+' ? 'two numbers or two strings' : 'numbers'}, got ${typeName(a)} and ${typeName(b)}`, source, pos);
      };
    }
  }
}

function compileAggregate(fn: Aggregate, stage: string, path: ReadonlyArray<string | number>, pos: number, source: string): Run {
  const events = (c: ConditionContext<unknown> | undefined): unknown[] => (c === undefined ? [] : c.getEventsForPattern(stage));
  if (fn === 'count') return (_e, c) => events(c).length;
  if (fn === 'first' || fn === 'last') {
    return (_e, c) => {
      const list = events(c);
      return list.length === 0 ? null : readPath(list[fn === 'first' ? 0 : list.length - 1], path);
    };
  }
  return (_e, c) => {
    let n = 0;
    let acc = fn === 'min' ? Infinity : fn === 'max' ? -Infinity : 0;
    for (const event of events(c)) {
      const v = readPath(event, path);
      if (v === null) continue; // aggregates skip missing values, as SQL does
      if (typeof v !== 'number') throw typeError(`${fn}() expects numbers, got ${typeName(v)}`, source, pos);
      n++;
      acc = fn === 'min' ? Math.min(acc, v) : fn === 'max' ? Math.max(acc, v) : acc + v;
    }
    if (fn === 'sum') return acc;
    if (n === 0) return null;
    return fn === 'avg' ? acc / n : acc;
  };
}

function compileCall(node: Extract<ExprNode, { type: 'call' }>, args: Run[], source: string): Run {
  const { name, pos } = node;
  const [a, b] = args as [Run, Run | undefined];
  const bad = (what: string, v: unknown): ExpressionError => typeError(`${name}() expects ${what}, got ${typeName(v)}`, source, pos);
  const numeric = (f: (x: number) => number): Run => (e, c) => {
    const v = a(e, c);
    if (v === null) return null;
    if (typeof v !== 'number') throw bad('a number', v);
    return f(v);
  };
  const text = (f: (x: string) => string): Run => (e, c) => {
    const v = a(e, c);
    if (v === null) return null;
    if (typeof v !== 'string') throw bad('a string', v);
    return f(v);
  };
  switch (name) {
    case 'abs':
      return numeric(Math.abs);
    case 'floor':
      return numeric(Math.floor);
    case 'ceil':
      return numeric(Math.ceil);
    case 'round':
      return (e, c) => {
        const v = a(e, c);
        const d = b === undefined ? 0 : b(e, c);
        if (v === null || d === null) return null;
        if (typeof v !== 'number') throw bad('a number', v);
        if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 15) throw bad('0 to 15 digits', d);
        const f = 10 ** d;
        return Math.round(v * f) / f;
      };
    case 'min':
    case 'max':
      return (e, c) => {
        const values = args.map((r) => r(e, c));
        if (values.some((v) => v === null)) return null;
        const wrong = values.find((v) => typeof v !== 'number');
        if (wrong !== undefined) throw bad('numbers', wrong);
        return (name === 'min' ? Math.min : Math.max)(...(values as number[]));
      };
    case 'lower':
      return text((s) => s.toLowerCase());
    case 'upper':
      return text((s) => s.toUpperCase());
    case 'length':
      return (e, c) => {
        const v = a(e, c);
        if (v === null) return null;
        if (typeof v === 'string' || Array.isArray(v)) return v.length;
        throw bad('a string or a list', v);
      };
    case 'contains':
      return (e, c) => {
        const hay = a(e, c);
        const needle = b!(e, c);
        if (typeof hay === 'string') return typeof needle === 'string' && hay.includes(needle);
        return Array.isArray(hay) && hay.some((x) => same(data(x), needle));
      };
    case 'startsWith':
    case 'endsWith':
      return (e, c) => {
        const s = a(e, c);
        const t = b!(e, c);
        return typeof s === 'string' && typeof t === 'string' && (name === 'startsWith' ? s.startsWith(t) : s.endsWith(t));
      };
    case 'matches': {
      const re = node.regex!;
      return (e, c) => {
        const s = a(e, c);
        return typeof s === 'string' && re.test(s);
      };
    }
    case 'timestamp':
      return (_e, c) => (c === undefined ? null : c.timestamp());
  }
}
