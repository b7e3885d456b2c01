/**
 * A file sink on a full disk: every write is complete or the job fails, naming ENOSPC and the path;
 * the in-progress file then holds whole records, in order, without a gap — also when space frees
 * up again after the failed write (today's silent loss: a short write was ignored, later writes
 * succeeded, and records went missing from the middle of a file the job called complete).
 *
 * Uses a real 64 KiB tmpfs (this needs root). Where mounting is refused, the in-process tests run
 * against a simulated small disk: `writeSync` of node:fs is wrapped to accept only a byte budget (a
 * short write, then ENOSPC); the CLI test, whose child process cannot see it, is then skipped (and
 * reported as skipped).
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobExecutionException, StreamExecutionEnvironment, type InputStatus, type ReaderOutput, type Source, type SourceReader } from '../../lib/index.ts';
import { FileSinkError, inProgressPath } from '../../connectors/file/index.ts';
import { causeChain, rejection, removeTempDirs, runCli, tempDir } from '../helpers.ts';

/** The simulated disk: bytes still free, or null to use the real file system unchanged. */
const simulated = vi.hoisted(() => ({ free: null as number | null }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, data: NodeJS.ArrayBufferView | string, ...rest: unknown[]): number => {
    if (simulated.free === null || typeof data === 'string') return (fs.writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    const [offset = 0, length = data.byteLength - (offset as number), position = null] = rest as [number?, number?, (number | null)?];
    if (simulated.free === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const n = Math.min(length, simulated.free); // a short write when the disk fills, as write(2) does
    simulated.free -= n;
    return fs.writeSync(fd, data, offset, n, position);
  }) as typeof fs.writeSync;
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

const DISK = 64 * 1024;
let disk = '';
let mounted = false;

beforeAll(() => {
  disk = join(tempDir(), 'small-disk');
  mkdirSync(disk);
  try {
    // TIDEMARK_TEST_SIMULATED_DISK=1 runs the fallback even as root (to check the fallback itself).
    if (process.env.TIDEMARK_TEST_SIMULATED_DISK === '1') throw new Error('simulated disk requested');
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK}`, 'tmpfs', disk], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    // Not root: the simulated disk below stands in (and says so).
    console.warn(`mount -t tmpfs refused (${String(e).split('\n')[0]}): using a simulated 64 KiB disk`);
  }
});

afterAll(() => {
  simulated.free = null;
  try {
    if (mounted) execFileSync('umount', [disk], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', disk], { stdio: 'pipe' }); // busy (a file left open): detach lazily
  } finally {
    removeTempDirs();
  }
});

/** Takes `bytes` of the small disk with a filler file (or of the simulated budget); returns a way to free it. */
function fill(bytes: number): () => void {
  if (!mounted) {
    simulated.free = DISK - bytes;
    return () => {
      simulated.free = DISK;
    };
  }
  const filler = join(disk, 'filler');
  writeFileSync(filler, Buffer.alloc(bytes, 1));
  return () => rmSync(filler, { force: true });
}

function env(): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2 });
}

const record = (i: number): string => `record-${String(i).padStart(6, '0')}`;

/** The whole lines of a file must be record(1..k) for some k, and the file must end after a whole line. */
function expectWholeRecordPrefix(text: string): number {
  expect(text === '' || text.endsWith('\n'), 'the file ends in the middle of a record').toBe(true);
  const got = text === '' ? [] : text.slice(0, -1).split('\n');
  expect(got).toEqual(got.map((_, i) => record(i + 1)));
  return got.length;
}

function expectEnospc(err: unknown, path: string): void {
  expect(err).toBeInstanceOf(JobExecutionException);
  const message = (err as Error).message;
  expect(message).toContain('ENOSPC');
  expect(message).toContain('no space left on device');
  expect(message).toContain(path);
  const sinkError = causeChain(err).find((c): c is FileSinkError => c instanceof FileSinkError);
  expect(sinkError?.code).toBe('ENOSPC');
  expect(sinkError?.path).toBe(path);
}

/**
 * Emits the given batches one per poll; before each batch after the first it waits for `between`
 * (which runs after the previous batch reached the sink).
 */
class BatchesSource implements Source<string> {
  readonly boundedness = 'BOUNDED';
  readonly nonParallel = true;
  constructor(
    private readonly batches: readonly string[][],
    private readonly between: () => void,
  ) {}
  createReader(): SourceReader<string> {
    const { batches, between } = this;
    let next = 0;
    let ready = true;
    return {
      start() {},
      pollNext(output: ReaderOutput<string>): InputStatus {
        if (next >= batches.length) return 'END_OF_INPUT';
        if (!ready) return 'NOTHING_AVAILABLE';
        for (const r of batches[next++]!) output.collect(r);
        ready = false;
        return 'NOTHING_AVAILABLE';
      },
      isAvailable: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            between();
            ready = true;
            resolve();
          }, 5),
        ),
      close() {},
    };
  }
}

describe('a file sink on a full disk', () => {
  test('the job fails naming ENOSPC and the path; the in-progress file holds whole records in order; no file under the final name', async () => {
    const free = fill(0);
    try {
      const path = join(disk, 'out.txt');
      const e = env();
      e.fromSequence(1, 20_000).map(record).writeAsText(path); // ~280 KB for a 64 KiB disk
      expectEnospc(await rejection(e.execute()), path);
      expect(existsSync(path)).toBe(false);
      const kept = expectWholeRecordPrefix(readFileSync(inProgressPath(path), 'utf8'));
      expect(kept).toBeGreaterThan(1000); // what fitted before the disk was full is there
      rmSync(inProgressPath(path));
    } finally {
      free();
    }
  });

  test('space freed after a short write does not leave a gap: the job fails at the full batch and writes nothing after it', async () => {
    const free = fill(DISK - 8 * 1024); // 8 KiB free
    let over = false;
    try {
      const path = join(disk, 'gap.txt');
      // ~1.6 KB that fits, then ~14 KB that does not, then (after the space is freed) more that would.
      const batches = [
        Array.from({ length: 120 }, (_, i) => record(i + 1)),
        Array.from({ length: 1000 }, (_, i) => record(i + 121)),
        Array.from({ length: 100 }, (_, i) => record(i + 1121)),
      ];
      let polls = 0;
      const e = env();
      e.fromSource(
        new BatchesSource(batches, () => {
          if (++polls === 2 && !over) free(); // after the second batch met the full disk
        }),
        'Batches',
      ).writeAsText(path);
      expectEnospc(await rejection(e.execute()), path);
      expect(existsSync(path)).toBe(false);
      expect(expectWholeRecordPrefix(readFileSync(inProgressPath(path), 'utf8'))).toBe(120);
      rmSync(inProgressPath(path));
    } finally {
      over = true; // a source timer still pending must not free the next test's filler
      free();
    }
  });

  test('the CLI exits non-zero naming ENOSPC and the path', async (ctx) => {
    const path = join(disk, 'cli.txt');
    // The child process cannot see the simulated disk (and the sink creates its in-progress file
    // itself, O_EXCL, so it cannot be pointed at /dev/full): the real disk only.
    if (!mounted) ctx.skip();
    const free = fill(0);
    try {
      const r = await runCli(['run', 'test/fixtures/write-sequence-job.ts', '--output', path, '--count', '20000']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('ENOSPC');
      expect(r.stderr).toContain(path);
      expect(existsSync(path)).toBe(false);
      expectWholeRecordPrefix(readFileSync(inProgressPath(path), 'utf8').replace(/record-(\d+)/g, (_, n: string) => record(Number(n))));
      rmSync(inProgressPath(path));
    } finally {
      free();
    }
  });
});
