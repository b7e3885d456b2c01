/**
 * Configuration under Flink's option names. A `tidemark.yaml` may write keys flat
 * (`parallelism.default: 2`) or nested (`parallelism: { default: 2 }`), as Flink's config.yaml does.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { fileURLToPath } from 'node:url';
import { registerErrorClass, TidemarkError } from '../core/errors.ts';
import { toMillis } from '../core/duration.ts';

/** Deeper than any option key: a config nested further is a mistake (or an alias cycle). */
const MAX_YAML_DEPTH = 32;

export type RuntimeExecutionModeOption = 'STREAMING' | 'BATCH' | 'AUTOMATIC';

export interface ConfigOption<T> {
  readonly key: string;
  readonly description: string;
  readonly defaultValue: () => T;
  readonly parse: (raw: unknown) => T;
}

/** Raised for a bad option value or an unreadable config file; names the key and the source. */
export class IllegalConfigurationException extends TidemarkError {
  override name = 'IllegalConfigurationException';
}
registerErrorClass(IllegalConfigurationException);

function positiveInt(key: string) {
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new IllegalConfigurationException(`${key} must be a positive integer, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

function oneOf<T extends string>(key: string, values: readonly T[]) {
  return (raw: unknown): T => {
    const s = typeof raw === 'string' ? raw.trim() : raw;
    const hit = values.find((v) => typeof s === 'string' && v.toLowerCase() === s.toLowerCase());
    if (hit === undefined) throw new IllegalConfigurationException(`${key} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
    return hit;
  };
}

function bool(key: string) {
  return (raw: unknown): boolean => {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new IllegalConfigurationException(`${key} must be true or false, got ${JSON.stringify(raw)}`);
  };
}

function str(key: string) {
  return (raw: unknown): string => {
    if (typeof raw !== 'string' || raw === '') throw new IllegalConfigurationException(`${key} must be a non-empty string, got ${JSON.stringify(raw)}`);
    return raw;
  };
}

function nonNegativeInt(key: string) {
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new IllegalConfigurationException(`${key} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

/** A duration as Flink writes it ('10 min', '1s', 'PT1M') or a number of ms; `min`: the smallest value taken. */
function duration(key: string, min = 0) {
  return (raw: unknown): number => {
    let ms: number;
    try {
      if (typeof raw !== 'number' && typeof raw !== 'string') throw new RangeError('not a duration');
      ms = toMillis(raw, key);
    } catch {
      throw new IllegalConfigurationException(`${key} must be a duration such as '10 s', '1 min' or a number of ms, got ${JSON.stringify(raw)}`);
    }
    if (ms < min) throw new IllegalConfigurationException(`${key} must be at least ${min} ms, got ${JSON.stringify(raw)}`);
    return ms;
  };
}

function positiveNumber(key: string, min: number) {
  return (raw: unknown): number => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
      throw new IllegalConfigurationException(`${key} must be a number of at least ${min}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
}

/** A local folder; Flink's `file://` URIs are taken, other file systems (s3://, hdfs://) are not there. */
function directory(key: string) {
  return (raw: unknown): string => {
    const s = str(key)(raw).trim();
    if (s.startsWith('file:')) {
      try {
        return fileURLToPath(s.startsWith('file://') ? s : `file://${s.slice('file:'.length)}`);
      } catch {
        throw new IllegalConfigurationException(`${key} must be a local folder, got ${JSON.stringify(raw)}`);
      }
    }
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(s)) {
      throw new IllegalConfigurationException(`${key} must be a local folder (or a file:// URI); other file systems are not supported, got ${JSON.stringify(raw)}`);
    }
    return s;
  };
}

export const CoreOptions = {
  DEFAULT_PARALLELISM: {
    key: 'parallelism.default',
    description: 'Parallelism of operators that do not set their own.',
    defaultValue: () => 1,
    parse: positiveInt('parallelism.default'),
  } as ConfigOption<number>,
  NUMBER_OF_TASK_SLOTS: {
    key: 'taskmanager.numberOfTaskSlots',
    description:
      "Task slots of the local runtime; bounds the highest parallelism a job can use. Unset: sized to each job's highest parallelism, as Flink's MiniCluster (the default below is only what get() reports).",
    defaultValue: () => availableParallelism(),
    parse: positiveInt('taskmanager.numberOfTaskSlots'),
  } as ConfigOption<number>,
  MAX_PARALLELISM: {
    key: 'pipeline.max-parallelism',
    description: 'Number of key groups; the upper bound for rescaling keyed state.',
    defaultValue: () => -1,
    parse: (raw: unknown) => (raw === -1 || raw === '-1' ? -1 : positiveInt('pipeline.max-parallelism')(raw)),
  } as ConfigOption<number>,
  RUNTIME_MODE: {
    key: 'execution.runtime-mode',
    description: 'STREAMING, BATCH, or AUTOMATIC (BATCH when every source is bounded).',
    defaultValue: () => 'STREAMING',
    parse: oneOf('execution.runtime-mode', ['STREAMING', 'BATCH', 'AUTOMATIC'] as const),
  } as ConfigOption<RuntimeExecutionModeOption>,
  TARGET: {
    key: 'execution.target',
    description: "Where a job runs: 'inline' (all subtasks in one thread) or 'threads' (a worker thread per slot).",
    defaultValue: () => 'inline',
    parse: oneOf('execution.target', ['inline', 'threads'] as const),
  } as ConfigOption<'inline' | 'threads'>,
  OPERATOR_CHAINING: {
    key: 'pipeline.operator-chaining.enabled',
    description: 'Chain operators joined by forward edges into one task.',
    defaultValue: () => true,
    parse: bool('pipeline.operator-chaining.enabled'),
  } as ConfigOption<boolean>,
  AUTO_WATERMARK_INTERVAL: {
    key: 'pipeline.auto-watermark-interval',
    description: 'Interval of periodic watermark emission, in milliseconds.',
    defaultValue: () => 200,
    parse: (raw: unknown) => {
      const n = typeof raw === 'string' ? Number(raw.replace(/\s*ms$/, '')) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
        throw new IllegalConfigurationException(`pipeline.auto-watermark-interval must be a non-negative number of ms, got ${JSON.stringify(raw)}`);
      }
      return n;
    },
  } as ConfigOption<number>,
  REGISTRATION_TIMEOUT: {
    key: 'taskmanager.registration.timeout',
    description: 'How long (ms) the threads target waits for every worker to evaluate the job module and deploy its subtasks.',
    defaultValue: () => 60_000,
    parse: positiveInt('taskmanager.registration.timeout'),
  } as ConfigOption<number>,
  JOB_MODULE: {
    key: 'pipeline.job-module',
    description: 'Module that defines the job; worker threads evaluate it to rebuild the job graph.',
    defaultValue: () => '',
    parse: str('pipeline.job-module'),
  } as ConfigOption<string>,
} as const;

/** Flink's MINIMAL_CHECKPOINT_TIME: no checkpoint interval or timeout below it (ms). */
export const MINIMAL_CHECKPOINT_TIME = 10;
/** Flink's Integer.MAX_VALUE restart attempts: restart "forever". */
export const UNLIMITED_RESTART_ATTEMPTS = 2_147_483_647;

export type CheckpointingModeOption = 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';
export type ExternalizedCheckpointRetentionOption = 'RETAIN_ON_CANCELLATION' | 'DELETE_ON_CANCELLATION';
export type RestartStrategyType = 'none' | 'fixed-delay' | 'failure-rate' | 'exponential-delay';

/** Flink's spellings of each restart strategy (restart-strategy.type), by the one tidemark reports. */
const RESTART_STRATEGY_NAMES: Record<string, RestartStrategyType> = {
  none: 'none',
  off: 'none',
  disable: 'none',
  'fixed-delay': 'fixed-delay',
  fixeddelay: 'fixed-delay',
  'failure-rate': 'failure-rate',
  failurerate: 'failure-rate',
  'exponential-delay': 'exponential-delay',
  exponentialdelay: 'exponential-delay',
};

/** execution.checkpointing.* (Flink's ExecutionCheckpointingOptions). Checkpointing is on when the interval is set. */
export const ExecutionCheckpointingOptions = {
  CHECKPOINTING_INTERVAL: {
    key: 'execution.checkpointing.interval',
    description: `Time between the start of two checkpoints ('1 s', '5 min', ms); at least ${MINIMAL_CHECKPOINT_TIME} ms. Unset: no checkpoints.`,
    defaultValue: () => undefined,
    parse: duration('execution.checkpointing.interval', MINIMAL_CHECKPOINT_TIME),
  } as ConfigOption<number | undefined>,
  CHECKPOINTING_MODE: {
    key: 'execution.checkpointing.mode',
    description: 'EXACTLY_ONCE (barriers are aligned at tasks with several inputs) or AT_LEAST_ONCE (not aligned).',
    defaultValue: () => 'EXACTLY_ONCE',
    parse: oneOf('execution.checkpointing.mode', ['EXACTLY_ONCE', 'AT_LEAST_ONCE'] as const),
  } as ConfigOption<CheckpointingModeOption>,
  CHECKPOINTING_TIMEOUT: {
    key: 'execution.checkpointing.timeout',
    description: 'A checkpoint not complete after this long is declined (and counted as a failed checkpoint).',
    defaultValue: () => 600_000,
    parse: duration('execution.checkpointing.timeout', MINIMAL_CHECKPOINT_TIME),
  } as ConfigOption<number>,
  MIN_PAUSE_BETWEEN_CHECKPOINTS: {
    key: 'execution.checkpointing.min-pause',
    description: 'Least time from the end of one checkpoint to the start of the next.',
    defaultValue: () => 0,
    parse: duration('execution.checkpointing.min-pause'),
  } as ConfigOption<number>,
  MAX_CONCURRENT_CHECKPOINTS: {
    key: 'execution.checkpointing.max-concurrent-checkpoints',
    description: 'Checkpoints that may be in progress at the same time.',
    defaultValue: () => 1,
    parse: positiveInt('execution.checkpointing.max-concurrent-checkpoints'),
  } as ConfigOption<number>,
  TOLERABLE_FAILURE_NUMBER: {
    key: 'execution.checkpointing.tolerable-failed-checkpoints',
    description: 'Failed checkpoints in a row the job tolerates before it fails over.',
    defaultValue: () => 0,
    parse: nonNegativeInt('execution.checkpointing.tolerable-failed-checkpoints'),
  } as ConfigOption<number>,
  EXTERNALIZED_CHECKPOINT_RETENTION: {
    key: 'execution.checkpointing.externalized-checkpoint-retention',
    description: 'RETAIN_ON_CANCELLATION: checkpoints stay when the job is canceled or fails; DELETE_ON_CANCELLATION: removed on cancel (kept on failure).',
    defaultValue: () => 'RETAIN_ON_CANCELLATION',
    parse: oneOf('execution.checkpointing.externalized-checkpoint-retention', ['RETAIN_ON_CANCELLATION', 'DELETE_ON_CANCELLATION'] as const),
  } as ConfigOption<ExternalizedCheckpointRetentionOption>,
} as const;

/** state.checkpoints.* and state.savepoints.dir (Flink's CheckpointingOptions). */
export const CheckpointingOptions = {
  CHECKPOINTS_DIRECTORY: {
    key: 'state.checkpoints.dir',
    description: 'Folder checkpoints are written to, as <dir>/<jobId>/chk-<n>/ (a local path or file:// URI).',
    defaultValue: () => './checkpoints',
    parse: directory('state.checkpoints.dir'),
  } as ConfigOption<string>,
  MAX_RETAINED_CHECKPOINTS: {
    key: 'state.checkpoints.num-retained',
    description: 'Completed checkpoints kept on disk; older ones are removed.',
    defaultValue: () => 1,
    parse: positiveInt('state.checkpoints.num-retained'),
  } as ConfigOption<number>,
  SAVEPOINT_DIRECTORY: {
    key: 'state.savepoints.dir',
    description: 'Default folder of savepoints (JobClient.triggerSavepoint / stopWithSavepoint without a folder).',
    defaultValue: () => undefined,
    parse: directory('state.savepoints.dir'),
  } as ConfigOption<string | undefined>,
} as const;

/** execution.savepoint.* (Flink's SavepointConfigOptions): the state a job starts from. */
export const SavepointConfigOptions = {
  SAVEPOINT_PATH: {
    key: 'execution.savepoint.path',
    description: 'A savepoint, a chk-<n> folder, or a folder above them (the newest complete checkpoint under it) to start the job from (tidemark run -s).',
    defaultValue: () => undefined,
    parse: directory('execution.savepoint.path'),
  } as ConfigOption<string | undefined>,
  SAVEPOINT_IGNORE_UNCLAIMED_STATE: {
    key: 'execution.savepoint.ignore-unclaimed-state',
    description: 'Skip state of operators that are not in the job any more instead of failing the restore (tidemark run -n).',
    defaultValue: () => false,
    parse: bool('execution.savepoint.ignore-unclaimed-state'),
  } as ConfigOption<boolean>,
} as const;

/** restart-strategy.* (Flink's RestartStrategyOptions); delays in ms. */
export const RestartStrategyOptions = {
  RESTART_STRATEGY: {
    key: 'restart-strategy.type',
    description:
      'none (off, disable), fixed-delay (fixeddelay), failure-rate (failurerate) or exponential-delay. Unset: fixed-delay when checkpointing is on, else none.',
    defaultValue: () => undefined,
    parse: (raw: unknown): RestartStrategyType => {
      const hit = typeof raw === 'string' ? RESTART_STRATEGY_NAMES[raw.trim().toLowerCase()] : undefined;
      if (hit === undefined) {
        throw new IllegalConfigurationException(
          `restart-strategy.type must be one of none, off, disable, fixed-delay, fixeddelay, failure-rate, failurerate, exponential-delay, got ${JSON.stringify(raw)}`,
        );
      }
      return hit;
    },
  } as ConfigOption<RestartStrategyType | undefined>,
  FIXED_DELAY_ATTEMPTS: {
    key: 'restart-strategy.fixed-delay.attempts',
    description: 'Restarts before the job fails, with restart-strategy.type: fixed-delay.',
    defaultValue: () => 1,
    parse: nonNegativeInt('restart-strategy.fixed-delay.attempts'),
  } as ConfigOption<number>,
  FIXED_DELAY_DELAY: {
    key: 'restart-strategy.fixed-delay.delay',
    description: 'Time between two restarts, with restart-strategy.type: fixed-delay.',
    defaultValue: () => 1000,
    parse: duration('restart-strategy.fixed-delay.delay'),
  } as ConfigOption<number>,
  FAILURE_RATE_MAX_FAILURES_PER_INTERVAL: {
    key: 'restart-strategy.failure-rate.max-failures-per-interval',
    description: 'Failures within one interval before the job fails, with restart-strategy.type: failure-rate.',
    defaultValue: () => 1,
    parse: positiveInt('restart-strategy.failure-rate.max-failures-per-interval'),
  } as ConfigOption<number>,
  FAILURE_RATE_INTERVAL: {
    key: 'restart-strategy.failure-rate.failure-rate-interval',
    description: 'The interval failures are counted in, with restart-strategy.type: failure-rate.',
    defaultValue: () => 60_000,
    parse: duration('restart-strategy.failure-rate.failure-rate-interval', 1),
  } as ConfigOption<number>,
  FAILURE_RATE_DELAY: {
    key: 'restart-strategy.failure-rate.delay',
    description: 'Time between two restarts, with restart-strategy.type: failure-rate.',
    defaultValue: () => 1000,
    parse: duration('restart-strategy.failure-rate.delay'),
  } as ConfigOption<number>,
  EXPONENTIAL_DELAY_INITIAL_BACKOFF: {
    key: 'restart-strategy.exponential-delay.initial-backoff',
    description: 'The first delay, with restart-strategy.type: exponential-delay.',
    defaultValue: () => 1000,
    parse: duration('restart-strategy.exponential-delay.initial-backoff'),
  } as ConfigOption<number>,
  EXPONENTIAL_DELAY_MAX_BACKOFF: {
    key: 'restart-strategy.exponential-delay.max-backoff',
    description: 'The longest delay, with restart-strategy.type: exponential-delay.',
    defaultValue: () => 60_000,
    parse: duration('restart-strategy.exponential-delay.max-backoff'),
  } as ConfigOption<number>,
  EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER: {
    key: 'restart-strategy.exponential-delay.backoff-multiplier',
    description: 'Each delay is the previous one times this, with restart-strategy.type: exponential-delay.',
    defaultValue: () => 1.5,
    parse: positiveNumber('restart-strategy.exponential-delay.backoff-multiplier', 1),
  } as ConfigOption<number>,
  EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD: {
    key: 'restart-strategy.exponential-delay.reset-backoff-threshold',
    description: 'After running this long without a failure the delay starts again from the initial backoff.',
    defaultValue: () => 3_600_000,
    parse: duration('restart-strategy.exponential-delay.reset-backoff-threshold'),
  } as ConfigOption<number>,
  EXPONENTIAL_DELAY_ATTEMPTS: {
    key: 'restart-strategy.exponential-delay.attempts-before-reset-backoff',
    description: 'Restarts before the job fails (counted since the last reset), with restart-strategy.type: exponential-delay.',
    defaultValue: () => UNLIMITED_RESTART_ATTEMPTS,
    parse: positiveInt('restart-strategy.exponential-delay.attempts-before-reset-backoff'),
  } as ConfigOption<number>,
} as const;

/**
 * A Flink option tidemark does not implement yet. `refuse`: setting it fails, because running without
 * it would betray what the user relies on (a state backend other than the heap);
 * otherwise it is accepted with a warning and has no effect (a failure is still loud without it).
 */
export interface UnsupportedOption {
  /** The key, or a key prefix ending in '.' for a family of keys. */
  readonly key: string;
  readonly refuse: boolean;
  /** What the user gets instead. */
  readonly instead: string;
  /** Values that ask for what tidemark does anyway (`state.backend.type: hashmap`): taken without a word. */
  readonly accepts?: (value: unknown) => boolean;
}

const HEAP_STATE =
  "keyed state lives on the heap of the process (Flink's hashmap backend) and is checkpointed to state.checkpoints.dir; there is no other state backend";
const CHECKPOINT_STORAGE = 'checkpoints are written to the folder state.checkpoints.dir (Flink\'s filesystem checkpoint storage)';

function isHashMapBackend(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'hashmap';
}

/** Well-known Flink options, recognised so that setting one never passes silently. */
const UNSUPPORTED: readonly UnsupportedOption[] = [
  // Flink's hashmap backend keeps keyed state on the heap, as tidemark does: a Flink config that names it runs.
  { key: 'state.backend', refuse: true, instead: HEAP_STATE, accepts: isHashMapBackend },
  { key: 'state.backend.type', refuse: true, instead: HEAP_STATE, accepts: isHashMapBackend },
  { key: 'state.backend.', refuse: true, instead: HEAP_STATE },
  {
    key: 'state.checkpoint-storage',
    refuse: false,
    instead: CHECKPOINT_STORAGE,
    accepts: (v) => typeof v === 'string' && v.trim().toLowerCase() === 'filesystem',
  },
  {
    key: 'execution.savepoint-restore-mode',
    refuse: false,
    instead: 'a job restored from a checkpoint or savepoint never deletes it (NO_CLAIM)',
    accepts: (v) => typeof v === 'string' && v.trim().toUpperCase() === 'NO_CLAIM',
  },
  { key: 'execution.checkpointing.', refuse: false, instead: 'checkpoints are aligned (or, AT_LEAST_ONCE, not aligned) with the options listed in the README' },
  { key: 'state.checkpoints.', refuse: false, instead: CHECKPOINT_STORAGE },
  { key: 'restart-strategy', refuse: false, instead: 'the old name of restart-strategy.type: use restart-strategy.type' },
  {
    key: 'restart-strategy.exponential-delay.jitter-factor',
    refuse: false,
    instead: 'the exponential delay is applied without jitter',
    accepts: (v) => v === 0 || v === '0' || v === '0.0',
  },
  { key: 'restart-strategy.', refuse: false, instead: 'the restart strategies are none, fixed-delay, failure-rate and exponential-delay' },
  { key: 'high-availability', refuse: false, instead: 'the job runs in this process only' },
  { key: 'high-availability.', refuse: false, instead: 'the job runs in this process only' },
  { key: 'taskmanager.memory.', refuse: false, instead: 'memory is the Node.js heap (node --max-old-space-size)' },
  { key: 'jobmanager.memory.', refuse: false, instead: 'memory is the Node.js heap (node --max-old-space-size)' },
  { key: 'execution.buffer-timeout', refuse: false, instead: 'a task sends a batch when its input batch is processed' },
  { key: 'pipeline.object-reuse', refuse: false, instead: 'records are passed by reference between chained operators' },
  { key: 'rest.', refuse: false, instead: 'there is no REST endpoint or web UI yet' },
  { key: 'metrics.', refuse: false, instead: 'there are no metric reporters yet; CEP metrics are accumulators in the JobExecutionResult' },
];

/**
 * The registry of options (one source of truth): tidemark's own (CoreOptions) and the Flink options it
 * recognises but does not support yet. Used to validate values, refuse or warn about unsupported
 * options and point a misspelt key to the closest known one.
 */
export const ConfigOptions = {
  /** The Flink option (or family) not supported yet that this key belongs to, if any. */
  unsupported(key: string): UnsupportedOption | undefined {
    return UNSUPPORTED.find((u) => (u.key.endsWith('.') ? key.startsWith(u.key) : key === u.key));
  },
  /** Every key tidemark implements. */
  keys(): string[] {
    return [...SUPPORTED.keys()];
  },
  /** The implemented key closest to `key` (edit distance), when close enough to be a typo. */
  closest(key: string): string | undefined {
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const k of SUPPORTED.keys()) {
      const d = editDistance(key.toLowerCase(), k.toLowerCase());
      if (d < bestDistance) [best, bestDistance] = [k, d];
    }
    return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
  },
  /**
   * One warning line for a key that has no effect (unknown, or a Flink option not supported yet and
   * not refused); undefined for an implemented key, or a Flink option set to what tidemark does anyway
   * (`value`). `origin` says where it was set (-D, a file).
   */
  warningFor(key: string, origin: string, value?: unknown): string | undefined {
    if (SUPPORTED.has(key)) return undefined;
    const u = ConfigOptions.unsupported(key);
    if (u?.accepts?.(value) === true) return undefined;
    // In a family of keys (execution.checkpointing.*), a near miss of an implemented key is a typo.
    if (u !== undefined && !(u.key.endsWith('.') && ConfigOptions.closest(key) !== undefined)) return `Warning: ${key} (${origin}) is a Flink option tidemark does not support yet and has no effect: ${u.instead}.`;
    const hint = ConfigOptions.closest(key);
    return `Warning: unknown configuration key '${key}' (${origin}) is ignored${hint === undefined ? '' : `; did you mean '${hint}'?`}`;
  },
} as const;

/** Every option tidemark implements, in the order ConfigOptions.keys() lists them. */
const ALL_OPTIONS: readonly ConfigOption<unknown>[] = [
  ...Object.values(CoreOptions),
  ...Object.values(ExecutionCheckpointingOptions),
  ...Object.values(CheckpointingOptions),
  ...Object.values(SavepointConfigOptions),
  ...Object.values(RestartStrategyOptions),
] as ConfigOption<unknown>[];

const SUPPORTED = new Map<string, ConfigOption<unknown>>(ALL_OPTIONS.map((o) => [o.key, o]));

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/** A set of options (Flink's Configuration). Values are validated when set. */
export class Configuration {
  private readonly values = new Map<string, unknown>();

  constructor(entries?: Record<string, unknown>) {
    if (entries) for (const [k, v] of Object.entries(entries)) this.setString(k, v);
  }

  /**
   * Sets an option by key; known keys are parsed and validated. A Flink option that is refused
   * (state backends other than hashmap: see ConfigOptions) throws; other keys are kept as
   * they are (ConfigOptions.warningFor says whether they have any effect).
   */
  setString(key: string, value: unknown): this {
    const option = SUPPORTED.get(key);
    if (option === undefined) {
      const u = ConfigOptions.unsupported(key);
      if (u?.refuse === true && u.accepts?.(value) !== true) {
        throw new IllegalConfigurationException(`Unsupported option ${key}: ${u.instead}. Remove it from the configuration to run anyway.`);
      }
    }
    this.values.set(key, option ? option.parse(value) : value);
    return this;
  }

  /** The keys set, in the order they were first set. */
  keys(): string[] {
    return [...this.values.keys()];
  }

  set<T>(option: ConfigOption<T>, value: T): this {
    this.values.set(option.key, option.parse(value));
    return this;
  }

  get<T>(option: ConfigOption<T>): T {
    return this.values.has(option.key) ? (this.values.get(option.key) as T) : option.defaultValue();
  }

  contains(option: ConfigOption<unknown>): boolean {
    return this.values.has(option.key);
  }

  /** Later entries win. */
  addAll(other: Configuration): this {
    for (const [k, v] of other.values) this.values.set(k, v);
    return this;
  }

  toMap(): Record<string, unknown> {
    return Object.fromEntries(this.values);
  }

  /** Reads a YAML config file (flat or nested keys). */
  static fromYamlFile(path: string): Configuration {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new IllegalConfigurationException(`Cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return Configuration.fromYaml(text, path);
  }

  static fromYaml(text: string, origin = 'config'): Configuration {
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
      throw new IllegalConfigurationException(`Invalid YAML in ${origin}${where}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc === null || doc === undefined) return new Configuration();
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new IllegalConfigurationException(`Invalid config in ${origin}: expected a map of options, got ${Array.isArray(doc) ? 'a list' : typeof doc}`);
    }
    const flat: Record<string, unknown> = {};
    // A YAML alias may point at a map that contains it (`a: &x { b: *x }`): the parsed document is
    // then cyclic. Track the maps on the path, and bound the depth, instead of recursing forever.
    const path: object[] = [];
    const walk = (prefix: string, v: unknown): void => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        if (path.includes(v)) {
          throw new IllegalConfigurationException(`Invalid config in ${origin}: '${prefix}' contains itself (a YAML alias cycle)`);
        }
        if (path.length >= MAX_YAML_DEPTH) {
          throw new IllegalConfigurationException(`Invalid config in ${origin}: '${prefix}' is nested more than ${MAX_YAML_DEPTH} levels deep`);
        }
        path.push(v);
        for (const [k, child] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, child);
        path.pop();
      } else flat[prefix] = v;
    };
    walk('', doc);
    try {
      return new Configuration(flat);
    } catch (e) {
      throw new IllegalConfigurationException(`Invalid config in ${origin}: ${(e as Error).message}`);
    }
  }
}
