/** The collect sink holds no records across a checkpoint barrier: what it buffered goes to the client before the snapshot. */
import { expect, test } from 'vitest';
import { CollectSinkOperator } from '../../lib/operators/collect-sink.ts';
import type { Output, StreamOperatorParameters } from '../../lib/runtime/operator.ts';
import { OneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

/**
 * The sink with its channel to the client recorded: the public harness has no client (its `collect`
 * refuses, as executeAndCollect cannot run in a harness), so the test stands in for it here and the
 * harness plays the task otherwise.
 */
class RecordedCollectSink extends CollectSinkOperator {
  /** What the sink sent to the client, per call: [sinkId, values]. */
  readonly sent: Array<[string, unknown[]]> = [];
  override setup(parameters: StreamOperatorParameters, output: Output<never>): void {
    super.setup({ ...parameters, collect: (sinkId, values) => void this.sent.push([sinkId, [...values]]) }, output);
  }
}

test('prepareSnapshotPreBarrier sends the buffered records; the snapshot holds no state', () => {
  const op = new RecordedCollectSink('sink');
  const h = new OneInputStreamOperatorTestHarness<number, never>(op);
  h.open();
  h.processElement(1);
  h.processElement(2);
  expect(op.sent).toEqual([]);
  expect(h.snapshot().operator).toEqual({}); // prepareSnapshotPreBarrier, then the snapshot, as at a barrier
  expect(op.sent).toEqual([['sink', [1, 2]]]);
});
