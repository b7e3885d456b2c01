/**
 * Configuration under Flink's option names. A `tidemark.yaml` may write keys flat
 * (`parallelism.default: 2`) or nested (`parallelism: { default: 2 }`), as Flink's config.yaml does.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml, YAMLParseError } from 'yaml';

export type RuntimeExecutionModeOption = 'STREAMING' | 'BATCH' | 'AUTOMATIC';

export interface ConfigOption<T> {
  readonly key: string;
  readonly description: string;
  readonly defaultValue: () => T;
  readonly parse: (raw: unknown) => T;
}

/** Raised for a bad option value or an unreadable config file; names the key and the source. */
export class IllegalConfigurationException extends Error {
  override name = 'IllegalConfigurationException';
}

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

export const CoreOptions = {
  DEFAULT_PARALLELISM: {
    key: 'parallelism.default',
    description: 'Parallelism of operators that do not set their own.',
    defaultValue: () => 1,
    parse: positiveInt('parallelism.default'),
  } as ConfigOption<number>,
  NUMBER_OF_TASK_SLOTS: {
    key: 'taskmanager.numberOfTaskSlots',
    description: 'Task slots of the local runtime; bounds the highest parallelism a job can use.',
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

const KNOWN = new Map<string, ConfigOption<unknown>>(Object.values(CoreOptions).map((o) => [o.key, o as ConfigOption<unknown>]));

/** A set of options (Flink's Configuration). Values are validated when set. */
export class Configuration {
  private readonly values = new Map<string, unknown>();

  constructor(entries?: Record<string, unknown>) {
    if (entries) for (const [k, v] of Object.entries(entries)) this.setString(k, v);
  }

  /** Sets an option by key; known keys are parsed and validated. */
  setString(key: string, value: unknown): this {
    const option = KNOWN.get(key);
    this.values.set(key, option ? option.parse(value) : value);
    return this;
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
    const walk = (prefix: string, v: unknown): void => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, child] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, child);
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
