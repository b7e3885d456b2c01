/**
 * StreamTask (Flink's name): the lifecycle of one subtask — open the chain, run it step by step,
 * end of input, finish, close, fail, cancel. The executor calls `step()` when `isRunnable()`; one
 * step is one mail of the task's MailboxProcessor loop: queued mails, else due processing-time
 * timers, else one input batch or one source poll (`processInput`, in the subclasses). So operator
 * code never races with itself. Records inside a batch are direct synchronous calls; nothing is
 * allocated per record by the task.
 *
 * Checkpoint barriers land here: a barrier arrives as a control element of an input batch
 * (OneInputStreamTask.processControl, beside 'watermark' and 'end-of-input'); once aligned on every
 * input channel the task runs `performCheckpoint` between two records: prepareSnapshotPreBarrier,
 * the barrier to its RecordWriters (`broadcastControl`, as watermarks go), then the synchronous
 * snapshot of the chain. A source task injects barriers the same way, from a trigger mail between
 * two polls.
 */
import type { TaskInfo } from '../../core/functions/runtime-context.ts';
import type { Accumulator } from '../../core/accumulators/accumulator.ts';
import type { Output, RuntimeExecutionMode, StreamOperator, StreamOperatorParameters } from '../operator.ts';
import type { Wakeup } from '../channels.ts';
import type { JobVertex, StreamNode } from '../graph/job-graph.ts';
import { attribute } from '../../core/errors.ts';
import { RecordWriter } from '../io/record-writer.ts';
import { TaskMailbox } from './mailbox.ts';
import { SystemProcessingTimeService } from './processing-time-service.ts';
import { OperatorChain, type WiredOutput } from './operator-chain.ts';
import { createStreamingRuntimeContext } from './streaming-runtime-context.ts';
import { StreamTaskStateInitializer, type RestoredOperatorState } from '../../state/stream-task-state-initializer.ts';
import type { CheckpointingMode, PendingCommittables } from '../checkpoint/checkpoint-types.ts';
import type { CheckpointResponder, SerializedSubtaskState } from '../checkpoint/checkpoint-responder.ts';
import { MAX_WATERMARK, type CheckpointBarrier } from '../elements.ts';
import type { OperatorSnapshot } from '../../state/stream-task-state-initializer.ts';
import { deserializeSubtaskState, serializeSubtaskState } from '../checkpoint/state-serializer.ts';

export type { WiredOutput } from './operator-chain.ts';

export interface TaskServices {
  readonly jobName: string;
  readonly attemptNumber: number;
  readonly runtimeMode: RuntimeExecutionMode;
  readonly wakeup: Wakeup;
  collect(sinkId: string, values: unknown[]): void;
  reportAccumulators(accumulators: Map<string, Accumulator<unknown, unknown>>): void;
  /** Set when the job checkpoints: how barriers are aligned. */
  readonly checkpointingMode?: CheckpointingMode;
  /** When the job was restored: the restored state of an operator (every old subtask's part), by operator id. */
  readonly restored?: (operatorId: string) => RestoredOperatorState | undefined;
  /** Where checkpoint acknowledgements and the final state of a finished task go (the JobMaster's coordinator). */
  readonly checkpointResponder?: CheckpointResponder;
}

/** The id under which a finished task's last state and committables are taken (after its end of input). */
export const FINAL_CHECKPOINT_ID = Number.MAX_SAFE_INTEGER;

export type TaskState = 'created' | 'running' | 'finishing' | 'finished' | 'failed' | 'canceled';

/** What a blocked task waits for (kept as numbers: set on every backpressure wait, read only for messages). */
const BLOCKED_ON_START = 1;
const BLOCKED_ON_AVAILABILITY = 2;
const BLOCKED_ON_FINISH = 3;

/** An operator as users see it named in messages: `Source: x`, `Sink: y`, or its name. */
function nodeLabel(node: StreamNode): string {
  if (node.source !== undefined) return `Source: ${node.name}`;
  if (node.sink !== undefined && !node.name.startsWith('Sink')) return `Sink: ${node.name}`;
  return node.name;
}

export abstract class StreamTask {
  state: TaskState = 'created';
  protected closing: Promise<void> | null = null;
  /** While set, the task waits for it (start-up, an async sink, finishing) and is not runnable. */
  protected blocked: Promise<void> | null = null;
  /** Why `blocked` is set (BLOCKED_ON_*) and, for availability/finish, which operator. */
  private blockedOn = 0;
  private blockedOp = 0;
  failure: unknown = undefined;
  readonly info: TaskInfo;
  protected readonly writers: RecordWriter[];
  /** Actions queued from asynchronous callbacks (async I/O results), run as mails of this task. */
  protected readonly mailbox: TaskMailbox<StreamNode>;
  /** Timers and mails remember the node of the operator that registered them: errors name it. */
  protected readonly processingTimeService: SystemProcessingTimeService<StreamNode>;
  protected readonly chain: OperatorChain;
  /** The chain's operators, head first. */
  protected readonly operators: ReadonlyArray<{ node: StreamNode; operator: StreamOperator<unknown> }>;
  /** Output of the head node (for a source, what the reader's records go to). */
  protected readonly headOutput: Output<unknown>;
  protected readonly accumulators = new Map<string, Accumulator<unknown, unknown>>();

  constructor(
    readonly vertex: JobVertex,
    readonly subtaskIndex: number,
    outputs: WiredOutput[],
    protected readonly services: TaskServices,
  ) {
    this.info = {
      taskName: vertex.name,
      indexOfThisSubtask: subtaskIndex,
      numberOfParallelSubtasks: vertex.parallelism,
      maxNumberOfParallelSubtasks: vertex.maxParallelism,
      attemptNumber: services.attemptNumber,
    };
    this.mailbox = new TaskMailbox(() => this.isDone(), services.wakeup);
    this.processingTimeService = new SystemProcessingTimeService(() => !this.isDone() && this.closing === null, services.wakeup);
    this.writers = outputs.map((o) => new RecordWriter(o.channels, o.selector));
    this.chain = new OperatorChain(vertex, this.info, outputs, this.writers, (node) => this.parametersFor(node));
    this.operators = this.chain.operators;
    this.headOutput = this.chain.headOutput;
  }

  get name(): string {
    return `${this.vertex.name} (${this.subtaskIndex + 1}/${this.vertex.parallelism})`;
  }

  /** What the task hands to the operator of `node` in setup. */
  private parametersFor(node: StreamNode): StreamOperatorParameters {
    const { context, bindKeyedStateBackend } = createStreamingRuntimeContext(node.name, this.info, this.accumulators, this.name);
    return {
      operatorName: node.name,
      operatorId: node.operatorId,
      taskInfo: this.info,
      runtimeContext: context,
      runtimeMode: this.services.runtimeMode,
      stateKeySelector: node.stateKeySelector,
      verifyKeyGroups: node.verifyKeyGroups,
      maxParallelism: node.maxParallelism,
      processingTimeService: this.processingTimeService.forOwner(node),
      mailbox: this.mailbox.forOwner(node),
      bindKeyedStateBackend,
      collect: (id, values) => this.services.collect(id, values),
      checkpointingMode: this.services.checkpointingMode,
    };
  }

  /** Opens operators (tail first, as Flink does) and starts I/O; the task is runnable after. */
  start(): void {
    // Flink's initializeStateAndOpenOperators: each operator gets its state from the task, then opens (tail first).
    const stateInitializer = new StreamTaskStateInitializer(this.processingTimeService.forOwner(this.vertex.nodes[0]!), this.services.restored);
    this.guard(this.vertex.nodes[0]!, () => {
      for (let i = this.operators.length - 1; i >= 0; i--) {
        const { node, operator } = this.operators[i]!;
        this.guard(node, () => {
          operator.initializeState(stateInitializer);
          operator.open();
        });
      }
    });
    // What open() emitted (an idle status, say) goes out now, not with the first input batch, which may be long in coming.
    for (let i = 0; i < this.writers.length; i++) this.writers[i]!.flush();
    this.state = 'running';
    const starting = this.startIO();
    if (starting) this.block(starting, false, BLOCKED_ON_START, 0);
  }

  protected startIO(): Promise<void> | void {}

  isRunnable(): boolean {
    // Mails and timers also run while finishing: an async operator's last results arrive as mails.
    if (this.state === 'finishing') return this.mailbox.hasMail() || this.processingTimeService.timersDue;
    if (this.state !== 'running') return false;
    // Timers and mails fire while the task waits for input or output (as in Flink's mailbox).
    if (this.processingTimeService.timersDue || this.mailbox.hasMail()) return this.blocked === null || this.blockedAllowsTimers;
    return this.blocked === null && this.writersHaveCredit() && this.hasInput();
  }

  /**
   * One step of the MailboxProcessor loop: queued mails first, then due processing-time timers,
   * else one input batch or source poll (the default action).
   */
  step(): void {
    if (this.mailbox.hasMail()) {
      const mails = this.mailbox.takeAll();
      for (const mail of mails) if (this.state === 'running' || this.state === 'finishing') this.guard(mail.owner, mail.action);
      if (this.state === 'running') this.afterMail();
      else if (this.state === 'finishing') for (const w of this.writers) w.flush(); // results drained while finishing
      return;
    }
    if (this.processingTimeService.timersDue) {
      this.processingTimeService.fireDueTimers(
        () => this.state === 'running' || this.state === 'finishing',
        (callback, time, owner) => {
          if (this.state === 'finishing' && this.hasFinished(owner)) return; // dropped, as Flink quiesces a finished operator's timers
          this.guard(owner, () => callback(time));
        },
      );
      if (this.state === 'running') this.afterMail();
      else if (this.state === 'finishing') for (const w of this.writers) w.flush();
      return;
    }
    this.processInput();
  }

  isDone(): boolean {
    return this.state === 'finished' || this.state === 'failed' || this.state === 'canceled';
  }

  protected abstract hasInput(): boolean;
  protected abstract processInput(): void;

  protected writersHaveCredit(): boolean {
    for (let i = 0; i < this.writers.length; i++) if (!this.writers[i]!.hasCredit()) return false;
    return true;
  }

  /** True while blocked on output availability (a slow sink); false while starting or finishing. */
  private blockedAllowsTimers = false;

  /** Waits for `p` before the task runs again; a rejection fails the task. */
  protected block(p: Promise<void>, allowTimers: boolean, on: number, op: number): void {
    this.blockedAllowsTimers = allowTimers;
    this.blockedOn = on;
    this.blockedOp = op;
    const blocked: Promise<void> = p.then(
      () => {
        if (this.blocked === blocked) this.blocked = null;
        this.services.wakeup();
      },
      (e: unknown) => {
        if (this.blocked === blocked) this.blocked = null;
        this.fail(e);
      },
    );
    this.blocked = blocked;
  }

  fail(e: unknown): void {
    if (this.isDone()) return;
    this.failure = e;
    this.state = 'failed';
    this.services.wakeup();
  }

  /** Runs `fn`, attributing a throw to `node` (unless an inner operator already claimed it). */
  protected guard(node: StreamNode, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism);
    }
  }

  /** After a mail: let sinks flush, ship partial batches, honour a sink's backpressure. */
  protected afterMail(): void {
    for (let i = 0; i < this.operators.length; i++) {
      const { node, operator } = this.operators[i]!;
      if (operator.endOfBatch) this.guard(node, () => operator.endOfBatch!());
    }
    for (let i = 0; i < this.writers.length; i++) this.writers[i]!.flush();
    for (let i = 0; i < this.operators.length; i++) {
      const { node, operator } = this.operators[i]!;
      if (operator.availability === undefined) continue;
      let a: Promise<void> | null;
      try {
        a = operator.availability();
      } catch (e) {
        throw attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism);
      }
      if (a) {
        // A rejection (a sink writer's isAvailable() or failed flush) is this operator's, as its finish's is.
        const attributed = a.then(undefined, (e: unknown) => {
          throw attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism);
        });
        this.block(attributed, true, BLOCKED_ON_AVAILABILITY, i);
        break;
      }
    }
  }

  /** End of all input: endInput head to tail, finish, forward end-of-input, close. */
  /**
   * End of all input. Head to tail, as in Flink's operator chain: each operator's endInput, then its
   * (maybe asynchronous) finish, so what an operator emits while finishing reaches operators that
   * have not finished yet. Then end-of-input goes downstream and the operators close.
   */
  protected endOfInput(): void {
    this.state = 'finishing';
    const finishing = this.finishAsync(); // sets blockedOp to the operator it waits for
    this.block(finishing, false, BLOCKED_ON_FINISH, this.blockedOp);
  }

  /**
   * While finishing: the index of the operator finishing now; the operators before it have finished
   * (and a source head, which has no operator, ended first). Their processing-time timers no longer
   * fire: what they would emit would reach operators after their end of input (a sink after its
   * final flush), and be lost.
   */
  private finishingOp = -1;

  private hasFinished(owner: StreamNode): boolean {
    for (let i = 0; i < this.finishingOp; i++) if (this.operators[i]!.node === owner) return true;
    // The head source (no operator) ended before anything finished.
    return owner.factory === undefined;
  }

  /** Stops between steps when the task was canceled or failed meanwhile (cancel closes it then). */
  private async finishAsync(): Promise<void> {
    for (let i = 0; i < this.operators.length; i++) {
      const { node, operator } = this.operators[i]!;
      this.blockedOp = i;
      this.finishingOp = i;
      this.guard(node, () => operator.endInput());
      if (operator.finish) {
        try {
          await operator.finish();
        } catch (e) {
          throw attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism);
        }
        if (this.state !== 'finishing') return;
      }
    }
    this.finishingOp = this.operators.length;
    // FLIP-147: the finished task's last state stands in for it in later checkpoints, and what its
    // sinks prepared last is committed by the final checkpoint (or, without checkpoints, at the end).
    const final = await this.finalState();
    if (this.state !== 'finishing') return;
    for (const w of this.writers) {
      w.broadcastControl((at) => ({ at, kind: 'end-of-input' }));
      w.flush();
    }
    this.services.checkpointResponder?.finished({
      vertexId: this.vertex.id,
      subtaskIndex: this.subtaskIndex,
      bytes: final.bytes,
      committables: final.committables,
      lastCheckpointId: this.lastSnapshotCheckpointId,
    });
    await this.closeAll();
    if (this.state !== 'finishing') return;
    this.services.reportAccumulators(this.accumulators);
    this.state = 'finished';
  }


  // ---- checkpoints (Flink's SubtaskCheckpointCoordinatorImpl) -------------------------------------

  /**
   * The coordinator starts checkpoint `barrier.checkpointId` at this task (a source, or a task whose
   * inputs all ended): as a mail, between two records or polls.
   */
  triggerCheckpoint(barrier: CheckpointBarrier): void {
    // A finishing task acknowledges with its final state when it finished (FLIP-147).
    this.mailbox.execute(() => this.state === 'running' && this.performCheckpoint(barrier), this.vertex.nodes[0]!);
  }

  /** Checkpoint `checkpointId` completed: operators (and a source reader) hear of it, as a mail. */
  notifyCheckpointComplete(checkpointId: number): void {
    this.mailbox.execute(() => {
      for (const { node, operator } of this.operators) this.guard(node, () => operator.notifyCheckpointComplete(checkpointId));
      this.notifyHeadCheckpointComplete(checkpointId);
    }, this.vertex.nodes[0]!);
  }

  protected notifyHeadCheckpointComplete(_checkpointId: number): void {}

  /** A stop-with-savepoint failed (as a mail, after its trigger): a source it stopped reads on. */
  notifyCheckpointAborted(checkpointId: number): void {
    this.mailbox.execute(() => this.resumeAfterAbortedStop(checkpointId), this.vertex.nodes[0]!);
  }

  protected resumeAfterAbortedStop(_checkpointId: number): void {}

  /** The newest checkpoint this task took its snapshot for (see SubtaskFinished.lastCheckpointId). */
  private lastSnapshotCheckpointId = 0;

  /**
   * At an aligned barrier (or a source's trigger): what must precede the barrier goes out, the
   * barrier goes to every output channel, then the synchronous snapshot of every operator is taken and
   * serialized (a copy: the task goes on at once); writing it is asynchronous. An operator whose state
   * cannot be snapshotted declines the checkpoint, it does not fail the task.
   */
  protected performCheckpoint(barrier: CheckpointBarrier): void {
    const id = barrier.checkpointId;
    if (id > this.lastSnapshotCheckpointId) this.lastSnapshotCheckpointId = id;
    const syncStart = performance.now();
    for (const { node, operator } of this.operators) this.guard(node, () => operator.prepareSnapshotPreBarrier(id));
    for (let i = 0; i < this.writers.length; i++) {
      this.writers[i]!.broadcastControl((at) => ({ ...barrier, at }));
      this.writers[i]!.flush();
    }
    const responder = this.services.checkpointResponder;
    if (responder === undefined) return;
    let state: SerializedSubtaskState | Promise<SerializedSubtaskState>;
    try {
      state = this.snapshotTask(id, false, syncStart);
    } catch (e) {
      responder.decline(id, this.vertex.id, this.subtaskIndex, e);
      return;
    }
    responder.acknowledge(barrier, this.vertex.id, this.subtaskIndex, state);
    this.afterBarrier(barrier);
  }

  /** A source stops reading after a stop-with-savepoint barrier. */
  protected afterBarrier(_barrier: CheckpointBarrier): void {}

  /** The head's own state that is not an operator's (a source's split positions). */
  protected snapshotHeadState(_checkpointId: number): OperatorSnapshot | undefined {
    return undefined;
  }

  /** Every operator's snapshot, serialized now; committables still being flushed make it a promise. */
  private snapshotTask(checkpointId: number, finished: boolean, syncStart: number): SerializedSubtaskState | Promise<SerializedSubtaskState> {
    const operators: OperatorSnapshot[] = [];
    const head = this.snapshotHeadState(checkpointId);
    if (head !== undefined) operators.push(head);
    for (const { node, operator } of this.operators) this.guard(node, () => void operators.push(operator.snapshotState(checkpointId)));
    const pending = this.collectCommittables(checkpointId);
    const vertexId = this.vertex.id;
    const subtaskIndex = this.subtaskIndex;
    if (!(pending instanceof Promise)) {
      const bytes = serializeSubtaskState({ vertexId, subtaskIndex, finished, operators, committables: pending });
      return { bytes, committables: pending, syncDurationMs: performance.now() - syncStart };
    }
    // The state is copied now (it changes from the next record on); the committables join it when ready.
    const bytes = serializeSubtaskState({ vertexId, subtaskIndex, finished, operators, committables: [] });
    const syncDurationMs = performance.now() - syncStart;
    return pending.then((committables) => {
      // The operators read back from the bytes: the copy taken at the barrier.
      const copy = deserializeSubtaskState(bytes).operators;
      return { bytes: serializeSubtaskState({ vertexId, subtaskIndex, finished, operators: copy, committables }), committables, syncDurationMs };
    });
  }

  private collectCommittables(checkpointId: number): PendingCommittables[] | Promise<PendingCommittables[]> {
    const all: PendingCommittables[] = [];
    const waiting: Array<Promise<PendingCommittables[]>> = [];
    for (const { node, operator } of this.operators) {
      if (operator.pendingCommittables === undefined) continue;
      this.guard(node, () => {
        const r = operator.pendingCommittables!(checkpointId);
        if (r instanceof Promise) waiting.push(r.catch((e: unknown) => Promise.reject(attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism))));
        else all.push(...r);
      });
    }
    if (waiting.length === 0) return all;
    return Promise.all(waiting).then((parts) => all.concat(...parts));
  }

  /**
   * A finished task's last state and its sinks' last committables. With checkpointing, the full state
   * (FLIP-147: it stands in for the task in later checkpoints). A STREAMING job without checkpoints can
   * still take a savepoint after this task finished: then, as in Flink, a finished task's operators
   * count as stateless (their input ended: nothing more comes for them), and only a source's own state
   * (no split left, cheap) is kept, so a restored source does not read again. BATCH jobs take none.
   */
  private async finalState(): Promise<{ bytes: Uint8Array | undefined; committables: PendingCommittables[] }> {
    if (this.services.checkpointingMode === undefined) {
      const committables = await this.collectCommittables(FINAL_CHECKPOINT_ID);
      if (this.services.runtimeMode !== 'STREAMING') return { bytes: undefined, committables };
      const operators: OperatorSnapshot[] = [];
      const head = this.snapshotHeadState(FINAL_CHECKPOINT_ID);
      if (head !== undefined) operators.push(head);
      // Their input ended: each had reached the end of event time (and holds no other watermark back when restored).
      for (const { node } of this.operators) operators.push({ operatorId: node.operatorId, operator: {}, watermark: MAX_WATERMARK });
      return { bytes: serializeSubtaskState({ vertexId: this.vertex.id, subtaskIndex: this.subtaskIndex, finished: true, operators, committables }), committables };
    }
    const state = await this.snapshotTask(FINAL_CHECKPOINT_ID, true, performance.now());
    return { bytes: state.bytes, committables: state.committables };
  }

  /** Closes operators and I/O, once, whichever of finish, failure and cancel comes first. */
  protected closeAll(): Promise<void> {
    return (this.closing ??= this.closeOnce());
  }

  private async closeOnce(): Promise<void> {
    this.processingTimeService.clear();
    let first: unknown;
    for (const { node, operator } of this.operators) {
      try {
        await operator.close();
      } catch (e) {
        first ??= attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism);
      }
    }
    await this.closeIO();
    if (first !== undefined) throw first;
  }

  protected closeIO(): void | Promise<void> {}

  /** `Sink: out (1/2)`: an operator of this task as messages name it. */
  protected label(node: StreamNode): string {
    return `${nodeLabel(node)} (${this.subtaskIndex + 1}/${this.vertex.parallelism})`;
  }

  /**
   * What this task waits for right now, when that is a promise of user or connector code (a sink's
   * flush, a source's isAvailable()); null when it runs, waits for input or credit, or is done.
   * Said when a job is canceled, so a promise that never settles is named.
   */
  waitingOn(): string | null {
    if (this.isDone()) return null;
    if (this.blocked === null) return this.idleWait();
    if (this.blockedOn === BLOCKED_ON_START) return `${this.label(this.vertex.nodes[0]!)} is waiting for its reader's start() to settle`;
    const entry = this.operators[this.blockedOp];
    if (entry === undefined) return null;
    const phase = this.blockedOn === BLOCKED_ON_FINISH ? 'finish' : 'availability';
    const what = entry.operator.waitingFor?.(phase) ?? (phase === 'finish' ? 'finish() to settle' : 'availability() to settle');
    return `${this.label(entry.node)} is waiting for ${what}`;
  }

  /** A source task without data waits for its reader; other tasks wait for input (not worth saying). */
  protected idleWait(): string | null {
    return null;
  }

  /** Stops the task without finishing it (or after it failed); releases operators and I/O. */
  async cancel(): Promise<void> {
    if (this.state === 'finished') return;
    if (this.state !== 'failed') this.state = 'canceled';
    try {
      await this.closeAll();
    } catch {
      // cancellation releases what it can; errors on the way out are not the job's failure
    }
  }
}

