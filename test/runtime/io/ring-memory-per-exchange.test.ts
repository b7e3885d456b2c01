/**
 * The shared memory of one exchange between worker threads is bounded: it has a ring per producer-
 * consumer pair (p·(p-1) of them), so the default ring shrinks as p grows — 1 MiB each up to p = 8,
 * never more than 64 MiB for the exchange unless that would leave a ring under 64 KiB — where 1 MiB
 * each would be 4 GiB for one keyBy at p = 64.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { defaultRingBytes, EXCHANGE_RING_BUDGET_BYTES, MIN_DEFAULT_RING_BYTES, RING_BYTES } from '../../../lib/runtime/io/byte-ring.ts';

test('default ring per channel: 1 MiB at small parallelism, the exchange within its budget at large', () => {
  for (const p of [2, 3, 4, 8]) expect(defaultRingBytes(p * (p - 1))).toBe(RING_BYTES);
  expect(defaultRingBytes(64 * 63) * 64 * 63).toBeLessThanOrEqual(EXCHANGE_RING_BUDGET_BYTES * 4);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 256 * 255 }), (channels) => {
      const bytes = defaultRingBytes(channels);
      expect(bytes & (bytes - 1)).toBe(0);
      expect(bytes).toBeGreaterThanOrEqual(MIN_DEFAULT_RING_BYTES);
      expect(bytes).toBeLessThanOrEqual(RING_BYTES);
      if (bytes > MIN_DEFAULT_RING_BYTES) expect(bytes * channels).toBeLessThanOrEqual(EXCHANGE_RING_BUDGET_BYTES);
    }),
  );
});
