/** A context executor for API tests: runs nothing, records the ExecutionParameters each execute() resolved. */
import type { JobGraph } from '../../lib/runtime/graph/job-graph.ts';
import { setContextExecutor } from '../../lib/runtime/context.ts';
import type { ClientJobHandle, ExecutionParameters, PipelineExecutor } from '../../lib/runtime/execution/pipeline-executor.ts';

export interface RecordingExecutor extends PipelineExecutor {
  readonly calls: Array<{ graph: JobGraph; parameters: ExecutionParameters }>;
  /** What the job handle's savepoint methods were asked for, in order. */
  readonly savepoints: Array<{ kind: 'trigger' | 'stop'; directory: string }>;
}

/** Installs it as the context executor (undo with setContextExecutor(undefined)). */
export function installRecordingExecutor(): RecordingExecutor {
  const calls: RecordingExecutor['calls'] = [];
  const savepoints: RecordingExecutor['savepoints'] = [];
  const executor: RecordingExecutor = {
    calls,
    savepoints,
    async execute(graph, parameters): Promise<ClientJobHandle> {
      calls.push({ graph, parameters });
      return {
        jobId: 'recorded',
        jobName: graph.jobName,
        status: () => 'RUNNING',
        cancel: async () => {},
        fail: () => false,
        triggerSavepoint: async (directory) => {
          savepoints.push({ kind: 'trigger', directory });
          return `${directory}/savepoint-1`;
        },
        stopWithSavepoint: async (directory) => {
          savepoints.push({ kind: 'stop', directory });
          return `${directory}/savepoint-2`;
        },
        result: new Promise(() => {}),
        resultRequested: () => {},
      };
    },
  };
  setContextExecutor(executor);
  return executor;
}
