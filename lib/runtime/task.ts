/**
 * A task runs one subtask of a job vertex: its chain of operators, fed by input channels (or a
 * source reader) and writing to output channels. The executor calls `step()` when `isRunnable()`;
 * one step handles one mail (an input batch, or one poll of the source), so operator code never
 * races with itself. Records inside a batch are direct synchronous calls; nothing is allocated
 * per record by the task.
 */
import type { ReaderOutput, SourceReader } from '../core/connector/source.ts';
import type { RuntimeContext, TaskInfo } from '../core/functions/runtime-context.ts';
import type { Accumulator } from '../core/accumulators/accumulator.ts';
import { MAX_WATERMARK, NO_TIMESTAMP, newBatch, addControl, type StreamBatch, type ControlElement } from './elements.ts';
import type { Output, ProcessingTimeService, RuntimeExecutionMode, StreamOperator, StreamOperatorParameters } from './operator.ts';
import type { ChannelSelector, InputChannel, OutputChannel, Wakeup } from './channels.ts';
import type { JobVertex, StreamNode } from './graph/job-graph.ts';
import { attribute } from '../core/errors.ts';
import { StatusWatermarkValve, type ValveOutput } from './watermark-valve.ts';
import type { HeapKeyedStateBackend } from '../state/heap-keyed-state-backend.ts';
import { SourceWatermarks } from './source-watermarks.ts';
import { StreamTaskStateInitializer } from '../state/stream-task-state-initializer.ts';

/** Records per batch between tasks and per source poll. */
export const BATCH_SIZE = 1024;

export interface TaskServices {
  readonly jobName: string;
  readonly attemptNumber: number;
  readonly runtimeMode: RuntimeExecutionMode;
  readonly wakeup: Wakeup;
  collect(sinkId: string, values: unknown[]): void;
  reportAccumulators(accumulators: Map<string, Accumulator<unknown, unknown>>): void;
}

/** Writes one output edge of a task: picks a channel per record and batches per channel. */
export class RecordWriter {
  private buffers: StreamBatch[];
  constructor(
    private readonly channels: OutputChannel[],
    private readonly selector: ChannelSelector | 'broadcast',
  ) {
    this.buffers = channels.map(() => newBatch());
  }
  emit(value: unknown, timestamp: number): void {
    if (this.selector === 'broadcast') {
      for (let c = 0; c < this.buffers.length; c++) this.append(c, value, timestamp);
    } else {
      this.append(this.selector.selectChannel(value), value, timestamp);
    }
  }
  private append(channel: number, value: unknown, timestamp: number): void {
    const b = this.buffers[channel]!;
    b.v.push(value);
    b.t.push(timestamp);
    if (b.v.length >= BATCH_SIZE) {
      this.channels[channel]!.push(b);
      this.buffers[channel] = newBatch();
    }
  }
  broadcastControl(make: (at: number) => ControlElement): void {
    for (const b of this.buffers) addControl(b, make(b.v.length));
  }
  flush(): void {
    for (let c = 0; c < this.buffers.length; c++) {
      const b = this.buffers[c]!;
      if (b.v.length > 0 || b.c !== null) {
        this.channels[c]!.push(b);
        this.buffers[c] = newBatch();
      }
    }
  }
  hasCredit(): boolean {
    for (const ch of this.channels) if (!ch.hasCredit()) return false;
    return true;
  }
}

class RecordWriterOutput implements Output<unknown> {
  constructor(private readonly writer: RecordWriter) {}
  collect(value: unknown, timestamp: number): void {
    this.writer.emit(value, timestamp);
  }
  emitWatermark(watermark: number): void {
    this.writer.broadcastControl((at) => ({ at, kind: 'watermark', timestamp: watermark }));
  }
  emitWatermarkStatus(idle: boolean): void {
    this.writer.broadcastControl((at) => ({ at, kind: 'watermark-status', idle }));
  }
}

/** Calls into a chained operator that is not itself an Output; attributes its errors. */
class ChainingOutput implements Output<unknown> {
  constructor(
    private readonly operator: StreamOperator<unknown>,
    private readonly name: string,
    private readonly info: TaskInfo,
  ) {}
  collect(value: unknown, timestamp: number): void {
    try {
      this.operator.processElement(value, timestamp);
    } catch (e) {
      throw attribute(e, this.name, this.info.indexOfThisSubtask, this.info.numberOfParallelSubtasks);
    }
  }
  emitWatermark(watermark: number): void {
    try {
      this.operator.processWatermark(watermark);
    } catch (e) {
      throw attribute(e, this.name, this.info.indexOfThisSubtask, this.info.numberOfParallelSubtasks);
    }
  }
  emitWatermarkStatus(idle: boolean): void {
    this.operator.processWatermarkStatus?.(idle);
  }
}

class BroadcastingOutput implements Output<unknown> {
  constructor(private readonly outputs: Output<unknown>[]) {}
  collect(value: unknown, timestamp: number): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.collect(value, timestamp);
  }
  emitWatermark(watermark: number): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.emitWatermark(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.emitWatermarkStatus(idle);
  }
}

/** An operator's output when some consumers read its side outputs: records by tag, watermarks to all. */
class SideRoutingOutput implements Output<unknown> {
  private readonly sides: Map<string, Output<unknown>>;
  private readonly all: Output<unknown>[];
  constructor(
    private readonly main: Output<unknown>,
    mainOutputs: Output<unknown>[],
    sides: Map<string, Output<unknown>[]>,
  ) {
    this.sides = new Map([...sides].map(([tag, outs]) => [tag, outs.length === 1 ? outs[0]! : new BroadcastingOutput(outs)]));
    this.all = [...mainOutputs, ...[...sides.values()].flat()];
  }
  collect(value: unknown, timestamp: number): void {
    this.main.collect(value, timestamp);
  }
  collectSide(tag: string, value: unknown, timestamp: number): void {
    this.sides.get(tag)?.collect(value, timestamp);
  }
  emitWatermark(watermark: number): void {
    for (let i = 0; i < this.all.length; i++) this.all[i]!.emitWatermark(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    for (let i = 0; i < this.all.length; i++) this.all[i]!.emitWatermarkStatus(idle);
  }
}

const DISCARD: Output<unknown> = { collect() {}, emitWatermark() {}, emitWatermarkStatus() {} };

function isOutput(op: StreamOperator<unknown>): op is StreamOperator<unknown> & Output<unknown> {
  const o = op as Partial<Output<unknown>>;
  return typeof o.collect === 'function' && typeof o.emitWatermark === 'function' && typeof o.emitWatermarkStatus === 'function';
}

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

/** One output edge of a subtask, as the deployer wired it. */
export interface WiredOutput {
  readonly sourceNode: StreamNode;
  readonly outputTag?: string;
  readonly channels: OutputChannel[];
  readonly selector: ChannelSelector | 'broadcast';
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
  protected readonly operators: Array<{ node: StreamNode; operator: StreamOperator<unknown> }> = [];
  protected readonly writers: RecordWriter[];
  /** Output of the head node (for a source, what the reader's records go to). */
  protected headOutput: Output<unknown> = DISCARD;
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
    this.writers = outputs.map((o) => new RecordWriter(o.channels, o.selector));
    this.buildChain(outputs);
  }

  get name(): string {
    return `${this.vertex.name} (${this.subtaskIndex + 1}/${this.vertex.parallelism})`;
  }

  private buildChain(outputs: WiredOutput[]): void {
    const opByNode = new Map<number, StreamOperator<unknown>>();
    for (const node of this.vertex.nodes) {
      if (node.factory) {
        let op: StreamOperator<unknown>;
        try {
          op = node.factory({ parallelism: node.parallelism, maxParallelism: node.maxParallelism });
        } catch (e) {
          throw attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism); // a user function refused when its operator is built
        }
        opByNode.set(node.id, op);
        this.operators.push({ node, operator: op });
      }
    }
    for (const node of this.vertex.nodes) {
      const main: Output<unknown>[] = [];
      const sides = new Map<string, Output<unknown>[]>();
      const add = (tag: string | undefined, out: Output<unknown>): void => {
        if (tag === undefined) main.push(out);
        else (sides.get(tag) ?? sides.set(tag, []).get(tag)!).push(out);
      };
      for (const edge of this.vertex.chainedOutputs.get(node.id) ?? []) {
        const next = edge.target;
        const op = opByNode.get(next.id)!;
        // Built-in operators are Outputs themselves (a direct call); others get an adapter.
        add(edge.outputTag, isOutput(op) ? op : new ChainingOutput(op, next.name, this.info));
      }
      outputs.forEach((o, i) => {
        if (o.sourceNode === node) add(o.outputTag, new RecordWriterOutput(this.writers[i]!));
      });
      const single = main.length === 0 ? DISCARD : main.length === 1 ? main[0]! : new BroadcastingOutput(main);
      const output = sides.size === 0 ? single : new SideRoutingOutput(single, main, sides);
      const op = opByNode.get(node.id);
      if (op) op.setup(this.parametersFor(node), output);
      if (node === this.vertex.nodes[0]) this.headOutput = output;
    }
  }

  private parametersFor(node: StreamNode): StreamOperatorParameters {
    const info = this.info;
    const accumulators = this.accumulators;
    let keyed: HeapKeyedStateBackend | undefined;
    const backend = (): HeapKeyedStateBackend => {
      if (keyed === undefined) {
        throw new Error(
          `Keyed state can only be used on a 'keyed stream', i.e., after a 'keyBy()' operation (operator '${node.name}').`,
        );
      }
      return keyed;
    };
    const runtimeContext: RuntimeContext & { keyedStateBackend(): HeapKeyedStateBackend } = {
      keyedStateBackend: backend,
      getState: (d) => backend().getValueState(d),
      getListState: (d) => backend().getListState(d),
      getMapState: (d) => backend().getMapState(d),
      getReducingState: (d) => backend().getReducingState(d),
      getAggregatingState: (d) => backend().getAggregatingState(d),
      getTaskInfo: () => info,
      getIndexOfThisSubtask: () => info.indexOfThisSubtask,
      getNumberOfParallelSubtasks: () => info.numberOfParallelSubtasks,
      getMaxNumberOfParallelSubtasks: () => info.maxNumberOfParallelSubtasks,
      getOperatorName: () => node.name,
      addAccumulator: (name, acc) => {
        if (accumulators.has(name)) throw new Error(`An accumulator named '${name}' already exists in task ${this.name}`);
        accumulators.set(name, acc as Accumulator<unknown, unknown>);
      },
      getAccumulator: <V, R>(name: string) => accumulators.get(name) as Accumulator<V, R> | undefined,
    };
    return {
      operatorName: node.name,
      operatorId: node.operatorId,
      taskInfo: info,
      runtimeContext,
      runtimeMode: this.services.runtimeMode,
      processingTimeService: this.processingTimeService,
      mailbox: this.mailbox,
      bindKeyedStateBackend: (b) => {
        keyed = b;
      },
      collect: (id, values) => this.services.collect(id, values),
    };
  }

  /** Opens operators (tail first, as Flink does) and starts I/O; the task is runnable after. */
  start(): void {
    // Flink's initializeStateAndOpenOperators: each operator gets its state from the task, then opens (tail first).
    const stateInitializer = new StreamTaskStateInitializer(this.processingTimeService);
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
    if (this.state === 'finishing') return this.mails.length > 0 || this.timersDue;
    if (this.state !== 'running') return false;
    // Timers and mails fire while the task waits for input or output (as in Flink's mailbox).
    if (this.timersDue || this.mails.length > 0) return this.blocked === null || this.blockedAllowsTimers;
    return this.blocked === null && this.writersHaveCredit() && this.hasInput();
  }

  /** One mail: due processing-time timers first, else one input batch or source poll. */
  step(): void {
    if (this.mails.length > 0) {
      const mails = this.mails.splice(0);
      const head = this.vertex.nodes[0]!;
      for (const mail of mails) if (this.state === 'running' || this.state === 'finishing') this.guard(head, mail);
      if (this.state === 'running') this.afterMail();
      else if (this.state === 'finishing') for (const w of this.writers) w.flush(); // results drained while finishing
      return;
    }
    if (this.timersDue) {
      this.fireDueTimers();
      if (this.state === 'running') this.afterMail();
      else if (this.state === 'finishing') for (const w of this.writers) w.flush();
      return;
    }
    this.processInput();
  }

  /** Actions queued from asynchronous callbacks (async I/O results), run as mails of this task. */
  private readonly mails: Array<() => void> = [];
  readonly mailbox = {
    execute: (action: () => void): void => {
      if (this.isDone()) return;
      this.mails.push(action);
      this.services.wakeup();
    },
  };

  // ---- processing time -------------------------------------------------------------------------
  /** Pending timers, sorted by time (equal times keep registration order). */
  private readonly timers: Array<{ time: number; callback: (time: number) => void }> = [];
  private timerHandle: ReturnType<typeof setTimeout> | null = null;
  private armedFor = Number.POSITIVE_INFINITY;
  private timersDue = false;

  readonly processingTimeService: ProcessingTimeService = {
    getCurrentProcessingTime: () => Date.now(),
    registerTimer: (time, callback) => this.registerTimer(time, callback),
    scheduleWithFixedDelay: (callback, delay) => {
      const tick = (): void => {
        callback();
        this.registerTimer(Date.now() + delay, tick);
      };
      this.registerTimer(Date.now() + delay, tick);
    },
  };

  private registerTimer(time: number, callback: (time: number) => void): void {
    if (this.isDone() || this.closing !== null) return;
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timers[mid]!.time <= time) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, { time, callback });
    this.armTimer();
  }

  /** One setTimeout, for the earliest timer; when it fires the task gets a mail. */
  private armTimer(): void {
    const first = this.timers[0];
    if (first === undefined || (this.timerHandle !== null && first.time >= this.armedFor)) return;
    if (this.timerHandle !== null) clearTimeout(this.timerHandle);
    this.armedFor = first.time;
    this.timerHandle = setTimeout(() => {
      this.timerHandle = null;
      this.armedFor = Number.POSITIVE_INFINITY;
      this.timersDue = true;
      this.services.wakeup();
    }, Math.max(0, first.time - Date.now()));
  }

  private fireDueTimers(): void {
    this.timersDue = false;
    const now = Date.now();
    const head = this.vertex.nodes[0]!;
    while (this.timers.length > 0 && this.timers[0]!.time <= now && (this.state === 'running' || this.state === 'finishing')) {
      const t = this.timers.shift()!;
      this.guard(head, () => t.callback(t.time));
    }
    this.armTimer();
  }

  private clearTimers(): void {
    if (this.timerHandle !== null) clearTimeout(this.timerHandle);
    this.timerHandle = null;
    this.timers.length = 0;
    this.timersDue = false;
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
      const a = this.operators[i]!.operator.availability?.();
      if (a) {
        this.block(a, true, BLOCKED_ON_AVAILABILITY, i);
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

  /** Stops between steps when the task was canceled or failed meanwhile (cancel closes it then). */
  private async finishAsync(): Promise<void> {
    for (let i = 0; i < this.operators.length; i++) {
      const { node, operator } = this.operators[i]!;
      this.blockedOp = i;
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
    for (const w of this.writers) {
      w.broadcastControl((at) => ({ at, kind: 'end-of-input' }));
      w.flush();
    }
    await this.closeAll();
    if (this.state !== 'finishing') return;
    this.services.reportAccumulators(this.accumulators);
    this.state = 'finished';
  }


  /** Closes operators and I/O, once, whichever of finish, failure and cancel comes first. */
  protected closeAll(): Promise<void> {
    return (this.closing ??= this.closeOnce());
  }

  private async closeOnce(): Promise<void> {
    this.clearTimers();
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

/** A task whose head is a source: polls the reader, at most a batch per step. */
export class SourceStreamTask extends StreamTask implements ReaderOutput<unknown> {
  private reader!: SourceReader<unknown>;
  private available = true;
  private emitted = 0;
  private readonly sourceNode: StreamNode;

  /** Set when the source generates timestamps and watermarks itself (fromSource with a strategy). */
  private readonly watermarks: SourceWatermarks | undefined;
  private readonly mainOutput: { collect(record: unknown, timestamp?: number): void } | undefined;

  constructor(vertex: JobVertex, subtaskIndex: number, outputs: WiredOutput[], services: TaskServices) {
    super(vertex, subtaskIndex, outputs, services);
    this.sourceNode = vertex.nodes[0]!;
    const strategy = this.sourceNode.watermarkStrategy;
    if (strategy !== undefined) {
      const head = this.headOutput;
      const counting: Output<unknown> = {
        collect: (v, ts) => {
          this.emitted++;
          head.collect(v, ts);
        },
        emitWatermark: (wm) => head.emitWatermark(wm),
        emitWatermarkStatus: (idle) => head.emitWatermarkStatus(idle),
      };
      this.watermarks = new SourceWatermarks(
        strategy,
        counting,
        services.runtimeMode === 'STREAMING' && !strategy.emitsNoWatermarks,
        this.sourceNode.autoWatermarkInterval === 0,
      );
      this.mainOutput = this.watermarks.mainOutput();
    }
  }

  collect(record: unknown, timestamp?: number): void {
    if (this.mainOutput !== undefined) {
      this.mainOutput.collect(record, timestamp);
      return;
    }
    this.emitted++;
    this.headOutput.collect(record, timestamp === undefined ? NO_TIMESTAMP : timestamp);
  }

  createOutputForSplit(splitId: string): ReaderOutput<unknown> {
    if (this.watermarks === undefined) return this; // no strategy: splits need no watermarks of their own
    return this.watermarks.splitOutput(splitId);
  }

  releaseOutputForSplit(splitId: string): void {
    this.watermarks?.release(splitId);
  }

  private schedulePeriodicWatermarks(): void {
    const interval = this.sourceNode.autoWatermarkInterval;
    if (this.watermarks === undefined || interval <= 0 || this.services.runtimeMode !== 'STREAMING') return;
    const watermarks = this.watermarks;
    this.processingTimeService.scheduleWithFixedDelay(() => watermarks.onPeriodicEmit(), interval);
  }

  protected override startIO(): Promise<void> | void {
    const node = this.sourceNode;
    const parallelism = this.vertex.parallelism;
    const box: { started?: void | Promise<void> } = {};
    this.guard(node, () => {
      this.reader = node.source!.createReader({
        operatorName: node.name,
        getIndexOfSubtask: () => this.subtaskIndex,
        currentParallelism: () => parallelism,
      });
      box.started = this.reader.start();
    });
    this.schedulePeriodicWatermarks();
    const started = box.started;
    if (started !== undefined && typeof (started as Promise<void>).then === 'function') {
      return Promise.resolve(started).catch((e: unknown) => {
        throw attribute(e, node.name, this.subtaskIndex, parallelism);
      });
    }
  }

  protected hasInput(): boolean {
    return this.available;
  }

  protected override idleWait(): string | null {
    return this.available || this.state !== 'running' ? null : `${this.label(this.sourceNode)} is waiting for isAvailable()`;
  }

  protected processInput(): void {
    this.emitted = 0;
    const reader = this.reader;
    let status: string = 'MORE_AVAILABLE';
    try {
      for (let polls = 0; polls < BATCH_SIZE && this.emitted < BATCH_SIZE; polls++) {
        status = reader.pollNext(this);
        // A full batch may have gone out mid-poll: stop while a channel is out of credit.
        if (status !== 'MORE_AVAILABLE' || !this.writersHaveCredit()) break;
      }
    } catch (e) {
      throw attribute(e, this.sourceNode.name, this.subtaskIndex, this.vertex.parallelism);
    }
    if (status === 'END_OF_INPUT') {
      if (this.watermarks !== undefined) this.watermarks.endOfInput();
      else this.headOutput.emitWatermark(MAX_WATERMARK);
      this.afterMail();
      this.endOfInput();
      return;
    }
    if (status === 'NOTHING_AVAILABLE') {
      // Not a block: timers (periodic watermarks, idleness) still fire while the reader has nothing.
      this.available = false;
      const node = this.sourceNode;
      reader.isAvailable().then(
        () => {
          this.available = true;
          this.services.wakeup();
        },
        (e: unknown) => this.fail(attribute(e, node.name, this.subtaskIndex, this.vertex.parallelism)),
      );
    }
    this.afterMail();
  }

  protected override async closeIO(): Promise<void> {
    if (this.reader) await this.reader.close();
  }
}

/** A task whose head is an operator fed by input channels (one logical input, maybe unioned). */
export class OneInputStreamTask extends StreamTask {
  private readonly valve: StatusWatermarkValve;
  /** Where the valve's results go: the head operator (which forwards down the chain). */
  private readonly valveOutput: ValveOutput;
  private readonly ended: boolean[];
  private endedCount = 0;
  private nextChannel = 0;
  private readonly head: StreamOperator<unknown>;
  /** Where input records go: the head's `collect` (which sets the key of keyed operators), or its processElement. */
  private readonly headInput: { collect(value: unknown, timestamp: number): void };
  private readonly headNode: StreamNode;

  constructor(
    vertex: JobVertex,
    subtaskIndex: number,
    private readonly inputs: InputChannel[],
    outputs: WiredOutput[],
    services: TaskServices,
  ) {
    super(vertex, subtaskIndex, outputs, services);
    this.ended = inputs.map(() => false);
    this.head = this.operators[0]!.operator;
    const h = this.head;
    this.headInput = isOutput(h) ? h : { collect: (v, t) => h.processElement(v, t) };
    this.headNode = this.operators[0]!.node;
    this.valve = new StatusWatermarkValve(inputs.length);
    const head = this.head;
    this.valveOutput = {
      emitWatermark: (watermark) => head.processWatermark(watermark),
      emitWatermarkStatus: (idle) => head.processWatermarkStatus?.(idle),
    };
    if (inputs.length === 0) throw new Error(`Task ${this.name} has no inputs`);
  }

  protected hasInput(): boolean {
    for (let i = 0; i < this.inputs.length; i++) if (this.inputs[i]!.hasData()) return true;
    return false;
  }

  protected processInput(): void {
    const n = this.inputs.length;
    for (let k = 0; k < n; k++) {
      const idx = (this.nextChannel + k) % n;
      const batch = this.inputs[idx]!.poll();
      if (batch !== undefined) {
        this.nextChannel = (idx + 1) % n;
        this.processBatch(batch, idx);
        if (this.state === 'running') this.afterMail();
        return;
      }
    }
  }

  private processBatch(batch: StreamBatch, channel: number): void {
    const head = this.headInput;
    const v = batch.v;
    const t = batch.t;
    const c = batch.c;
    const n = v.length;
    try {
      if (c === null) {
        for (let i = 0; i < n; i++) head.collect(v[i], t[i]!);
        return;
      }
      let ci = 0;
      for (let i = 0; i < n; i++) {
        while (ci < c.length && c[ci]!.at === i) this.processControl(c[ci++]!, channel);
        head.collect(v[i], t[i]!);
      }
      while (ci < c.length) this.processControl(c[ci++]!, channel);
    } catch (e) {
      throw attribute(e, this.headNode.name, this.subtaskIndex, this.vertex.parallelism);
    }
  }

  private processControl(el: ControlElement, channel: number): void {
    switch (el.kind) {
      case 'watermark':
        this.valve.inputWatermark(el.timestamp, channel, this.valveOutput);
        break;
      case 'watermark-status':
        this.valve.inputWatermarkStatus(el.idle, channel, this.valveOutput);
        break;
      case 'end-of-input':
        if (this.ended[channel]) return;
        this.ended[channel] = true;
        this.endedCount++;
        this.valve.endOfInput(channel, this.valveOutput);
        if (this.endedCount === this.inputs.length) {
          this.afterMail();
          this.endOfInput();
        }
        break;
    }
  }
}
