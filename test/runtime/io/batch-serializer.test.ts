/**
 * The binary exchange's framing: whatever the records, a batch read back from its frame equals the
 * batch as structured clone would deliver it — values (types, -0, NaN, ±Infinity, non-ASCII strings,
 * key order), timestamps and control elements. Records of one shape go by the generated encoder;
 * anything else falls back to v8.serialize and still arrives intact.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { inspect } from 'node:util';
import { BatchSerializer, deserializeBatch } from '../../../lib/runtime/io/batch-serializer.ts';
import type { ControlElement, StreamBatch } from '../../../lib/runtime/elements.ts';

const SHAPED = 0;

function roundTrip(s: BatchSerializer, batch: StreamBatch): { out: StreamBatch; shaped: boolean } {
  const frame = s.serialize(batch).slice(); // a copy: the view is reused by the next call
  const body = new DataView(frame.buffer).getUint32(0, true);
  // The body, then zero padding to a whole number of 8-byte words.
  expect(frame.length % 8).toBe(0);
  expect(frame.length - 4 - body).toBeGreaterThanOrEqual(0);
  expect(frame.length - 4 - body).toBeLessThan(8);
  for (let i = 4 + body; i < frame.length; i++) expect(frame[i]).toBe(0);
  return { out: deserializeBatch(frame.subarray(4)), shaped: frame[8] === SHAPED };
}

/** Keys in order, all the way down: a decoded record must enumerate as the original does. */
function keyOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(keyOrder);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.entries(v).map(([k, x]) => [k, keyOrder(x)]);
  }
  return typeof v;
}

const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53));
const ts = fc.oneof(fc.integer({ min: 0, max: 2 ** 42 }), fc.constantFrom(Number.NEGATIVE_INFINITY, -5));
const control: fc.Arbitrary<Omit<ControlElement, 'at'>> = fc.oneof(
  fc.record({ kind: fc.constant('watermark' as const), timestamp: fc.oneof(fc.integer(), fc.constant(Number.POSITIVE_INFINITY)) }),
  fc.record({ kind: fc.constant('watermark-status' as const), idle: fc.boolean() }),
  fc.record({ kind: fc.constant('end-of-input' as const) }),
  fc.record({
    kind: fc.constant('barrier' as const),
    checkpointId: fc.nat(),
    timestamp: fc.nat(),
    location: fc.string(),
    savepoint: fc.boolean(),
    stop: fc.boolean(),
  }),
);

function batchOf(values: unknown[], t: number[], c: Array<Omit<ControlElement, 'at'>> | null, at: number[]): StreamBatch {
  const times = values.map((_, i) => t[i % Math.max(1, t.length)] ?? 5);
  const controls = c === null || c.length === 0 ? null : c.map((e, i) => ({ ...e, at: Math.min(values.length, at[i] ?? 0) }) as ControlElement).sort((a, b) => a.at - b.at);
  return { v: values, t: times, c: controls };
}

const controlsArb = fc.option(fc.array(control, { maxLength: 4 }), { nil: null });
const atArb = fc.array(fc.nat({ max: 60 }), { minLength: 4, maxLength: 4 });

describe('batch serializer (binary exchange framing)', () => {
  test('records of one shape (numbers, booleans, strings, tuples, nested objects) round-trip exactly, by the shaped encoder', () => {
    const s = new BatchSerializer();
    const str = fc.oneof(fc.string(), fc.constantFrom('a', 'b', 'x'.repeat(40)));
    const records = fc.oneof(
      fc.array(num, { minLength: 1, maxLength: 60 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }),
      fc.array(fc.tuple(str, num, fc.boolean()), { minLength: 1, maxLength: 60 }),
      fc.array(fc.record({ id: fc.integer(), sensor: num, name: str }), { minLength: 1, maxLength: 60 }),
      fc.array(fc.record({ k: fc.nat(5), pos: fc.tuple(num, num), inner: fc.record({ x: num, tag: str, ok: fc.boolean() }) }), { minLength: 1, maxLength: 60 }),
      fc.array(fc.record({ 2: num, b: num, 1: str }), { minLength: 1, maxLength: 60 }), // integer-like keys enumerate first
    );
    fc.assert(
      fc.property(records, fc.array(ts, { maxLength: 60 }), controlsArb, atArb, (values, t, c, at) => {
        const batch = batchOf(values as unknown[], t, c, at);
        const expected = structuredClone(batch);
        const { out, shaped } = roundTrip(s, batch);
        expect(out).toEqual(expected); // toEqual tells -0 from 0 and treats NaN as equal to NaN
        expect(keyOrder(out.v)).toEqual(keyOrder(expected.v));
        for (let i = 0; i < out.t.length; i++) expect(Object.is(out.t[i], expected.t[i])).toBe(true);
        // Non-ASCII strings go serialized; everything else here has one shape.
        const ascii = JSON.stringify(values).split('').every((ch) => ch.charCodeAt(0) < 128);
        if (ascii) expect(shaped).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test('records of mixed or other shapes fall back and still arrive as structured clone delivers them', () => {
    const s = new BatchSerializer();
    const odd = fc.oneof(
      fc.array(fc.oneof(fc.integer(), fc.string()), { minLength: 1, maxLength: 30 }),
      fc.array(fc.record({ a: fc.integer(), b: fc.option(fc.integer(), { nil: undefined }) }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.oneof(fc.tuple(fc.integer()), fc.tuple(fc.integer(), fc.integer())), { minLength: 1, maxLength: 30 }),
      fc.array(fc.oneof(fc.record({ a: fc.integer(), b: fc.integer() }), fc.record({ b: fc.integer(), a: fc.integer() })), { minLength: 1, maxLength: 30 }),
      fc.array(fc.anything({ withDate: true, withMap: true, withSet: true, withBigInt: true, withTypedArray: true, withNullPrototype: true }), { minLength: 1, maxLength: 20 }),
    );
    fc.assert(
      fc.property(odd, fc.array(ts, { maxLength: 30 }), controlsArb, atArb, (values, t, c, at) => {
        const batch = batchOf(values as unknown[], t, c, at);
        const expected = structuredClone(batch);
        const { out } = roundTrip(s, batch);
        expect(out).toEqual(expected);
        expect(keyOrder(out.v)).toEqual(keyOrder(expected.v));
      }),
      { numRuns: 400 },
    );
  });

  test('a record with an extra, missing or reordered field is not squeezed into the first record\'s shape', () => {
    const s = new BatchSerializer();
    const values: unknown[] = Array.from({ length: 20 }, (_, i) => ({ a: i, b: i }));
    values[7] = { a: 7, b: 7, extra: 1 };
    values[9] = { b: 9, c: 9 };
    values[11] = { b: 11, a: 11 };
    values[13] = { a: 13 };
    const { out, shaped } = roundTrip(s, batchOf(values, [], null, []));
    expect(shaped).toBe(false);
    expect(out.v).toEqual(values);
    expect(Object.keys(out.v[11] as object)).toEqual(['b', 'a']);
  });

  test('a batch larger than the serializer\'s buffer, and an empty batch with only control elements, round-trip', () => {
    const s = new BatchSerializer();
    const big = Array.from({ length: 5000 }, (_, i) => ({ id: i, text: `record ${i} `.repeat(10) }));
    expect(roundTrip(s, batchOf(big, [1], null, [])).out.v).toEqual(big);
    const onlyControl: StreamBatch = { v: [], t: [], c: [{ at: 0, kind: 'end-of-input' }] };
    expect(roundTrip(s, onlyControl).out).toEqual(onlyControl);
  });

  /** What structured clone gives, down to constructors, byteOffsets, array properties and holes. */
  const seen = (v: unknown): string => inspect(v, { showHidden: true, depth: null, maxArrayLength: null, maxStringLength: null });
  const withExtra = (a: unknown[], extra: Record<string, unknown>): unknown[] => Object.assign(a, extra);

  test('an array (tuple) record with other properties keeps them, as structured clone does', () => {
    const s = new BatchSerializer();
    // The first record, a later record, a nested tuple: each must not be squeezed into the tuple shape.
    const batches: unknown[][] = [
      [withExtra([1, 2], { extra: 'x' }), [3, 4]],
      [[1, 2], [3, 4], withExtra([5, 6], { extra: 'x' })],
      [{ a: [1, 'b'] }, { a: withExtra([2, 'c'], { note: true }) }],
    ];
    for (const values of batches) {
      const { out } = roundTrip(s, batchOf(values, [], null, []));
      expect(seen(out.v)).toBe(seen(structuredClone(values)));
    }
  });

  test('random tuple records, one of them with an extra property, arrive as structured clone delivers them', () => {
    const s = new BatchSerializer();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer(), fc.string({ unit: fc.constantFrom('a', 'b', 'c') })), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.constantFrom('extra', 'k', '-1', 'length2'),
        fc.oneof(fc.integer(), fc.string()),
        fc.boolean(),
        (tuples, at, key, value, nested) => {
          const values: unknown[] = tuples.map((t) => (nested ? { t } : t));
          const target = tuples[at % tuples.length]!;
          (target as unknown as Record<string, unknown>)[key] = value;
          const { out } = roundTrip(s, batchOf(values, [], null, []));
          expect(seen(out.v)).toBe(seen(structuredClone(values)));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('typed arrays, Buffers and views arrive as structured clone delivers them (a Buffer becomes a Uint8Array over the whole buffer)', () => {
    const s = new BatchSerializer();
    const view = new Uint8Array(new ArrayBuffer(64), 8, 4);
    const values: unknown[] = [Buffer.from('hi'), view, new Float64Array([1.5, -0]), new DataView(new ArrayBuffer(4), 1), { b: Buffer.from([1, 2, 3]) }];
    const { out } = roundTrip(s, batchOf(values, [], null, []));
    const expected = structuredClone(values);
    expect(seen(out.v)).toBe(seen(expected));
    expect((out.v[0] as Uint8Array).constructor).toBe(Uint8Array);
    expect((out.v[1] as Uint8Array).byteOffset).toBe(8);
    expect((out.v[1] as Uint8Array).buffer.byteLength).toBe(64);
  });

  test('sparse arrays, null prototypes, getters, -0, undefined vs missing fields, bigint, symbol keys, long strings: as structured clone delivers them', () => {
    const s = new BatchSerializer();
    const cases: unknown[][] = [
      [[1, , 3], [1, 2, 3]], // eslint-disable-line no-sparse-arrays
      [[1, 2, 3], [1, , 3]], // eslint-disable-line no-sparse-arrays
      [Object.assign(Object.create(null) as object, { a: 1 }), { a: 2 }],
      [{ a: 1 }, Object.assign(Object.create(null) as object, { a: 2 })],
      [{ get a() { return 1; } }, { a: 2 }],
      [{ a: -0 }, { a: 0 }],
      [{ a: 1, b: undefined }, { a: 1 }],
      [{ a: 1 }, { a: 1, b: undefined }],
      [{ a: 1n }, 2n],
      [{ a: 1, [Symbol('s')]: 2 }, { a: 3 }],
      ['x'.repeat(300_000), 'y'.repeat(70_000)],
      [new (class Point { constructor(public x = 1) {} })(), { x: 2 }],
    ];
    for (const values of cases) {
      const { out } = roundTrip(s, batchOf(values, [], null, []));
      expect(seen(out.v)).toBe(seen(structuredClone(values)));
    }
  });

  test('a record holding a SharedArrayBuffer fails clearly (structured clone would share it; bytes cannot)', () => {
    const s = new BatchSerializer();
    expect(() => s.serialize(batchOf([{ shared: new SharedArrayBuffer(8) }], [], null, []))).toThrow(/SharedArrayBuffer.*TIDEMARK_EXCHANGE=port/);
    expect(() => s.serialize(batchOf([new Int32Array(new SharedArrayBuffer(8))], [], null, []))).toThrow(/SharedArrayBuffer/);
  });

  test('records whose shape is longer than a frame header holds (a 70 000-character field name, 30 × 30 × 30 fields) round-trip', () => {
    const s = new BatchSerializer();
    const wide = (d: number): unknown => (d === 0 ? 1 : Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field_name_${i}`, wide(d - 1)])));
    for (const values of [[{ ['k'.repeat(70_000)]: 1 }, { ['k'.repeat(70_000)]: 2 }], [wide(3), wide(3)]]) {
      const { out } = roundTrip(s, batchOf(values, [], null, []));
      expect(seen(out.v)).toBe(seen(structuredClone(values)));
    }
  });
});
