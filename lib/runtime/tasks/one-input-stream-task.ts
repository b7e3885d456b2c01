/**
 * OneInputStreamTask (Flink's name): a task whose head operator is fed by input channels (one
 * logical input, maybe unioned). Its default action takes one batch from the next channel with data
 * and feeds it to the head: records, watermarks through the StatusWatermarkValve, end of input.
 */
import { chainedOperatorError } from './chained-operator-error.ts';
import type { StreamBatch, ControlElement, CheckpointBarrier } from '../elements.ts';
import type { StreamOperator } from '../operator.ts';
import type { InputChannel } from '../channels.ts';
import type { JobVertex, StreamNode } from '../graph/job-graph.ts';
import { StatusWatermarkValve, type ValveOutput } from '../watermark-valve.ts';
import type { WiredOutput } from './operator-chain.ts';
import { StreamTask, type TaskServices } from './stream-task.ts';

/** A task whose head is an operator fed by input channels (one logical input, maybe unioned). */
export class OneInputStreamTask extends StreamTask {
  private readonly valve: StatusWatermarkValve;
  /** Where the valve's results go: the head operator (which forwards down the chain). */
  private readonly valveOutput: ValveOutput;
  private readonly ended: boolean[];
  private endedCount = 0;
  private nextChannel = 0;
  private readonly head: StreamOperator<unknown>;
  /** On a keyed stream the head's key context is set from each record before processElement. */
  private readonly headKeyed: boolean;
  private readonly headNode: StreamNode;

  // ---- barrier alignment (Flink's SingleCheckpointBarrierHandler / CheckpointBarrierTracker) ----
  /** The checkpoint whose barriers are arriving; -1 when none. */
  private alignedId = -1;
  private alignedBarrier: CheckpointBarrier | null = null;
  /** Channels that delivered the pending checkpoint's barrier (EXACTLY_ONCE: blocked until all have). */
  private readonly barrierSeen: boolean[];
  /** The newest checkpoint this task took part in (stale barriers of older ones are ignored). */
  private lastCheckpointId = 0;
  /**
   * What is left of a batch whose barrier blocked its channel: the records after the barrier belong
   * to the next checkpoint and wait here (the channel's later batches wait in the channel, so its
   * producer runs out of credit, not the other channels' producers).
   */
  private readonly held: Array<{ batch: StreamBatch; i: number; ci: number } | null>;
  /** Whether a barrier blocks its channel until all channels delivered it (EXACTLY_ONCE). */
  private readonly aligning: boolean;

  constructor(
    vertex: JobVertex,
    subtaskIndex: number,
    private readonly inputs: InputChannel[],
    outputs: WiredOutput[],
    services: TaskServices,
  ) {
    super(vertex, subtaskIndex, outputs, services);
    this.ended = inputs.map(() => false);
    this.barrierSeen = inputs.map(() => false);
    this.held = inputs.map(() => null);
    this.aligning = services.checkpointingMode !== 'AT_LEAST_ONCE';
    this.head = this.operators[0]!.operator;
    this.headNode = this.operators[0]!.node;
    this.headKeyed = this.headNode.stateKeySelector !== undefined;
    this.valve = new StatusWatermarkValve(inputs.length);
    const head = this.head;
    this.valveOutput = {
      emitWatermark: (watermark) => head.processWatermark(watermark),
      emitWatermarkStatus: (idle) => head.processWatermarkStatus?.(idle),
    };
    if (inputs.length === 0) throw new Error(`Task ${this.name} has no inputs`);
  }

  override start(): void {
    super.start();
    const restored = this.head.restoredWatermark?.();
    if (restored !== undefined) this.valve.restoreWatermark(restored);
  }

  /**
   * The coordinator triggers a task with inputs only when every producer finished (no barrier can
   * reach it any more, FLIP-147). What they sent last may still wait in the channels, before their
   * end of input: a snapshot now would miss it, and the finished producers never send it again. So
   * the task takes no snapshot here: it finishes once its channels are drained, and its final state
   * (which holds those records) stands in for this checkpoint (its lastCheckpointId is older).
   */
  override triggerCheckpoint(_barrier: CheckpointBarrier): void {}

  /** A channel waits while it delivered the pending checkpoint's barrier and others have not (EXACTLY_ONCE). */
  private isBlocked(channel: number): boolean {
    return this.alignedId >= 0 && this.aligning && this.barrierSeen[channel]!;
  }

  protected hasInput(): boolean {
    for (let i = 0; i < this.inputs.length; i++) {
      if (this.isBlocked(i)) continue;
      if (this.held[i] !== null || this.inputs[i]!.hasData()) return true;
    }
    return false;
  }

  protected processInput(): void {
    const n = this.inputs.length;
    for (let k = 0; k < n; k++) {
      const idx = (this.nextChannel + k) % n;
      if (this.isBlocked(idx)) continue;
      const held = this.held[idx];
      if (held !== null) {
        // The rest of a batch whose barrier blocked this channel: it comes before the channel's later batches.
        this.held[idx] = null;
        this.nextChannel = (idx + 1) % n;
        this.processBatch(held.batch, idx, held.i, held.ci);
        if (this.state === 'running') this.afterMail();
        return;
      }
      const batch = this.inputs[idx]!.poll();
      if (batch !== undefined) {
        this.nextChannel = (idx + 1) % n;
        this.processBatch(batch, idx, 0, 0);
        if (this.state === 'running') this.afterMail();
        return;
      }
    }
  }

  /**
   * The head's input loop: the chain's call into the head operator (as ChainingOutput is into the
   * others). One try/catch around the batch attributes the head's errors with the record at `i`;
   * errors of chained operators arrive already attributed by their ChainingOutput.
   */
  private processBatch(batch: StreamBatch, channel: number, from: number, fromControl: number): void {
    const head = this.head;
    const keyed = this.headKeyed;
    const v = batch.v;
    const t = batch.t;
    const c = batch.c;
    const n = v.length;
    let i = from;
    let ci = fromControl;
    try {
      if (c === null) {
        if (keyed) {
          for (; i < n; i++) {
            head.setKeyContextElement(v[i]);
            head.processElement(v[i], t[i]!);
          }
        } else {
          for (; i < n; i++) head.processElement(v[i], t[i]!);
        }
        return;
      }
      for (; i < n; i++) {
        while (ci < c.length && c[ci]!.at === i) {
          if (this.processControl(c[ci++]!, channel)) {
            this.held[channel] = { batch, i, ci }; // blocked by its barrier: the rest waits for alignment
            return;
          }
        }
        if (keyed) head.setKeyContextElement(v[i]);
        head.processElement(v[i], t[i]!);
      }
      while (ci < c.length) {
        if (this.processControl(c[ci++]!, channel)) {
          if (ci < c.length) this.held[channel] = { batch, i, ci };
          return;
        }
      }
    } catch (e) {
      // A control element (watermark, end of input) has no input record to describe.
      const inControl = this.inControl;
      this.inControl = false;
      throw chainedOperatorError(e, this.headNode.name, this.info, inControl ? undefined : v[i], !inControl);
    }
  }

  /** Set while a control element is processed (still set when it threw; read only then). */
  private inControl = false;

  /** Returns true when the element (a barrier) blocked its channel: the caller stops reading it. */
  private processControl(el: ControlElement, channel: number): boolean {
    this.inControl = true;
    const blocked = this.processControlElement(el, channel);
    this.inControl = false;
    return blocked;
  }

  private processControlElement(el: ControlElement, channel: number): boolean {
    switch (el.kind) {
      case 'barrier':
        return this.processBarrier(el, channel);
      case 'watermark':
        this.valve.inputWatermark(el.timestamp, channel, this.valveOutput);
        break;
      case 'watermark-status':
        this.valve.inputWatermarkStatus(el.idle, channel, this.valveOutput);
        break;
      case 'end-of-input':
        if (this.ended[channel]) return false;
        this.ended[channel] = true;
        this.endedCount++;
        this.valve.endOfInput(channel, this.valveOutput);
        // An ended channel delivers no more barriers: it counts as aligned (Flink's EndOfPartition).
        if (this.alignedId >= 0 && !this.barrierSeen[channel]) this.checkAligned();
        if (this.endedCount === this.inputs.length) {
          this.afterMail();
          this.endOfInput();
        }
        break;
    }
    return false;
  }

  /**
   * Barrier `n` on `channel`. EXACTLY_ONCE: the channel is blocked until every open channel delivered
   * n; then the task snapshots and forwards n, and the channels go on. AT_LEAST_ONCE: nothing blocks;
   * the snapshot is taken when the last channel delivered n. A barrier of a newer checkpoint while n
   * is aligning aborts n (its coordinator times it out or a newer one subsumes it), as in Flink.
   */
  private processBarrier(barrier: CheckpointBarrier, channel: number): boolean {
    const id = barrier.checkpointId;
    if (id <= this.lastCheckpointId && id !== this.alignedId) return false; // stale: an aborted or finished checkpoint
    if (id > this.alignedId) {
      if (this.alignedId >= 0) this.abortAlignment();
      this.alignedId = id;
      this.alignedBarrier = barrier;
      this.lastCheckpointId = id;
    }
    if (this.barrierSeen[channel]) return false;
    this.barrierSeen[channel] = true;
    if (this.checkAligned()) return false;
    return this.aligning;
  }

  /** Takes the checkpoint once every channel that has not ended delivered its barrier. Returns whether it did. */
  private checkAligned(): boolean {
    for (let i = 0; i < this.inputs.length; i++) if (!this.barrierSeen[i] && !this.ended[i]) return false;
    const barrier = this.alignedBarrier!;
    this.abortAlignment(); // unblocks every channel; their held rest is read next
    this.performCheckpoint(barrier);
    return true;
  }

  private abortAlignment(): void {
    this.alignedId = -1;
    this.alignedBarrier = null;
    this.barrierSeen.fill(false);
  }
}
