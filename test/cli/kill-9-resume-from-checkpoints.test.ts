/**
 * `kill -9` a checkpointing `tidemark run` at random moments, several times, and carry on each time
 * with `tidemark run -s <checkpoint dir> job.ts` (the folder above the job folders: the newest
 * complete checkpoint under it), until a run exits 0: the committed FileSink output is then exactly
 * the uninterrupted job's — nothing lost, nothing twice. A kill before the first checkpoint
 * completed leaves nothing to restore: that run is started afresh, as a user would. Inline, and
 * threads with two slots. The seed is printed; TIDEMARK_CRASH_SEED replays one.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, FIXTURES, REPO_ROOT, removeTempDirs, seededRandom, tempDir } from '../helpers.ts';
import { allFiles, committedLines } from '../connectors/committed-files.ts';

afterAll(removeTempDirs);

const JOB = join(FIXTURES, 'running-sums-file-sink-job.ts');
const KEYS = 13;
const RECORDS = 80_000;
const KILLS = 4;

/** The input lines `k<i % KEYS>,<i>` and what the job writes for them: one `key,count,sum` line per input line. */
function inputAndReference(): { input: string; reference: string[] } {
  const lines: string[] = [];
  const reference: string[] = [];
  const sums = new Map<string, [number, number]>();
  for (let i = 0; i < RECORDS; i++) {
    const key = `k${i % KEYS}`;
    lines.push(`${key},${i}`);
    const [count, sum] = sums.get(key) ?? [0, 0];
    sums.set(key, [count + 1, sum + i]);
    reference.push(`${key},${count + 1},${sum + i}`);
  }
  return { input: `${lines.join('\n')}\n`, reference: reference.sort() };
}

/** The complete checkpoints (chk-<n> folders with their _metadata) under `dir`, as `<jobId>/chk-<n>`. */
function completeCheckpoints(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const job of readdirSync(dir)) {
    let chks: string[];
    try {
      chks = readdirSync(join(dir, job));
    } catch {
      continue;
    }
    for (const chk of chks) if (existsSync(join(dir, job, chk, '_metadata'))) out.push(`${job}/${chk}`);
  }
  return out;
}

/** Lines committed twice or not at all, with the part files holding each extra line: what a failure needs to be understood. */
function differences(committed: readonly string[], reference: readonly string[], output: string): string {
  const counts = new Map<string, number>();
  for (const line of committed) counts.set(line, (counts.get(line) ?? 0) + 1);
  const extra: string[] = [];
  const missing: string[] = [];
  for (const line of reference) {
    const n = counts.get(line) ?? 0;
    if (n === 0) missing.push(line);
    else counts.set(line, n - 1);
  }
  for (const [line, n] of counts) if (n > 0) extra.push(`${line} ×${n} in ${filesHolding(output, line).join(', ')}`);
  return `extra (${extra.length}): ${extra.slice(0, 20).join('; ')}\nmissing (${missing.length}): ${missing.slice(0, 20).join('; ')}`;
}

function filesHolding(dir: string, line: string): string[] {
  return allFiles(dir).filter((f) => readFileSync(join(dir, f), 'utf8').split('\n').includes(line));
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * When to SIGKILL a run: `afterMs` after it started, or `afterMs` after a checkpoint it took itself
 * completed (so that the next run has something new to restore; on a busy machine a fixed time may
 * fall before any). Undefined: let it finish.
 */
type Kill = { afterMs: number; afterOwnCheckpoint: boolean } | undefined;

function run(args: readonly string[], kill: Kill, checkpoints: string): Promise<Run> {
  return new Promise((resolve) => {
    const before = new Set(completeCheckpoints(checkpoints));
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killLater = (): void => void (timer = setTimeout(() => child.kill('SIGKILL'), kill!.afterMs));
    if (kill !== undefined && !kill.afterOwnCheckpoint) killLater();
    else if (kill !== undefined) {
      const poll = (): void => {
        if (completeCheckpoints(checkpoints).some((c) => !before.has(c))) killLater();
        else timer = setTimeout(poll, 20);
      };
      poll();
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const TARGETS = [
  { name: 'inline', args: ['-t', 'inline'] },
  { name: 'threads -p 2', args: ['-t', 'threads', '-p', '2'] },
] as const;

describe('kill -9, then tidemark run -s <checkpoints> until it finishes', () => {
  for (const target of TARGETS) {
    test(`${target.name}: the committed output is the uninterrupted job's, each line once`, async () => {
      const seed = Number(process.env.TIDEMARK_CRASH_SEED ?? Date.now() % 1_000_000);
      console.log(`kill -9 (${target.name}): seed ${seed} (TIDEMARK_CRASH_SEED=${seed} replays it)`);
      const next = seededRandom(seed);
      const dir = tempDir();
      const checkpoints = join(dir, 'checkpoints');
      const output = join(dir, 'out');
      const { input, reference } = inputAndReference();
      writeFileSync(join(dir, 'in.txt'), input);
      const common = [
        ...target.args,
        '-D', 'execution.checkpointing.interval=50ms',
        '-D', `state.checkpoints.dir=${checkpoints}`,
      ];
      const jobArgs = [JOB, '--input', join(dir, 'in.txt'), '--output', output, '--spin-ms', '0.05'];

      const history: string[] = [];
      let restored = 0;
      for (let attempt = 0; ; attempt++) {
        const resume = completeCheckpoints(checkpoints).length > 0;
        if (resume) restored++;
        // The first run dies at a random moment of its start or first checkpoints; the next KILLS - 1
        // at a random moment after a checkpoint of their own (while the next ones are taken and
        // committed); then one runs to the end.
        const kill: Kill = attempt === 0 ? { afterMs: Math.round(300 + next() * 1500), afterOwnCheckpoint: false } : attempt < KILLS ? { afterMs: Math.round(next() * 500), afterOwnCheckpoint: true } : undefined;
        const r = await run(['run', ...common, ...(resume ? ['-s', checkpoints] : []), ...jobArgs], kill, checkpoints);
        history.push(`${resume ? '-s' : 'fresh'}${kill === undefined ? '' : ` kill ${kill.afterMs} ms after ${kill.afterOwnCheckpoint ? 'a checkpoint' : 'start'}`}: ${r.signal ?? `exit ${r.code}`}`);
        if (r.signal === 'SIGKILL') continue;
        expect(r.code, `${history.join('; ')}\n${r.stderr}`).toBe(0);
        break;
      }
      console.log(`kill -9 (${target.name}): ${history.join('; ')}`);
      const committed = committedLines(output).sort();
      expect(committed.length, `${history.join('; ')}\n${differences(committed, reference, output)}`).toBe(reference.length);
      expect(committed, history.join('; ')).toEqual(reference);
      // The test proves something only if some run carried on from a checkpoint.
      expect(restored, history.join('; ')).toBeGreaterThan(0);
    }, 90_000);
  }
});
