/**
 * The task's mailbox (Flink's TaskMailbox, drained by the MailboxProcessor in StreamTask.step):
 * actions that asynchronous callbacks (async I/O results) queue for the task. They run as mails of
 * the task, so operator code never races with itself.
 */
export class TaskMailbox {
  private readonly mails: Array<() => void> = [];

  constructor(
    /** True once the task is done: mails that arrive later are dropped. */
    private readonly isClosed: () => boolean,
    private readonly wakeup: () => void,
  ) {}

  /** Queues `action` to run as a mail of the task (an arrow: operators may keep it unbound). */
  readonly execute = (action: () => void): void => {
    if (this.isClosed()) return;
    this.mails.push(action);
    this.wakeup();
  };

  hasMail(): boolean {
    return this.mails.length > 0;
  }

  /** Takes every queued mail (mails queued while these run wait for the next step). */
  takeAll(): Array<() => void> {
    return this.mails.splice(0);
  }
}
