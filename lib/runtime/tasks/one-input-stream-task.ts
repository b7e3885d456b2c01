/**
 * OneInputStreamTask (Flink's name): a task whose head operator is fed by input channels (one
 * logical input, maybe unioned). Its default action takes one batch from the next channel with data
 * and feeds it to the head: records, watermarks through the StatusWatermarkValve, end of input.
 */
import { chainedOperatorError } from './chained-operator-error.ts';
import type { StreamBatch, ControlElement } from '../elements.ts';
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

  /**
   * The head's input loop: the chain's call into the head operator (as ChainingOutput is into the
   * others). One try/catch around the batch attributes the head's errors with the record at `i`;
   * errors of chained operators arrive already attributed by their ChainingOutput.
   */
  private processBatch(batch: StreamBatch, channel: number): void {
    const head = this.head;
    const keyed = this.headKeyed;
    const v = batch.v;
    const t = batch.t;
    const c = batch.c;
    const n = v.length;
    let i = 0;
    let ci = 0;
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
        while (ci < c.length && c[ci]!.at === i) this.processControl(c[ci++]!, channel);
        if (keyed) head.setKeyContextElement(v[i]);
        head.processElement(v[i], t[i]!);
      }
      while (ci < c.length) this.processControl(c[ci++]!, channel);
    } catch (e) {
      // A control element (watermark, end of input) has no input record to describe.
      const inControl = this.inControl;
      this.inControl = false;
      throw chainedOperatorError(e, this.headNode.name, this.info, inControl ? undefined : v[i], !inControl);
    }
  }

  /** Set while a control element is processed (still set when it threw; read only then). */
  private inControl = false;

  private processControl(el: ControlElement, channel: number): void {
    this.inControl = true;
    this.processControlElement(el, channel);
    this.inControl = false;
  }

  private processControlElement(el: ControlElement, channel: number): void {
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
