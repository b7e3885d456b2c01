/**
 * Job arguments as key/value pairs (Flink's ParameterTool).
 * ```ts
 * const params = ParameterTool.fromArgs(process.argv);   // --host 127.0.0.1 --port 9999
 * const port = params.getInt('port', 9999);
 * ```
 */
import { registerErrorClass, TidemarkError } from '../core/errors.ts';

export const NO_VALUE_KEY = '__NO_VALUE_KEY';

/**
 * A job argument that is missing or malformed (`No data for required key 'input'`). A mistake in how
 * the job was called, not a bug: `tidemark run` prints its message without a stack trace.
 */
export class ParameterToolException extends TidemarkError {
  override name = 'ParameterToolException';
  constructor(
    message: string,
    /** The key concerned, when there is one. */
    readonly key?: string,
  ) {
    super(message);
  }
}
registerErrorClass(ParameterToolException);

export class ParameterTool {
  private constructor(private readonly data: Map<string, string>) {}

  /**
   * Parses `--key value`, `-key value` and bare `--flag`. Given `process.argv` itself, the node
   * executable and script path in front are skipped.
   */
  static fromArgs(args: readonly string[]): ParameterTool {
    const list = args === process.argv ? args.slice(2) : args;
    const data = new Map<string, string>();
    let i = 0;
    while (i < list.length) {
      const arg = list[i]!;
      const key = arg.startsWith('--') ? arg.slice(2) : arg.startsWith('-') ? arg.slice(1) : undefined;
      if (key === undefined || key === '') {
        throw new ParameterToolException(`Error parsing arguments '${list.join(' ')}' on '${arg}'. Please prefix keys with -- or -.`);
      }
      const next = list[i + 1];
      if (next !== undefined && (!next.startsWith('-') || /^-\d/.test(next))) {
        data.set(key, next);
        i += 2;
      } else {
        data.set(key, NO_VALUE_KEY);
        i += 1;
      }
    }
    return new ParameterTool(data);
  }

  static fromMap(map: Record<string, string>): ParameterTool {
    return new ParameterTool(new Map(Object.entries(map)));
  }

  getNumberOfParameters(): number {
    return this.data.size;
  }

  has(key: string): boolean {
    return this.data.has(key);
  }

  get(key: string): string | undefined;
  get(key: string, defaultValue: string): string;
  get(key: string, defaultValue?: string): string | undefined {
    const v = this.data.get(key);
    return v === undefined || v === NO_VALUE_KEY ? defaultValue : v;
  }

  getRequired(key: string): string {
    const v = this.get(key);
    if (v === undefined) throw new ParameterToolException(`No data for required key '${key}'`, key);
    return v;
  }

  getInt(key: string, defaultValue?: number): number {
    return this.getNumber(key, defaultValue, true);
  }

  getLong(key: string, defaultValue?: number): number {
    return this.getNumber(key, defaultValue, true);
  }

  getDouble(key: string, defaultValue?: number): number {
    return this.getNumber(key, defaultValue, false);
  }

  getBoolean(key: string, defaultValue?: boolean): boolean {
    const v = this.data.get(key);
    if (v === undefined) {
      if (defaultValue === undefined) throw new ParameterToolException(`No data for required key '${key}'`, key);
      return defaultValue;
    }
    if (v === NO_VALUE_KEY) return true;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new ParameterToolException(`Value of --${key} must be true or false, got '${v}'`, key);
  }

  private getNumber(key: string, defaultValue: number | undefined, integer: boolean): number {
    const v = this.get(key);
    if (v === undefined) {
      if (defaultValue === undefined) throw new ParameterToolException(`No data for required key '${key}'`, key);
      return defaultValue;
    }
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new ParameterToolException(`Value of --${key} must be ${integer ? 'an integer' : 'a number'}, got '${v}'`, key);
    }
    return n;
  }

  /** Later values win. */
  mergeWith(other: ParameterTool): ParameterTool {
    return new ParameterTool(new Map([...this.data, ...other.data]));
  }

  toMap(): Record<string, string> {
    return Object.fromEntries(this.data);
  }
}
