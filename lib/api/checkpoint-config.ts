/**
 * Checkpointing and restarts as a job sets them (Flink's CheckpointConfig, CheckpointingMode,
 * RestartStrategies): views on the environment's Configuration, so code and config set the same
 * keys and code wins (it is applied last).
 * ```ts
 * env.enableCheckpointing('10 s', CheckpointingMode.EXACTLY_ONCE);
 * env.getCheckpointConfig().setMinPauseBetweenCheckpoints('1 s');
 * env.setRestartStrategy(RestartStrategies.fixedDelay(3, '5 s'));
 * ```
 */
import {
  CheckpointingOptions,
  ExecutionCheckpointingOptions,
  IllegalConfigurationException,
  MINIMAL_CHECKPOINT_TIME,
  RestartStrategyOptions,
  SavepointConfigOptions,
  UNLIMITED_RESTART_ATTEMPTS,
  type CheckpointingModeOption,
  type ConfigOption,
  type Configuration,
  type ExternalizedCheckpointRetentionOption,
} from './config.ts';
import { toMillis, type DurationLike } from '../core/duration.ts';
import { IllegalArgumentException } from '../core/errors.ts';
import type {
  CheckpointingOptions as ResolvedCheckpointing,
  RestartStrategyConfiguration,
  SavepointRestoreSettings,
} from '../runtime/checkpoint/checkpoint-types.ts';

export type { RestartStrategyConfiguration, SavepointRestoreSettings };

/** How records and state agree after a restore (Flink's CheckpointingMode). */
export const CheckpointingMode = {
  /** Barriers are aligned: every record affects the state exactly once. */
  EXACTLY_ONCE: 'EXACTLY_ONCE',
  /** Barriers are not aligned: after a restore some records may affect the state twice. */
  AT_LEAST_ONCE: 'AT_LEAST_ONCE',
} as const;
export type CheckpointingMode = CheckpointingModeOption;

/** What happens to a job's checkpoints when it is canceled (Flink's ExternalizedCheckpointRetention). */
export const ExternalizedCheckpointRetention = {
  /** Kept on cancel and on failure, so `tidemark run -s` can carry on (the default). */
  RETAIN_ON_CANCELLATION: 'RETAIN_ON_CANCELLATION',
  /** Removed when the job is canceled; kept when it fails. */
  DELETE_ON_CANCELLATION: 'DELETE_ON_CANCELLATION',
} as const;
export type ExternalizedCheckpointRetention = ExternalizedCheckpointRetentionOption;

function millis(value: DurationLike, what: string): number {
  try {
    return toMillis(value, what);
  } catch (e) {
    throw new IllegalArgumentException((e as Error).message);
  }
}

function checkInt(value: number, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new IllegalArgumentException(`${what} must be an integer of at least ${min}, got ${String(value)}`);
  }
  return value;
}

/** Sets an option from code; a value the option refuses becomes an IllegalArgumentException. */
function put<T>(configuration: Configuration, option: ConfigOption<T>, value: T): void {
  try {
    configuration.set(option, value);
  } catch (e) {
    if (e instanceof IllegalConfigurationException) throw new IllegalArgumentException(e.message);
    throw e;
  }
}

function checkMode(mode: unknown): CheckpointingMode {
  if (mode !== 'EXACTLY_ONCE' && mode !== 'AT_LEAST_ONCE') {
    throw new IllegalArgumentException(`Unknown checkpointing mode ${JSON.stringify(mode)}: use CheckpointingMode.EXACTLY_ONCE or CheckpointingMode.AT_LEAST_ONCE`);
  }
  return mode;
}

/** The checkpoint interval in ms, refused below Flink's MINIMAL_CHECKPOINT_TIME. */
export function checkpointInterval(interval: DurationLike): number {
  const ms = millis(interval, 'checkpoint interval');
  if (ms < MINIMAL_CHECKPOINT_TIME) {
    throw new IllegalArgumentException(`Checkpoint interval must be larger than or equal to ${MINIMAL_CHECKPOINT_TIME} ms, got ${String(interval)}`);
  }
  return ms;
}

/** Sets checkpointing on (env.enableCheckpointing). */
export function enableCheckpointing(configuration: Configuration, interval: DurationLike, mode?: CheckpointingMode): void {
  const ms = checkpointInterval(interval);
  const m = mode === undefined ? undefined : checkMode(mode);
  put(configuration, ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL, ms);
  if (m !== undefined) put(configuration, ExecutionCheckpointingOptions.CHECKPOINTING_MODE, m);
}

/** A job's checkpointing settings (Flink's CheckpointConfig), a view on the environment's Configuration. */
export class CheckpointConfig {
  constructor(private readonly configuration: Configuration) {}

  /** Checkpointing is on when an interval is set (env.enableCheckpointing, execution.checkpointing.interval). */
  isCheckpointingEnabled(): boolean {
    return this.configuration.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL) !== undefined;
  }

  /** ms between the start of two checkpoints; -1 when checkpointing is off (as Flink). */
  getCheckpointInterval(): number {
    return this.configuration.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL) ?? -1;
  }
  /** Sets the interval, which turns checkpointing on; at least 10 ms. */
  setCheckpointInterval(interval: DurationLike): this {
    put(this.configuration, ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval(interval));
    return this;
  }

  getCheckpointingMode(): CheckpointingMode {
    return this.configuration.get(ExecutionCheckpointingOptions.CHECKPOINTING_MODE);
  }
  setCheckpointingMode(mode: CheckpointingMode): this {
    put(this.configuration, ExecutionCheckpointingOptions.CHECKPOINTING_MODE, checkMode(mode));
    return this;
  }

  /** ms after which a checkpoint in progress is declined. */
  getCheckpointTimeout(): number {
    return this.configuration.get(ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT);
  }
  setCheckpointTimeout(timeout: DurationLike): this {
    const ms = millis(timeout, 'checkpoint timeout');
    if (ms < MINIMAL_CHECKPOINT_TIME) {
      throw new IllegalArgumentException(`Checkpoint timeout must be larger than or equal to ${MINIMAL_CHECKPOINT_TIME} ms, got ${String(timeout)}`);
    }
    put(this.configuration, ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT, ms);
    return this;
  }

  getMinPauseBetweenCheckpoints(): number {
    return this.configuration.get(ExecutionCheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS);
  }
  /** Least time from the end of one checkpoint to the start of the next. */
  setMinPauseBetweenCheckpoints(minPause: DurationLike): this {
    put(this.configuration, ExecutionCheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS, millis(minPause, 'min pause between checkpoints'));
    return this;
  }

  getMaxConcurrentCheckpoints(): number {
    return this.configuration.get(ExecutionCheckpointingOptions.MAX_CONCURRENT_CHECKPOINTS);
  }
  setMaxConcurrentCheckpoints(maxConcurrentCheckpoints: number): this {
    put(this.configuration, ExecutionCheckpointingOptions.MAX_CONCURRENT_CHECKPOINTS, checkInt(maxConcurrentCheckpoints, 'The maximum number of concurrent checkpoints', 1));
    return this;
  }

  getTolerableCheckpointFailureNumber(): number {
    return this.configuration.get(ExecutionCheckpointingOptions.TOLERABLE_FAILURE_NUMBER);
  }
  /** Failed checkpoints in a row the job tolerates before it fails over (0: the first one fails it). */
  setTolerableCheckpointFailureNumber(tolerableCheckpointFailureNumber: number): this {
    put(
      this.configuration,
      ExecutionCheckpointingOptions.TOLERABLE_FAILURE_NUMBER,
      checkInt(tolerableCheckpointFailureNumber, 'The tolerable checkpoint failure number', 0),
    );
    return this;
  }

  getExternalizedCheckpointRetention(): ExternalizedCheckpointRetention {
    return this.configuration.get(ExecutionCheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION);
  }
  setExternalizedCheckpointRetention(retention: ExternalizedCheckpointRetention): this {
    if (retention !== 'RETAIN_ON_CANCELLATION' && retention !== 'DELETE_ON_CANCELLATION') {
      throw new IllegalArgumentException(
        `Unknown externalized checkpoint retention ${JSON.stringify(retention)}: use ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION or DELETE_ON_CANCELLATION`,
      );
    }
    put(this.configuration, ExecutionCheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, retention);
    return this;
  }

  /** The folder checkpoints are written to (state.checkpoints.dir; a path or a file:// URI). */
  setCheckpointStorage(checkpointDirectory: string): this {
    put(this.configuration, CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDirectory);
    return this;
  }
  getCheckpointStorage(): string {
    return this.configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
  }

  /** Completed checkpoints kept on disk (state.checkpoints.num-retained; Flink has only the key). */
  setNumRetainedCheckpoints(numRetained: number): this {
    put(this.configuration, CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, checkInt(numRetained, 'The number of retained checkpoints', 1));
    return this;
  }
  getNumRetainedCheckpoints(): number {
    return this.configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS);
  }
}

/** Restart strategies for env.setRestartStrategy (Flink's RestartStrategies); delays as durations. */
export const RestartStrategies = {
  /** A failed job fails at once. */
  noRestart(): RestartStrategyConfiguration {
    return { type: 'none' };
  },
  /** Restarts up to `restartAttempts` times, `delayBetweenAttempts` apart. */
  fixedDelay(restartAttempts: number, delayBetweenAttempts: DurationLike): RestartStrategyConfiguration {
    return {
      type: 'fixed-delay',
      attempts: checkInt(restartAttempts, 'Restart attempts', 0),
      delay: millis(delayBetweenAttempts, 'delay between restart attempts'),
    };
  },
  /** Restarts unless more than `failureRate` failures happened within `failureInterval`. */
  failureRate(failureRate: number, failureInterval: DurationLike, delayInterval: DurationLike): RestartStrategyConfiguration {
    const interval = millis(failureInterval, 'failure rate interval');
    if (interval <= 0) throw new IllegalArgumentException(`The failure rate interval must be positive, got ${String(failureInterval)}`);
    return {
      type: 'failure-rate',
      maxFailuresPerInterval: checkInt(failureRate, 'The maximum number of failures per interval', 1),
      failureRateInterval: interval,
      delay: millis(delayInterval, 'delay between restart attempts'),
    };
  },
  /**
   * Restarts with a delay that starts at `initialBackoff` and grows by `backoffMultiplier` up to
   * `maxBackoff`; after `resetBackoffThreshold` without a failure it starts again. `attempts`: the
   * restarts allowed (Flink's attempts-before-reset-backoff, unlimited by default). Flink's fifth
   * argument, the jitter factor, is not taken: the delay has no jitter.
   */
  exponentialDelay(
    initialBackoff: DurationLike,
    maxBackoff: DurationLike,
    backoffMultiplier: number,
    resetBackoffThreshold: DurationLike,
    attempts: number = UNLIMITED_RESTART_ATTEMPTS,
  ): RestartStrategyConfiguration {
    const initial = millis(initialBackoff, 'initial backoff');
    const max = millis(maxBackoff, 'max backoff');
    if (max < initial) throw new IllegalArgumentException(`The max backoff (${max} ms) must not be below the initial backoff (${initial} ms)`);
    if (typeof backoffMultiplier !== 'number' || !Number.isFinite(backoffMultiplier) || backoffMultiplier < 1) {
      throw new IllegalArgumentException(`The backoff multiplier must be a number of at least 1, got ${String(backoffMultiplier)}`);
    }
    return {
      type: 'exponential-delay',
      initialBackoff: initial,
      maxBackoff: max,
      backoffMultiplier,
      resetBackoffThreshold: millis(resetBackoffThreshold, 'reset backoff threshold'),
      attempts: checkInt(attempts, 'Restart attempts', 1),
    };
  },
  /** Flink's name of fixedDelay. */
  fixedDelayRestart(restartAttempts: number, delayBetweenAttempts: DurationLike): RestartStrategyConfiguration {
    return RestartStrategies.fixedDelay(restartAttempts, delayBetweenAttempts);
  },
  /** Flink's name of failureRate. */
  failureRateRestart(failureRate: number, failureInterval: DurationLike, delayInterval: DurationLike): RestartStrategyConfiguration {
    return RestartStrategies.failureRate(failureRate, failureInterval, delayInterval);
  },
  /** Flink's name of exponentialDelay. */
  exponentialDelayRestart(
    initialBackoff: DurationLike,
    maxBackoff: DurationLike,
    backoffMultiplier: number,
    resetBackoffThreshold: DurationLike,
    attempts?: number,
  ): RestartStrategyConfiguration {
    return RestartStrategies.exponentialDelay(initialBackoff, maxBackoff, backoffMultiplier, resetBackoffThreshold, attempts);
  },
} as const;

/** Writes a restart strategy into the configuration's restart-strategy.* keys (env.setRestartStrategy). */
export function setRestartStrategy(configuration: Configuration, strategy: RestartStrategyConfiguration): void {
  const o = RestartStrategyOptions;
  switch (strategy?.type) {
    case 'none':
      put(configuration, o.RESTART_STRATEGY, 'none');
      return;
    case 'fixed-delay':
      put(configuration, o.RESTART_STRATEGY, 'fixed-delay');
      put(configuration, o.FIXED_DELAY_ATTEMPTS, strategy.attempts);
      put(configuration, o.FIXED_DELAY_DELAY, strategy.delay);
      return;
    case 'failure-rate':
      put(configuration, o.RESTART_STRATEGY, 'failure-rate');
      put(configuration, o.FAILURE_RATE_MAX_FAILURES_PER_INTERVAL, strategy.maxFailuresPerInterval);
      put(configuration, o.FAILURE_RATE_INTERVAL, strategy.failureRateInterval);
      put(configuration, o.FAILURE_RATE_DELAY, strategy.delay);
      return;
    case 'exponential-delay':
      put(configuration, o.RESTART_STRATEGY, 'exponential-delay');
      put(configuration, o.EXPONENTIAL_DELAY_INITIAL_BACKOFF, strategy.initialBackoff);
      put(configuration, o.EXPONENTIAL_DELAY_MAX_BACKOFF, strategy.maxBackoff);
      put(configuration, o.EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER, strategy.backoffMultiplier);
      put(configuration, o.EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD, strategy.resetBackoffThreshold);
      put(configuration, o.EXPONENTIAL_DELAY_ATTEMPTS, strategy.attempts);
      return;
    default:
      throw new IllegalArgumentException(
        `Unknown restart strategy ${JSON.stringify(strategy)}: use RestartStrategies.fixedDelay, failureRate, exponentialDelay or noRestart`,
      );
  }
}

/** The job's checkpointing settings; undefined when checkpointing is off. */
export function resolveCheckpointing(configuration: Configuration): ResolvedCheckpointing | undefined {
  const c = ExecutionCheckpointingOptions;
  const interval = configuration.get(c.CHECKPOINTING_INTERVAL);
  if (interval === undefined) return undefined;
  return {
    interval,
    mode: configuration.get(c.CHECKPOINTING_MODE),
    timeout: configuration.get(c.CHECKPOINTING_TIMEOUT),
    minPauseBetweenCheckpoints: configuration.get(c.MIN_PAUSE_BETWEEN_CHECKPOINTS),
    maxConcurrentCheckpoints: configuration.get(c.MAX_CONCURRENT_CHECKPOINTS),
    tolerableCheckpointFailureNumber: configuration.get(c.TOLERABLE_FAILURE_NUMBER),
    numRetainedCheckpoints: configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS),
    directory: configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY),
    externalizedCheckpointRetention: configuration.get(c.EXTERNALIZED_CHECKPOINT_RETENTION),
  };
}

/**
 * The job's restart strategy, as Flink resolves it: restart-strategy.type when set (with its keys'
 * defaults); unset, fixed delay with unlimited attempts 1 s apart when checkpointing is on, else none.
 */
export function resolveRestartStrategy(configuration: Configuration): RestartStrategyConfiguration {
  const o = RestartStrategyOptions;
  const type = configuration.get(o.RESTART_STRATEGY);
  switch (type) {
    case undefined:
      return configuration.get(ExecutionCheckpointingOptions.CHECKPOINTING_INTERVAL) === undefined
        ? { type: 'none' }
        : { type: 'fixed-delay', attempts: UNLIMITED_RESTART_ATTEMPTS, delay: 1000 };
    case 'none':
      return { type: 'none' };
    case 'fixed-delay':
      return { type, attempts: configuration.get(o.FIXED_DELAY_ATTEMPTS), delay: configuration.get(o.FIXED_DELAY_DELAY) };
    case 'failure-rate':
      return {
        type,
        maxFailuresPerInterval: configuration.get(o.FAILURE_RATE_MAX_FAILURES_PER_INTERVAL),
        failureRateInterval: configuration.get(o.FAILURE_RATE_INTERVAL),
        delay: configuration.get(o.FAILURE_RATE_DELAY),
      };
    case 'exponential-delay': {
      const initialBackoff = configuration.get(o.EXPONENTIAL_DELAY_INITIAL_BACKOFF);
      const maxBackoff = configuration.get(o.EXPONENTIAL_DELAY_MAX_BACKOFF);
      if (maxBackoff < initialBackoff) {
        throw new IllegalConfigurationException(
          `${o.EXPONENTIAL_DELAY_MAX_BACKOFF.key} (${maxBackoff} ms) must not be below ${o.EXPONENTIAL_DELAY_INITIAL_BACKOFF.key} (${initialBackoff} ms)`,
        );
      }
      return {
        type,
        initialBackoff,
        maxBackoff,
        backoffMultiplier: configuration.get(o.EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER),
        resetBackoffThreshold: configuration.get(o.EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD),
        attempts: configuration.get(o.EXPONENTIAL_DELAY_ATTEMPTS),
      };
    }
  }
}

/** Where the job starts from (execution.savepoint.path, `tidemark run -s`); undefined: empty state. */
export function resolveSavepointRestore(configuration: Configuration): SavepointRestoreSettings | undefined {
  const path = configuration.get(SavepointConfigOptions.SAVEPOINT_PATH);
  if (path === undefined) return undefined;
  return { path, allowNonRestoredState: configuration.get(SavepointConfigOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE) };
}
