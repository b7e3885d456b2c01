/**
 * One attempt of running a job graph (Flink's Execution, for the whole job): its tasks deployed in
 * this thread or in worker threads, driven by the JobMaster and its CheckpointCoordinator.
 */
import type { Accumulator } from '../../core/accumulators/accumulator.ts';
import type { CheckpointGateway } from '../checkpoint/checkpoint-responder.ts';
import type { ExecutionAttempt } from '../checkpoint/checkpoint-coordinator.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { JobRunOptions } from '../scheduler.ts';
import type { CancelReport } from '../executor.ts';
import type { RestoredOperatorState } from '../../state/stream-task-state-initializer.ts';
import type { JobWorkerBundle } from './worker-bundle.ts';

export interface JobExecutionContext {
  readonly jobId: string;
  readonly graph: JobGraph;
  readonly options: JobRunOptions;
  readonly slots: number;
  /** 0 for the first run, +1 for each restart (TaskInfo.attemptNumber). */
  readonly attemptNumber: number;
  /** Set when this attempt starts from a checkpoint or savepoint. */
  readonly restored: ((operatorId: string) => RestoredOperatorState | undefined) | undefined;
  /** Where the tasks' checkpoint acknowledgements go. */
  readonly gateway: CheckpointGateway;
  /** This attempt's accumulators, filled as its tasks finish. */
  readonly accumulators: Map<string, Accumulator<unknown, unknown>>;
  /** threads: what the job's workers import (compiled once per job submission; unset: tsx). */
  readonly workerBundle?: JobWorkerBundle;
}

export interface JobExecution extends ExecutionAttempt {
  /** 'finished' when every task finished, 'canceled' after cancel(); rejects with the first failure once every task stopped. */
  readonly outcome: Promise<'finished' | 'canceled'>;
  /** Stops every task; resolves once they stopped. */
  cancel(): Promise<void>;
  /** Fails the attempt with an error from outside its tasks. */
  fail(error: unknown): boolean;
  /** What the tasks waited on when stopped, and what did not stop in time. */
  cancelReport(): CancelReport;
}

export function mergeInto(target: Map<string, Accumulator<unknown, unknown>>, name: string, acc: Accumulator<unknown, unknown>): void {
  const existing = target.get(name);
  if (existing === undefined) target.set(name, acc);
  else if (existing !== acc) existing.merge(acc);
}
