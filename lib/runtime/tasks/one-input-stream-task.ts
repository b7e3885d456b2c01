/**
 * OneInputStreamTask (Flink's name): a task whose head operator is fed by input channels (one
 * logical input, maybe unioned). Its default action takes one batch from the next channel with data
 * and feeds it to the head: records, watermarks through the StatusWatermarkValve, end of input.
 */
import { attribute } from '../../core/errors.ts';
import type { StreamBatch, ControlElement } from '../elements.ts';
import type { StreamOperator } from '../operator.ts';
import type { InputChannel } from '../channels.ts';
import type { JobVertex, StreamNode } from '../graph/job-graph.ts';
import { StatusWatermarkValve, type ValveOutput } from '../watermark-valve.ts';
import { isOutput, type WiredOutput } from './operator-chain.ts';
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
