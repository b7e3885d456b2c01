/**
 * The local JobMaster: checks slots, deploys a job graph and watches it to the end.
 *
 * - inline: every subtask in this thread, on one TaskExecutor (deterministic; tests, small jobs).
 * - threads: one worker_thread per slot. A slot hosts subtask i of every vertex (Flink's slot
 *   sharing). Each worker re-evaluates the job module, rebuilds the same graph (checked by its
 *   fingerprint) and runs its subtasks; batches cross threads on MessagePorts with credits.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Accumulator } from '../core/accumulators/accumulator.ts';
import { accumulatorFromValue } from '../core/accumulators/accumulator-helper.ts';
import { LocalChannel } from './channels.ts';
import { channelPairs, deployTasks } from './deploy.ts';
import { TaskExecutor } from './executor.ts';
import { requiredSlots, type JobGraph } from './graph/job-graph.ts';
import { JobCancellationException, JobExecutionException, NoResourceAvailableException } from '../core/errors.ts';
import type { RuntimeExecutionMode } from './operator.ts';
import type { TaskServices } from './tasks/stream-task.ts';
import { deserializeError, type WorkerInit, type WorkerMessage } from './worker-protocol.ts';
import type { CheckpointingOptions, RestartStrategyConfiguration, SavepointRestoreSettings } from './checkpoint/checkpoint-types.ts';

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
  /** Stops the job; resolves once it stopped. `result` then rejects with a JobCancellationException. */
  cancel(): Promise<void>;
  /** Fails the running job with an error raised outside its operators (an uncaught error in user code). */
  fail(error: unknown): void;
  /** Takes a savepoint into a new `savepoint-…` folder under `directory`; resolves with that folder's path. */
  triggerSavepoint(directory: string): Promise<string>;
  /** Takes a savepoint, then stops the job (its result rejects with a JobCancellationException, as Flink's stop does not finish it); resolves with the path. */
  stopWithSavepoint(directory: string): Promise<string>;
  readonly result: Promise<JobRunResult>;
}

function mergeInto(target: Map<string, Accumulator<unknown, unknown>>, name: string, acc: Accumulator<unknown, unknown>): void {
  const existing = target.get(name);
  if (existing === undefined) target.set(name, acc);
  else if (existing !== acc) existing.merge(acc);
}

export function submitJob(graph: JobGraph, options: JobRunOptions): JobHandle {
  const needed = requiredSlots(graph);
  if (needed > options.numberOfTaskSlots) throw new NoResourceAvailableException(needed, options.numberOfTaskSlots);
  const jobId = randomUUID().replace(/-/g, '');
  // Once per job, in the client, before any writer exists (Flink's OutputFormat.initializeGlobal).
  for (const v of graph.vertices) {
    for (const n of v.nodes) {
      try {
        n.sink?.initializeGlobal?.(n.parallelism);
      } catch (e) {
        throw new JobExecutionException(jobId, graph.jobName, e);
      }
    }
  }
  return options.target === 'threads' ? runThreads(jobId, graph, options, needed) : runInline(jobId, graph, options);
}

/**
 * Once per job, in the client, after every task finished successfully (Flink's
 * FinalizeOnMaster.finalizeGlobal): sinks publish what their writers prepared. Throws the first error.
 */
function finalizeSinks(graph: JobGraph): void {
  for (const v of graph.vertices) for (const n of v.nodes) n.sink?.finalizeGlobal?.(n.parallelism);
}

function runInline(jobId: string, graph: JobGraph, options: JobRunOptions): JobHandle {
  const executor = new TaskExecutor();
  const accumulators = new Map<string, Accumulator<unknown, unknown>>();
  const services: TaskServices = {
    jobName: graph.jobName,
    attemptNumber: 0,
    runtimeMode: options.runtimeMode,
    wakeup: executor.wakeup,
    collect: (id, values) => options.onCollect?.(id, values),
    reportAccumulators: (accs) => accs.forEach((acc, name) => mergeInto(accumulators, name, acc)),
  };
  const local = new Map<string, LocalChannel>();
  const channel = (edgeId: number, p: number, c: number): LocalChannel => {
    const key = `${edgeId}:${p}:${c}`;
    let ch = local.get(key);
    if (!ch) local.set(key, (ch = new LocalChannel(executor.wakeup)));
    return ch;
  };
  let tasks: ReturnType<typeof deployTasks>;
  try {
    tasks = deployTasks(graph, () => true, {
      output: (e, p, c) => channel(e.id, p, c),
      input: (e, p, c) => channel(e.id, p, c),
    }, services);
  } catch (e) {
    // An operator that refused its function when built (an async map): a failed job, as in threads.
    throw new JobExecutionException(jobId, graph.jobName, e);
  }
  executor.setTasks(tasks);
  let status: JobStatus = 'RUNNING';
  const start = performance.now();
  const result = executor.run().then(
    (outcome) => {
      if (outcome === 'canceled') {
        status = 'CANCELED';
        const { waiting, notStopped } = executor.cancelReport;
        throw new JobCancellationException(jobId, graph.jobName, waiting, notStopped);
      }
      try {
        finalizeSinks(graph);
      } catch (e) {
        status = 'FAILED';
        throw new JobExecutionException(jobId, graph.jobName, e);
      }
      status = 'FINISHED';
      return { jobId, jobName: graph.jobName, netRuntime: Math.round(performance.now() - start), accumulators };
    },
    (e: unknown) => {
      status = 'FAILED';
      throw new JobExecutionException(jobId, graph.jobName, e);
    },
  );
  return {
    jobId,
    jobName: graph.jobName,
    status: () => status,
    cancel: async () => {
      if (status !== 'RUNNING') return;
      executor.cancel();
      await result.catch(() => undefined);
    },
    fail: (e) => executor.fail(e),
    triggerSavepoint: () => Promise.reject(new Error('savepoints: not wired yet')),
    stopWithSavepoint: () => Promise.reject(new Error('savepoints: not wired yet')),
    result,
  };
}

const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));
const CANCEL_GRACE_MS = 3000;

function runThreads(jobId: string, graph: JobGraph, options: JobRunOptions, slots: number): JobHandle {
  if (!options.jobModule) {
    throw new Error(
      "execution.target 'threads' needs the job's module, which every worker re-evaluates: run the job with `tidemark run -t threads job.ts` (or set pipeline.job-module).",
    );
  }
  // One port pair per channel that crosses slots; producer and consumer subtask i share slot i.
  const portsBySlot: Array<Record<string, MessagePort>> = Array.from({ length: slots }, () => ({}));
  for (const edge of graph.edges) {
    for (const [p, c] of channelPairs(edge)) {
      if (p === c) continue;
      const { port1, port2 } = new MessageChannel();
      const key = `${edge.id}:${p}:${c}`;
      portsBySlot[p]![key] = port1;
      portsBySlot[c]![key] = port2;
    }
  }
  const accumulators = new Map<string, Accumulator<unknown, unknown>>();
  let status: JobStatus = 'RUNNING';
  let canceled = false;
  const start = performance.now();
  const workers: Worker[] = [];
  /** What the workers' tasks waited on when canceled, and what did not stop. */
  const waiting: string[] = [];
  const notStopped: string[] = [];
  let finished = 0;
  let ready = 0;
  const readySlots = new Set<number>();
  const timeout = options.registrationTimeout ?? 60_000;
  const readyTimer = setTimeout(() => {
    const missing = Array.from({ length: slots }, (_, s) => s).filter((s) => !readySlots.has(s));
    fail(
      new Error(
        `The worker threads of slot(s) ${missing.join(', ')} did not deploy their subtasks within ${timeout} ms (taskmanager.registration.timeout): their evaluation of ${options.jobModule} did not reach execute().`,
      ),
    );
  }, timeout);
  let settle!: { resolve: (r: JobRunResult) => void; reject: (e: unknown) => void };
  const result = new Promise<JobRunResult>((resolve, reject) => (settle = { resolve, reject }));

  const stopAll = async (): Promise<void> => {
    for (const w of workers) w.postMessage({ type: 'cancel' });
    const timer = setTimeout(() => {
      workers.forEach((w, slot) => {
        if (w.threadId < 0) return; // stopped
        notStopped.push(`the worker thread of slot ${slot} did not stop within ${CANCEL_GRACE_MS / 1000} s (user code may be busy); terminated it`);
        void w.terminate();
      });
    }, CANCEL_GRACE_MS);
    await Promise.all(workers.map((w) => new Promise<void>((r) => (w.threadId < 0 ? r() : w.once('exit', () => r())))));
    clearTimeout(timer);
  };
  const fail = (e: unknown): void => {
    if (status !== 'RUNNING') return;
    clearTimeout(readyTimer);
    status = 'FAILED';
    void stopAll().then(() => settle.reject(new JobExecutionException(jobId, graph.jobName, e)));
  };
  const done = (): void => {
    clearTimeout(readyTimer);
    if (status !== 'RUNNING') return; // canceled or failed while the workers stopped: publish nothing
    try {
      finalizeSinks(graph);
    } catch (e) {
      status = 'FAILED';
      settle.reject(new JobExecutionException(jobId, graph.jobName, e));
      return;
    }
    status = 'FINISHED';
    settle.resolve({ jobId, jobName: graph.jobName, netRuntime: Math.round(performance.now() - start), accumulators });
  };

  for (let slot = 0; slot < slots; slot++) {
    const ports = portsBySlot[slot]!;
    const init: WorkerInit = {
      slot,
      jobId,
      jobModule: options.jobModule,
      jobArgs: [...(options.jobArgs ?? [])],
      jobIndex: options.jobIndex ?? 0,
      configuration: options.configuration ?? {},
      fingerprint: graph.fingerprint,
      collected: options.collected ?? [],
      ports,
    };
    const worker = new Worker(WORKER_ENTRY, { workerData: init, transferList: Object.values(ports) });
    workers.push(worker);
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'collect':
          options.onCollect?.(m.sinkId, m.values);
          break;
        case 'accumulators':
          for (const a of m.accumulators) mergeInto(accumulators, a.name, accumulatorFromValue(a.kind, a.value));
          break;
        case 'ready':
          readySlots.add(slot);
          if (++ready === slots) {
            clearTimeout(readyTimer);
            for (const w of workers) w.postMessage({ type: 'start' });
          }
          break;
        case 'finished':
          if (++finished === slots && status === 'RUNNING') void stopAll().then(done);
          break;
        case 'canceled':
          waiting.push(...m.waiting);
          notStopped.push(...m.notStopped);
          break;
        case 'failed':
          fail(deserializeError(m.error));
          break;
      }
    });
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => {
      if (status === 'RUNNING' && finished < slots && !canceled) fail(new Error(`Worker for slot ${slot} exited with code ${code}`));
    });
  }
  return {
    jobId,
    jobName: graph.jobName,
    status: () => status,
    cancel: async () => {
      if (status !== 'RUNNING') return;
      canceled = true;
      status = 'CANCELED';
      clearTimeout(readyTimer);
      await stopAll();
      settle.reject(new JobCancellationException(jobId, graph.jobName, waiting, notStopped));
    },
    fail,
    triggerSavepoint: () => Promise.reject(new Error('savepoints: not wired yet')),
    stopWithSavepoint: () => Promise.reject(new Error('savepoints: not wired yet')),
    result,
  };
}
