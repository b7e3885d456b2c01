/**
 * Runs a set of tasks cooperatively on one thread (the inline mode, and each worker thread in the
 * threads mode). Each round gives every runnable task one step, consumers first so queues drain;
 * when nothing is runnable it sleeps until a wakeup (data, credit, I/O). It yields to the event
 * loop every few milliseconds so sockets, timers and cross-thread messages get through.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { StreamTask } from './task.ts';

const TIME_SLICE_MS = 8;

export class TaskExecutor {
  private tasks: StreamTask[] = [];
  private waiter: (() => void) | null = null;
  private woken = false;
  private canceled = false;

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

  /** Resolves when every task finished; rejects with the first task failure (after canceling the rest). */
  async run(): Promise<void> {
    const tasks = this.tasks;
    try {
      for (let i = tasks.length - 1; i >= 0; i--) tasks[i]!.start();
    } catch (e) {
      await this.cancelAll();
      throw e;
    }
    let sliceStart = performance.now();
    for (;;) {
      if (this.canceled) {
        await this.cancelAll();
        return;
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
      if (done === tasks.length) return;
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

  private async cancelAll(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.cancel()));
  }
}
