/**
 * How a job module learns where it runs. The CLI (or a worker thread) sets the context before it
 * evaluates the module; `StreamExecutionEnvironment.getExecutionEnvironment()` reads it, as Flink's
 * ContextEnvironment does. Global symbols, so that two copies of the library still agree.
 */
import type { JobHandle } from './scheduler.ts';
import type { PipelineExecutor } from './execution/pipeline-executor.ts';

const CONTEXT_KEY = Symbol.for('tidemark.context');
const CONTEXT_EXECUTOR_KEY = Symbol.for('tidemark.context-executor');

export interface ExecutionContext {
  /** Flat configuration (`parallelism.default`, `taskmanager.numberOfTaskSlots`, ...). */
  configuration: Record<string, unknown>;
  jobModule?: string;
  jobArgs?: string[];
  /** Jobs started under this context (the CLI cancels them on Ctrl-C). */
  jobs?: JobHandle[];
  /**
   * Jobs whose result the module asked for (getJobExecutionResult(), which execute() calls): their
   * failure is the module's to handle. The CLI reports the failure of any other job.
   */
  observedJobs?: WeakSet<JobHandle>;
  /** Set by the CLI on Ctrl-C: no new job starts. */
  canceling?: boolean;
  /** How many `execute()` calls happened so far (a worker must run the same one). */
  executeCount?: number;
  /**
   * What each earlier job sent to its collect sinks, by job index and sink id. A worker re-evaluating
   * the module skips earlier jobs and replays these, so a job built from an earlier
   * `executeAndCollect()` result sees the same data as in the client.
   */
  collected?: Array<CollectedResults>;
  /**
   * The configuration given in code was already reported on (a slot worker evaluates the module
   * again after the client did): its warnings are not printed once more per worker.
   */
  configurationReported?: boolean;
}

export type CollectedResults = Record<string, unknown[][]>;

export function getExecutionContext(): ExecutionContext | undefined {
  return (globalThis as Record<symbol, unknown>)[CONTEXT_KEY] as ExecutionContext | undefined;
}

export function setExecutionContext(context: ExecutionContext | undefined): void {
  (globalThis as Record<symbol, unknown>)[CONTEXT_KEY] = context;
}

/**
 * The executor that takes every `execute()` of a module evaluated under this context, whatever the
 * job's target (Flink's ContextEnvironment installs its executor the same way): a slot worker's.
 */
export function getContextExecutor(): PipelineExecutor | undefined {
  return (globalThis as Record<symbol, unknown>)[CONTEXT_EXECUTOR_KEY] as PipelineExecutor | undefined;
}

export function setContextExecutor(executor: PipelineExecutor | undefined): void {
  (globalThis as Record<symbol, unknown>)[CONTEXT_EXECUTOR_KEY] = executor;
}
