import { inspect } from 'node:util';

/**
 * Errors the runtime raises, named as kafkajs names its errors: each carries the context a user
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
    super(`Job '${jobName}' (${jobId}) failed: ${cause instanceof Error ? cause.message : describeValue(cause)}`);
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

/** The key selector of a keyBy threw (or returned something that is not a key). */
export class KeyExtractionError extends Error {
  override name = 'KeyExtractionError';
}

/** The key selector threw `e` on `value`; the error's stack is where it threw (the CLI shows a root cause's user frames). */
export function keyExtractionError(value: unknown, e: unknown): KeyExtractionError {
  const err = new KeyExtractionError(
    `Could not extract key from ${inspect(value, { breakLength: Infinity, depth: 2 })}: ${e instanceof Error ? e.message : describeValue(e)}`,
    { cause: e },
  );
  const frames = e instanceof Error && typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  if (frames.length > 0) err.stack = `${err.name}: ${err.message}\n${frames.join('\n')}`;
  return err;
}

/** An error for a message: `Name: message` for an Error, the value itself readably otherwise. */
export function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return describeValue(e);
}

/**
 * Any thrown or returned value as text, never throwing itself: a string as is (or quoted), anything
 * else through util.inspect (so `Object.create(null)` and objects with a throwing toString work).
 */
export function describeValue(v: unknown, quoteStrings = false): string {
  if (typeof v === 'string') return quoteStrings ? JSON.stringify(v) : v;
  try {
    return inspect(v, { depth: 3, breakLength: Infinity });
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Attributes an error thrown by an operator, unless an inner operator already did. */
export function attribute(e: unknown, operatorName: string, subtaskIndex: number, parallelism: number): UserCodeError {
  return e instanceof UserCodeError ? e : new UserCodeError(operatorName, subtaskIndex, parallelism, e);
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

/** What the tasks of a canceled job were doing; collected by the executor, reported by the job. */
export interface CancelReport {
  /** e.g. "Sink: out (1/1) is waiting for its writer's flush() to settle" */
  readonly waiting: string[];
  /** e.g. "Sink: out (1/1) did not close within 2 s" */
  readonly notStopped: string[];
}
