/**
 * What flows on a channel between tasks: batches, never single records. A batch holds records as
 * two parallel arrays (values, timestamps) and, rarely, control elements (watermarks, end of input,
 * later checkpoint barriers) placed before the record at index `at`. Plain arrays and objects, so a
 * batch crosses a MessagePort by structured clone without any per-record wrapping.
 */

/** Timestamp of a record that has none (Flink uses Long.MIN_VALUE). Also the initial watermark. */
export const NO_TIMESTAMP = Number.NEGATIVE_INFINITY;
/** The watermark that ends event time: every timer and window fires. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;

export type ControlElement =
  | { at: number; kind: 'watermark'; timestamp: number }
  /** Flink's WatermarkStatus: an idle input does not hold back the watermark downstream. */
  | { at: number; kind: 'watermark-status'; idle: boolean }
  | { at: number; kind: 'end-of-input' }
  /**
   * Flink's CheckpointBarrier: everything before it on a channel is in checkpoint `checkpointId`'s
   * past. `location` is the folder the subtasks write their state to; a savepoint that stops the job
   * (`stop`) ends the sources' input right after it.
   */
  | { at: number; kind: 'barrier'; checkpointId: number; timestamp: number; location: string; savepoint: boolean; stop: boolean };

export type CheckpointBarrier = Extract<ControlElement, { kind: 'barrier' }>;

export interface StreamBatch {
  v: unknown[];
  t: number[];
  c: ControlElement[] | null;
}

export function newBatch(): StreamBatch {
  return { v: [], t: [], c: null };
}

export function addControl(batch: StreamBatch, el: ControlElement): void {
  if (batch.c === null) batch.c = [el];
  else batch.c.push(el);
}
