/**
 * ChainingOutput (Flink's name): how one operator of a chain hands records and watermarks to the
 * next, a direct synchronous call; an error the next operator throws is attributed to it.
 */
import type { TaskInfo } from '../../core/functions/runtime-context.ts';
import { attribute } from '../../core/errors.ts';
import type { Output, StreamOperator } from '../operator.ts';

/** Calls into a chained operator that is not itself an Output; attributes its errors. */
export class ChainingOutput implements Output<unknown> {
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
