/**
 * Runs a job on the embedded runtime of this process (Flink's LocalExecutor on a MiniCluster): all
 * subtasks in this thread (inline), or one worker thread per slot (threads). For the threads target
 * it tells the workers which execute() call of the job module this is and what the module's earlier
 * jobs delivered to their collect sinks, so a worker evaluating the module again skips those jobs
 * and sees the same data (see worker.ts).
 */
import { getExecutionContext, setExecutionContext, type CollectedResults } from '../context.ts';
import { requiredSlots, type JobGraph } from '../graph/job-graph.ts';
import { submitJob, type ExecutionTarget } from '../scheduler.ts';
import type { ClientJobHandle, ExecutionParameters, PipelineExecutor } from './pipeline-executor.ts';

export class LocalExecutor implements PipelineExecutor {
  constructor(private readonly target: ExecutionTarget) {}

  async execute(graph: JobGraph, parameters: ExecutionParameters): Promise<ClientJobHandle> {
    let context = getExecutionContext();
    if (!context) setExecutionContext((context = { configuration: {} })); // counts execute() calls
    const jobIndex = (context.executeCount = (context.executeCount ?? 0) + 1) - 1;
    // Only a job module (CLI or worker) can have later jobs that replay earlier results.
    const record = context.jobModule !== undefined;
    // What this job's collect sinks receive, kept (by reference) for workers of later jobs.
    const collected: CollectedResults = {};
    if (record) (context.collected ??= [])[jobIndex] = collected;
    const onCollect = parameters.onCollect;

    const handle = submitJob(graph, {
      target: this.target,
      // Unset, the embedded runtime is sized to the job, as Flink's MiniCluster: slots = its parallelism.
      numberOfTaskSlots: parameters.numberOfTaskSlots ?? requiredSlots(graph),
      runtimeMode: parameters.runtimeMode,
      jobModule: parameters.jobModule ?? context.jobModule ?? process.argv[1],
      jobArgs: context.jobArgs ?? process.argv.slice(2),
      configuration: parameters.configuration,
      jobIndex,
      registrationTimeout: parameters.registrationTimeout,
      checkpointing: parameters.checkpointing,
      restartStrategy: parameters.restartStrategy,
      savepointRestore: parameters.savepointRestore,
      collected: context.collected?.slice(0, jobIndex),
      onCollect: (id, values) => {
        if (record) (collected[id] ??= []).push(values);
        onCollect(id, values);
      },
    });
    context.jobs?.push(handle);
    const jobContext = context;
    return {
      jobId: handle.jobId,
      jobName: handle.jobName,
      status: () => handle.status(),
      cancel: () => handle.cancel(),
      fail: (e) => handle.fail(e),
      triggerSavepoint: (dir) => handle.triggerSavepoint(dir),
      stopWithSavepoint: (dir) => handle.stopWithSavepoint(dir),
      checkpointStats: () => handle.checkpointStats?.() ?? [],
      result: handle.result,
      // The CLI's record of the jobs whose failure the module handles itself.
      resultRequested: () => void (jobContext.observedJobs ??= new WeakSet()).add(handle),
    };
  }
}
