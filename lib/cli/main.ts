/**
 * `tidemark run [options] <job file> [job arguments]`, in the style of `flink run`.
 * Options go before the job file; everything after it is the job's own arguments.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve, extname } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { Configuration, CoreOptions, IllegalConfigurationException } from '../api/config.ts';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { setExecutionContext, type ExecutionContext } from '../runtime/context.ts';
import { JobCancellationException, JobExecutionException, UserCodeError } from '../runtime/errors.ts';
import type { JobHandle } from '../runtime/scheduler.ts';

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
  if (!(e instanceof Error)) return `Error: ${String(e)}`;
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

/** What the job thread needs to evaluate the job module (structured-cloned into it). */
interface JobThreadInit {
  jobFile: string;
  jobFileArg: string;
  jobArgs: string[];
  configuration: Record<string, unknown>;
}
type StopSignal = 'SIGINT' | 'SIGTERM';
/** main thread -> job thread */
type ToJobThread = { type: 'cancel'; signal: StopSignal };
/** job thread -> main thread: its module evaluation settled; it heard the cancel. */
type FromJobThread = { type: 'evaluated' } | { type: 'canceling' };

const JOB_THREAD_ENTRY = fileURLToPath(new URL('./job-thread-entry.mjs', import.meta.url));
/** Exit codes after a signal, as a shell reports a process killed by it (128 + signal number). */
const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };
/**
 * How long Ctrl-C waits for the job to stop before it stops the job thread itself. Longer than the
 * runtime's own grace periods (tasks 2 s, slot workers 3 s), so a job that can stop says what it left.
 */
const STOP_GRACE_MS = 5000;
/**
 * The job thread answers a cancel at its next turn of the event loop (the executor yields every few
 * ms); no answer in this time means user code holds the thread (an endless loop): stop it sooner.
 */
const ANSWER_GRACE_MS = 2000;
/** After its jobs were canceled, how long the job module may run on (its finally blocks) before the job thread exits. */
const MODULE_SETTLE_MS = 1000;

/**
 * `tidemark run`: the job module is evaluated in a worker thread of its own (the job thread; inline
 * tasks run there, threads-mode slot workers are spawned from there). This thread only owns signals
 * and the exit code, so Ctrl-C is heard even while user code spins, and can always stop the job.
 */
async function run(args: string[], cwd: string): Promise<number> {
  if (args.includes('-h') && args.indexOf('-h') < firstPositional(args)) return printUsage();
  if (args.includes('--help') && args.indexOf('--help') < firstPositional(args)) return printUsage();
  const { jobFile, jobFileArg, jobArgs, configuration } = parseRunArgs(args, cwd);
  const init: JobThreadInit = { jobFile, jobFileArg, jobArgs, configuration: configuration.toMap() };
  const worker = new Worker(JOB_THREAD_ENTRY, { workerData: init });

  let signal: StopSignal | undefined;
  let evaluated = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  let answerTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: string): void => {
    process.stderr.write(`${why} (user code may be busy); stopped it.\n`);
    void worker.terminate();
  };
  const onSignal = (s: NodeJS.Signals): void => {
    if (signal !== undefined) {
      process.stderr.write(`Received ${s} again: stopping the job at once.\n`); // a second Ctrl-C does not wait
      void worker.terminate();
      return;
    }
    signal = s === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    process.stderr.write(`\nReceived ${s}, canceling the job...\n`);
    worker.postMessage({ type: 'cancel', signal } satisfies ToJobThread);
    answerTimer = setTimeout(() => stop(`The job did not answer the cancel within ${ANSWER_GRACE_MS / 1000} s`), ANSWER_GRACE_MS);
    graceTimer = setTimeout(() => stop(`The job did not stop within ${STOP_GRACE_MS / 1000} s`), STOP_GRACE_MS);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await new Promise<number>((resolve) => {
      worker.on('message', (m: FromJobThread) => {
        if (m.type === 'evaluated') evaluated = true;
        if (m.type === 'canceling') clearTimeout(answerTimer);
      });
      // An error the job thread did not catch itself (it reports job failures on its own stderr).
      worker.on('error', (e) => process.stderr.write(formatError(e) + '\n'));
      worker.on('exit', (code) => {
        if (signal !== undefined) return resolve(SIGNAL_EXIT_CODES[signal]);
        if (code === 13 && !evaluated) {
          // Node's "unsettled top-level await": the module awaits something nothing can settle any more.
          process.stderr.write(
            `Error: the job file ${jobFileArg} awaits a promise that never settles, and nothing is left that could settle it (no running job, timer or socket).\n`,
          );
          return resolve(1);
        }
        resolve(code);
      });
    });
  } finally {
    clearTimeout(graceTimer);
    clearTimeout(answerTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The job thread (see run()): evaluates the job module under the CLI's context, reports a failure
 * on its stderr and sets its exit code (the job's own process.exit / process.exitCode pass through).
 */
export async function runJobThread(): Promise<void> {
  const init = workerData as JobThreadInit;
  const port = parentPort!;
  const context: ExecutionContext = { configuration: init.configuration, jobModule: init.jobFile, jobArgs: init.jobArgs, jobs: [], executeCount: 0 };
  setExecutionContext(context);
  process.argv = [process.execPath, init.jobFile, ...init.jobArgs];
  const jobs = (): JobHandle[] => context.jobs ?? [];

  let settled!: () => void;
  const evaluation = new Promise<void>((resolve) => (settled = resolve));
  let canceling: Promise<void> | undefined;
  const cancel = async (signal: StopSignal): Promise<void> => {
    context.canceling = true;
    const running = jobs().filter((j) => j.status() === 'RUNNING');
    await Promise.all(running.map((j) => j.cancel()));
    for (const j of running) {
      const e = await j.result.then(
        () => undefined,
        (err: unknown) => err,
      );
      // What the job waited on when asked to stop (a promise that never settles is named here).
      if (e instanceof JobCancellationException) for (const line of [...e.waiting, ...e.notStopped]) process.stderr.write(`${line}\n`);
    }
    process.stderr.write('Job canceled.\n');
    // Let the job module see the cancellation (its catch and finally blocks), for a moment.
    await Promise.race([evaluation, new Promise((r) => setTimeout(r, MODULE_SETTLE_MS).unref())]);
    process.exit(SIGNAL_EXIT_CODES[signal]);
  };
  port.on('message', (m: ToJobThread) => {
    if (m.type !== 'cancel') return;
    port.postMessage({ type: 'canceling' } satisfies FromJobThread);
    canceling ??= cancel(m.signal);
  });
  port.unref(); // the job (its executor, sockets, timers) keeps this thread alive, not the port

  // As in the threads target, where such an error ends the slot's worker: an error thrown in a user's
  // callback (a setTimeout) or a rejection nobody handles fails the running job(s), which reject
  // execute() with it; with no job running it fails the run.
  const uncaught = (e: unknown): void => {
    const running = jobs().filter((j) => j.status() === 'RUNNING');
    if (canceling !== undefined) return;
    if (running.length > 0) {
      for (const j of running) j.fail(e);
      return;
    }
    process.stderr.write(formatError(e) + '\n');
    process.exit(1);
  };
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', uncaught);

  try {
    try {
      await import(pathToFileURL(init.jobFile).href);
    } finally {
      settled();
      port.postMessage({ type: 'evaluated' } satisfies FromJobThread);
    }
    // A module that does not await execute() (CommonJS has no top-level await) returns while its
    // jobs run: wait for them, and report a failure nobody awaited.
    const results = await Promise.allSettled(jobs().filter((j) => j.status() === 'RUNNING').map((j) => j.result));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if ((context.executeCount ?? 0) === 0) {
      throw new JobDefinitionError(
        `Job file ${init.jobFileArg} did not execute a job: build a pipeline with StreamExecutionEnvironment.getExecutionEnvironment() and call env.execute() (or executeAndCollect()).`,
      );
    }
  } catch (e) {
    if (canceling !== undefined) return void (await canceling); // Ctrl-C: the cancel reports
    process.stderr.write(formatError(e) + '\n');
    process.exitCode = 1;
  }
  if (canceling !== undefined) await canceling;
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
