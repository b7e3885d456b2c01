/**
 * The ring channel keeps the byte ring's write and read positions on 8-byte boundaries, whatever the
 * records (odd-length strings, odd record counts, control elements), the ring size and the
 * interleaving of push and poll: V8 copies into and out of a SharedArrayBuffer a word at a time only
 * between aligned addresses (byte by byte, about 6× slower, otherwise). The batches still come out
 * the same, in order.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { setImmediate as turn } from 'node:timers/promises';
import { createRingBuffer } from '../../../lib/runtime/io/byte-ring.ts';
import { RingInputChannel, RingOutputChannel } from '../../../lib/runtime/io/ring-channels.ts';
import type { StreamBatch } from '../../../lib/runtime/elements.ts';

const batchArb: fc.Arbitrary<StreamBatch> = fc
  .array(fc.oneof(fc.record({ k: fc.nat(9), s: fc.string({ maxLength: 13 }) }), fc.string({ maxLength: 5 }), fc.integer(), fc.boolean()), { minLength: 0, maxLength: 40 })
  .map((v): StreamBatch => ({ v, t: v.map((_, i) => i), c: v.length % 2 === 0 ? [{ at: v.length, kind: 'watermark', timestamp: v.length }] : null }));

test('write and read positions of the ring stay multiples of 8 bytes; batches arrive intact', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 25 }), fc.constantFrom(16, 32, 128, 1024), fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), async (batches, ringBytes, schedule) => {
      const sab = createRingBuffer(ringBytes);
      const positions = new Int32Array(sab, 0, 2); // [write, read], as the byte ring publishes them
      const { port1, port2 } = new MessageChannel();
      const out = new RingOutputChannel(sab, port1, () => {});
      const input = new RingInputChannel(sab, port2, () => {});
      const expected = structuredClone(batches);
      const got: StreamBatch[] = [];
      let next = 0;
      for (let step = 0; got.length < batches.length; step++) {
        expect(step).toBeLessThan(100_000);
        if (schedule[step % schedule.length]! && next < batches.length && out.hasCredit()) out.push(batches[next++]!);
        else {
          const b = input.poll();
          if (b !== undefined) got.push(b);
          else if (next < batches.length && out.hasCredit()) out.push(batches[next++]!);
          else await turn(); // the consumer's doorbell drains the producer's outbox
        }
        expect(Atomics.load(positions, 0) % 8).toBe(0);
        expect(Atomics.load(positions, 1) % 8).toBe(0);
      }
      expect(got).toEqual(expected);
      out.close();
      input.close();
    }),
    { numRuns: 200 },
  );
});
