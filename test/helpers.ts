/** Shared helpers: run the CLI as a child process, temp dirs, real TCP servers on 127.0.0.1. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BoundedOutOfOrdernessWatermarks, type WatermarkOutput } from '../lib/time/watermark-generator.ts';
import { WatermarkStrategy, type InputStatus, type ReaderOutput, type Sink, type SinkWriter, type SinkWriterContext, type Source, type SourceReader } from '../lib/index.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(REPO_ROOT, 'bin', 'tidemark.mjs');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/tidemark.mjs <args>` with the current node; resolves (never rejects) with exit code and output. */
export function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? REPO_ROOT, env: options.env === undefined ? undefined : { ...process.env, ...options.env }, timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

const tempDirs: string[] = [];

/** A fresh temp directory, removed by `removeTempDirs()`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-test-'));
  tempDirs.push(dir);
  return dir;
}

/**
 * A completed checkpoint (a `_metadata` file) somewhere under `dir`. Failover tests inject their failure only
 * once this holds (inline target: the failing function runs in the test's process): under load the first
 * checkpoint can come after the record a test meant to fail at, and the restart would start from the beginning.
 */
export function hasCompletedCheckpoint(dir: string): boolean {
  return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('_metadata'));
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface TestServer {
  readonly port: number;
  readonly server: Server;
  /** Resolves with each accepted socket, in order. */
  nextConnection(): Promise<Socket>;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 with an ephemeral port; `onConnection` handles each client. */
export async function startServer(onConnection: (socket: Socket) => void = () => {}): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const accepted: Socket[] = [];
  const waiting: Array<(s: Socket) => void> = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const w = waiting.shift();
    if (w) w(socket);
    else accepted.push(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    port: address.port,
    server,
    nextConnection: () => {
      const s = accepted.shift();
      return s ? Promise.resolve(s) : new Promise<Socket>((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (bound once, then released). */
export async function closedPort(): Promise<number> {
  const s = await startServer();
  const port = s.port;
  await s.close();
  return port;
}

export interface Received<T> {
  readonly subtask: number;
  readonly parallelism: number;
  readonly value: T;
}

/**
 * A sink that records each value with the subtask (from SinkWriterContext) that received it.
 * Only for inline mode, where every subtask shares this object.
 */
export class TaggingSink<T> implements Sink<T> {
  readonly received: Array<Received<T>> = [];
  createWriter(context: SinkWriterContext): SinkWriter<T> {
    const subtask = context.getIndexOfSubtask();
    const parallelism = context.currentParallelism();
    const received = this.received;
    return {
      write(value: T) {
        received.push({ subtask, parallelism, value });
      },
      flush() {},
      close() {},
    };
  }
  /** Values per subtask, in arrival order. */
  bySubtask(): Map<number, T[]> {
    const out = new Map<number, T[]>();
    for (const r of this.received) {
      const list = out.get(r.subtask) ?? [];
      list.push(r.value);
      out.set(r.subtask, list);
    }
    return out;
  }
}

/** Groups values by a key (compared by JSON), keeping order within a key. */
export function groupBy<T>(values: readonly T[], key: (v: T) => unknown): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const v of values) {
    const k = JSON.stringify(key(v));
    const list = out.get(k) ?? [];
    list.push(v);
    out.set(k, list);
  }
  return out;
}

/** Sorts a copy by JSON text, for comparing multisets. */
export function sortedByJson<T>(values: readonly T[]): T[] {
  return values
    .map((v) => [JSON.stringify(v), v] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, v]) => v);
}

/** The causes of an error, outermost first (following `.cause`). */
export function causeChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = e;
  while (cur !== undefined && chain.length < 20) {
    chain.push(cur);
    cur = cur instanceof Error ? (cur as Error & { cause?: unknown }).cause : undefined;
  }
  return chain;
}

/** Awaits a promise that must reject; returns the rejection reason. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** A bounded source that emits its records a few at a time, waiting 1 ms between, so periodic watermarks interleave. */
export class TrickleSource<T> implements Source<T> {
  readonly boundedness = 'BOUNDED';
  readonly nonParallel = true;
  constructor(
    private readonly items: readonly T[],
    private readonly perPoll: number,
  ) {}
  createReader(): SourceReader<T> {
    const items = this.items;
    const perPoll = this.perPoll;
    let next = 0;
    let ready = true;
    return {
      start() {},
      pollNext(output: ReaderOutput<T>): InputStatus {
        if (next >= items.length) return 'END_OF_INPUT';
        if (!ready) return 'NOTHING_AVAILABLE';
        for (let k = 0; k < perPoll && next < items.length; k++) output.collect(items[next++]!);
        ready = false;
        return next < items.length ? 'NOTHING_AVAILABLE' : 'END_OF_INPUT';
      },
      isAvailable: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            ready = true;
            resolve();
          }, 1),
        ),
      close() {},
    };
  }
}

/** Polls `condition` every 5 ms; throws `failure` after 20 s (a bound for a broken build, not a speed assertion). */
export async function until(condition: () => boolean, failure = 'timed out'): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** until(condition), but a job that ends (fails) meanwhile fails the wait with its error. */
export function untilWhileRunning(job: Promise<unknown>, condition: () => boolean, failure: string): Promise<void> {
  return Promise.race([until(condition, failure), job.then(() => Promise.reject(new Error(`the job ended: ${failure}`)))]);
}

/**
 * A source that never ends: each subtask emits `record(0, subtask)`, `record(1, subtask)`, ... (by
 * default 0, 1, 2, ...) as fast as the job takes them. `closed.count` counts reader closes.
 */
export function endlessSource<T = number>(
  options: { record?: (n: number, subtask: number) => T; closed?: { count: number } } = {},
): Source<T> {
  const record = options.record ?? ((n: number) => n as T);
  return {
    boundedness: 'CONTINUOUS_UNBOUNDED',
    createReader: (context) => {
      const subtask = context.getIndexOfSubtask();
      let n = 0;
      return {
        start() {},
        pollNext(out) {
          out.collect(record(n++, subtask));
          return 'MORE_AVAILABLE';
        },
        isAvailable: () => Promise.resolve(),
        close() {
          if (options.closed) options.closed.count++;
        },
      };
    },
  };
}

/** Event time from `ts`, and a watermark after every record, `lag` ms behind it: which records are late is exact. */
export function punctuatedWatermarks<T extends { ts: number }>(lag: number): WatermarkStrategy<T> {
  return WatermarkStrategy.forGenerator<T>(() => ({
    onEvent: (_e: T, ts: number, out) => out.emitWatermark(ts - lag),
    onPeriodicEmit: () => {},
  })).withTimestampAssigner((e) => e.ts);
}

/** Bounded out-of-orderness that emits its watermark after every event (deterministic: no periodic timer). */
export class PerEventBoundedOutOfOrderness<T> extends BoundedOutOfOrdernessWatermarks<T> {
  override onEvent(e: T, ts: number, out: WatermarkOutput): void {
    super.onEvent(e, ts, out);
    this.onPeriodicEmit(out);
  }
}

/** mulberry32: a small seeded generator of numbers in [0, 1), so a failing randomized run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
