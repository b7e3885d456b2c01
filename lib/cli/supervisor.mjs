// The CLI's main thread: runs the `tidemark` command in a worker thread (the job thread; inline
// tasks run there, threads-mode slot workers are spawned from there) and only owns signals and the
// exit code, so Ctrl-C is heard even while user code spins, and can always stop the job.
// Plain JavaScript: the main thread does not load TypeScript support (tsx) at all, which keeps the
// cost of the extra thread small.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { workerBundleFolders } from '../runtime/execution/worker-bundle-folders.mjs';

const JOB_THREAD_ENTRY = fileURLToPath(new URL('./job-thread-entry.mjs', import.meta.url));
/**
 * Exit codes after a signal, as a shell reports a process killed by it (128 + signal number).
 * SIGPIPE: the reader of stdout went away (EPIPE).
 */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGPIPE: 141 };
/**
 * How long Ctrl-C waits for the job to stop before it stops the job thread itself. Longer than the
 * runtime's own grace periods (tasks 2 s, slot workers 3 s), so a job that can stop says what it left.
 */
export const STOP_GRACE_MS = 5000;
/**
 * The job thread answers a cancel at its next turn of the event loop (the executor yields every few
 * ms); no answer in this time means user code holds the thread (an endless loop): stop it sooner.
 */
export const ANSWER_GRACE_MS = 2000;
/**
 * After a canceled job thread ended, how long the command still waits for the reader of stdout to
 * take what the job printed (a reader that stopped reading must not keep a canceled command alive).
 */
export const OUTPUT_GRACE_MS = 2000;

/**
 * Runs `tidemark <argv>` in a job thread; resolves to the exit code. Messages from the job thread:
 * `evaluating` (with the job file as given), `evaluated` (its module settled), `canceling` (it heard
 * the cancel; with `savepointGraceMs` it stops the job with a savepoint (--savepoint-on-stop), which
 * may take that long, and its exit code says whether the savepoint was taken), `stdin` (the job
 * started reading process.stdin). To it: `cancel` with the signal.
 * With `stdin`, this process's stdin becomes the job thread's process.stdin (a worker's own is empty).
 * It is read only once the job reads it: reading a terminal the job does not want would stop a
 * background `tidemark run … &` (SIGTTIN), and would hold input the job never asked for.
 * With `exit` (the `tidemark` command: this process is the command's), the process ends once a
 * canceled job's output is written or OUTPUT_GRACE_MS passed, and a signal or a stdout error after
 * the job thread ended ends it at once.
 * @param {{ argv: string[], cwd: string, stdin?: boolean, exit?: boolean }} options
 * @returns {Promise<number>}
 */
export function superviseJobThread({ argv, cwd, stdin = false, exit = false }) {
  const worker = new Worker(JOB_THREAD_ENTRY, { workerData: { argv, cwd, stdin }, stdin });
  let readingStdin = false;
  /** @type {'SIGINT' | 'SIGTERM' | 'SIGPIPE' | undefined} */
  let signal;
  /** @type {string | undefined} */
  let evaluating;
  let evaluated = false;
  /** The job thread has exited. */
  let ended = false;
  /** Writing stdout failed for another reason than a reader that went away (a full disk): a failure, exit 1. */
  let outputFailed = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let graceTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let answerTimer;
  /** The job thread stops the job with a savepoint: its exit code is the command's. */
  let savepointStop = false;
  /** --savepoint-on-stop was given: a SIGTERM / SIGINT stops the job with a savepoint rather than canceling it. */
  let savepointOnStop = false;
  const stop = (/** @type {string} */ why) => {
    process.stderr.write(`${why} (user code may be busy); stopped it.\n`);
    void worker.terminate();
  };
  const cancel = (/** @type {'SIGINT' | 'SIGTERM' | 'SIGPIPE'} */ why) => {
    signal = why;
    worker.postMessage({ type: 'cancel', signal });
    answerTimer = setTimeout(() => stop(`The job did not answer the cancel within ${ANSWER_GRACE_MS / 1000} s`), ANSWER_GRACE_MS);
    graceTimer = setTimeout(() => stop(`The job did not stop within ${STOP_GRACE_MS / 1000} s`), STOP_GRACE_MS);
  };
  const onSignal = (/** @type {NodeJS.Signals} */ s) => {
    if (ended) {
      // Only output is left, waiting for a reader that does not read: do not wait for it.
      process.exit(SIGNAL_EXIT_CODES[signal ?? (s === 'SIGTERM' ? 'SIGTERM' : 'SIGINT')]);
    }
    if (signal !== undefined) {
      process.stderr.write(`Received ${s} again: stopping the job at once.\n`); // a second Ctrl-C does not wait
      void worker.terminate();
      return;
    }
    process.stderr.write(`\nReceived ${s}, ${savepointOnStop ? 'stopping the job with a savepoint' : 'canceling the job'}...\n`);
    cancel(s === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  };
  // `tidemark run job.ts | head -1`: what the job prints can no longer be delivered. Not a raw
  // unhandled 'error' event: say so, drop what the job still prints, and cancel it.
  const onStdoutError = (/** @type {NodeJS.ErrnoException} */ e) => {
    worker.stdout.resume();
    if (signal !== undefined) return;
    outputFailed = e.code !== 'EPIPE';
    const what = outputFailed ? `writing to stdout failed (${e.code ?? e.message})` : 'stdout was closed by its reader (EPIPE)';
    if (ended) {
      // The job ended, but not all it printed arrived.
      process.stderr.write(`The job's ${what}.\n`);
      process.exit(outputFailed ? 1 : SIGNAL_EXIT_CODES.SIGPIPE);
    }
    process.stderr.write(`The job's ${what}: canceling the job...\n`);
    cancel('SIGPIPE');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', onStdoutError);
  // `2>&1 | head -1`: stderr goes with stdout. What cannot be said cannot be said; the exit code still tells.
  if (exit) process.stderr.on('error', () => worker.stderr.resume());
  return new Promise((resolve) => {
    worker.on('message', (m) => {
      if (m.type === 'evaluating') {
        evaluating = m.jobFile;
        savepointOnStop = m.savepointOnStop === true;
      }
      if (m.type === 'evaluated') evaluated = true;
      if (m.type === 'canceling') {
        clearTimeout(answerTimer);
        if (typeof m.savepointGraceMs === 'number') {
          savepointStop = true;
          clearTimeout(graceTimer);
          graceTimer = setTimeout(() => stop(`The job did not stop with a savepoint within ${Math.round(m.savepointGraceMs / 1000)} s`), m.savepointGraceMs);
        }
      }
      if (m.type === 'stdin' && stdin && !readingStdin && worker.stdin !== null) {
        readingStdin = true;
        worker.stdin.on('error', () => {}); // the job thread ended while input was on its way: nobody reads it
        process.stdin.pipe(worker.stdin); // with backpressure: read as fast as the job reads
      }
    });
    // An error the job thread did not catch itself (it reports job failures on its own stderr).
    worker.on('error', (e) => {
      if (/** @type {NodeJS.ErrnoException} */ (e).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        process.stderr.write(
          `Error: the job ran out of memory (${e.message.replace(/^.*: /, '')}) and was stopped. Give it more with node's --max-old-space-size (NODE_OPTIONS=--max-old-space-size=<MB>), or keep less state.\n`,
        );
        return;
      }
      process.stderr.write(`${e instanceof Error && e.stack ? e.stack : String(e)}\n`);
    });
    worker.on('exit', (code) => {
      ended = true;
      // A job thread stopped at once (a second Ctrl-C, a job that did not stop) removed none of its
      // jobs' worker bundles (execution/worker-bundle.ts): this command's, by the process id, are dead now.
      if (exit) removeWorkerBundlesOf(process.pid);
      clearTimeout(graceTimer);
      clearTimeout(answerTimer);
      if (!exit) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.stdout.off('error', onStdoutError);
      }
      if (readingStdin) {
        process.stdin.unpipe(worker.stdin ?? undefined);
        process.stdin.destroy(); // or an open stdin (a terminal) would keep this process alive
      }
      if (signal !== undefined) {
        // Stopped with a savepoint: 0 when it was taken (the job thread says), else non-zero.
        const signalCode = outputFailed ? 1 : savepointStop ? code : SIGNAL_EXIT_CODES[signal];
        // What the job printed may wait for a reader that stopped reading: not for long.
        if (exit && process.stdout.writableLength > 0) setTimeout(() => process.exit(signalCode), OUTPUT_GRACE_MS).unref();
        return resolve(signalCode);
      }
      if (code === 13 && evaluating !== undefined && !evaluated) {
        // Node's "unsettled top-level await": the module awaits something nothing can settle any more.
        process.stderr.write(
          `Error: the job file ${evaluating} awaits a promise that never settles, and nothing is left that could settle it (no running job, timer or socket).\n`,
        );
        return resolve(1);
      }
      resolve(code);
    });
  });
}

/** Removes the worker bundle folders of the process `pid`. */
function removeWorkerBundlesOf(/** @type {number} */ pid) {
  try {
    for (const folder of workerBundleFolders()) if (folder.pid === pid) rmSync(folder.path, { recursive: true, force: true });
  } catch {
    // one cannot be removed: the next job's build removes it (a process that is gone)
  }
}
