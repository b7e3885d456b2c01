/**
 * Drives one operator directly, with its state from a given StreamTaskStateInitializer, so a test can
 * take `snapshotState()`, pass it through v8 (as a checkpoint would store it) and restore it into a
 * fresh operator. Processing time is frozen at 0; mails (async results) queue until `runMails()`.
 */
import { deserialize, serialize } from 'node:v8';
import type { Accumulator } from '../../lib/core/accumulators/accumulator.ts';
import type { HeapKeyedStateBackend } from '../../lib/state/heap-keyed-state-backend.ts';
import type { StreamOperator, StreamOperatorParameters } from '../../lib/runtime/operator.ts';
import { StreamTaskStateInitializer, type OperatorSnapshot } from '../../lib/state/stream-task-state-initializer.ts';

const keySelectors = new WeakMap<object, (value: unknown) => unknown>();

/** An operator driven as the chain drives it: `collect` sets the record's key (on a keyed stream), then processes it. */
export type Fed<T> = T & { collect(value: unknown, timestamp: number): void };

/** Puts `op` on a keyed stream keyed by `selector` (the chain sets each record's key before processElement). */
export function keyedBy<T extends StreamOperator<unknown>>(op: T, selector: (value: unknown) => unknown): Fed<T> {
  keySelectors.set(op, selector);
  return Object.assign(op, {
    collect: (value: unknown, timestamp: number): void => {
      op.setKeyContextElement(value);
      op.processElement(value, timestamp);
    },
  });
}

export const pts = { getCurrentProcessingTime: () => 0, registerTimer: () => {}, scheduleWithFixedDelay: () => {} };

export interface Driven<OUT> {
  /** What the operator emitted: [record, timestamp]. */
  readonly out: Array<[OUT, number]>;
  readonly wms: number[];
  /** Records and watermarks in the order they were emitted. */
  readonly log: Array<['record', OUT, number] | ['watermark', number]>;
  /** What a collect sink sent to the client, per call. */
  readonly sent: unknown[][];
  /** Runs the queued mails (async results) until none is left. */
  runMails(): void;
}

/** Sets up, initializes (from `initializer`) and opens `op`. */
export function drive<OUT>(op: StreamOperator<OUT>, initializer = new StreamTaskStateInitializer(pts)): Driven<OUT> {
  const out: Array<[OUT, number]> = [];
  const wms: number[] = [];
  const log: Driven<OUT>['log'] = [];
  const mails: Array<() => void> = [];
  const sent: unknown[][] = [];
  const accumulators = new Map<string, Accumulator<unknown, unknown>>();
  let backend: HeapKeyedStateBackend | undefined;
  const params = {
    operatorName: 'op',
    operatorId: 'op',
    taskInfo: { indexOfThisSubtask: 0, numberOfParallelSubtasks: 1, maxNumberOfParallelSubtasks: 128, taskName: 'op', attemptNumber: 0 },
    runtimeContext: {
      getState: (d: never) => backend!.getValueState(d),
      getListState: (d: never) => backend!.getListState(d),
      getMapState: (d: never) => backend!.getMapState(d),
      getOperatorName: () => 'op',
      getIndexOfThisSubtask: () => 0,
      getNumberOfParallelSubtasks: () => 1,
      addAccumulator: (name: string, acc: Accumulator<unknown, unknown>) => void accumulators.set(name, acc),
      getAccumulator: (name: string) => accumulators.get(name),
    },
    runtimeMode: 'STREAMING',
    stateKeySelector: keySelectors.get(op),
    maxParallelism: 128,
    processingTimeService: pts,
    mailbox: { execute: (a: () => void) => void mails.push(a) },
    bindKeyedStateBackend: (b: HeapKeyedStateBackend) => {
      backend = b;
    },
    collect: (_sinkId: string, values: unknown[]) => void sent.push(values),
  } as unknown as StreamOperatorParameters;
  op.setup(params, {
    collect: (v: OUT, ts: number) => {
      out.push([v, ts]);
      log.push(['record', v, ts]);
    },
    emitWatermark: (w: number) => {
      wms.push(w);
      log.push(['watermark', w]);
    },
    emitWatermarkStatus: () => {},
  });
  op.initializeState(initializer);
  op.open();
  return {
    out,
    wms,
    log,
    sent,
    runMails: () => {
      while (mails.length > 0) mails.shift()!();
    },
  };
}

/** The operator's snapshot as a checkpoint would keep it: through v8 serialization, sharing nothing with the live state. */
export function checkpoint(op: StreamOperator<unknown>, checkpointId = 1): OperatorSnapshot {
  op.prepareSnapshotPreBarrier(checkpointId);
  return deserialize(serialize(op.snapshotState(checkpointId))) as OperatorSnapshot;
}

/** A state initializer that restores every operator from `snapshot`. */
export function restoring(snapshot: OperatorSnapshot): StreamTaskStateInitializer {
  return new StreamTaskStateInitializer(pts, () => ({ checkpointId: 1, snapshots: [snapshot] }));
}
