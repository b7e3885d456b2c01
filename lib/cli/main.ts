/**
 * `tidemark run [options] <job file> [job arguments]`, in the style of `flink run`.
 * Options go before the job file; everything after it is the job's own arguments.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve, extname, relative, isAbsolute, sep } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import {
  ConfigOptions,
  Configuration,
  CoreOptions,
  ExecutionCheckpointingOptions,
  IllegalConfigurationException,
  SavepointConfigOptions,
} from '../api/config.ts';
import { parentPort, workerData } from 'node:worker_threads';
import { SIGNAL_EXIT_CODES, STOP_GRACE_MS, superviseJobThread } from './supervisor.mjs';
import { setExecutionContext, type ExecutionContext } from '../runtime/context.ts';
import type { JobHandle } from '../runtime/scheduler.ts';
import { importJobModule } from '../runtime/job-module.mjs';
import { initProject } from './init.ts';
import { describeValue, isInstance, JobCancellationException, JobExecutionException, TidemarkError, UserCodeError } from '../core/errors.ts';

const USAGE = `Usage: tidemark <command> [options]

Commands:
  run [options] <job file> [job arguments]   Run a job (TypeScript or JavaScript) on a local runtime
  init <directory>                           Write a new project: a job, its test, tidemark.yaml
                                             (Flink's quickstart); the directory must be new or empty
  help                                       Show this help

Options of 'run' (before the job file):
  -p, --parallelism <n>    Default parallelism of the job (parallelism.default)
  -t, --target <target>    inline (all subtasks in this thread, default) or threads (a worker per slot)
      --config <file>      Config file (default: tidemark.yaml in the working directory, if present)
  -D <key>=<value>         Set a config option, e.g. -D execution.checkpointing.interval=10s
                           (an unknown key is reported on stderr; state backends other than
                           hashmap are refused)
  -s, --fromSavepoint <path>
                           Start from a savepoint, a chk-<n> folder, or any folder above them
                           (the newest complete checkpoint under it): -s checkpoints carries on
                           where the last run stopped (execution.savepoint.path)
  -n, --allowNonRestoredState
                           Skip state of operators that are no longer in the job instead of
                           failing (execution.savepoint.ignore-unclaimed-state)
      --savepoint-on-stop <dir>
                           On SIGTERM or SIGINT, stop the job with a savepoint under <dir> and
                           print its path (exit 0 when it was taken) instead of canceling it
  -h, --help               Show this help
  -v, --version            Print the version
`;

/** A mistake in how the command was called; printed without a stack trace. */
class UsageError extends TidemarkError {
  override name = 'UsageError';
}

const JOB_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
/**
 * An error of ours about the user's input, configuration or environment: its message says it all
 * (printed without a stack). Ours about code (a user function that threw, a Pattern built wrong)
 * and anything else (a bug, the user's or ours) show where it happened.
 */
function isPlain(e: unknown): boolean {
  return isInstance(e, TidemarkError) && !(e as TidemarkError).pointsAtCode;
}

/** The job module did not define a job as it should (no execute(), a job file that exports nothing runnable). */
class JobDefinitionError extends TidemarkError {
  override name = 'JobDefinitionError';
}

interface RunArgs {
  jobFile: string;
  /** The job file as the user wrote it. */
  jobFileArg: string;
  jobArgs: string[];
  configuration: Configuration;
  /** --savepoint-on-stop: the folder a SIGTERM / SIGINT takes a savepoint into (absolute). */
  savepointOnStop?: string;
}

function version(): string {
  // By the package's own name: the same from the sources (lib/cli) and from the build (dist/lib/cli).
  const pkg = createRequire(import.meta.url)('tidemark/package.json') as { version: string };
  return pkg.version;
}

/** `warn`: print the warnings about configuration keys (off for the check before a job thread is started, which parses again). */
function parseRunArgs(args: string[], cwd: string, warn = true): RunArgs {
  const overrides = new Configuration();
  let configFile: string | undefined;
  let savepointOnStop: string | undefined;
  let i = 0;
  const value = (flag: string): string => {
    const v = args[i + 1];
    // A negative number is a value (`-p -1`), so that it gets its own clear message.
    if (v === undefined || (v.startsWith('-') && !/^-\d/.test(v))) throw new UsageError(`Option ${flag} needs a value. See 'tidemark run --help'.`);
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
      case '--parallelism': {
        const p = take();
        if (!/^\d+$/.test(p.trim()) || Number(p) < 1) {
          throw new UsageError(`Option ${flag}: parallelism (parallelism.default) must be a positive integer, got ${p}`);
        }
        overrides.setString(CoreOptions.DEFAULT_PARALLELISM.key, p);
        break;
      }
      case '-t':
      case '--target': {
        const t = take();
        // A usage error (exit 2) as a bad -p is, not a configuration error of the job (exit 1).
        if (t !== 'inline' && t !== 'threads') throw new UsageError(`Option ${flag}: target (execution.target) must be inline or threads, got ${t}`);
        overrides.setString(CoreOptions.TARGET.key, t);
        break;
      }
      case '--config':
        configFile = take();
        break;
      case '-s':
      case '--fromSavepoint':
        // Resolved here: the runtime may look for it from another working directory.
        overrides.setString(SavepointConfigOptions.SAVEPOINT_PATH.key, resolve(cwd, take()));
        break;
      case '-n':
      case '--allowNonRestoredState':
        if (eq !== undefined) throw new UsageError(`Option ${flag} takes no value. See 'tidemark run --help'.`);
        overrides.setString(SavepointConfigOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE.key, true);
        i += 1;
        break;
      case '--savepoint-on-stop':
        savepointOnStop = resolve(cwd, take());
        break;
      case '-D': {
        const kv = take();
        const at = kv.indexOf('=');
        if (at <= 0) throw new UsageError(`-D needs key=value, got '${kv}'`);
        overrides.setString(kv.slice(0, at).trim(), kv.slice(at + 1));
        break;
      }
      default:
        if (flag.startsWith('-D') && flag.includes('=')) {
          const kv = flag.slice(2);
          overrides.setString(kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1));
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
  const fileArg = configFile ?? (existsSync(defaultConfig) ? 'tidemark.yaml' : undefined);
  if (fileArg !== undefined) {
    const fromFile = Configuration.fromYamlFile(resolve(cwd, fileArg));
    if (warn) warnAboutKeys(fromFile, `in ${fileArg}`);
    configuration.addAll(fromFile);
  }
  if (warn) warnAboutKeys(overrides, '-D');
  configuration.addAll(overrides);
  return { jobFile, jobFileArg: args[i]!, jobArgs: args.slice(i + 1), configuration, savepointOnStop };
}

/** One line on stderr for each key that has no effect: misspelt (with the closest known key) or not supported yet. */
function warnAboutKeys(configuration: Configuration, origin: string): void {
  const values = configuration.toMap();
  for (const key of configuration.keys()) {
    const warning = ConfigOptions.warningFor(key, origin, values[key]);
    if (warning !== undefined) process.stderr.write(warning + '\n');
  }
}

/** The folder holding lib/ and connectors/: the repository, or dist/ of the installed package. */
const FRAMEWORK_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Where tidemark's frames are: under FRAMEWORK_ROOT, and, installed, also under the package's folder
 * (the parent of dist/): with source maps on (tsx turns them on in the job thread) a frame of
 * dist/lib/x.js names the source its map gives, <package>/lib/x.ts.
 */
const FRAMEWORK_DIRS = (basename(FRAMEWORK_ROOT) === 'dist' ? [FRAMEWORK_ROOT, resolve(FRAMEWORK_ROOT, '..') + sep] : [FRAMEWORK_ROOT])
  .flatMap((root) => [`${root}lib${sep}`, `${root}connectors${sep}`])
  .flatMap((dir) => [dir, pathToFileURL(dir).href]); // ESM frames without a source map name file: URLs

/** The stack down to the first frame inside tidemark itself: the user's own code. */
function userFrames(stack: string): string {
  if (process.env.TIDEMARK_DEBUG) return stack;
  const lines = stack.split('\n');
  const firstFramework = lines.findIndex((l) => /^\s+at /.test(l) && FRAMEWORK_DIRS.some((dir) => l.includes(dir)));
  return (firstFramework < 0 ? lines : lines.slice(0, firstFramework)).join('\n');
}

/**
 * The stack without the frames below the user's last one: those of Node's module loader and of this
 * command, which evaluated the job module (an error thrown where the module runs, not in a job).
 */
function withoutRunnerFrames(stack: string): string {
  if (process.env.TIDEMARK_DEBUG) return stack;
  const lines = stack.split('\n');
  let lastUser = -1;
  for (let i = lines.length - 1; i >= 0 && lastUser < 0; i--) {
    const l = lines[i]!;
    if (/^\s+at /.test(l) && !/\(?node:/.test(l) && !FRAMEWORK_DIRS.some((dir) => l.includes(dir))) lastUser = i;
  }
  return lastUser < 0 ? stack : lines.slice(0, lastUser + 1).join('\n');
}

function rootCause(e: unknown): unknown {
  let cur = e;
  // Through the wrappers to what user code threw, even when that is not an Error (undefined included).
  while ((isInstance(cur, JobExecutionException) || isInstance(cur, UserCodeError)) && 'cause' in (cur as Error)) {
    cur = (cur as Error).cause;
  }
  return cur;
}

/** Names of tidemark/cep, for a clear message when they are imported from 'tidemark' (kept true by a test). */
export const CEP_EXPORTS: readonly string[] = [
  'AfterMatchSkipStrategy', 'CEP', 'ExpressionError', 'MalformedPatternException', 'Pattern', 'PatternProcessFunction',
  'PatternSpecError', 'PatternStream', 'compileExpression',
  // types: an import that is not marked `type` fails the same way
  'Match', 'Quantifier', 'ConsumingStrategy', 'Stage', 'WithinType', 'SkipKind', 'Condition', 'SimpleCondition',
  'IterativeCondition', 'ConditionContext', 'ConditionNode', 'TimedOutPartialMatchHandler', 'PatternContext', 'PatternProcessFn',
  'PatternSelectFunction', 'PatternFlatSelectFunction', 'PatternTimeoutFunction', 'PatternFlatTimeoutFunction',
  'PatternSelectFn', 'PatternFlatSelectFn', 'PatternTimeoutFn', 'PatternFlatTimeoutFn', 'EventComparator',
  'StageNames', 'PartialMatchOverflow', 'CepMetrics', 'PatternRule', 'RejectedRule', 'CompiledExpression', 'ExprNode', 'PatternSpec',
  'InnerContiguity', 'StageSpec', 'GroupSpec', 'QuantifierSpec', 'WindowSpec', 'AfterMatchSkipSpec',
];
/** Connector classes by their entry point `tidemark/connectors/<name>` (kept true by a test). */
export const CONNECTOR_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  collection: ['CollectionSource', 'NumberSequenceSource'],
  file: [
    'FileSourceError', 'FileSinkError', 'TextFileSink', 'TextLineSource', 'WriteMode', 'TextFileSinkOptions', 'inProgressPath',
    'DEFAULT_LINE_LENGTH_LIMIT', 'LineTooLongError', 'LineSourceOptions',
    'FileSource', 'FileSourceBuilder', 'TextLineInputFormat', 'StreamFormat', 'FileSourceSplit', 'MonitoredPathsSplit',
    'FileSink', 'RowFormatBuilder', 'FileWriter', 'FileCommitter', 'SimpleStringEncoder', 'BasePathBucketAssigner',
    'DateTimeBucketAssigner', 'DefaultRollingPolicy', 'DefaultRollingPolicyBuilder', 'OnCheckpointRollingPolicy', 'OutputFileConfig',
    'OutputFileConfigBuilder', 'Encoder', 'BucketAssigner', 'BucketAssignerContext', 'RollingPolicy', 'PartFileInfo', 'FileSinkCommittable',
  ],
  print: ['PrintSink'],
  rx: ['ObservableSource'],
  socket: [
    'SocketSourceError', 'SocketTextSource', 'DEFAULT_LINE_LENGTH_LIMIT', 'LineTooLongError', 'LineSourceOptions', 'SocketTextSourceOptions',
    'SOCKET_RETRY_DELAY_MS', 'SocketClientSink', 'SocketSinkError', 'SocketSerializationSchema', 'SocketSerializer',
  ],
};

/** Where a syntax error is, when Node does not say (see locateSyntaxError). */
const SYNTAX_ERROR_LOCATION = new WeakMap<Error, { file: string; line: number; column: number }>();

/**
 * Node (20) gives no place for a syntax error in an ES module loaded by import(): just "SyntaxError:
 * Unexpected token". For a JavaScript job file, `node --check` on it (only on this error path) finds
 * line and column. A syntax error in a module the job imports keeps the message alone.
 */
function locateSyntaxError(e: unknown, jobFile: string): void {
  if (!isInstance(e, SyntaxError) || !['.js', '.mjs', '.cjs'].includes(extname(jobFile))) return;
  const err = e as SyntaxError;
  if (!/\bat compileSourceTextModule\b/.test(err.stack ?? '') || /^(\/|file:|[A-Za-z]:\\)/.test(err.stack ?? '')) return;
  let report = '';
  try {
    execFileSync(process.execPath, ['--check', jobFile], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    return; // the job file itself parses: the error is in a module it imports
  } catch (check) {
    report = String((check as { stderr?: unknown }).stderr ?? '');
  }
  // "<file>:<line>\n<source line>\n<spaces>^\n\nSyntaxError: <message>"
  const m = /^(.+):(\d+)\n.*\n( *)\^+\s*\n\s*SyntaxError: (.*)$/m.exec(report);
  if (m === null || m[4] !== err.message) return;
  SYNTAX_ERROR_LOCATION.set(err, { file: m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!, line: Number(m[2]), column: m[3]!.length + 1 });
}

/**
 * The one-line form (plus a code frame when there is a column) of an error raised while loading a job
 * file: a syntax error (esbuild's, through tsx, or Node's) or an import of a name a module does not
 * export. Undefined for anything else.
 */
function loadErrorMessage(e: Error): string | undefined {
  const located = SYNTAX_ERROR_LOCATION.get(e);
  if (located !== undefined) {
    return `${displayPath(located.file)}:${located.line}:${located.column}: SyntaxError: ${e.message}${codeFrame(located.file, located.line, located.column)}`;
  }
  // esbuild (tsx): "Transform failed with 1 error:\n<file>:<line>:<column>: ERROR: <text>"
  const esbuild = /Transform failed/.test(e.message) ? /^(.+):(\d+):(\d+): ERROR: (.*)$/m.exec(e.message) : null;
  if (esbuild !== null) {
    const file = reportedFile(esbuild[1]!);
    const line = Number(esbuild[2]);
    const column = Number(esbuild[3]) + 1; // esbuild counts columns from 0, editors from 1
    return `${displayPath(file)}:${line}:${column}: SyntaxError: ${esbuild[4]}${codeFrame(file, line, column)}`;
  }
  if (e.name !== 'SyntaxError' || !/\bat (compileSourceTextModule|wrapSafe|ModuleJob\._instantiate)\b/.test(e.stack ?? '')) return undefined;
  // Node puts the place, when it knows it, on the stack's first line: "<file>:<line>".
  const where = /^(\/.+|file:\/\/.+|[A-Za-z]:\\.+):(\d+)\n/.exec(e.stack ?? '');
  const at = where === null ? '' : `${displayPath(where[1]!.startsWith('file:') ? fileURLToPath(where[1]!) : where[1]!)}:${where[2]}: `;
  const missing = /The requested module '([^']+)' does not provide an export named '([^']+)'/.exec(e.message);
  if (missing === null) return `${at}SyntaxError: ${e.message}`;
  const [module, name] = [missing[1]!, missing[2]!];
  const home = module === 'tidemark' ? entryPointOf(name) : undefined;
  return home === undefined
    ? `${at}${e.message}`
    : `${at}'${name}' is not exported by 'tidemark': import it from '${home}' (import { ${name} } from '${home}')`;
}

/** Where a name of tidemark lives, when not in 'tidemark' itself. */
function entryPointOf(name: string): string | undefined {
  if (CEP_EXPORTS.includes(name)) return 'tidemark/cep';
  for (const [connector, names] of Object.entries(CONNECTOR_EXPORTS)) if (names.includes(name)) return `tidemark/connectors/${connector}`;
  return undefined;
}

/** tsx hands esbuild `x.ts` for `x.mts` and `x.cts`: report the file that exists. */
function reportedFile(file: string): string {
  if (existsSync(file) || !file.endsWith('.ts')) return file;
  for (const ext of ['.mts', '.cts']) {
    const candidate = file.slice(0, -3) + ext;
    if (existsSync(candidate)) return candidate;
  }
  return file;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** Two lines under the message: the source line and a caret under the column (empty if unreadable). */
function codeFrame(file: string, line: number, column: number): string {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8').split(/\r?\n/)[line - 1];
  } catch {
    return '';
  }
  if (text === undefined || text.length > 200) return '';
  const gutter = `${line} | `;
  return `\n${gutter}${text}\n${' '.repeat(gutter.length - 2)}| ${' '.repeat(Math.max(0, column - 1))}^`;
}

/** One clear message; a stack trace only when the root cause is a bug in code (the user's or ours). */
export function formatError(thrown: unknown): string {
  if (!isInstance(thrown, Error)) return `Error: ${describeValue(thrown)}`;
  const e = thrown as Error;
  const load = loadErrorMessage(e);
  if (load !== undefined) return load;
  const root = rootCause(e);
  const rootIsError = isInstance(root, Error);
  const lines = [e instanceof JobExecutionException || e instanceof UsageError ? e.message : `${e.name}: ${e.message}`];
  if (rootIsError && root !== e && !isPlain(root) && (root as Error).stack) {
    const caused = userFrames((root as Error).stack!);
    // Nothing to add when the cause has no frames of its own and its message is already on the first line.
    if (/^\s+at /m.test(caused) || !lines[0]!.includes((root as Error).message)) lines.push(`Caused by: ${caused}`);
  } else if (!rootIsError || (root === e && !isPlain(e) && e.stack)) {
    if (rootIsError && (root as Error).stack) lines[0] = withoutRunnerFrames((root as Error).stack!);
  }
  // A .ts job outside a "type": "module" package is CommonJS; with top-level await (esbuild) or a cycle
  // through tidemark's ES modules (Node's require(esm)) it cannot load: one line says what to do.
  // Only for a module whose format the nearest package.json decides (.ts, .js): a cycle through a
  // user's own .mts / .mjs modules keeps Node's message, which a rename would not fix.
  const commonJs = /Top-level await is currently not supported with the "cjs" output format/.test(e.message);
  const cycle = (e as NodeJS.ErrnoException).code === 'ERR_REQUIRE_CYCLE_MODULE' ? /Cannot require\(\) ES Module (.+?\.[jt]sx?) in a cycle/.exec(e.message) : null;
  if (commonJs || cycle) {
    const hint = 'the job file is loaded as CommonJS. Name it .mts, or add "type": "module" to the nearest package.json.';
    if (cycle) return `Error: ${cycle[1]} cannot be loaded: ${hint}`;
    lines.push(`Hint: ${hint}`);
  }
  return lines.join('\n');
}

/** SIGPIPE: the reader of stdout went away (the main thread saw EPIPE). */
type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGPIPE';
/** main thread -> job thread */
type ToJobThread = { type: 'cancel'; signal: StopSignal };
/** job thread -> main thread (see supervisor.mjs) */
type FromJobThread =
  /** `savepointOnStop`: a SIGTERM / SIGINT stops the job with a savepoint (the main thread says so, not "canceling"). */
  | { type: 'evaluating'; jobFile: string; savepointOnStop: boolean }
  | { type: 'evaluated' }
  /** `savepointGraceMs`: the job stops with a savepoint, which may take this long; the thread's exit code is the command's. */
  | { type: 'canceling'; savepointGraceMs?: number }
  | { type: 'stdin' };

/** After its jobs were canceled, how long the job module may run on (its catch and finally blocks) before the job thread exits. */
const MODULE_SETTLE_MS = 1000;

/** Set in the job thread: the context its job module runs under, and the cancel in progress. */
const jobThread: {
  active: boolean;
  context?: ExecutionContext;
  evaluation?: Promise<void>;
  canceling?: Promise<void>;
  /** --savepoint-on-stop */
  savepointOnStop?: string;
  /** execution.checkpointing.timeout: how long a savepoint may take. */
  savepointTimeout?: number;
} = { active: false };

/**
 * `tidemark run`. The job module is evaluated in the job thread (see supervisor.mjs); called
 * in-process (main() from a test), this starts one and waits for it.
 */
async function run(args: string[], cwd: string): Promise<number> {
  if (args.includes('-h') && args.indexOf('-h') < firstPositional(args)) return printUsage();
  if (args.includes('--help') && args.indexOf('--help') < firstPositional(args)) return printUsage();
  const { jobFile, jobFileArg, jobArgs, configuration, savepointOnStop } = parseRunArgs(args, cwd, jobThread.active);
  if (!jobThread.active) return superviseJobThread({ argv: ['run', ...args], cwd });
  jobThread.savepointOnStop = savepointOnStop;
  jobThread.savepointTimeout = configuration.get(ExecutionCheckpointingOptions.CHECKPOINTING_TIMEOUT);

  const context: ExecutionContext = { configuration: configuration.toMap(), jobModule: jobFile, jobArgs, jobs: [], executeCount: 0 };
  jobThread.context = context;
  setExecutionContext(context);
  process.argv = [process.execPath, jobFile, ...jobArgs];
  const port = parentPort!;
  let settled!: () => void;
  jobThread.evaluation = new Promise<void>((resolve) => (settled = resolve));
  port.postMessage({ type: 'evaluating', jobFile: jobFileArg, savepointOnStop: savepointOnStop !== undefined } satisfies FromJobThread);
  try {
    try {
      await importJobModule(pathToFileURL(jobFile).href);
    } catch (e) {
      locateSyntaxError(e, jobFile);
      throw e;
    } finally {
      settled();
      port.postMessage({ type: 'evaluated' } satisfies FromJobThread);
    }
    // A module that does not await execute() (CommonJS has no top-level await) returns while its
    // jobs run: wait for them, and report a failure nobody awaited. So for a job started with
    // executeAsync() whose result the module never asked for, that failed meanwhile: it must not
    // look like success. (A cancel the module asked for through its client is no failure.)
    await throwUnreportedFailure(context);
    if ((context.executeCount ?? 0) === 0) {
      // A CommonJS job file imports tidemark with import() and starts its job after its evaluation:
      // decide when nothing is left to run in this thread.
      await new Promise<void>((resolve) => process.once('beforeExit', () => resolve()));
      await throwUnreportedFailure(context);
    }
  } catch (e) {
    if (jobThread.canceling !== undefined) await jobThread.canceling; // Ctrl-C: the cancel reports (and ends the thread)
    throw e;
  }
  if ((context.executeCount ?? 0) === 0) {
    throw new JobDefinitionError(
      `Job file ${jobFileArg} did not execute a job: build a pipeline with StreamExecutionEnvironment.getExecutionEnvironment() and call env.execute() (or executeAndCollect()).`,
    );
  }
  return 0;
}

/** Waits for the running jobs; throws the failure of one that the module did not handle itself. */
async function throwUnreportedFailure(context: ExecutionContext): Promise<void> {
  const jobs = context.jobs ?? [];
  const awaited = jobs.filter((j) => j.status() === 'RUNNING' || !context.observedJobs?.has(j));
  const results = await Promise.allSettled(awaited.map((j) => j.result));
  // Whether the module asked for the result is decided once the job ended: a running job's failure that
  // the module handles itself (execute().catch(...) without await, then another job) is not the run's.
  // One it asked for and did not handle reaches `uncaught` as an unhandled rejection.
  const failed = results.find(
    (r, i): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof JobCancellationException) && !context.observedJobs?.has(awaited[i]!),
  );
  if (failed) throw failed.reason;
}

/**
 * --savepoint-on-stop: every running job stops with a savepoint under `directory`; one line with each
 * savepoint's path on stdout. A job whose savepoint failed is canceled, the reason on stderr.
 * Resolves to the exit code: 0 when every savepoint was taken, 1 otherwise.
 */
export async function stopWithSavepoints(
  jobs: readonly Pick<JobHandle, 'stopWithSavepoint' | 'cancel'>[],
  directory: string,
  out: { stdout: (line: string) => void; stderr: (line: string) => void },
): Promise<number> {
  const taken = await Promise.all(
    jobs.map(async (j) => {
      try {
        out.stdout(`Savepoint completed. Path: ${await j.stopWithSavepoint(directory)}`);
        return true;
      } catch (e) {
        out.stderr(`Savepoint failed: ${e instanceof Error ? e.message : describeValue(e)}. Canceling the job instead.`);
        await j.cancel();
        return false;
      }
    }),
  );
  return taken.every((t) => t) ? 0 : 1;
}

/**
 * Ctrl-C in the job thread: cancel the jobs (or, with --savepoint-on-stop, stop them with a
 * savepoint), say what they waited on, then end the thread.
 */
async function cancelJobs(signal: StopSignal): Promise<void> {
  const context = jobThread.context;
  if (context) context.canceling = true;
  const running = (context?.jobs ?? []).filter((j) => j.status() === 'RUNNING');
  // Nothing running (the module has not started its job yet): nothing to take a savepoint of, a plain cancel.
  const savepointDir = signal === 'SIGPIPE' || running.length === 0 ? undefined : jobThread.savepointOnStop;
  let exitCode: number = SIGNAL_EXIT_CODES[signal];
  if (signal !== 'SIGPIPE' && running.length === 0 && jobThread.savepointOnStop !== undefined) process.stderr.write('No job is running yet: there is nothing to take a savepoint of.\n');
  if (savepointDir !== undefined) {
    exitCode = await stopWithSavepoints(running, savepointDir, {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  } else {
    await Promise.all(running.map((j) => j.cancel()));
  }
  for (const j of running) {
    const e = await j.result.then(
      () => undefined,
      (err: unknown) => err,
    );
    // What the job waited on when asked to stop (a promise that never settles is named here).
    if (e instanceof JobCancellationException) for (const line of [...e.waiting, ...e.notStopped]) process.stderr.write(`${line}\n`);
  }
  process.stderr.write(savepointDir !== undefined && exitCode === 0 ? 'Job stopped with a savepoint.\n' : 'Job canceled.\n');
  // Let the job module see the cancellation (its catch and finally blocks), for a moment.
  await Promise.race([jobThread.evaluation, new Promise((r) => setTimeout(r, MODULE_SETTLE_MS).unref())]);
  process.exit(exitCode);
}

/**
 * As in the threads target, where such an error ends the slot's worker: an error thrown in a user's
 * callback (a setTimeout) or a rejection nobody handles fails the running job(s), which reject
 * execute() with it; with no job running it fails the run.
 */
function uncaught(e: unknown): void {
  if (jobThread.canceling !== undefined) return;
  const running = (jobThread.context?.jobs ?? []).filter((j) => j.status() === 'RUNNING');
  // Jobs that are ending (their tasks done, the final commit under way) take no error: it is printed, exit 1.
  let taken = false;
  for (const j of running) taken = j.fail(e) || taken;
  if (taken) return;
  printError(e);
  process.exit(1);
}

/** Errors already printed: a job failure can reach both the CLI and the unhandled-rejection handler. */
const printed = new WeakSet<object>();

function printError(e: unknown): void {
  if (typeof e === 'object' && e !== null) {
    if (printed.has(e)) return;
    printed.add(e);
  }
  process.stderr.write(formatError(e) + '\n');
}

/**
 * The command's stdin reaches this thread's process.stdin through the main thread, which starts
 * reading it only when asked: at the job's first read of process.stdin.
 */
function askForStdinOnFirstRead(port: NonNullable<typeof parentPort>): void {
  const stdin = process.stdin as NodeJS.ReadStream & { _read(size: number): void };
  const read = stdin._read;
  stdin._read = function (this: typeof stdin, size: number): void {
    stdin._read = read;
    port.postMessage({ type: 'stdin' } satisfies FromJobThread);
    read.call(this, size);
  };
}

/**
 * The job thread (see supervisor.mjs): runs the command; its exit code becomes the thread's (the
 * job's own process.exit and process.exitCode pass through).
 */
export async function runInJobThread(argv: string[], cwd: string): Promise<void> {
  jobThread.active = true;
  const port = parentPort!;
  port.on('message', (m: ToJobThread) => {
    if (m.type !== 'cancel') return;
    const savepoint = m.signal !== 'SIGPIPE' && jobThread.savepointOnStop !== undefined && jobThread.canceling === undefined;
    port.postMessage({
      type: 'canceling',
      ...(savepoint ? { savepointGraceMs: (jobThread.savepointTimeout ?? 600_000) + STOP_GRACE_MS } : {}),
    } satisfies FromJobThread);
    jobThread.canceling ??= cancelJobs(m.signal);
  });
  port.unref(); // the job (its executor, sockets, timers) keeps this thread alive, not the port
  if ((workerData as { stdin?: boolean } | null)?.stdin === true) askForStdinOnFirstRead(port);
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', uncaught);
  const code = await main(argv, cwd);
  if (jobThread.canceling !== undefined) return void (await jobThread.canceling); // Ctrl-C: the cancel reports
  if (code !== 0) {
    // The run failed and said so. As plain node ends on an uncaught error, do not wait for what the job
    // module left open (a client retrying a connection, a timer, a server): jobs still running are
    // canceled, then the thread ends.
    const running = (jobThread.context?.jobs ?? []).filter((j) => j.status() === 'RUNNING');
    await Promise.all(running.map((j) => j.cancel()));
    await Promise.allSettled(running.map((j) => j.result));
    process.exit(code);
  }
}

/** `tidemark init <directory>` (see init.ts). */
function init(args: string[], cwd: string): number {
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) return printUsage();
    throw new UsageError(`Usage: tidemark init <directory>: it writes a new project there. See 'tidemark --help'.`);
  }
  const dir = args[0]!;
  const files = initProject(resolve(cwd, dir), version());
  const cd = /[^\w./-]/.test(dir) ? JSON.stringify(dir) : dir;
  process.stdout.write(
    `Created ${dir}: ${files.join(', ')}.\n\n  cd ${cd}\n  npm install\n  npm test\n  npx tidemark run src/job.ts --input data/readings.jsonl\n`,
  );
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
      case 'init':
        return init(rest, cwd);
      default:
        throw new UsageError(`Unknown command '${command}'. Commands: run, init, help. See 'tidemark --help'.`);
    }
  } catch (e) {
    printError(e);
    return e instanceof UsageError ? 2 : 1;
  }
}

export { IllegalConfigurationException };
