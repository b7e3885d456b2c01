/**
 * How a built job graph is run (Flink's PipelineExecutor and PipelineExecutorServiceLoader). The
 * environment builds the graph and hands it over with plain parameters; which executor runs it, and
 * how (this thread, worker threads, or the slot worker a module is evaluated again in), is the
 * runtime's business.
 */
import type { JobGraph } from '../graph/job-graph.ts';
import type { RuntimeExecutionMode } from '../operator.ts';
import type { ExecutionTarget, JobHandle } from '../scheduler.ts';
import { getContextExecutor } from '../context.ts';
import { LocalExecutor } from './local-executor.ts';
import type { CheckpointingOptions, RestartStrategyConfiguration, SavepointRestoreSettings } from '../checkpoint/checkpoint-types.ts';

export type { JobStatus } from '../scheduler.ts';

/** What the environment resolved from its configuration for one job (Flink passes the Configuration). */
export interface ExecutionParameters {
  readonly runtimeMode: RuntimeExecutionMode;
  /** taskmanager.numberOfTaskSlots when set; unset, the embedded runtime is sized to the job. */
  readonly numberOfTaskSlots?: number;
  /** pipeline.job-module when set: the module the threads target's workers evaluate. */
  readonly jobModule?: string;
  /** taskmanager.registration.timeout (ms). */
  readonly registrationTimeout: number;
  /** The environment's flat configuration, which the workers' environments start from. */
  readonly configuration: Record<string, unknown>;
  /** Set when checkpointing is enabled (env.enableCheckpointing, execution.checkpointing.interval). */
  readonly checkpointing?: CheckpointingOptions;
  /** restart-strategy.* / env.setRestartStrategy; with checkpointing on, fixed delay by default (as Flink). */
  readonly restartStrategy: RestartStrategyConfiguration;
  /** `tidemark run -s <path> [-n]` / execution.savepoint.path: the state the job starts from. */
  readonly savepointRestore?: SavepointRestoreSettings;
  /** Where the job's collect sinks deliver, in the client (executeAndCollect, toObservable). */
  readonly onCollect: (sinkId: string, values: unknown[]) => void;
}

/** A submitted job as its client holds it. */
export interface ClientJobHandle extends JobHandle {
  /** The client asked for the result: a failure is now the client's to handle (the CLI does not report it again). */
  resultRequested(): void;
}

export interface PipelineExecutor {
  /**
   * Submits the job. Rejects when it cannot start (too few slots, a sink's initializeGlobal failed).
   * In a slot worker the promise of the job the worker runs never settles: the module's code after
   * that execute() must not run there.
   */
  execute(graph: JobGraph, parameters: ExecutionParameters): Promise<ClientJobHandle>;
}

/**
 * The executor for `execution.target`, unless the module is evaluated under a context that takes
 * every execute() itself (a slot worker of the threads target).
 */
export function getPipelineExecutor(target: ExecutionTarget): PipelineExecutor {
  return getContextExecutor() ?? new LocalExecutor(target);
}
