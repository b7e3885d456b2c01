/**
 * Batches crossing threads are encoded as columns when their records allow it. Whatever the
 * records, what arrives must equal what was sent: same values (types, -0, NaN, ±Infinity,
 * strings), same timestamps, same control elements; anything the columns cannot carry falls back.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { decodeBatch, encodeBatch } from '../../lib/runtime/codec.ts';
import type { StreamBatch } from '../../lib/runtime/elements.ts';

/** Sends a batch through a real MessagePort, as a remote channel does, and decodes it. */
function roundTrip(batch: StreamBatch): { out: StreamBatch; columnar: boolean } {
  const { port1, port2 } = new MessageChannel();
  const { message, transfer } = encodeBatch(batch);
  port1.postMessage(message, transfer);
  const received = receiveMessageOnPort(port2)!.message as Parameters<typeof decodeBatch>[0];
  port1.close();
  return { out: decodeBatch(received), columnar: 'columnar' in received };
}

const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1));
const ts = fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.constant(Number.NEGATIVE_INFINITY));
const controls = fc.option(
  fc.array(fc.record({ at: fc.nat({ max: 40 }), kind: fc.constant('watermark' as const), timestamp: fc.integer() }), { maxLength: 3 }),
  { nil: null },
);

function batchOf(values: unknown[], t: number[], c: StreamBatch['c']): StreamBatch {
  return { v: values, t: t.slice(0, values.length).concat(Array(Math.max(0, values.length - t.length)).fill(5)), c };
}

describe('batch codec', () => {
  test('numbers, numeric/string tuples and flat objects round-trip exactly', () => {
    const record = fc.oneof(
      fc.array(num, { minLength: 16, maxLength: 40 }),
      fc.array(fc.tuple(fc.string(), num), { minLength: 16, maxLength: 40 }),
      fc.array(fc.record({ id: fc.integer(), sensor: num, name: fc.string() }), { minLength: 16, maxLength: 40 }),
      fc.array(fc.string(), { minLength: 16, maxLength: 40 }),
    );
    fc.assert(
      fc.property(record, fc.array(ts, { maxLength: 40 }), controls, (values, t, c) => {
        const batch = batchOf(values as unknown[], t, c);
        const expected = structuredClone(batch);
        const { out, columnar } = roundTrip(batch);
        expect(columnar).toBe(true);
        expect(out).toEqual(expected); // toEqual tells -0 from 0 and treats NaN as equal to NaN
        for (let i = 0; i < out.v.length; i++) {
          const a = out.v[i];
          const b = expected.v[i];
          if (typeof b === 'number') expect(Object.is(a, b)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('records the columns cannot carry fall back to structured clone and still arrive intact', () => {
    const odd = fc.oneof(
      fc.array(fc.oneof(fc.integer(), fc.string()), { minLength: 16, maxLength: 30 }), // mixed types in one column
      fc.array(fc.record({ a: fc.integer(), b: fc.option(fc.integer(), { nil: undefined }) }), { minLength: 16, maxLength: 30 }),
      fc.array(fc.oneof(fc.tuple(fc.integer()), fc.tuple(fc.integer(), fc.integer())), { minLength: 16, maxLength: 30 }),
      fc.array(fc.record({ a: fc.integer(), nested: fc.record({ x: fc.integer() }) }), { minLength: 16, maxLength: 30 }),
      fc.array(fc.oneof(fc.boolean(), fc.constant(null)), { minLength: 16, maxLength: 30 }),
    );
    fc.assert(
      fc.property(odd, fc.array(ts, { maxLength: 30 }), (values, t) => {
        const batch = batchOf(values as unknown[], t, null);
        const expected = structuredClone(batch);
        expect(roundTrip(batch).out).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('an object with an extra field is not squeezed into the first record\'s columns', () => {
    const values: unknown[] = Array.from({ length: 20 }, (_, i) => ({ a: i, b: i }));
    values[7] = { a: 7, b: 7, extra: 1 };
    values[9] = { b: 9, c: 9 }; // same key count, other keys
    const { out } = roundTrip(batchOf(values, [], null));
    expect(out.v[7]).toEqual({ a: 7, b: 7, extra: 1 });
    expect(out.v[9]).toEqual({ b: 9, c: 9 });
  });

  test('class instances keep going by structured clone (their own fields intact)', () => {
    class P {
      constructor(readonly x: number) {}
    }
    const values = Array.from({ length: 20 }, (_, i) => new P(i));
    const { out, columnar } = roundTrip(batchOf(values, [], null));
    expect(columnar).toBe(false);
    expect(out.v.map((p) => (p as { x: number }).x)).toEqual(values.map((p) => p.x));
  });
});

describe('columnar codec', () => {
  test('an object record with an own "__proto__" key (JSON.parse) keeps it across threads', () => {
    const records = Array.from({ length: 20 }, (_, i) => JSON.parse(`{"__proto__": "p${i}", "n": ${i}}`) as Record<string, unknown>);
    const decoded = decodeBatch(encodeBatch({ v: records, t: records.map(() => 0), c: null }).message);
    expect(Object.keys(decoded.v[3] as object)).toEqual(['__proto__', 'n']);
  });
});
