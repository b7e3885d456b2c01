/**
 * RecordWriter (Flink's RecordWriter): one output edge of a subtask. Picks a channel per record and
 * batches records per channel; control elements (watermarks, end of input) go into every channel's
 * batch at their position.
 */
import { NO_TIMESTAMP, addControl, type StreamBatch, type ControlElement } from '../elements.ts';
import type { ChannelSelector, OutputChannel } from '../channels.ts';

/** Records per batch between tasks and per source poll. */
export const BATCH_SIZE = 1024;

/** A batch's timestamps start as a copy of this (a packed array of doubles: no growth, no elements-kind change). */
const TIMESTAMPS = new Array<number>(BATCH_SIZE).fill(NO_TIMESTAMP);

/**
 * A batch being filled: both arrays are allocated at their full size once and written by index (growing
 * them by push reallocates and copies each about ten times per batch); the writer keeps the count and
 * cuts them to it when the batch leaves, so a batch on a channel is exactly as before.
 */
function emptyBatch(): StreamBatch {
  return { v: new Array<unknown>(BATCH_SIZE), t: TIMESTAMPS.slice(), c: null };
}

export class RecordWriter {
  private readonly buffers: StreamBatch[];
  /** Records in each channel's batch. */
  private readonly counts: number[];
  constructor(
    private readonly channels: OutputChannel[],
    private readonly selector: ChannelSelector | 'broadcast',
  ) {
    this.buffers = channels.map(() => emptyBatch());
    this.counts = channels.map(() => 0);
  }
  emit(value: unknown, timestamp: number): void {
    if (this.selector === 'broadcast') {
      for (let c = 0; c < this.buffers.length; c++) this.append(c, value, timestamp);
    } else {
      this.append(this.selector.selectChannel(value), value, timestamp);
    }
  }
  private append(channel: number, value: unknown, timestamp: number): void {
    const b = this.buffers[channel]!;
    const n = this.counts[channel]!;
    b.v[n] = value;
    b.t[n] = timestamp;
    if (n + 1 < BATCH_SIZE) {
      this.counts[channel] = n + 1;
      return;
    }
    this.counts[channel] = 0;
    this.buffers[channel] = emptyBatch();
    this.channels[channel]!.push(b);
  }
  broadcastControl(make: (at: number) => ControlElement): void {
    for (let c = 0; c < this.buffers.length; c++) addControl(this.buffers[c]!, make(this.counts[c]!));
  }
  flush(): void {
    for (let c = 0; c < this.buffers.length; c++) {
      const b = this.buffers[c]!;
      const n = this.counts[c]!;
      if (n > 0 || b.c !== null) {
        b.v.length = n;
        b.t.length = n;
        this.counts[c] = 0;
        this.buffers[c] = emptyBatch();
        this.channels[c]!.push(b);
      }
    }
  }
  hasCredit(): boolean {
    for (const ch of this.channels) if (!ch.hasCredit()) return false;
    return true;
  }
}
