/**
 * `tidemark run [options] <job file> [job arguments]`, in the style of `flink run`.
 * Options go before the job file; everything after it is the job's own arguments.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve, extname } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { Configuration, CoreOptions, IllegalConfigurationException } from '../api/config.ts';
import { setExecutionContext, type ExecutionContext } from '../runtime/context.ts';
import { describeValue, JobExecutionException, UserCodeError } from '../runtime/errors.ts';

const USAGE = `Usage: tidemark <command> [options]

Commands:
  run [options] <job file> [job arguments]   Run a job (TypeScript or JavaScript) on a local runtime
  help                                       Show this help

Options of 'run' (before the job file):
  -p, --parallelism <n>    Default parallelism of the job (parallelism.default)
  -t, --target <target>    inline (all subtasks in this thread, default) or threads (a worker per slot)
      --config <file>      Config file (default: tidemark.yaml in the working directory, if present)
  -D <key>=<value>         Set a config option, e.g. -D execution.runtime-mode=BATCH
  -h, --help               Show this help
  -v, --version            Print the version
`;

/** A mistake in how the command was called; printed without a stack trace. */
class UsageError extends Error {
  override name = 'UsageError';
}

const JOB_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
/** Errors about the user's input or environment: their message says it all. */
const PLAIN_ERRORS = new Set([
  'UsageError',
  'IllegalConfigurationException',
  'NoResourceAvailableException',
  'InvalidJobGraphError',
  'FileSourceError',
  'SocketSourceError',
  'JobDefinitionError',
]);

class JobDefinitionError extends Error {
  override name = 'JobDefinitionError';
}

interface RunArgs {
  jobFile: string;
  /** The job file as the user wrote it. */
  jobFileArg: string;
  jobArgs: string[];
  configuration: Configuration;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
  return pkg.version;
}

function parseRunArgs(args: string[], cwd: string): RunArgs {
  const overrides = new Configuration();
  let configFile: string | undefined;
  let i = 0;
  const value = (flag: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('-')) throw new UsageError(`Option ${flag} needs a value. See 'tidemark run --help'.`);
    i += 2;
    return v;
  };
  for (;;) {
    const a = args[i];
    if (a === undefined) throw new UsageError("No job file given. Usage: tidemark run [options] <job file> [job arguments]");
    if (!a.startsWith('-')) break;
    let eq: string | undefined;
    let flag = a;
    if (a.startsWith('--') && a.includes('=')) {
      flag = a.slice(0, a.indexOf('='));
      eq = a.slice(a.indexOf('=') + 1);
    }
    const take = (): string => {
      if (eq !== undefined) {
        i += 1;
        return eq;
      }
      return value(flag);
    };
    switch (flag) {
      case '-p':
      case '--parallelism':
        overrides.setString(CoreOptions.DEFAULT_PARALLELISM.key, take());
        break;
      case '-t':
      case '--target':
        overrides.setString(CoreOptions.TARGET.key, take());
        break;
      case '--config':
        configFile = take();
        break;
      case '-D': {
        const kv = take();
        const at = kv.indexOf('=');
        if (at <= 0) throw new UsageError(`-D needs key=value, got '${kv}'`);
        overrides.setString(kv.slice(0, at), kv.slice(at + 1));
        break;
      }
      default:
        if (flag.startsWith('-D') && flag.includes('=')) {
          const kv = flag.slice(2);
          overrides.setString(kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1));
          i += 1;
          break;
        }
        throw new UsageError(`Unknown option '${a}' for 'tidemark run'. See 'tidemark run --help'.`);
    }
  }
  const jobFile = resolve(cwd, args[i]!);
  if (!existsSync(jobFile) || !statSync(jobFile).isFile()) throw new UsageError(`Job file not found: ${args[i]}`);
  if (!JOB_EXTENSIONS.has(extname(jobFile))) {
    throw new UsageError(`Job file ${args[i]} is not a TypeScript or JavaScript file (expected ${[...JOB_EXTENSIONS].join(', ')})`);
  }
  const configuration = new Configuration();
  const defaultConfig = resolve(cwd, 'tidemark.yaml');
  if (configFile !== undefined) configuration.addAll(Configuration.fromYamlFile(resolve(cwd, configFile)));
  else if (existsSync(defaultConfig)) configuration.addAll(Configuration.fromYamlFile(defaultConfig));
  configuration.addAll(overrides);
  return { jobFile, jobFileArg: args[i]!, jobArgs: args.slice(i + 1), configuration };
}

const FRAMEWORK_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The stack down to the first frame inside tidemark itself: the user's own code. */
function userFrames(stack: string): string {
  if (process.env.TIDEMARK_DEBUG) return stack;
  const lines = stack.split('\n');
  const firstFramework = lines.findIndex((l) => /^\s+at /.test(l) && (l.includes(`${FRAMEWORK_ROOT}lib`) || l.includes(`${FRAMEWORK_ROOT}connectors`)));
  return (firstFramework < 0 ? lines : lines.slice(0, firstFramework)).join('\n');
}

function rootCause(e: unknown): unknown {
  let cur = e;
  while (cur instanceof Error && (cur instanceof JobExecutionException || cur instanceof UserCodeError || cur.name === 'UserCodeError') && cur.cause !== undefined) {
    cur = cur.cause;
  }
  return cur;
}

/** One clear message; a stack trace only when the root cause is a bug in code (the user's or ours). */
export function formatError(e: unknown): string {
  if (!(e instanceof Error)) return `Error: ${describeValue(e)}`;
  const root = rootCause(e);
  const lines = [e instanceof JobExecutionException || e instanceof UsageError ? e.message : `${e.name}: ${e.message}`];
  if (root instanceof Error && root !== e && !PLAIN_ERRORS.has(root.name) && root.stack) {
    lines.push(`Caused by: ${userFrames(root.stack)}`);
  } else if (!(root instanceof Error) || (root === e && !PLAIN_ERRORS.has(e.name) && e.stack)) {
    if (root instanceof Error && root.stack) lines[0] = root.stack;
  }
  if (/Top-level await is currently not supported with the "cjs" output format/.test(e.message)) {
    lines.push('Hint: the job file is loaded as CommonJS. Name it .mts, or add "type": "module" to the nearest package.json.');
  }
  return lines.join('\n');
}

async function run(args: string[], cwd: string): Promise<number> {
  if (args.includes('-h') && args.indexOf('-h') < firstPositional(args)) return printUsage();
  if (args.includes('--help') && args.indexOf('--help') < firstPositional(args)) return printUsage();
  const { jobFile, jobFileArg, jobArgs, configuration } = parseRunArgs(args, cwd);
  const context: ExecutionContext = { configuration: configuration.toMap(), jobModule: jobFile, jobArgs, jobs: [], executeCount: 0 };
  setExecutionContext(context);
  process.argv = [process.argv[0]!, jobFile, ...jobArgs];

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(130); // a second Ctrl-C does not wait
    process.stderr.write(`\nReceived ${signal}, canceling the job...\n`);
    void Promise.all((context.jobs ?? []).map((j) => j.cancel())).then(() => {
      process.stderr.write('Job canceled.\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await import(pathToFileURL(jobFile).href);
    // A module that does not await execute() (CommonJS has no top-level await) returns while its
    // jobs run: keep Ctrl-C handling until they end, and report a failure nobody awaited.
    const running = (context.jobs ?? []).filter((j) => j.status() === 'RUNNING');
    const results = await Promise.allSettled(running.map((j) => j.result));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if ((context.executeCount ?? 0) === 0) {
    throw new JobDefinitionError(
      `Job file ${jobFileArg} did not execute a job: build a pipeline with StreamExecutionEnvironment.getExecutionEnvironment() and call env.execute() (or executeAndCollect()).`,
    );
  }
  return 0;
}

function firstPositional(args: string[]): number {
  const i = args.findIndex((a) => !a.startsWith('-'));
  return i < 0 ? args.length : i;
}

function printUsage(): number {
  process.stdout.write(USAGE);
  return 0;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], cwd = process.cwd()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        return printUsage();
      case '-v':
      case '--version':
        process.stdout.write(`tidemark ${version()}\n`);
        return 0;
      case 'run':
        return await run(rest, cwd);
      default:
        throw new UsageError(`Unknown command '${command}'. Commands: run, help. See 'tidemark --help'.`);
    }
  } catch (e) {
    process.stderr.write(formatError(e) + '\n');
    return e instanceof UsageError ? 2 : 1;
  }
}

export { IllegalConfigurationException };
