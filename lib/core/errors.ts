import { inspect } from 'node:util';

/**
 * Errors tidemark raises, named as kafkajs names its errors: each carries the context a user
 * needs (job, operator, subtask) and the original error as `cause`.
 */

/** User code threw inside an operator. */
export class UserCodeError extends Error {
  override name = 'UserCodeError';
  constructor(
    readonly operatorName: string,
    readonly subtaskIndex: number,
    readonly parallelism: number,
    override readonly cause: unknown,
  ) {
    super(`Operator '${operatorName}' (subtask ${subtaskIndex + 1}/${parallelism}) failed: ${describe(cause)}`);
  }
}

/** The job failed; `cause` is the first failure (often a UserCodeError). */
export class JobExecutionException extends Error {
  override name = 'JobExecutionException';
  constructor(
    readonly jobId: string,
    readonly jobName: string,
    override readonly cause: unknown,
  ) {
    super(`Job '${jobName}' (${jobId}) failed: ${isInstance(cause, Error) ? (cause as Error).message : describeValue(cause)}`);
  }
}

/** The job needs more task slots than the local runtime has. */
export class NoResourceAvailableException extends Error {
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

/**
 * A user function returned `undefined` where its result becomes state (reduce, AggregateFunction's
 * createAccumulator/add/merge): `undefined` means "no state", so storing it would silently restart
 * the key's aggregate. Usually a missing `return`.
 */
export class InvalidFunctionResultError extends Error {
  override name = 'InvalidFunctionResultError';
  constructor(
    /** The function that returned it, e.g. `reduce()` or `AggregateFunction.add()`. */
    readonly functionName: string,
    readonly key: unknown,
    readonly result: unknown,
  ) {
    super(
      `${functionName} returned ${describeValue(result)} for key ${describeValue(key, true)}: its result is kept as the key's state and must not be undefined (missing return?)`,
    );
  }
}

/**
 * A synchronous user function (map, filter, flatMap, process) returned a Promise: it is `async`. The
 * engine calls these functions synchronously, so the Promise would travel on as a record (printed as
 * `{}`), pass every filter, or collect its output after the record was done with. Asynchronous calls
 * belong in AsyncDataStream (Flink's Async I/O).
 */
export class AsyncFunctionResultError extends Error {
  override name = 'AsyncFunctionResultError';
  constructor(
    readonly functionName: string,
    advice = 'For asynchronous calls use AsyncDataStream.orderedWait / unorderedWait(stream, async (x) => ..., timeout).',
  ) {
    super(`${functionName} returns a Promise (is it async?): it is called synchronously, once per record. ${advice}`);
  }
}

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
export class KeyExtractionError extends Error {
  override name = 'KeyExtractionError';
}

/** The key selector threw `e` on `value`; the error's stack is where it threw (the CLI shows a root cause's user frames). */
export function keyExtractionError(value: unknown, e: unknown): KeyExtractionError {
  const isError = isInstance(e, Error);
  const err = new KeyExtractionError(`Could not extract key from ${describeValue(value, true, 2)}: ${isError ? (e as Error).message : describeValue(e)}`, { cause: e });
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

/** Attributes an error thrown by an operator, unless an inner operator already did. */
export function attribute(e: unknown, operatorName: string, subtaskIndex: number, parallelism: number): UserCodeError {
  return isInstance(e, UserCodeError) ? (e as UserCodeError) : new UserCodeError(operatorName, subtaskIndex, parallelism, e);
}

/**
 * The job was canceled before it finished (Flink's JobCancellationException): `execute()` and
 * `getJobExecutionResult()` reject with it, as a canceled job did not deliver all its input.
 * `waiting` says what tasks were waiting on when the cancel came (a promise that never settles
 * shows up here); `notStopped` lists tasks that did not close within the grace period.
 */
export class JobCancellationException extends Error {
  override name = 'JobCancellationException';
  constructor(
    readonly jobId: string,
    readonly jobName: string,
    readonly waiting: readonly string[] = [],
    readonly notStopped: readonly string[] = [],
  ) {
    super(`Job '${jobName}'${jobId === '' ? '' : ` (${jobId})`} was canceled.${notStopped.length > 0 ? ` Did not stop: ${notStopped.join('; ')}` : ''}`);
  }
}
