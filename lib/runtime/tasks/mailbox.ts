/**
 * The task's mailbox (Flink's TaskMailbox, drained by the MailboxProcessor in StreamTask.step):
 * actions that asynchronous callbacks (async I/O results) queue for the task. They run as mails of
 * the task, so operator code never races with itself. Each mail remembers the operator that sent
 * it (`owner`), so an error in it names that operator.
 */
export interface Mail<O> {
  readonly action: () => void;
  readonly owner: O;
}

export class TaskMailbox<O> {
  private readonly mails: Array<Mail<O>> = [];

  constructor(
    /** True once the task is done: mails that arrive later are dropped. */
    private readonly isClosed: () => boolean,
    private readonly wakeup: () => void,
  ) {}

  /** The mailbox as one operator (`owner`) sees it (an arrow: operators may keep it unbound). */
  forOwner(owner: O): { execute(action: () => void): void } {
    return { execute: (action) => this.execute(action, owner) };
  }

  execute(action: () => void, owner: O): void {
    if (this.isClosed()) return;
    this.mails.push({ action, owner });
    this.wakeup();
  }

  hasMail(): boolean {
    return this.mails.length > 0;
  }

  /** Takes every queued mail (mails queued while these run wait for the next step). */
  takeAll(): Array<Mail<O>> {
    return this.mails.splice(0);
  }
}
