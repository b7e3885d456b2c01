/**
 * An attempt with every subtask in this thread, on one TaskExecutor (deterministic; tests, small jobs).
 */
import { LocalChannel } from '../channels.ts';
import { deployTasks } from '../deploy.ts';
import { TaskExecutor, type CancelReport } from '../executor.ts';
import type { CheckpointBarrier } from '../elements.ts';
import type { StreamTask, TaskServices } from '../tasks/stream-task.ts';
import { WritingCheckpointResponder } from '../checkpoint/checkpoint-responder.ts';
import { mergeInto, type JobExecution, type JobExecutionContext } from './job-execution.ts';

export class InlineExecution implements JobExecution {
  private readonly executor = new TaskExecutor();
  private readonly tasks = new Map<string, StreamTask>();
  private stopped = false;
  readonly outcome: Promise<'finished' | 'canceled'>;

  constructor(context: JobExecutionContext) {
    const { graph, options } = context;
    const executor = this.executor;
    const responder = new WritingCheckpointResponder(context.gateway);
    const services: TaskServices = {
      jobName: graph.jobName,
      attemptNumber: context.attemptNumber,
      runtimeMode: options.runtimeMode,
      wakeup: executor.wakeup,
      collect: (id, values) => options.onCollect?.(id, values),
      reportAccumulators: (accs) => accs.forEach((acc, name) => mergeInto(context.accumulators, name, acc)),
      checkpointingMode: options.checkpointing?.mode,
      restored: context.restored,
      checkpointResponder: responder,
    };
    const local = new Map<string, LocalChannel>();
    const channel = (edgeId: number, p: number, c: number): LocalChannel => {
      const key = `${edgeId}:${p}:${c}`;
      let ch = local.get(key);
      if (!ch) local.set(key, (ch = new LocalChannel(executor.wakeup)));
      return ch;
    };
    const tasks = deployTasks(graph, () => true, { output: (e, p, c) => channel(e.id, p, c), input: (e, p, c) => channel(e.id, p, c) }, services);
    for (const t of tasks) this.tasks.set(`${t.vertex.id}:${t.subtaskIndex}`, t);
    executor.setTasks(tasks);
    // Canceled or failed: the tasks' state writes under way end before the attempt's end is reported (see WritingCheckpointResponder).
    this.outcome = executor
      .run()
      .then(
        async (o) => {
          if (o === 'canceled') await responder.close();
          return o;
        },
        async (e: unknown) => {
          await responder.close();
          throw e;
        },
      )
      .finally(() => (this.stopped = true));
  }

  triggerCheckpoint(vertexId: number, subtaskIndex: number, barrier: CheckpointBarrier): void {
    if (!this.stopped) this.tasks.get(`${vertexId}:${subtaskIndex}`)?.triggerCheckpoint(barrier);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    if (!this.stopped) for (const t of this.tasks.values()) t.notifyCheckpointComplete(checkpointId);
  }

  notifyCheckpointAborted(checkpointId: number): void {
    if (!this.stopped) for (const t of this.tasks.values()) t.notifyCheckpointAborted(checkpointId);
  }

  async cancel(): Promise<void> {
    this.executor.cancel();
    await this.outcome.catch(() => undefined);
  }

  fail(error: unknown): boolean {
    return this.executor.fail(error);
  }

  cancelReport(): CancelReport {
    return this.executor.cancelReport;
  }
}
