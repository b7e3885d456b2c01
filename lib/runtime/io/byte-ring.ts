/**
 * The transport of the binary exchange between two threads: a single-producer single-consumer byte
 * stream in a SharedArrayBuffer. The producer writes what fits and keeps the rest; the consumer
 * reads what is there. Positions are free-running uint32 byte counters published with Atomics, so
 * neither side ever waits for a message to send or receive bytes: no event-loop hop per batch.
 *
 * A side that finds nothing to do (no bytes / no room) raises its "waiting" flag and checks again;
 * the other side, after moving its position, lowers a raised flag and rings the waiter's doorbell
 * (the producer's flag is the room it waits for, so it is not rung for every frame read)
 * (a MessagePort message, which wakes that thread's executor). Both sides store, then load, with
 * sequentially consistent Atomics, so at least one of them sees the other: no lost wakeup.
 */
import type { MessagePort } from 'node:worker_threads';

const WRITE = 0;
const READ = 1;
const CONSUMER_WAITING = 2;
const PRODUCER_WAITING = 3;
const HEADER_BYTES = 16;

/** Default ring size per channel (a power of two): about 30 batches of 1 024 small records. */
export const RING_BYTES = 1 << 20;

/**
 * Shared memory of all the rings of one exchange (an edge between two operators), by default: a ring
 * per producer-consumer pair is p·(p-1) rings, so 1 MiB each would be 4 GiB for one keyBy at p = 64
 * (Flink bounds its network buffers per channel likewise). Rings shrink, down to MIN_DEFAULT_RING_BYTES.
 */
export const EXCHANGE_RING_BUDGET_BYTES = 64 << 20;
export const MIN_DEFAULT_RING_BYTES = 64 << 10;

/** The default ring size of each of an exchange's `channels` cross-thread channels. */
export function defaultRingBytes(channels: number): number {
  let bytes = RING_BYTES;
  while (bytes > MIN_DEFAULT_RING_BYTES && bytes * channels > EXCHANGE_RING_BUDGET_BYTES) bytes >>>= 1;
  return bytes;
}

/** Positions are uint32 counters masked with `& (size - 1)` (an int32 operation): at most 2^30 bytes. */
export const MAX_RING_BYTES = 1 << 30;
export const MIN_RING_BYTES = 16;

/** The shared memory of one ring: create it on one thread, hand it to both ends. */
export function createRingBuffer(bytes = RING_BYTES): SharedArrayBuffer {
  if (!Number.isInteger(bytes) || bytes < MIN_RING_BYTES || bytes > MAX_RING_BYTES || (bytes & (bytes - 1)) !== 0) {
    throw new RangeError(`ring size ${bytes}: a power of two from ${MIN_RING_BYTES} to ${MAX_RING_BYTES} (2^30) bytes`);
  }
  return new SharedArrayBuffer(HEADER_BYTES + bytes);
}

abstract class RingEnd {
  protected readonly ctl: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly mask: number;
  protected readonly size: number;
  constructor(
    sab: SharedArrayBuffer,
    protected readonly doorbell: MessagePort,
  ) {
    this.ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.size = this.data.length;
    this.mask = this.size - 1;
  }
  protected used(): number {
    return (Atomics.load(this.ctl, WRITE) - Atomics.load(this.ctl, READ)) >>> 0;
  }
  close(): void {
    this.doorbell.close();
  }
}

/** The producer's end. `onRing` runs (on this thread's event loop) when the consumer freed room for a waiting producer. */
export class RingWriter extends RingEnd {
  constructor(sab: SharedArrayBuffer, doorbell: MessagePort, onRing: () => void) {
    super(sab, doorbell);
    doorbell.on('message', onRing);
  }

  free(): number {
    return this.size - this.used();
  }

  /** Writes up to `len` bytes of `src` from `from`; returns how many fitted (raising the flag when not all did). */
  write(src: Uint8Array, from: number, len: number): number {
    let n = Math.min(len, this.free());
    if (n < len) {
      // Rung once a quarter of the ring is free (or all that is left fits): not after every frame read.
      Atomics.store(this.ctl, PRODUCER_WAITING, Math.min(len - n, this.size >>> 2));
      n = Math.min(len, this.free()); // the consumer may have read meanwhile
    }
    if (n === 0) return 0;
    const w = Atomics.load(this.ctl, WRITE) >>> 0;
    const at = w & this.mask;
    const first = Math.min(n, this.size - at);
    this.data.set(src.subarray(from, from + first), at);
    if (first < n) this.data.set(src.subarray(from + first, from + n), 0);
    Atomics.store(this.ctl, WRITE, (w + n) | 0);
    if (Atomics.load(this.ctl, CONSUMER_WAITING) === 1) {
      Atomics.store(this.ctl, CONSUMER_WAITING, 0);
      this.doorbell.postMessage(0);
    }
    return n;
  }
}

/** The consumer's end. `onRing` runs (on this thread's event loop) when bytes came for a waiting consumer. */
export class RingReader extends RingEnd {
  constructor(sab: SharedArrayBuffer, doorbell: MessagePort, onRing: () => void) {
    super(sab, doorbell);
    doorbell.on('message', onRing);
  }

  /** Bytes ready to read; when none, the flag is raised so the producer rings on its next write. */
  available(): number {
    const n = this.used();
    if (n > 0) return n;
    Atomics.store(this.ctl, CONSUMER_WAITING, 1);
    return this.used();
  }

  /** Copies `len` available bytes into `dst` at `to` and frees their room. */
  read(dst: Uint8Array, to: number, len: number): void {
    const r = Atomics.load(this.ctl, READ) >>> 0;
    const at = r & this.mask;
    const first = Math.min(len, this.size - at);
    dst.set(this.data.subarray(at, at + first), to);
    if (first < len) dst.set(this.data.subarray(0, len - first), to + first);
    Atomics.store(this.ctl, READ, (r + len) | 0);
    const wanted = Atomics.load(this.ctl, PRODUCER_WAITING);
    if (wanted > 0 && this.size - this.used() >= wanted) {
      Atomics.store(this.ctl, PRODUCER_WAITING, 0);
      this.doorbell.postMessage(0);
    }
  }
}
