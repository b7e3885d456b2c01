/**
 * A channel between two worker threads over the binary exchange: batches framed by BatchSerializer,
 * carried by a ByteRing in shared memory. Control elements (watermarks, watermark status, barriers,
 * end of input) are in their batch's frame, so they stay in order with the records.
 *
 * Backpressure: the ring is the channel's credit. A frame that does not fit waits, whole or in part,
 * in the producer's outbox; while it does the channel has no credit, so at most one batch per
 * channel is held beyond the ring, and a slow consumer slows its producers. The outbox also drains
 * when the consumer rings (a producer that has finished still delivers what it sent last).
 */
import type { MessagePort } from 'node:worker_threads';
import { TidemarkError } from '../../core/errors.ts';
import type { InputChannel, OutputChannel, Wakeup } from '../channels.ts';
import type { StreamBatch } from '../elements.ts';
import { BatchSerializer, deserializeBatch, FRAME_ALIGN, frameLength } from './batch-serializer.ts';
import { RingReader, RingWriter } from './byte-ring.ts';

export class RingOutputChannel implements OutputChannel {
  private readonly serializer = new BatchSerializer();
  private readonly ring: RingWriter;
  /** Bytes not in the ring yet: outbox[start..end). */
  private outbox = new Uint8Array(0);
  private start = 0;
  private end = 0;

  /** `route` names the channel in errors: `from 'Source: numbers -> Map' (subtask 1/2) to 'Sum' (subtask 2/2)`. */
  constructor(
    sab: SharedArrayBuffer,
    doorbell: MessagePort,
    wakeup: Wakeup,
    private readonly route = '',
  ) {
    this.ring = new RingWriter(sab, doorbell, () => {
      this.drain();
      wakeup();
    });
  }

  push(batch: StreamBatch): void {
    let frame: Uint8Array;
    try {
      frame = this.serializer.serialize(batch);
    } catch (e) {
      // Structured clone refused a record (a function, a SharedArrayBuffer, ...) or a getter threw: say where.
      const route = this.route === '' ? '' : ` ${this.route}`;
      let why = e instanceof Error ? e.message : String(e);
      if (!/[.!?]$/.test(why)) why += '.';
      const advice =
        e instanceof TidemarkError
          ? ''
          : ' Records between worker threads go by structured clone: no functions or symbols in them, and class instances arrive as plain objects. Run with -t inline to keep them as they are.';
      throw new TidemarkError(`A record sent${route} cannot cross to another worker thread (-t threads): ${why}${advice}`, { cause: e });
    }
    const written = this.start === this.end ? this.ring.write(frame, 0, frame.length) : 0;
    if (written < frame.length) this.keep(frame, written);
  }

  hasCredit(): boolean {
    if (this.start === this.end) return true;
    this.drain();
    return this.start === this.end;
  }

  private keep(frame: Uint8Array, from: number): void {
    const len = frame.length - from;
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end + len > this.outbox.length) {
      const kept = this.end - this.start;
      if (kept + len <= this.outbox.length) {
        this.outbox.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(2 * this.outbox.length, kept + len));
        next.set(this.outbox.subarray(this.start, this.end), 0);
        this.outbox = next;
      }
      this.start = 0;
      this.end = kept;
    }
    this.outbox.set(frame.subarray(from), this.end);
    this.end += len;
  }

  private drain(): void {
    if (this.start === this.end) return;
    this.start += this.ring.write(this.outbox, this.start, this.end - this.start);
    if (this.start === this.end) {
      this.start = this.end = 0;
      // Give back a large buffer (a huge batch went through once).
      if (this.outbox.length > 1 << 22) this.outbox = new Uint8Array(0);
    }
  }

  close(): void {
    this.ring.close();
  }
}

export class RingInputChannel implements InputChannel {
  private readonly ring: RingReader;
  /**
   * The frame being read: its first FRAME_ALIGN bytes (the length prefix and the body's start), then
   * the rest. Frames are whole multiples of FRAME_ALIGN, so every read keeps the ring's positions aligned.
   */
  private frame = new Uint8Array(64 * 1024);
  private have = 0;
  private need = FRAME_ALIGN;
  private bodyLength = -1;
  private ready: StreamBatch | undefined = undefined;

  constructor(sab: SharedArrayBuffer, doorbell: MessagePort, wakeup: Wakeup) {
    this.ring = new RingReader(sab, doorbell, wakeup);
  }

  hasData(): boolean {
    return this.ready !== undefined || this.fill();
  }

  poll(): StreamBatch | undefined {
    if (this.ready === undefined && !this.fill()) return undefined;
    const b = this.ready;
    this.ready = undefined;
    return b;
  }

  /** Reads what the ring holds of the current frame; true once a whole batch is ready. */
  private fill(): boolean {
    for (;;) {
      const avail = this.ring.available();
      if (avail === 0) return false;
      const n = Math.min(avail, this.need - this.have);
      this.ring.read(this.frame, this.have, n);
      this.have += n;
      if (this.have < this.need) continue;
      if (this.bodyLength < 0) {
        this.bodyLength = (this.frame[0]! | (this.frame[1]! << 8) | (this.frame[2]! << 16) | (this.frame[3]! << 24)) >>> 0;
        this.need = frameLength(this.bodyLength);
        if (this.need > this.frame.length) {
          const next = new Uint8Array(Math.max(this.need, 2 * this.frame.length));
          next.set(this.frame.subarray(0, this.have));
          this.frame = next;
        }
        if (this.have < this.need) continue;
      }
      this.ready = deserializeBatch(this.frame.subarray(4, 4 + this.bodyLength));
      this.have = 0;
      this.need = FRAME_ALIGN;
      this.bodyLength = -1;
      if (this.frame.length > 1 << 22) this.frame = new Uint8Array(64 * 1024);
      return true;
    }
  }

  close(): void {
    this.ring.close();
  }
}
