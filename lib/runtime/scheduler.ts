/**
 * The local JobMaster: checks slots, deploys a job graph, watches it to the end, and restarts it
 * from its newest completed checkpoint when it fails (under its restart strategy).
 *
 * - inline: every subtask in this thread, on one TaskExecutor (deterministic; tests, small jobs).
 * - threads: one worker_thread per slot. A slot hosts subtask i of every vertex (Flink's slot
 *   sharing). Each worker re-evaluates the job module, rebuilds the same graph (checked by its
 *   fingerprint) and runs its subtasks; batches cross threads on MessagePorts with credits.
 *
 * Each run of the job is an attempt (execution/inline-execution.ts, execution/threads-execution.ts);
 * the CheckpointCoordinator lives across attempts.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Accumulator } from '../core/accumulators/accumulator.ts';
import { requiredSlots, type JobGraph, type StreamNode } from './graph/job-graph.ts';
import { JobCancellationException, JobExecutionException, NoResourceAvailableException, TidemarkError, describeValue } from '../core/errors.ts';
import type { RuntimeExecutionMode } from './operator.ts';
import type { CheckpointingOptions, CompletedCheckpoint, PendingCommittables, RestartStrategyConfiguration, SavepointRestoreSettings } from './checkpoint/checkpoint-types.ts';
import { CheckpointCoordinator, type CompletedCheckpointStats, type CoordinatorOperator, type CoordinatorTask } from './checkpoint/checkpoint-coordinator.ts';
import { loadCompletedCheckpoint } from './checkpoint/checkpoint-storage.ts';
import { createRestartBackoffTimeStrategy } from './failover/restart-backoff-time-strategy.ts';
import { channelPairs } from './deploy.ts';
import type { RestoredOperatorState } from '../state/stream-task-state-initializer.ts';
import { maxParallelismChanged } from '../state/heap-keyed-state-backend.ts';
import { InlineExecution } from './execution/inline-execution.ts';
import { ThreadsExecution } from './execution/threads-execution.ts';
import { JobWorkerBundle } from './execution/worker-bundle.ts';
import type { JobExecution } from './execution/job-execution.ts';
import { isTwoPhaseCommittingSink, type Committer, type SinkJobInfo } from '../core/connector/sink.ts';
import { CollectSinkCommitter } from './checkpoint/collect-sink-committer.ts';
import { TASK_CANCEL_GRACE_MS } from './executor.ts';

export type ExecutionTarget = 'inline' | 'threads';

export interface JobRunOptions {
  readonly target: ExecutionTarget;
  readonly numberOfTaskSlots: number;
  readonly runtimeMode: RuntimeExecutionMode;
  /** threads: the module every worker evaluates to rebuild the job, its arguments and config. */
  readonly jobModule?: string;
  readonly jobArgs?: readonly string[];
  readonly configuration?: Record<string, unknown>;
  /** threads: which `execute()` call of the module this is (0 for the first). */
  readonly jobIndex?: number;
  /** threads: collect-sink results of the module's earlier jobs (see ExecutionContext.collected). */
  readonly collected?: Array<Record<string, unknown[][]>>;
  readonly onCollect?: (sinkId: string, values: unknown[]) => void;
  /** threads: ms to wait for every worker to be deployed before failing the job. */
  readonly registrationTimeout?: number;
  readonly checkpointing?: CheckpointingOptions;
  /** Unset: no restarts (or fixed delay when checkpointing is on, as in Flink). */
  readonly restartStrategy?: RestartStrategyConfiguration;
  readonly savepointRestore?: SavepointRestoreSettings;
}

export interface JobRunResult {
  readonly jobId: string;
  readonly jobName: string;
  readonly netRuntime: number;
  readonly accumulators: Map<string, Accumulator<unknown, unknown>>;
}

export type JobStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED';

/** A running job (Flink's JobClient). */
export interface JobHandle {
  readonly jobId: string;
  readonly jobName: string;
  status(): JobStatus;
  /**
   * Stops the job; resolves once it stopped. `result` then rejects with a JobCancellationException. A commit
   * running then is waited for a grace (TASK_CANCEL_GRACE_MS), then named in the exception's notStopped.
   */
  cancel(): Promise<void>;
  /**
   * Fails the running job with an error raised outside its operators (an uncaught error in user code). False
   * when nothing takes it: the job is ending (its last attempt's tasks are done; the final checkpoint commits,
   * or the end is being reported) — the caller reports the error itself. While the job restarts (from the failed
   * attempt's end to the next attempt: settling commits, the backoff, the restore) the next attempt fails with it.
   */
  fail(error: unknown): boolean;
  /** Takes a savepoint into a new `savepoint-…` folder under `directory`; resolves with that folder's path. */
  triggerSavepoint(directory: string): Promise<string>;
  /**
   * Takes a savepoint whose barrier also ends the sources' input (nothing follows it), then stops the
   * job; resolves with the savepoint's path. The job's result resolves (Flink: FINISHED); sinks that
   * publish only at the successful end of all input (finalizeGlobal) do not publish.
   */
  stopWithSavepoint(directory: string): Promise<string>;
  readonly result: Promise<JobRunResult>;
  /** The newest completed checkpoints' durations and sizes (for benchmarks and, later, the REST API). */
  checkpointStats?(): readonly CompletedCheckpointStats[];
}


export function submitJob(graph: JobGraph, options: JobRunOptions): JobHandle {
  const needed = requiredSlots(graph);
  if (needed > options.numberOfTaskSlots) throw new NoResourceAvailableException(needed, options.numberOfTaskSlots);
  const jobId = randomUUID().replace(/-/g, '');
  // Once per job, in the client, before any writer exists (Flink's OutputFormat.initializeGlobal).
  const job: SinkJobInfo = {
    checkpointInterval: options.checkpointing?.interval,
    bounded: graph.vertices.every((v) => v.nodes[0]!.source === undefined || v.nodes[0]!.source.boundedness === 'BOUNDED'),
    restoring: options.savepointRestore !== undefined,
  };
  for (const v of graph.vertices) {
    for (const n of v.nodes) {
      try {
        n.sink?.initializeGlobal?.(n.parallelism, job);
      } catch (e) {
        throw new JobExecutionException(jobId, graph.jobName, e);
      }
    }
  }
  return new JobMaster(jobId, graph, options, needed).handle();
}

/**
 * Once per job, in the client, after every task finished successfully (Flink's
 * FinalizeOnMaster.finalizeGlobal): sinks publish what their writers prepared. Throws the first error.
 */
/**
 * Whether `cause` (or an error in its cause chain) says no restart can help (Flink's SuppressRestartsException),
 * e.g. a committable whose transaction the broker aborted: every restore of that checkpoint would fail the same way,
 * so restarting would loop forever instead of failing the job.
 */
function suppressesRestarts(cause: unknown): boolean {
  for (let e = cause, depth = 0; e !== null && typeof e === 'object' && depth < 16; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { suppressRestarts?: unknown }).suppressRestarts === true) return true;
  }
  return false;
}

function finalizeSinks(graph: JobGraph): void {
  for (const v of graph.vertices) for (const n of v.nodes) n.sink?.finalizeGlobal?.(n.parallelism);
}

/** The subtasks of the job as the coordinator tracks them, with the producer subtasks feeding each. */
function coordinatorTasks(graph: JobGraph): CoordinatorTask[] {
  const upstream = new Map<string, string[]>();
  for (const edge of graph.edges) {
    for (const [p, c] of channelPairs(edge)) {
      const k = `${edge.target.id}:${c}`;
      (upstream.get(k) ?? upstream.set(k, []).get(k)!).push(`${edge.source.id}:${p}`);
    }
  }
  const tasks: CoordinatorTask[] = [];
  for (const v of graph.vertices) {
    for (let i = 0; i < v.parallelism; i++) {
      tasks.push({ vertexId: v.id, subtaskIndex: i, name: `${v.name} (${i + 1}/${v.parallelism})`, upstream: upstream.get(`${v.id}:${i}`) ?? [] });
    }
  }
  return tasks;
}

function coordinatorOperators(graph: JobGraph): CoordinatorOperator[] {
  return graph.vertices.flatMap((v) => v.nodes.map((n) => ({ operatorId: n.operatorId, operatorName: n.name, parallelism: n.parallelism, maxParallelism: n.maxParallelism })));
}

/** The state each operator of the new job restores from a completed checkpoint; checks what does not fit. */
function restoredStateLookup(graph: JobGraph, checkpoint: CompletedCheckpoint, allowNonRestoredState: boolean): (operatorId: string) => RestoredOperatorState | undefined {
  const nodes = new Map<string, StreamNode>();
  for (const v of graph.vertices) for (const n of v.nodes) nodes.set(n.operatorId, n);
  const byId = new Map<string, RestoredOperatorState>();
  const unmatched: string[] = [];
  for (const entry of checkpoint.operators) {
    if (!nodes.has(entry.operatorId)) {
      const hasState = entry.subtasks.some((s) => (s.keyed !== undefined && Object.keys(s.keyed).length > 0) || (s.timers !== undefined && Object.keys(s.timers).length > 0) || Object.keys(s.operator ?? {}).length > 0);
      if (hasState) unmatched.push(`'${entry.operatorName}' (uid/id ${entry.operatorId})`);
      continue;
    }
    // Checked here, before anything runs: in a task it would fail every restart the same way.
    const node = nodes.get(entry.operatorId)!;
    const written = entry.subtasks.find((s) => s.keyed !== undefined)?.keyed!.maxParallelism;
    if (written !== undefined && written !== node.maxParallelism) {
      throw new TidemarkError(`Failed to restore from ${checkpoint.path}: operator '${node.name}' (uid/id ${entry.operatorId}): ${maxParallelismChanged(written, node.maxParallelism)}`);
    }
    byId.set(entry.operatorId, { checkpointId: checkpoint.checkpointId, snapshots: entry.subtasks });
  }
  if (unmatched.length > 0 && !allowNonRestoredState) {
    throw new TidemarkError(
      `Failed to restore from ${checkpoint.path}: it holds state of ${unmatched.join(', ')}, which the job does not have. ` +
        `Give the operators the same uid() as in the job that wrote it, or allow skipping that state with --allowNonRestoredState (-n).`,
    );
  }
  return (operatorId) => byId.get(operatorId);
}

class JobMaster {
  /** How the job ended (once run() decided); status() reports it only once the result settles (nothing runs then). */
  private status: JobStatus = 'RUNNING';
  private reportedStatus: JobStatus = 'RUNNING';
  private readonly coordinator: CheckpointCoordinator;
  private current: JobExecution | null = null;
  private cancelRequested = false;
  private stopRequested = false;
  private wakeBackoff: (() => void) | null = null;
  /** An error handed to fail() while the job restarts: the next attempt fails with it. */
  private failureForNextAttempt: { readonly error: unknown } | undefined;
  /** From the restart's decision until the next attempt runs (settle, backoff, restore): no attempt takes an error. */
  private restarting = false;
  /** Resolves on cancel(): what a restart waits for (settling commits, the backoff) gives way to it. */
  private readonly cancelSignal: Promise<void>;
  private signalCancel!: () => void;
  /** The checkpoint whose committables are being committed (named when a cancel gives up waiting for it). */
  private runningCommit: number | undefined;
  /** A cancel gave up waiting for a commit that did not end: the job's end no longer waits for it. */
  private commitAbandoned = false;
  private readonly committers = new Map<string, Committer<unknown>>();
  private readonly result: Promise<JobRunResult>;
  private readonly start = performance.now();
  /** Accumulators of the attempt that ran last (a restarted attempt starts from nothing, as its tasks do). */
  private accumulators = new Map<string, Accumulator<unknown, unknown>>();
  /** threads: the workers' code, compiled once for all attempts of this job; removed when it ends. */
  private readonly workerBundle: JobWorkerBundle | undefined;

  constructor(
    private readonly jobId: string,
    private readonly graph: JobGraph,
    private readonly options: JobRunOptions,
    private readonly slots: number,
  ) {
    this.coordinator = new CheckpointCoordinator({
      jobId,
      jobName: graph.jobName,
      checkpointing: options.checkpointing,
      operators: coordinatorOperators(graph),
      tasks: coordinatorTasks(graph),
      commit: (c) => this.commit(c),
      failJob: (e) => this.current?.fail(e),
      log: (line) => console.warn(line),
    });
    this.workerBundle = options.target === 'threads' && options.jobModule ? new JobWorkerBundle(options.jobModule, graph.jobName) : undefined;
    this.cancelSignal = new Promise<void>((r) => (this.signalCancel = r));
    this.result = this.run().finally(async () => {
      // The job's end is reported once nothing writes into its checkpoint folder any more, and once the commits
      // that run (of checkpoints that completed before the end) ended: its committers are closed after them.
      // A canceled or failed job waits for a running commit a grace only (see stopped()), as for a task's close.
      if (this.status !== 'FINISHED' && this.status !== 'CANCELED') {
        const late = await this.commitsEndWithin(TASK_CANCEL_GRACE_MS);
        if (late !== undefined) console.warn(`Job '${this.graph.jobName}' (${this.jobId}) failed; ${late}.`);
      }
      await (this.commitAbandoned ? this.coordinator.writesSettled() : this.coordinator.quiesced());
      this.workerBundle?.dispose();
      await this.closeCommitters().catch(() => {});
      this.reportedStatus = this.status === 'RUNNING' ? 'FAILED' : this.status;
    });
    this.result.catch(() => {});
  }

  handle(): JobHandle {
    return {
      jobId: this.jobId,
      jobName: this.graph.jobName,
      status: () => this.reportedStatus,
      cancel: async () => {
        if (this.status !== 'RUNNING') {
          await this.result.catch(() => undefined); // it is ending: resolves once it ended
          return;
        }
        this.cancelRequested = true;
        this.signalCancel();
        this.wakeBackoff?.();
        await this.current?.cancel();
        await this.result.catch(() => undefined);
      },
      fail: (e) => {
        if (this.status !== 'RUNNING') return false;
        // The whole restart, not only its backoff: it also waits for running commits and restores.
        if (this.restarting && !this.cancelRequested && !this.stopRequested) {
          this.failureForNextAttempt ??= { error: e };
          return true;
        }
        return this.current?.fail(e) ?? false;
      },
      triggerSavepoint: (dir) => this.coordinator.triggerSavepoint(dir, false),
      stopWithSavepoint: async (dir) => {
        const savepoint = this.coordinator.triggerSavepoint(dir, true);
        // Nothing may follow a completed stop savepoint: a restart decided while it completed (a task failed
        // after its last acknowledgement) must not start another attempt, whose sources would read on past it.
        void savepoint.then(
          () => {
            this.stopRequested = true;
            this.wakeBackoff?.();
          },
          () => {},
        );
        const path = await savepoint;
        this.stopRequested = true;
        await this.current?.cancel();
        await this.result.catch(() => undefined);
        return path;
      },
      result: this.result,
      checkpointStats: () => this.coordinator.stats,
    };
  }

  /** Commits committables of a completed checkpoint with each sink's committer, in checkpoint order. */
  private async commit(committables: readonly PendingCommittables[]): Promise<void> {
    const byOperator = new Map<string, unknown[]>();
    const sorted = [...committables].sort((a, b) => a.checkpointId - b.checkpointId || a.subtaskIndex - b.subtaskIndex);
    for (const c of sorted) (byOperator.get(c.operatorId) ?? byOperator.set(c.operatorId, []).get(c.operatorId)!).push(...c.committables);
    this.runningCommit = sorted.at(-1)?.checkpointId;
    try {
      for (const [operatorId, list] of byOperator) {
        if (list.length === 0) continue;
        await this.committerFor(operatorId).commit(list);
      }
    } finally {
      this.runningCommit = undefined;
    }
  }

  /** One committer per sink operator for the whole job (all attempts); collect sinks share one that delivers to the client. */
  private committerFor(operatorId: string): Committer<unknown> {
    let committer = this.committers.get(operatorId);
    if (committer !== undefined) return committer;
    const node = this.graph.vertices.flatMap((v) => v.nodes).find((n) => n.operatorId === operatorId);
    if (node === undefined) throw new TidemarkError(`The checkpoint holds committables of operator ${operatorId}, which this job does not have`);
    if (node.sink !== undefined && isTwoPhaseCommittingSink(node.sink)) committer = node.sink.createCommitter() as Committer<unknown>;
    else if (node.sink === undefined) committer = (this.collectCommitter ??= new CollectSinkCommitter((id, values) => this.options.onCollect?.(id, values))) as Committer<unknown>;
    else throw new TidemarkError(`The checkpoint holds committables of sink '${node.name}' (${operatorId}), which has no committer in this job`);
    this.committers.set(operatorId, committer);
    return committer;
  }

  private collectCommitter: CollectSinkCommitter | undefined;

  /** Committers are closed when the job ends, whatever way. */
  private async closeCommitters(): Promise<void> {
    for (const c of this.committers.values()) await c.close?.();
    this.committers.clear();
  }

  private async run(): Promise<JobRunResult> {
    const { graph, jobId, options } = this;
    const strategyConf: RestartStrategyConfiguration =
      options.restartStrategy ?? (options.checkpointing !== undefined ? { type: 'fixed-delay', attempts: Number.MAX_SAFE_INTEGER, delay: 1000 } : { type: 'none' });
    const strategy = createRestartBackoffTimeStrategy(strategyConf);
    let restarts = 0;
    let attemptNumber = 0;
    let restore: CompletedCheckpoint | undefined;
    try {
      if (options.savepointRestore !== undefined) restore = await loadCompletedCheckpoint(options.savepointRestore.path, (line) => console.warn(line));
    } catch (e) {
      this.status = 'FAILED';
      this.coordinator.shutdown(e);
      throw new JobExecutionException(jobId, graph.jobName, e);
    }
    for (;;) {
      let restored: ((operatorId: string) => RestoredOperatorState | undefined) | undefined;
      // What failed this attempt (the restart strategy decides), when something did.
      let failure: { readonly cause: unknown } | undefined;
      try {
        if (restore !== undefined) {
          restored = restoredStateLookup(graph, restore, options.savepointRestore?.allowNonRestoredState ?? false);
          this.coordinator.restoredFrom(restore.checkpointId, restore.path, restore.isSavepoint);
        }
      } catch (e) {
        this.status = 'FAILED';
        this.coordinator.shutdown(e);
        throw new JobExecutionException(jobId, graph.jobName, e);
      }
      if (restore !== undefined) {
        // What the restored checkpoint's sinks prepared is committed (again: commits are idempotent) before anything
        // runs. A committer that fails here fails this attempt over, as Flink's committer operator does on restore.
        try {
          await this.commit(restore.committables);
        } catch (e) {
          failure = { cause: e };
        }
      }
      let execution = this.current;
      if (failure === undefined) {
        try {
          this.accumulators = new Map();
          const context = { jobId, graph, options, slots: this.slots, attemptNumber, restored, gateway: this.coordinator, accumulators: this.accumulators, workerBundle: this.workerBundle };
          execution = options.target === 'threads' ? new ThreadsExecution(context) : new InlineExecution(context);
        } catch (e) {
          this.status = 'FAILED';
          this.coordinator.shutdown(e);
          throw new JobExecutionException(jobId, graph.jobName, e);
        }
        this.current = execution;
        this.restarting = false;
        if (this.cancelRequested) void execution.cancel();
        this.coordinator.startAttempt(execution);
        if (this.failureForNextAttempt !== undefined) execution.fail(this.failureForNextAttempt.error);
        this.failureForNextAttempt = undefined;
        let outcome: 'finished' | 'canceled' = 'finished';
        try {
          outcome = await execution.outcome;
        } catch (e) {
          this.coordinator.stopAttempt(e);
          if (this.cancelRequested || this.stopRequested) return this.stopped(execution);
          failure = { cause: e };
        }
        if (failure === undefined && outcome === 'canceled') {
          this.coordinator.stopAttempt(new Error('canceled'));
          return this.stopped(execution);
        }
        if (failure === undefined) {
          try {
            // A cancel does not wait for the final checkpoint and its commit (as in Flink, where the tasks wait
            // for it and are canceled): stopped() gives a running commit a grace.
            const finishing = this.coordinator.finishJob();
            finishing.catch(() => {});
            await Promise.race([finishing, this.cancelSignal]);
            if (this.cancelRequested) {
              this.coordinator.stopAttempt(new Error('canceled'));
              return this.stopped(execution);
            }
            await finishing;
          } catch (e) {
            // The final checkpoint failed, or its commit: nothing of the last records is committed yet. As in Flink
            // (the tasks wait for the final checkpoint's commit), the job fails over: the restore commits again.
            this.coordinator.stopAttempt(e);
            if (this.cancelRequested || this.stopRequested) return this.stopped(execution);
            failure = { cause: e };
          }
        }
        if (failure === undefined) {
          try {
            this.coordinator.shutdown(new Error('finished'));
            finalizeSinks(graph);
          } catch (e) {
            this.status = 'FAILED';
            this.coordinator.shutdown(e);
            throw new JobExecutionException(jobId, graph.jobName, e);
          }
          this.status = 'FINISHED';
          return { jobId, jobName: graph.jobName, netRuntime: Math.round(performance.now() - this.start), accumulators: this.accumulators };
        }
      }
      const cause = failure.cause;
      strategy.notifyFailure(cause);
      if (!strategy.canRestart() || suppressesRestarts(cause)) {
        this.status = 'FAILED';
        this.coordinator.shutdown(cause);
        throw new JobExecutionException(jobId, graph.jobName, cause, restarts > 0 ? { count: restarts, strategy: strategy.description } : undefined);
      }
      this.restarting = true;
      // A checkpoint whose acknowledgements all came in completes (and commits) before the restart picks one.
      // A cancel does not wait for that here (stopped() gives a running commit a grace).
      await Promise.race([this.coordinator.settle(), this.cancelSignal]);
      if (this.cancelRequested) return this.stopped(execution);
      const backoff = strategy.getBackoffTime();
      const latest = this.coordinator.latestCompleted();
      console.warn(
        `Job '${graph.jobName}' (${jobId}) failed (attempt ${attemptNumber + 1}): ${(cause instanceof Error ? cause.message : describeValue(cause)).replace(/\.$/, '')}. ` +
          `Restarting in ${backoff} ms from ${latest === undefined ? 'the beginning (no completed checkpoint yet)' : `checkpoint ${latest.checkpointId} (${latest.path})`}; restart strategy ${strategy.description}.`,
      );
      await new Promise<void>((resolve) => {
        this.wakeBackoff = resolve;
        void sleep(backoff).then(resolve);
      });
      this.wakeBackoff = null;
      if (this.cancelRequested || this.stopRequested) return this.stopped(execution);
      restarts++;
      attemptNumber++;
      try {
        const now = this.coordinator.latestCompleted();
        restore = now === undefined ? restore : await loadCompletedCheckpoint(now.path, (line) => console.warn(line));
      } catch (e) {
        this.status = 'FAILED';
        this.coordinator.shutdown(e);
        throw new JobExecutionException(jobId, graph.jobName, e);
      }
    }
  }

  /** Canceled (a JobCancellationException), or stopped with a savepoint (a result, as Flink's FINISHED). */
  private async stopped(execution: JobExecution | null): Promise<JobRunResult> {
    this.coordinator.shutdown(new Error('stopped'));
    await this.coordinator.writesSettled(); // before DELETE_ON_CANCELLATION: a checkpoint completing now would outlive it
    if (this.stopRequested && !this.cancelRequested) {
      this.status = 'FINISHED';
      return { jobId: this.jobId, jobName: this.graph.jobName, netRuntime: Math.round(performance.now() - this.start), accumulators: this.accumulators };
    }
    this.status = 'CANCELED';
    // A running commit ends before the job's end is reported (its committer is closed after it), but a cancel
    // waits for it as for a task's close: a grace, then it is named among what did not stop.
    const commitNotEnded = await this.commitsEndWithin(TASK_CANCEL_GRACE_MS);
    // DELETE_ON_CANCELLATION: a canceled job's checkpoints go (a failed job's always stay, to resume from).
    if (this.options.checkpointing?.externalizedCheckpointRetention === 'DELETE_ON_CANCELLATION') this.coordinator.discardAllCheckpoints();
    const { waiting, notStopped } = execution?.cancelReport() ?? { waiting: [], notStopped: [] };
    throw new JobCancellationException(this.jobId, this.graph.jobName, waiting, commitNotEnded === undefined ? notStopped : [...notStopped, commitNotEnded]);
  }

  /** Undefined once the running commits ended within `graceMs`; else what did not end (its committers are closed under it). */
  private async commitsEndWithin(graceMs: number): Promise<string | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ended = await Promise.race([
      this.coordinator.quiesced().then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (ended) return undefined;
    this.commitAbandoned = true;
    const which = this.runningCommit === undefined || this.runningCommit === Number.MAX_SAFE_INTEGER ? 'the final commit' : `the commit of checkpoint ${this.runningCommit}`;
    return `${which} did not end within ${graceMs / 1000} s; the committers were closed under it`;
  }
}
