/**
 * RecordWriterOutput (Flink's name): the Output at the end of a chain that leaves the task; records
 * and watermarks go to a RecordWriter (and from there to other tasks' input channels).
 */
import type { Output } from '../operator.ts';
import type { RecordWriter } from './record-writer.ts';

export class RecordWriterOutput implements Output<unknown> {
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
