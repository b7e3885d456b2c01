// The CLI's main thread: runs the `tidemark` command in a worker thread (the job thread; inline
// tasks run there, threads-mode slot workers are spawned from there) and only owns signals and the
// exit code, so Ctrl-C is heard even while user code spins, and can always stop the job.
// Plain JavaScript: the main thread does not load TypeScript support (tsx) at all, which keeps the
// cost of the extra thread small.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const JOB_THREAD_ENTRY = fileURLToPath(new URL('./job-thread-entry.mjs', import.meta.url));
/** Exit codes after a signal, as a shell reports a process killed by it (128 + signal number). */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 };
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
 * Runs `tidemark <argv>` in a job thread; resolves to the exit code. Messages from the job thread:
 * `evaluating` (with the job file as given), `evaluated` (its module settled), `canceling` (it heard
 * the cancel). To it: `cancel` with the signal.
 * @param {{ argv: string[], cwd: string }} options
 * @returns {Promise<number>}
 */
export function superviseJobThread({ argv, cwd }) {
  const worker = new Worker(JOB_THREAD_ENTRY, { workerData: { argv, cwd } });
  /** @type {'SIGINT' | 'SIGTERM' | undefined} */
  let signal;
  /** @type {string | undefined} */
  let evaluating;
  let evaluated = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let graceTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let answerTimer;
  const stop = (/** @type {string} */ why) => {
    process.stderr.write(`${why} (user code may be busy); stopped it.\n`);
    void worker.terminate();
  };
  const onSignal = (/** @type {NodeJS.Signals} */ s) => {
    if (signal !== undefined) {
      process.stderr.write(`Received ${s} again: stopping the job at once.\n`); // a second Ctrl-C does not wait
      void worker.terminate();
      return;
    }
    signal = s === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    process.stderr.write(`\nReceived ${s}, canceling the job...\n`);
    worker.postMessage({ type: 'cancel', signal });
    answerTimer = setTimeout(() => stop(`The job did not answer the cancel within ${ANSWER_GRACE_MS / 1000} s`), ANSWER_GRACE_MS);
    graceTimer = setTimeout(() => stop(`The job did not stop within ${STOP_GRACE_MS / 1000} s`), STOP_GRACE_MS);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The reader of stdout went away (`tidemark run job.ts | head`): what the job prints cannot be
  // delivered any more. One line, stop the job, exit 141 (128 + SIGPIPE, as a shell reports it).
  let stdoutClosed = false;
  const onStdoutError = (/** @type {NodeJS.ErrnoException} */ e) => {
    if (stdoutClosed) return;
    stdoutClosed = true;
    process.stderr.write(`Error: stdout was closed (${e.code ?? e.message}): the job's output cannot be delivered; stopped the job.\n`);
    void worker.terminate();
  };
  process.stdout.on('error', onStdoutError);
  return new Promise((resolve) => {
    worker.on('message', (m) => {
      if (m.type === 'evaluating') evaluating = m.jobFile;
      if (m.type === 'evaluated') evaluated = true;
      if (m.type === 'canceling') clearTimeout(answerTimer);
    });
    // An error the job thread did not catch itself (it reports job failures on its own stderr).
    worker.on('error', (e) => process.stderr.write(`${e instanceof Error && e.stack ? e.stack : String(e)}\n`));
    worker.on('exit', (code) => {
      clearTimeout(graceTimer);
      clearTimeout(answerTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (stdoutClosed) return resolve(141);
      if (signal !== undefined) return resolve(SIGNAL_EXIT_CODES[signal]);
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
