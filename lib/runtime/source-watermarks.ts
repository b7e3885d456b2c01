/**
 * Timestamps and watermarks from a WatermarkStrategy (Flink's ProgressiveTimestampsAndWatermarks).
 * Inside a source each split (a file, a Kafka partition) gets its own watermark generator, and the
 * source's watermark is the minimum over its non-idle splits, so a fast split cannot make a slow
 * one's records late; a reader that uses no split outputs has one generator for all its records, and
 * so does the assignTimestampsAndWatermarks operator, which uses this class too.
 */
import { inspect } from 'node:util';
import type { ReaderOutput } from '../core/connector/source.ts';
import type { WatermarkGenerator, WatermarkOutput } from '../time/watermark-generator.ts';
import type { TimestampAssigner, WatermarkStrategy } from '../time/watermark-strategy.ts';
import { NO_TIMESTAMP } from './elements.ts';
import type { Output } from './operator.ts';

/** A watermark channel's part of a checkpoint (null: no watermark yet). */
export interface WatermarkChannelState {
  readonly watermark: number | null;
  readonly idle: boolean;
  /** The generator's snapshotState(), when it has one. */
  readonly generator?: unknown;
}

/**
 * What a checkpoint keeps of the watermarks behind one split (or of the operator's one channel): its
 * channel — the main one when the reader emits without split outputs — and the watermark the
 * source had emitted, below which a restored source never goes.
 */
export interface SplitWatermarkState {
  readonly channel: WatermarkChannelState;
  readonly emitted: number | null;
  /** The split had its own channel (a split output): restored, it holds the watermark back at once. */
  readonly ownChannel: boolean;
}

const toWire = (w: number): number | null => (w === NO_TIMESTAMP ? null : w);
const fromWire = (w: number | null | undefined): number => (typeof w === 'number' ? w : NO_TIMESTAMP);

/** The state with the lowest watermark: a restore at another parallelism never moves time forward. */
export function minimumWatermarkState(states: readonly SplitWatermarkState[]): SplitWatermarkState | undefined {
  let min: SplitWatermarkState | undefined;
  let emitted = Number.POSITIVE_INFINITY;
  for (const s of states) {
    if (min === undefined || fromWire(s.channel.watermark) < fromWire(min.channel.watermark)) min = s;
    emitted = Math.min(emitted, fromWire(s.emitted));
  }
  return min === undefined ? undefined : { channel: min.channel, emitted: toWire(emitted), ownChannel: false };
}

interface Channel {
  readonly generator: WatermarkGenerator<unknown>;
  /** What the generator emits to; one object per channel. */
  readonly output: WatermarkOutput;
  watermark: number;
  idle: boolean;
  used: boolean;
}

export class SourceWatermarks {
  private readonly assigner: TimestampAssigner<unknown> | undefined;
  private readonly main: Channel;
  private readonly splits = new Map<string, Channel>();
  private emitted = NO_TIMESTAMP;
  private idle = false;

  constructor(
    private readonly strategy: WatermarkStrategy<unknown>,
    /** Where records, watermarks and idleness go (the task's head output, or the operator's output). */
    private readonly out: Output<unknown>,
    /** False in BATCH mode: timestamps only, no watermarks. */
    private readonly generate: boolean,
    /** Watermarks a generator emits per event go out at once (the operator; a source without periodic emission). */
    private readonly perEvent = false,
  ) {
    this.assigner = strategy.timestampAssigner;
    this.main = this.channel();
  }

  private channel(): Channel {
    const channel: Channel = {
      generator: this.strategy.createWatermarkGenerator(),
      output: {
        emitWatermark: (w) => {
          if (w > channel.watermark) channel.watermark = w;
          channel.idle = false;
        },
        markIdle: () => {
          channel.idle = true;
        },
        markActive: () => {
          channel.idle = false;
        },
      },
      watermark: NO_TIMESTAMP,
      idle: false,
      used: false,
    };
    return channel;
  }

  collect(channel: Channel, record: unknown, timestamp: number | undefined): void {
    let ts = timestamp === undefined ? NO_TIMESTAMP : timestamp;
    if (this.assigner !== undefined) {
      ts = this.assigner(record, ts);
      if (typeof ts !== 'number' || Number.isNaN(ts)) {
        throw new TypeError(`The timestamp assigner returned ${String(ts)} for ${inspect(record, { breakLength: Infinity })}; it must return epoch milliseconds`);
      }
    }
    channel.used = true;
    this.out.collect(record, ts);
    if (this.generate) {
      const before = channel.watermark;
      const wasIdle = channel.idle;
      channel.generator.onEvent(record, ts, channel.output);
      if (this.perEvent && (channel.watermark !== before || channel.idle !== wasIdle)) this.combine(false);
    }
  }

  /** A record of the main (non-split) output. */
  collectMain(record: unknown, timestamp: number | undefined): void {
    this.collect(this.main, record, timestamp);
  }

  /** The reader's main output. */
  mainOutput(): ReaderOutput<unknown> & { collect(record: unknown, timestamp?: number): void } {
    const main = this.main;
    return { collect: (r, ts) => this.collect(main, r, ts) };
  }

  splitOutput(splitId: string): ReaderOutput<unknown> {
    let ch = this.splits.get(splitId);
    if (ch === undefined) {
      ch = this.channel();
      this.splits.set(splitId, ch);
    }
    const channel = ch;
    return {
      collect: (r: unknown, ts?: number) => this.collect(channel, r, ts),
      createOutputForSplit: (id: string) => this.splitOutput(id),
      releaseOutputForSplit: (id: string) => this.release(id),
    };
  }

  /** A finished split no longer holds the watermark back. */
  release(splitId: string): void {
    this.splits.delete(splitId);
  }

  /** The watermark state behind split `splitId` (its own channel, else the main one) for a checkpoint. */
  snapshotSplit(splitId: string): SplitWatermarkState {
    const ch = this.splits.get(splitId);
    return { channel: snapshotChannel(ch ?? this.main), emitted: toWire(this.emitted), ownChannel: ch !== undefined };
  }

  /** The main channel's state (the assignTimestampsAndWatermarks operator's one channel). */
  snapshotMain(): SplitWatermarkState {
    return { channel: snapshotChannel(this.main), emitted: toWire(this.emitted), ownChannel: false };
  }

  /**
   * Restores the watermarks of the restored splits that had their own channel (the split's channel is
   * there at once, holding the watermark back as before, and the reader's split output takes it on),
   * and the main channel as the minimum over all of them; what the source emits never goes below the
   * lowest watermark it had emitted. Call before the first record.
   */
  restore(entries: ReadonlyArray<{ readonly splitId?: string; readonly state: SplitWatermarkState }>): void {
    for (const e of entries) {
      if (e.splitId === undefined || !e.state.ownChannel) continue;
      // A split restored twice (a checkpoint of a source that read it twice) keeps the lower watermark.
      const before = this.splits.get(e.splitId);
      if (before !== undefined && before.watermark <= fromWire(e.state.channel.watermark)) continue;
      const ch = this.channel();
      restoreChannel(ch, e.state.channel);
      this.splits.set(e.splitId, ch);
    }
    const min = minimumWatermarkState(entries.map((e) => e.state));
    if (min === undefined) return;
    restoreChannel(this.main, min.channel);
    this.emitted = fromWire(min.emitted);
  }

  /** End of input: the final watermark, which also ends an idle phase (an idle input's watermarks are ignored downstream). */
  endOfInput(): void {
    if (this.idle) {
      this.idle = false;
      this.out.emitWatermarkStatus(false);
    }
    this.emitted = Number.POSITIVE_INFINITY;
    this.out.emitWatermark(Number.POSITIVE_INFINITY);
  }

  /** Periodic: ask every generator, then emit the minimum over non-idle channels if it advanced. */
  onPeriodicEmit(): void {
    if (this.generate) this.combine(true);
  }

  private combine(askGenerators: boolean): void {
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    const consider = (ch: Channel): void => {
      if (askGenerators) ch.generator.onPeriodicEmit(ch.output);
      if (ch.idle) return;
      active++;
      if (ch.watermark < min) min = ch.watermark;
    };
    for (const ch of this.splits.values()) consider(ch);
    // The main output counts when the reader uses it, or has no splits at all.
    if (this.main.used || this.splits.size === 0) consider(this.main);
    if (active === 0) {
      if (!this.idle) {
        this.idle = true;
        this.out.emitWatermarkStatus(true);
      }
      return;
    }
    if (this.idle) {
      this.idle = false;
      this.out.emitWatermarkStatus(false);
    }
    if (min > this.emitted && min !== Number.POSITIVE_INFINITY) {
      this.emitted = min;
      this.out.emitWatermark(min);
    }
  }
}

function snapshotChannel(ch: Channel): WatermarkChannelState {
  const generator = ch.generator.snapshotState?.();
  return generator === undefined ? { watermark: toWire(ch.watermark), idle: ch.idle } : { watermark: toWire(ch.watermark), idle: ch.idle, generator };
}

/** A user generator without restoreState starts fresh; the channel's watermark still never goes back. */
function restoreChannel(ch: Channel, state: WatermarkChannelState): void {
  ch.watermark = fromWire(state.watermark);
  ch.idle = state.idle;
  if (state.generator !== undefined) ch.generator.restoreState?.(state.generator);
}
