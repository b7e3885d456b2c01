/**
 * The binary exchange generates an encoder per record shape. Records whose field names vary without
 * end (`{ [user]: count }`) must not make a long-running job compile and keep one per batch: past a
 * bound, new shapes go by the fallback (structured clone) — every record still arrives intact — while
 * the shapes already generated keep their encoder.
 */
import { expect, test } from 'vitest';
import { BatchSerializer, deserializeBatch } from '../../../lib/runtime/io/batch-serializer.ts';
import type { StreamBatch } from '../../../lib/runtime/elements.ts';

const SHAPED = 0;

function roundTrip(s: BatchSerializer, batch: StreamBatch): { out: StreamBatch; shaped: boolean } {
  const frame = s.serialize(batch).slice();
  return { out: deserializeBatch(frame.subarray(4)), shaped: frame[8] === SHAPED };
}

test('records with ever new field names: bounded generated encoders, every record intact, known shapes still shaped', () => {
  const s = new BatchSerializer();
  const known = { v: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }], t: [1, 2], c: null };
  expect(roundTrip(s, known).shaped).toBe(true);
  const kinds: boolean[] = [];
  for (let i = 0; i < 2000; i++) {
    const v = Array.from({ length: 4 }, (_, j) => ({ [`user-${i}`]: j }));
    const batch: StreamBatch = { v, t: v.map(() => i), c: null };
    const { out, shaped } = roundTrip(s, batch);
    expect(out).toEqual(structuredClone(batch));
    kinds.push(shaped);
  }
  expect(kinds[0]).toBe(true); // a new shape is generated while there are few
  expect(kinds.filter((k) => k).length).toBeLessThan(1000); // ... but not one per batch, without end
  expect(kinds[kinds.length - 1]).toBe(false);
  expect(roundTrip(s, known).shaped).toBe(true);
});
