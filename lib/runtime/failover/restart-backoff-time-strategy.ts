/**
 * Whether and when a failed job restarts (Flink's RestartBackoffTimeStrategy, under
 * runtime/executiongraph/failover): fixed delay, failure rate, exponential delay, or none.
 */
import type { RestartStrategyConfiguration } from '../checkpoint/checkpoint-types.ts';

export interface RestartBackoffTimeStrategy {
  /** A failure happened (call before canRestart). */
  notifyFailure(cause: unknown): void;
  canRestart(): boolean;
  /** ms to wait before the restart. */
  getBackoffTime(): number;
  /** For messages: `fixed-delay (3 attempts, 1000 ms delay)`. */
  readonly description: string;
}

/** `3 attempts`, `1 attempt`; Flink's Integer.MAX_VALUE (the default with checkpointing) reads as unlimited. */
function attemptsText(n: number): string {
  if (n >= 2_147_483_647) return 'unlimited attempts';
  return `${n} attempt${n === 1 ? '' : 's'}`;
}

class NoRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  readonly description = 'none';
  notifyFailure(): void {}
  canRestart(): boolean {
    return false;
  }
  getBackoffTime(): number {
    return 0;
  }
}

class FixedDelayRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  private failures = 0;
  constructor(
    private readonly attempts: number,
    private readonly delay: number,
  ) {}
  get description(): string {
    return `fixed-delay (${attemptsText(this.attempts)}, ${this.delay} ms delay)`;
  }
  notifyFailure(): void {
    this.failures++;
  }
  canRestart(): boolean {
    return this.failures <= this.attempts;
  }
  getBackoffTime(): number {
    return this.delay;
  }
}

class FailureRateRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  private readonly failures: number[] = [];
  constructor(
    private readonly maxFailuresPerInterval: number,
    private readonly interval: number,
    private readonly delay: number,
    private readonly now: () => number,
  ) {}
  get description(): string {
    return `failure-rate (at most ${this.maxFailuresPerInterval} failures in ${this.interval} ms, ${this.delay} ms delay)`;
  }
  notifyFailure(): void {
    const t = this.now();
    this.failures.push(t);
    while (this.failures.length > 0 && this.failures[0]! <= t - this.interval) this.failures.shift();
  }
  canRestart(): boolean {
    return this.failures.length <= this.maxFailuresPerInterval;
  }
  getBackoffTime(): number {
    return this.delay;
  }
}

class ExponentialDelayRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  private failures = 0;
  private backoff: number;
  private lastFailure = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly c: Extract<RestartStrategyConfiguration, { type: 'exponential-delay' }>,
    private readonly now: () => number,
  ) {
    this.backoff = c.initialBackoff;
  }
  get description(): string {
    return `exponential-delay (${this.c.initialBackoff}..${this.c.maxBackoff} ms, ×${this.c.backoffMultiplier}, ${attemptsText(this.c.attempts)})`;
  }
  notifyFailure(): void {
    const t = this.now();
    // A job that ran well for resetBackoffThreshold starts over from the initial backoff.
    if (t - this.lastFailure >= this.c.resetBackoffThreshold) {
      this.failures = 0;
      this.backoff = this.c.initialBackoff;
    } else {
      this.backoff = Math.min(this.backoff * this.c.backoffMultiplier, this.c.maxBackoff);
    }
    this.lastFailure = t;
    this.failures++;
  }
  canRestart(): boolean {
    return this.failures <= this.c.attempts;
  }
  getBackoffTime(): number {
    return this.backoff;
  }
}

export function createRestartBackoffTimeStrategy(c: RestartStrategyConfiguration, now: () => number = Date.now): RestartBackoffTimeStrategy {
  switch (c.type) {
    case 'none':
      return new NoRestartBackoffTimeStrategy();
    case 'fixed-delay':
      return new FixedDelayRestartBackoffTimeStrategy(c.attempts, c.delay);
    case 'failure-rate':
      return new FailureRateRestartBackoffTimeStrategy(c.maxFailuresPerInterval, c.failureRateInterval, c.delay, now);
    case 'exponential-delay':
      return new ExponentialDelayRestartBackoffTimeStrategy(c, now);
  }
}
