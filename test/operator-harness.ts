/**
 * Drives one operator directly, Flink-harness style: a minimal StreamOperatorParameters (keyed state
 * bound through bindKeyedStateBackend, processing time frozen at 0, a synchronous mailbox) and an
 * output that records what the operator emits. `processElement` feeds a record as the chain does:
 * on a keyed stream (`stateKeySelector` given) it sets the key context first.
 */
import type { HeapKeyedStateBackend } from '../lib/state/heap-keyed-state-backend.ts';
import type { StreamOperator, StreamOperatorParameters } from '../lib/runtime/operator.ts';

export function harness<OUT>(
  op: StreamOperator<OUT>,
  keyed?: { stateKeySelector: (value: unknown) => unknown; maxParallelism?: number },
): { out: Array<[OUT, number]>; wms: number[]; processElement(value: unknown, timestamp: number): void } {
  const out: Array<[OUT, number]> = [];
  const wms: number[] = [];
  let backend: HeapKeyedStateBackend | undefined;
  const params = {
    operatorName: 'op',
    operatorId: 'op',
    taskInfo: { indexOfThisSubtask: 0, numberOfParallelSubtasks: 1, maxNumberOfParallelSubtasks: 128, taskName: 'op', attemptNumber: 0 },
    runtimeContext: {
      getState: (d: never) => backend!.getValueState(d),
      getListState: (d: never) => backend!.getListState(d),
      getMapState: (d: never) => backend!.getMapState(d),
      // A late record dropped is logged with the operator's name and subtask.
      getOperatorName: () => 'op',
      getIndexOfThisSubtask: () => 0,
      getNumberOfParallelSubtasks: () => 1,
    },
    runtimeMode: 'STREAMING',
    stateKeySelector: keyed?.stateKeySelector,
    maxParallelism: keyed?.maxParallelism ?? 128,
    processingTimeService: { getCurrentProcessingTime: () => 0, registerTimer: () => {} },
    mailbox: { execute: (a: () => void) => a() },
    bindKeyedStateBackend: (b: HeapKeyedStateBackend) => {
      backend = b;
    },
    collect: () => {},
  } as unknown as StreamOperatorParameters;
  op.setup(params, {
    collect: (v: OUT, ts: number) => void out.push([v, ts]),
    emitWatermark: (w: number) => void wms.push(w),
    emitWatermarkStatus: () => {},
  });
  op.open();
  const processElement = (value: unknown, timestamp: number): void => {
    if (keyed !== undefined) op.setKeyContextElement(value);
    op.processElement(value, timestamp);
  };
  return { out, wms, processElement };
}
