/**
 * Channels between subtasks and the partitioners that pick one (Flink's ChannelSelectors).
 *
 * A channel carries whole batches. Backpressure is credit-based: a consumer grants a fixed number
 * of batch credits; a producer whose channel has no credit stops taking input until the consumer
 * returns credit, so a slow sink slows the source and memory stays bounded.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { decodeBatch, encodeBatch, type WireBatch } from './codec.ts';
import type { StreamBatch } from './elements.ts';
import type { PartitionerSpec } from './graph/transformation.ts';
import { keyExtractionError, UserCodeError } from '../core/errors.ts';
import { assignKeyToParallelOperator } from '../state/key-groups.ts';

/** Batches a consumer accepts before returning credit. */
export const CHANNEL_CREDITS = 4;
/**
 * Across threads over MessagePorts (TIDEMARK_EXCHANGE=port) a credit comes back later (another
 * thread's turn), so more batches are in flight. The default binary exchange (io/ring-channels.ts)
 * has its ring as credit instead.
 */
export const REMOTE_CHANNEL_CREDITS = 32;

export interface OutputChannel {
  push(batch: StreamBatch): void;
  hasCredit(): boolean;
}

export interface InputChannel {
  poll(): StreamBatch | undefined;
  hasData(): boolean;
}

/** Wakes a thread's executor when something it waits for happened. */
export type Wakeup = () => void;

/** Both ends of a channel inside one thread: a bounded queue of batches. */
export class LocalChannel implements OutputChannel, InputChannel {
  private queue: StreamBatch[] = [];
  private head = 0;
  constructor(private readonly wakeup: Wakeup) {}
  push(batch: StreamBatch): void {
    this.queue.push(batch);
    this.wakeup();
  }
  hasCredit(): boolean {
    return this.queue.length - this.head < CHANNEL_CREDITS;
  }
  poll(): StreamBatch | undefined {
    if (this.head >= this.queue.length) return undefined;
    const b = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as StreamBatch;
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.wakeup(); // the producer may be waiting for this credit
    return b;
  }
  hasData(): boolean {
    return this.head < this.queue.length;
  }
}

/** Message on a cross-thread channel port: a batch one way, credit the other. */
type PortMessage = WireBatch | { credit: number };

/** Producer end of a channel to another worker thread. */
export class RemoteOutputChannel implements OutputChannel {
  private credit = REMOTE_CHANNEL_CREDITS;
  constructor(
    private readonly port: MessagePort,
    wakeup: Wakeup,
  ) {
    port.on('message', (m: PortMessage) => {
      this.credit += (m as { credit: number }).credit;
      wakeup();
    });
  }
  push(batch: StreamBatch): void {
    this.credit--;
    const { message, transfer } = encodeBatch(batch);
    this.port.postMessage(message, transfer);
  }
  hasCredit(): boolean {
    if (this.credit > 0) return true;
    // Take returned credit now rather than on this thread's next event-loop turn.
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      this.credit += (m.message as { credit: number }).credit;
    }
    return this.credit > 0;
  }
  close(): void {
    this.port.close();
  }
}

/** Consumer end of a channel from another worker thread. */
export class RemoteInputChannel implements InputChannel {
  private queue: StreamBatch[] = [];
  private head = 0;
  constructor(
    private readonly port: MessagePort,
    wakeup: Wakeup,
  ) {
    port.on('message', (m: PortMessage) => {
      this.queue.push(decodeBatch(m as WireBatch));
      wakeup();
    });
  }
  poll(): StreamBatch | undefined {
    if (this.head >= this.queue.length) return undefined;
    const b = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as StreamBatch;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.port.postMessage({ credit: 1 });
    return b;
  }
  hasData(): boolean {
    if (this.head < this.queue.length) return true;
    // Take a waiting batch now rather than on this thread's next event-loop turn.
    const m = receiveMessageOnPort(this.port);
    if (m === undefined) return false;
    this.queue.push(decodeBatch(m.message as WireBatch));
    return true;
  }
  close(): void {
    this.port.close();
  }
}

/** Picks the output channel of a record. */
export interface ChannelSelector {
  selectChannel(value: unknown): number;
}

class ConstantSelector implements ChannelSelector {
  constructor(private readonly channel: number) {}
  selectChannel(): number {
    return this.channel;
  }
}

class RoundRobinSelector implements ChannelSelector {
  constructor(
    private readonly channels: number,
    private next: number,
  ) {}
  selectChannel(): number {
    const c = this.next;
    this.next = c + 1 === this.channels ? 0 : c + 1;
    return c;
  }
}

class RandomSelector implements ChannelSelector {
  constructor(private readonly channels: number) {}
  selectChannel(): number {
    return Math.floor(Math.random() * this.channels);
  }
}

/** keyBy: key -> key group -> the subtask owning that group. */
class KeyGroupSelector implements ChannelSelector {
  constructor(
    private readonly keySelector: (value: unknown) => unknown,
    private readonly maxParallelism: number,
    private readonly parallelism: number,
    private readonly targetName: string,
    private readonly producerIndex: number,
    private readonly producerParallelism: number,
  ) {}
  selectChannel(value: unknown): number {
    try {
      return assignKeyToParallelOperator(this.keySelector(value), this.maxParallelism, this.parallelism);
    } catch (e) {
      // The key selector is the keyBy's user code: name it after the keyed operator it feeds.
      throw new UserCodeError(`keyBy -> ${this.targetName}`, this.producerIndex, this.producerParallelism, keyExtractionError(value, e), { input: value });
    }
  }
}

/**
 * Which consumer subtasks producer subtask `i` is connected to. ALL_TO_ALL for most partitioners;
 * POINTWISE (Flink's DistributionPattern) for forward and rescale.
 */
export function connectedTargets(
  partitioner: PartitionerSpec,
  producerIndex: number,
  producerParallelism: number,
  consumerParallelism: number,
): number[] {
  if (partitioner.kind === 'forward') return [producerIndex];
  if (partitioner.kind === 'rescale') {
    if (producerParallelism >= consumerParallelism) {
      return [Math.floor((producerIndex * consumerParallelism) / producerParallelism)];
    }
    const from = Math.floor((producerIndex * consumerParallelism) / producerParallelism);
    const to = Math.floor(((producerIndex + 1) * consumerParallelism) / producerParallelism);
    const out: number[] = [];
    for (let j = from; j < to; j++) out.push(j);
    return out;
  }
  return Array.from({ length: consumerParallelism }, (_, j) => j);
}

/**
 * The selector over a producer's channel list (as returned by connectedTargets), or 'broadcast'.
 * Keyed selection indexes the full consumer range, which is the channel list for ALL_TO_ALL.
 */
export function createSelector(
  partitioner: PartitionerSpec,
  producerIndex: number,
  channels: number,
  consumerMaxParallelism: number,
  consumerName = 'keyed operator',
  producerParallelism = 1,
): ChannelSelector | 'broadcast' {
  switch (partitioner.kind) {
    case 'forward':
      return new ConstantSelector(0);
    case 'global':
      return new ConstantSelector(0);
    case 'broadcast':
      return 'broadcast';
    case 'rebalance':
    case 'rescale':
      // Flink starts at a random channel; starting at the producer index spreads just as well
      // and keeps inline runs deterministic.
      return channels === 1 ? new ConstantSelector(0) : new RoundRobinSelector(channels, producerIndex % channels);
    case 'shuffle':
      return channels === 1 ? new ConstantSelector(0) : new RandomSelector(channels);
    case 'hash':
      if (channels === 1) return new ConstantSelector(0);
      return new KeyGroupSelector(partitioner.keySelector, consumerMaxParallelism, channels, consumerName, producerIndex, producerParallelism);
  }
}
