/**
 * Combines the watermarks and watermark statuses of a task's input channels into the task's input
 * watermark (Flink's StatusWatermarkValve):
 * - the input watermark is the minimum over active, aligned channels and only moves forward;
 * - an idle channel does not hold it back; when every channel is idle the task's output is idle;
 * - a channel that turns active again behind the current watermark is "unaligned" and does not
 *   count until its own watermark catches up;
 * - a channel that ended (end of input) no longer holds the watermark back; its last watermark (the
 *   +∞ a source sends before its end) still counts when the open channels go idle and the output
 *   flushes to the highest watermark, as a finished channel at MAX_WATERMARK does in Flink.
 */
import { NO_TIMESTAMP } from './elements.ts';

export interface ValveOutput {
  emitWatermark(watermark: number): void;
  emitWatermarkStatus(idle: boolean): void;
}

export class StatusWatermarkValve {
  private readonly watermarks: number[];
  private readonly idle: boolean[];
  private readonly aligned: boolean[];
  private readonly ended: boolean[];
  private lastOutputWatermark = NO_TIMESTAMP;
  private lastOutputIdle = false;

  /**
   * After a restore: the head operator's restored watermark is the floor of the combined watermark
   * (a channel counts once it reached it), so nothing lower goes downstream.
   */
  restoreWatermark(watermark: number): void {
    if (watermark > this.lastOutputWatermark) this.lastOutputWatermark = watermark;
  }

  constructor(channels: number) {
    this.watermarks = new Array<number>(channels).fill(NO_TIMESTAMP);
    this.idle = new Array<boolean>(channels).fill(false);
    this.aligned = new Array<boolean>(channels).fill(true);
    this.ended = new Array<boolean>(channels).fill(false);
  }

  get currentWatermark(): number {
    return this.lastOutputWatermark;
  }

  inputWatermark(watermark: number, channel: number, output: ValveOutput): void {
    // Watermarks of an idle channel, or while all are idle, are ignored (as in Flink).
    if (this.lastOutputIdle || this.idle[channel] || this.ended[channel]) return;
    if (watermark <= this.watermarks[channel]!) return;
    this.watermarks[channel] = watermark;
    if (!this.aligned[channel] && watermark >= this.lastOutputWatermark) this.aligned[channel] = true;
    this.outputNewMin(output);
  }

  inputWatermarkStatus(idle: boolean, channel: number, output: ValveOutput): void {
    if (this.ended[channel]) return;
    if (idle && !this.idle[channel]) {
      this.idle[channel] = true;
      this.aligned[channel] = false;
      if (!this.anyActive()) {
        this.outputIdle(channel, output);
      } else if (this.watermarks[channel] === this.lastOutputWatermark) {
        this.outputNewMin(output);
      }
    } else if (!idle && this.idle[channel]) {
      this.idle[channel] = false;
      if (this.watermarks[channel]! >= this.lastOutputWatermark) this.aligned[channel] = true;
      if (this.lastOutputIdle) {
        this.lastOutputIdle = false;
        output.emitWatermarkStatus(false);
      }
    }
  }

  /** The channel delivered end-of-input; the others decide from now on. */
  endOfInput(channel: number, output: ValveOutput): void {
    if (this.ended[channel]) return;
    const wasIdle = this.idle[channel]!;
    this.ended[channel] = true;
    this.aligned[channel] = false;
    if (this.anyActive()) {
      this.outputNewMin(output);
    } else if (!wasIdle && !this.lastOutputIdle && !this.ended.every(Boolean)) {
      // The last active channel ended and the open ones are idle: as when it goes idle, else downstream
      // waits for a watermark from this task that never comes.
      this.outputIdle(channel, output);
    }
  }

  /**
   * No channel is active any more (`channel` was the last): nothing will advance, so flush to the
   * highest watermark any channel reached (if `channel` held the output back) and output idle.
   */
  private outputIdle(channel: number, output: ValveOutput): void {
    if (this.watermarks[channel] === this.lastOutputWatermark) this.outputMaxOfAll(output);
    this.lastOutputIdle = true;
    output.emitWatermarkStatus(true);
  }

  private anyActive(): boolean {
    for (let i = 0; i < this.idle.length; i++) if (!this.idle[i] && !this.ended[i]) return true;
    return false;
  }

  private outputNewMin(output: ValveOutput): void {
    let min = Number.POSITIVE_INFINITY;
    let found = false;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.aligned[i] && !this.idle[i] && !this.ended[i]) {
        found = true;
        if (this.watermarks[i]! < min) min = this.watermarks[i]!;
      }
    }
    if (found && min > this.lastOutputWatermark) {
      this.lastOutputWatermark = min;
      output.emitWatermark(min);
    }
  }

  private outputMaxOfAll(output: ValveOutput): void {
    let max = NO_TIMESTAMP;
    // An ended channel counts with its last watermark (the +∞ of its end of input): in Flink a finished
    // channel stays at MAX_WATERMARK, so the others going idle releases it.
    for (let i = 0; i < this.watermarks.length; i++) if (this.watermarks[i]! > max) max = this.watermarks[i]!;
    if (max > this.lastOutputWatermark) {
      this.lastOutputWatermark = max;
      output.emitWatermark(max);
    }
  }
}
