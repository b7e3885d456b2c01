/**
 * The binary exchange's channel: batches pushed into a RingOutputChannel come out of the
 * RingInputChannel in order and intact, whatever the ring size (frames larger than the whole ring
 * pass in pieces); the channel has no credit while a frame waits outside the ring (bounded memory);
 * and a producer that stops pushing (a finished task) still delivers what waited, on the consumer's
 * doorbell. Both ends in one thread here; in a job they are on two worker threads.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { MessageChannel } from 'node:worker_threads';
import { setImmediate as turn } from 'node:timers/promises';
import { createRingBuffer } from '../../../lib/runtime/io/byte-ring.ts';
import { RingInputChannel, RingOutputChannel } from '../../../lib/runtime/io/ring-channels.ts';
import type { StreamBatch } from '../../../lib/runtime/elements.ts';

function channelPair(ringBytes: number): { out: RingOutputChannel; input: RingInputChannel; wakeups: { producer: number; consumer: number }; close: () => void } {
  const sab = createRingBuffer(ringBytes);
  const { port1, port2 } = new MessageChannel();
  const wakeups = { producer: 0, consumer: 0 };
  const out = new RingOutputChannel(sab, port1, () => wakeups.producer++);
  const input = new RingInputChannel(sab, port2, () => wakeups.consumer++);
  return { out, input, wakeups, close: () => (out.close(), input.close()) };
}

const batchArb: fc.Arbitrary<StreamBatch> = fc
  .array(fc.oneof(fc.record({ k: fc.nat(9), s: fc.string({ maxLength: 30 }) }), fc.integer()), { minLength: 1, maxLength: 200 })
  .map((v): StreamBatch => ({ v, t: v.map((_, i) => i * 3), c: controlsFor(v.length) }));

/** Some batches carry a watermark after their last record. */
function controlsFor(n: number): StreamBatch['c'] {
  return n % 3 === 0 ? [{ at: n, kind: 'watermark', timestamp: n }] : null;
}

describe('ring channel (binary exchange between threads)', () => {
  test('any batches, any ring size, any interleaving of push and poll: the same batches in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 30 }), fc.constantFrom(64, 256, 1024, 1 << 16), fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }), async (batches, ringBytes, schedule) => {
        const { out, input, close } = channelPair(ringBytes);
        const expected = structuredClone(batches);
        const got: StreamBatch[] = [];
        let next = 0;
        for (let step = 0; got.length < batches.length; step++) {
          expect(step).toBeLessThan(100_000);
          const producerTurn = schedule[step % schedule.length]!;
          if (producerTurn && next < batches.length && out.hasCredit()) out.push(batches[next++]!);
          else {
            const b = input.poll();
            if (b !== undefined) got.push(b);
            else if (next < batches.length && !out.hasCredit()) await turn(); // let the doorbell drain the outbox
            else if (next < batches.length) out.push(batches[next++]!);
            else await turn();
          }
        }
        expect(got).toEqual(expected);
        expect(input.poll()).toBeUndefined();
        close();
      }),
      { numRuns: 150 },
    );
  });

  test('no credit while a frame waits outside the ring; the consumer\'s reads give it back', () => {
    const { out, input, close } = channelPair(1024);
    const batch: StreamBatch = { v: Array.from({ length: 100 }, (_, i) => i), t: Array.from({ length: 100 }, () => 0), c: null }; // ~1.6 KB
    expect(out.hasCredit()).toBe(true);
    out.push(batch);
    expect(out.hasCredit()).toBe(false); // the ring holds 1 KB of it, the rest waits
    expect(input.poll()).toBeUndefined(); // a part of a frame is no batch yet, but its bytes are taken
    expect(out.hasCredit()).toBe(true);
    expect(input.poll()).toEqual(batch);
    close();
  });

  test('a producer that pushes no more still delivers what waited in its outbox, when the consumer rings', async () => {
    const { out, input, wakeups, close } = channelPair(256);
    const batches: StreamBatch[] = Array.from({ length: 5 }, (_, b) => ({ v: Array.from({ length: 50 }, (_, i) => b * 100 + i), t: Array.from({ length: 50 }, () => b), c: b === 4 ? [{ at: 50, kind: 'end-of-input' }] : null }));
    for (const b of batches) out.push(b); // a finishing task pushes regardless of credit
    const got: StreamBatch[] = [];
    for (let i = 0; i < 1000 && got.length < batches.length; i++) {
      const b = input.poll();
      if (b !== undefined) got.push(b);
      else await turn(); // the producer never calls hasCredit() again: only its doorbell moves the outbox
    }
    expect(got).toEqual(batches);
    expect(wakeups.producer).toBeGreaterThan(0);
    close();
  });

  test('a consumer that found the ring empty is woken by the next push', async () => {
    const { out, input, wakeups, close } = channelPair(1024);
    expect(input.hasData()).toBe(false);
    out.push({ v: [1], t: [0], c: null });
    await new Promise((r) => setTimeout(r, 20));
    expect(wakeups.consumer).toBe(1);
    expect(input.poll()).toEqual({ v: [1], t: [0], c: null });
    close();
  });
});
