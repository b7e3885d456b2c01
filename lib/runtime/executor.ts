/**
 * Runs a set of tasks cooperatively on one thread (the inline mode, and each worker thread in the
 * threads mode). Each round gives every runnable task one step, consumers first so queues drain;
 * when nothing is runnable it sleeps until a wakeup (data, credit, I/O). It yields to the event
 * loop every few milliseconds so sockets, timers and cross-thread messages get through.
 */
// From node:timers, not the globals: a user's fake timers (vi.useFakeTimers) must not stop a job,
// nor keep its cancel from giving up on a task after the grace period.
import { setImmediate as yieldToEventLoop, setTimeout as timersTurn } from 'node:timers/promises';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import type { StreamTask } from './tasks/stream-task.ts';

/** What the tasks of a canceled job were doing; collected by the executor, reported by the job. */
export interface CancelReport {
  /** e.g. "Sink: out (1/1) is waiting for its writer's flush() to settle" */
  readonly waiting: string[];
  /** e.g. "Sink: out (1/1) did not close within 2 s" */
  readonly notStopped: string[];
}

const TIME_SLICE_MS = 8;

/** How long a canceled (or failed) job waits for its tasks to close before it gives up on them. */
export const TASK_CANCEL_GRACE_MS = 2000;

export type ExecutorOutcome = 'finished' | 'canceled';

export class TaskExecutor {
  private tasks: StreamTask[] = [];
  private waiter: (() => void) | null = null;
  private woken = false;
  private canceled = false;
  /** Set by fail(): an error from outside the tasks (an uncaught error in user code). */
  private failure: { error: unknown } | null = null;
  /** Filled when the executor cancels its tasks: what they waited on, which did not close in time. */
  readonly cancelReport: CancelReport = { waiting: [], notStopped: [] };

  /** Safe to call from anywhere, as often as wanted: cheap when the executor is busy. */
  readonly wakeup = (): void => {
    this.woken = true;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w();
    }
  };

  /** Tasks in topological order (producers first). */
  setTasks(tasks: StreamTask[]): void {
    this.tasks = tasks.slice().reverse();
  }

  cancel(): void {
    this.canceled = true;
    this.wakeup();
  }

  /**
   * Fails the job from outside its tasks (e.g. an error thrown in a user's setTimeout callback); false when
   * the loop has ended (the tasks finished, failed or were canceled): nothing takes the error any more.
   */
  fail(error: unknown): boolean {
    if (this.ended) return false;
    this.failure ??= { error };
    this.wakeup();
    return true;
  }

  private ended = false;

  /**
   * Resolves 'finished' when every task finished, 'canceled' after cancel(); rejects with the first
   * task failure (after canceling the rest).
   */
  async run(): Promise<ExecutorOutcome> {
    // While tasks wait on promises (a sink's flush, a source's isAvailable()) nothing else may keep
    // the thread alive: this handle does, so a job that waits stays a running job, not an exit 13.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      return await this.loop();
    } finally {
      this.ended = true;
      clearInterval(keepAlive);
    }
  }

  private async loop(): Promise<ExecutorOutcome> {
    const tasks = this.tasks;
    try {
      for (let i = tasks.length - 1; i >= 0; i--) tasks[i]!.start();
    } catch (e) {
      await this.cancelAll();
      throw e;
    }
    let sliceStart = performance.now();
    let settled = false; // the event loop had its turn after every task was done
    for (;;) {
      if (this.failure !== null) {
        await this.cancelAll();
        throw this.failure.error;
      }
      if (this.canceled) {
        await this.cancelAll();
        return 'canceled';
      }
      let progressed = false;
      let done = 0;
      for (let i = 0; i < tasks.length; i++) {
        const task = tasks[i]!;
        if (task.state === 'failed') {
          await this.cancelAll();
          throw task.failure;
        }
        if (task.isDone()) {
          done++;
          continue;
        }
        if (task.isRunnable()) {
          try {
            task.step();
          } catch (e) {
            task.fail(e);
          }
          progressed = true;
        }
      }
      if (done === tasks.length) {
        if (settled) return 'finished';
        // Before the job counts as finished (and its sinks publish): one turn of the event loop
        // through its timers phase, so that what user code scheduled while the tasks ran (a
        // setTimeout(0) that throws, a rejection nobody handles) fails this job, not the code after
        // execute(). A job whose tasks never yielded would otherwise finish before such an error.
        settled = true;
        await timersTurn(0);
        continue;
      }
      if (!progressed) {
        if (!this.woken) await new Promise<void>((resolve) => (this.waiter = resolve));
        this.woken = false;
        sliceStart = performance.now();
      } else if (performance.now() - sliceStart > TIME_SLICE_MS) {
        await yieldToEventLoop();
        this.woken = false;
        sliceStart = performance.now();
      }
    }
  }

  /**
   * Cancels every task, but waits at most TASK_CANCEL_GRACE_MS for them to close: a close that awaits
   * a promise that never settles must not keep a stopping job forever. Records what was left.
   */
  private async cancelAll(): Promise<void> {
    const report = this.cancelReport;
    for (const t of this.tasks) {
      const w = t.waitingOn();
      if (w !== null) report.waiting.push(w);
    }
    const open = new Set<StreamTask>();
    const closing = this.tasks.map((t) => {
      open.add(t);
      return t.cancel().finally(() => open.delete(t));
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, TASK_CANCEL_GRACE_MS)));
    await Promise.race([Promise.all(closing), timedOut]);
    clearTimeout(timer);
    for (const t of open) report.notStopped.push(`${t.name} did not close within ${TASK_CANCEL_GRACE_MS / 1000} s`);
  }
}
