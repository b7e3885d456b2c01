/**
 * Fan-out Outputs of a chain (Flink's BroadcastingOutputCollector and its side-output routing): one
 * operator feeding several consumers, records by side-output tag, watermarks to all.
 */
import type { Output } from '../operator.ts';

export class BroadcastingOutput implements Output<unknown> {
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
export class SideRoutingOutput implements Output<unknown> {
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
  /** Whether someone reads the side output `tag`. */
  hasSide(tag: string): boolean {
    return this.sides.has(tag);
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

/** The Output of an operator nobody consumes. */
export const DISCARD: Output<unknown> = { collect() {}, emitWatermark() {}, emitWatermarkStatus() {} };
