/**
 * Where the chain attributes an error of an operator it called (Flink's
 * ExceptionInChainedOperatorException): the operator's name and subtask, and the input record.
 */
import type { TaskInfo } from '../../core/functions/runtime-context.ts';
import { attribute, describeValue, isInstance, UserCodeError } from '../../core/errors.ts';

/** A UserCodeError the chain attributed while an operator processed a record: that record, described. */
export type ChainedOperatorError = UserCodeError & { input?: string };

/**
 * `e` attributed to `node`'s operator, unless an inner operator already claimed it (so the innermost
 * operator is named). When the chain was handing it a record, `input` describes that record (short:
 * depth 2, cut at 2000 characters); computed only here, on the error path.
 */
export function chainedOperatorError(e: unknown, operatorName: string, info: TaskInfo, value: unknown, hasInput: boolean): UserCodeError {
  if (isInstance(e, UserCodeError)) return e as UserCodeError;
  // Not in the message: messages stay as they were (tests and users match them). In the error's
  // context (where TidemarkErrorContext keeps it, and the JobExecutionException's context copies it)
  // and, for now, as a property too.
  const input = hasInput ? describeValue(value, true, 2) : undefined;
  const err: ChainedOperatorError = attribute(e, operatorName, info.indexOfThisSubtask, info.numberOfParallelSubtasks, hasInput ? { input } : undefined);
  if (hasInput) err.input = input;
  return err;
}
