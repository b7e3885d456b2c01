import { inspect } from 'node:util';

/**
 * Errors tidemark raises, shaped as kafkajs shapes its KafkaJSError: every one is a TidemarkError
 * with a `name`, whether it is `retriable`, the `context` it was raised in (job, operator, subtask,
 * key, input: what is known where it is thrown or attributed) and the original error as `cause`.
 */

/** Where an error happened, as far as it is known where it was thrown or attributed. */
export interface TidemarkErrorContext {
  /** The job's name. */
  readonly job?: string;
  /** The operator's name, e.g. `Map` or `keyBy -> Window(...)`. */
  readonly operator?: string;
  /** The 0-based index of the subtask (Flink's getIndexOfThisSubtask). */
  readonly subtask?: number;
  /** The operator's parallelism, with `subtask`. */
  readonly parallelism?: number;
  /** The key the operator was processing. */
  readonly key?: unknown;
  /** The record the operator was processing. */
  readonly input?: unknown;
}

export interface TidemarkErrorOptions {
  readonly cause?: unknown;
  /** Whether trying again may succeed (default false). */
  readonly retriable?: boolean;
  readonly context?: TidemarkErrorContext;
}

/**
 * The base of every error tidemark raises (kafkajs's KafkaJSError). `retriable` says whether the
 * same work may succeed when tried again (a refused connection may; a bug in a user function will
 * not): a restart strategy reads it. An error of ours that crosses from a worker thread keeps its
 * class, `context`, `retriable` and causes (see registerErrorClass).
 */
export class TidemarkError extends Error {
  override name = 'TidemarkError';
  readonly retriable: boolean;
  readonly context: TidemarkErrorContext;
  declare readonly cause?: unknown;

  constructor(message: string, options: TidemarkErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }

  /**
   * Whether the error is a mistake in code (a user function, a Pattern built wrong) rather than in
   * input, configuration or environment: then its stack is worth showing (the CLI shows it). For
   * the other errors of ours the message says it all.
   */
  get pointsAtCode(): boolean {
    return false;
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Our error classes by name: an error from a worker thread is rebuilt with its class. */
const ERROR_CLASSES = new Map<string, ErrorClass>();

/**
 * Registers an error class so an error of it thrown in a worker thread arrives on the main thread
 * with its class (`instanceof` works). Call it next to the class declaration; the class's name must
 * be the error's `name`. A user's own subclass of TidemarkError may be registered too.
 */
export function registerErrorClass(cls: ErrorClass, name: string = cls.name): void {
  ERROR_CLASSES.set(name, cls);
}

/** The registered error class of `name` (ours, or JavaScript's built-in ones), if any. */
export function errorClassOf(name: string): ErrorClass | undefined {
  return ERROR_CLASSES.get(name);
}

for (const builtin of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) registerErrorClass(builtin);

/** User code threw inside an operator. */
export class UserCodeError extends TidemarkError {
  override name = 'UserCodeError';
  declare readonly cause: unknown;
  constructor(
    readonly operatorName: string,
    readonly subtaskIndex: number,
    readonly parallelism: number,
    cause: unknown,
    /** What else is known: the job, the key, the record being processed. */
    context: Omit<TidemarkErrorContext, 'operator' | 'subtask' | 'parallelism'> = {},
  ) {
    super(`Operator '${operatorName}' (subtask ${subtaskIndex + 1}/${parallelism}) failed: ${describe(cause)}`, {
      cause,
      // Retriable when what the user code threw is (a TidemarkError of its own saying so).
      retriable: isInstance(cause, TidemarkError) && (cause as TidemarkError).retriable,
      context: { ...context, operator: operatorName, subtask: subtaskIndex, parallelism },
    });
  }

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(UserCodeError);

/** The job failed; `cause` is the first failure (often a UserCodeError). */
export class JobExecutionException extends TidemarkError {
  override name = 'JobExecutionException';
  declare readonly cause: unknown;
  constructor(
    readonly jobId: string,
    readonly jobName: string,
    cause: unknown,
    /** Set when the job was restarted before it failed for good: how often, under which strategy. */
    readonly restarts?: { readonly count: number; readonly strategy: string },
  ) {
    // Retriable when what failed it is (the restart strategy reads the cause through it).
    const retriable = isInstance(cause, TidemarkError) && (cause as TidemarkError).retriable;
    const inner = isInstance(cause, TidemarkError) ? (cause as TidemarkError).context : {};
    const after = restarts === undefined ? '' : ` after ${restarts.count} restart${restarts.count === 1 ? '' : 's'} (restart strategy ${restarts.strategy} exhausted)`;
    super(`Job '${jobName}' (${jobId}) failed${after}: ${isInstance(cause, Error) ? (cause as Error).message : describeValue(cause)}`, {
      cause,
      retriable,
      context: { ...inner, job: jobName },
    });
  }

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(JobExecutionException);

/** The job needs more task slots than the local runtime has. */
export class NoResourceAvailableException extends TidemarkError {
  override name = 'NoResourceAvailableException';
  constructor(
    readonly requiredSlots: number,
    readonly availableSlots: number,
  ) {
    super(
      `Could not acquire the minimum required resources: the job needs ${requiredSlots} task slots but only ${availableSlots} are available ` +
        `(taskmanager.numberOfTaskSlots: ${availableSlots}). Lower the parallelism or raise taskmanager.numberOfTaskSlots.`,
    );
  }
}
registerErrorClass(NoResourceAvailableException);

/**
 * A user function returned `undefined` where its result becomes state (reduce, AggregateFunction's
 * createAccumulator/add/merge): `undefined` means "no state", so storing it would silently restart
 * the key's aggregate. Usually a missing `return`.
 */
export class InvalidFunctionResultError extends TidemarkError {
  override name = 'InvalidFunctionResultError';
  constructor(
    /** The function that returned it, e.g. `reduce()` or `AggregateFunction.add()`. */
    readonly functionName: string,
    readonly key: unknown,
    readonly result: unknown,
  ) {
    super(
      `${functionName} returned ${describeValue(result)} for key ${describeValue(key, true)}: its result is kept as the key's state and must not be undefined (missing return?)`,
      { context: { key } },
    );
  }

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(InvalidFunctionResultError);

/**
 * A synchronous user function (map, filter, flatMap, process) returned a Promise: it is `async`. The
 * engine calls these functions synchronously, so the Promise would travel on as a record (printed as
 * `{}`), pass every filter, or collect its output after the record was done with. Asynchronous calls
 * belong in AsyncDataStream (Flink's Async I/O).
 */
export class AsyncFunctionResultError extends TidemarkError {
  override name = 'AsyncFunctionResultError';
  constructor(
    readonly functionName: string,
    advice = 'For asynchronous calls use AsyncDataStream.orderedWait / unorderedWait(stream, async (x) => ..., timeout).',
  ) {
    super(`${functionName} returns a Promise (is it async?): it is called synchronously, once per record. ${advice}`);
  }

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(AsyncFunctionResultError);

const AsyncFunction = (async () => {}).constructor;

/** Whether a user function is declared `async` (known when the operator is built: no cost per record). */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn instanceof AsyncFunction;
}

/** Whether a function's result is a Promise (or any thenable): checked only where a result is not expected to be one. */
export function isThenable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The key selector of a keyBy threw (or returned something that is not a key). */
export class KeyExtractionError extends TidemarkError {
  override name = 'KeyExtractionError';

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(KeyExtractionError);

/** The key selector threw `e` on `value`; the error's stack is where it threw (the CLI shows a root cause's user frames). */
export function keyExtractionError(value: unknown, e: unknown): KeyExtractionError {
  const isError = isInstance(e, Error);
  const err = new KeyExtractionError(`Could not extract key from ${describeValue(value, true, 2)}: ${isError ? (e as Error).message : describeValue(e)}`, {
    cause: e,
    context: { input: value },
  });
  const frames = isError && typeof (e as Error).stack === 'string' ? (e as Error).stack!.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  if (frames.length > 0) err.stack = `${err.name}: ${err.message}\n${frames.join('\n')}`;
  return err;
}

/** An error for a message: `Name: message` for an Error, the value itself readably otherwise. */
export function describe(e: unknown): string {
  if (isInstance(e, Error)) return `${(e as Error).name}: ${(e as Error).message}`;
  return describeValue(e);
}

/** Longest text of a value in a message: a thrown or returned value can be huge (a whole response, a table). */
const MAX_VALUE_TEXT = 2000;

/**
 * Any thrown or returned value as text, never throwing itself: a string as is (or quoted), anything
 * else through util.inspect (so `Object.create(null)`, objects with a throwing toString and Proxies
 * work). Cut to MAX_VALUE_TEXT characters, saying how much was left out.
 */
export function describeValue(v: unknown, quoteStrings = false, depth = 3): string {
  let text: string;
  if (typeof v === 'string') text = quoteStrings ? JSON.stringify(v) : v;
  else {
    try {
      text = inspect(v, { depth, breakLength: Infinity, maxArrayLength: 20, maxStringLength: MAX_VALUE_TEXT });
    } catch {
      text = `[${typeof v}]`; // a value inspect cannot read (it reads Proxies by their target, so this is rare)
    }
  }
  return text.length <= MAX_VALUE_TEXT ? text : `${text.slice(0, MAX_VALUE_TEXT)}... (${text.length - MAX_VALUE_TEXT} more characters)`;
}

/**
 * `v instanceof C` that never throws: a thrown Proxy's getPrototypeOf trap may throw (or the Proxy
 * was revoked), and the operator that threw it must still be the one blamed.
 */
export function isInstance(v: unknown, C: abstract new (...args: never[]) => unknown): boolean {
  try {
    return v instanceof C;
  } catch {
    return false;
  }
}

/**
 * Attributes an error thrown by an operator, unless an inner operator already did. `context` adds
 * what the caller knows: the record being processed (`input`), its key, the job.
 */
export function attribute(
  e: unknown,
  operatorName: string,
  subtaskIndex: number,
  parallelism: number,
  context?: Omit<TidemarkErrorContext, 'operator' | 'subtask' | 'parallelism'>,
): UserCodeError {
  return isInstance(e, UserCodeError) ? (e as UserCodeError) : new UserCodeError(operatorName, subtaskIndex, parallelism, e, context);
}

/**
 * The job was canceled before it finished (Flink's JobCancellationException): `execute()` and
 * `getJobExecutionResult()` reject with it, as a canceled job did not deliver all its input.
 * `waiting` says what tasks were waiting on when the cancel came (a promise that never settles
 * shows up here); `notStopped` lists tasks that did not close within the grace period.
 */
export class JobCancellationException extends TidemarkError {
  override name = 'JobCancellationException';
  constructor(
    readonly jobId: string,
    readonly jobName: string,
    readonly waiting: readonly string[] = [],
    readonly notStopped: readonly string[] = [],
  ) {
    super(`Job '${jobName}'${jobId === '' ? '' : ` (${jobId})`} was canceled.${notStopped.length > 0 ? ` Did not stop: ${notStopped.join('; ')}` : ''}`, {
      context: jobName === '' ? {} : { job: jobName },
    });
  }
}
registerErrorClass(JobCancellationException);

/**
 * An API called with an argument it cannot take (Flink's IllegalArgumentException), e.g. union() of
 * streams from two environments. A mistake in the job's code: the stack shows where.
 */
export class IllegalArgumentException extends TidemarkError {
  override name = 'IllegalArgumentException';

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(IllegalArgumentException);

/**
 * An API called when it does not apply (Flink's IllegalStateException), e.g. the runtime context
 * before open(). A mistake in the job's code: the stack shows where.
 */
export class IllegalStateException extends TidemarkError {
  override name = 'IllegalStateException';

  override get pointsAtCode(): boolean {
    return true;
  }
}
registerErrorClass(IllegalStateException);

// TEMPORARY (runtime branch): the storage engineer's CheckpointException replaces this at merge.
export class CheckpointException extends TidemarkError {
  override readonly name: string = 'CheckpointException';
  constructor(message: string, readonly reason: string = 'CHECKPOINT_DECLINED', options: TidemarkErrorOptions = {}) {
    super(message, { retriable: true, ...options });
  }
}
registerErrorClass(CheckpointException);
