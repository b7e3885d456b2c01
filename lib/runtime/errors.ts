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
    super(`Job '${jobName}' (${jobId}) failed: ${cause instanceof Error ? cause.message : String(cause)}`);
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

export function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
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
