/**
 * RecordWriter (Flink's RecordWriter): one output edge of a subtask. Picks a channel per record and
 * batches records per channel; control elements (watermarks, end of input) go into every channel's
 * batch at their position.
 */
import { newBatch, addControl, type StreamBatch, type ControlElement } from '../elements.ts';
import type { ChannelSelector, OutputChannel } from '../channels.ts';

/** Records per batch between tasks and per source poll. */
export const BATCH_SIZE = 1024;

export class RecordWriter {
  private buffers: StreamBatch[];
  constructor(
    private readonly channels: OutputChannel[],
    private readonly selector: ChannelSelector | 'broadcast',
  ) {
    this.buffers = channels.map(() => newBatch());
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
    b.v.push(value);
    b.t.push(timestamp);
    if (b.v.length >= BATCH_SIZE) {
      this.channels[channel]!.push(b);
      this.buffers[channel] = newBatch();
    }
  }
  broadcastControl(make: (at: number) => ControlElement): void {
    for (const b of this.buffers) addControl(b, make(b.v.length));
  }
  flush(): void {
    for (let c = 0; c < this.buffers.length; c++) {
      const b = this.buffers[c]!;
      if (b.v.length > 0 || b.c !== null) {
        this.channels[c]!.push(b);
        this.buffers[c] = newBatch();
      }
    }
  }
  hasCredit(): boolean {
    for (const ch of this.channels) if (!ch.hasCredit()) return false;
    return true;
  }
}
