import { AbstractStreamOperator } from './abstract-stream-operator.ts';

const BATCH = 1024;

/** Sends records to the client of `executeAndCollect`, in batches. */
export class CollectSinkOperator extends AbstractStreamOperator<never> {
  private buffer: unknown[] = [];
  constructor(private readonly sinkId: string) {
    super();
  }
  processElement(value: unknown): void {
    this.buffer.push(value);
    if (this.buffer.length >= BATCH) this.endOfBatch();
  }
  override processWatermark(watermark: number): void {
    if (watermark < this.inputWatermark) return; // below the restored one: time never goes back
    this.inputWatermark = watermark;
  }
  endOfBatch(): void {
    if (this.buffer.length === 0) return;
    const values = this.buffer;
    this.buffer = [];
    this.parameters.collect(this.sinkId, values);
  }
  override endInput(): void {
    this.endOfBatch();
  }
  /** Nothing is held across a checkpoint barrier: what arrived before it goes to the client before it. */
  override prepareSnapshotPreBarrier(): void {
    this.endOfBatch();
  }
}
