/** The collect sink holds no records across a checkpoint barrier: what it buffered goes to the client before the snapshot. */
import { expect, test } from 'vitest';
import { CollectSinkOperator } from '../../lib/operators/collect-sink.ts';
import { checkpoint, drive } from './restore-harness.ts';

test('prepareSnapshotPreBarrier sends the buffered records; the snapshot holds no state', () => {
  const op = new CollectSinkOperator('sink');
  const d = drive(op);
  op.processElement(1);
  op.processElement(2);
  expect(d.sent).toEqual([]);
  expect(checkpoint(op).operator).toEqual({});
  expect(d.sent).toEqual([[1, 2]]);
});
