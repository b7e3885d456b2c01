/** A `tidemark run` child process the lifecycle tests talk to: wait for output, send real signals. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BIN, REPO_ROOT } from '../helpers.ts';

export const LIFECYCLE_JOB = 'test/reliability/fixtures/lifecycle-job.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class RunningCli {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private listeners: Array<() => void> = [];

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const notify = (): void => this.listeners.forEach((l) => l());
    this.child.stdout.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      notify();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      notify();
    });
    // 'close', not 'exit': all of stdout and stderr has been read by then.
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  /** Resolves once stdout contains `text`; rejects if the process ends first or after `ms`. */
  waitForStdout(text: string, ms = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let ended = false;
      void this.exited.then(() => (ended = true));
      const timer = setTimeout(() => reject(new Error(`no '${text}' on stdout within ${ms} ms; stdout: ${this.stdout}; stderr: ${this.stderr}`)), ms);
      const check = (): void => {
        if (this.stdout.includes(text)) {
          clearTimeout(timer);
          resolve();
        } else if (ended) {
          clearTimeout(timer);
          reject(new Error(`the CLI ended before printing '${text}'; stdout: ${this.stdout}; stderr: ${this.stderr}`));
        }
      };
      this.listeners.push(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The exit, which must come within `ms` (a generous bound, not a speed check); kills the child otherwise. */
  async exitWithin(ms: number): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`the CLI did not exit within ${ms} ms; stdout: ${this.stdout}; stderr: ${this.stderr}`));
      }, ms);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export const TARGETS = [
  { name: 'inline', args: ['-t', 'inline'] },
  { name: 'threads', args: ['-t', 'threads', '-p', '2', '-D', 'taskmanager.numberOfTaskSlots=2'] },
] as const;
