/**
 * Restoring a job from a savepoint or checkpoint folder, when what is there does not fit (at job level,
 * through execution.savepoint.path): state of an operator the new job lacks fails the job with an error
 * naming that operator, unless execution.savepoint.ignore-unclaimed-state; a corrupted newest checkpoint
 * is skipped with one log line naming it and the previous complete one is restored; a folder with no
 * checkpoint at all is a clear error; a changed max parallelism fails with the state layer's message.
 */
import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, expect, test, vi, type MockInstance } from 'vitest';
import { JobExecutionException, KeyedProcessFunction, RestartStrategies, StreamExecutionEnvironment, ValueStateDescriptor, type Collector, type KeyedProcessContext, type ValueState } from '../../../lib/index.ts';
import { BasePathBucketAssigner, FileSink, SimpleStringEncoder } from '../../../connectors/file/index.ts';
import { committedLines } from '../../connectors/committed-files.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { Gate, GatedSplitsSource, splitEvents, type Ev } from './gated-splits-source.ts';

afterAll(removeTempDirs);
let warn: MockInstance;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

/** Numbers each key's events as they come (arrival order within a key is the split's order: one split). */
class CountPerKey extends KeyedProcessFunction<string, Ev, string> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const n = (this.count.value() ?? 0) + 1;
    this.count.update(n);
    out.collect(`${ctx.getCurrentKey()} #${n} ${e.id}`);
  }
}

interface JobOptions {
  readonly out: string;
  /** The counting operator is in the job (uid 'count'). */
  readonly withCount?: boolean;
  readonly restoreFrom?: string;
  readonly allowNonRestoredState?: boolean;
  readonly maxParallelism?: number;
  readonly checkpoints?: string;
  /** Fixed-delay restarts (unset: none). */
  readonly restarts?: number;
}

const splits = splitEvents(5, 1, 80, 3);

function job(gate: Gate, o: JobOptions): StreamExecutionEnvironment {
  const conf: Record<string, unknown> = { 'execution.runtime-mode': 'STREAMING' };
  if (o.restoreFrom !== undefined) conf['execution.savepoint.path'] = o.restoreFrom;
  if (o.allowNonRestoredState === true) conf['execution.savepoint.ignore-unclaimed-state'] = true;
  if (o.checkpoints !== undefined) Object.assign(conf, { 'state.checkpoints.dir': o.checkpoints, 'state.checkpoints.num-retained': 3 });
  const env = StreamExecutionEnvironment.create(conf);
  if (o.checkpoints !== undefined) env.enableCheckpointing(10);
  env.setRestartStrategy(o.restarts === undefined ? RestartStrategies.noRestart() : RestartStrategies.fixedDelay(o.restarts, 0));
  if (o.maxParallelism !== undefined) env.setMaxParallelism(o.maxParallelism);
  const events = env.fromSource(new GatedSplitsSource(splits, gate), 'events').uid('events');
  const lines = o.withCount === false ? events.map((e: Ev) => `${e.key} ${e.id}`).uid('plain') : events.keyBy((e) => e.key).process(new CountPerKey()).uid('count').name('Count per key');
  lines.sinkTo(FileSink.forRowFormat(o.out, new SimpleStringEncoder<string>()).withBucketAssigner(new BasePathBucketAssigner<string>()).build()).uid('files');
  return env;
}

/** Runs the counting job until the source is held at `at`, stops it with a savepoint; its path. */
async function savepointAt(at: number, out: string, maxParallelism?: number): Promise<string> {
  const gate = new Gate(1);
  gate.close(new Map([['split-0', at]]));
  const client = await job(gate, { out, maxParallelism }).executeAsync('first');
  await gate.allHeld();
  const sp = await client.stopWithSavepoint(tempDir());
  await client.getJobExecutionResult();
  return sp;
}

const openGate = (): Gate => {
  const g = new Gate(1);
  g.close(undefined);
  return g;
};

/** The uninterrupted counting job's output. */
async function reference(): Promise<string[]> {
  const out = tempDir();
  await job(openGate(), { out }).execute('reference');
  return committedLines(out).sort();
}

test("state of an operator the new job does not have: the restore fails naming it; allowed to skip it, the job runs", async () => {
  const out = tempDir();
  const sp = await savepointAt(30, out);
  const err = await job(openGate(), { out: tempDir(), withCount: false, restoreFrom: sp })
    .execute('without the counter')
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobExecutionException);
  const message = String((err as Error).message) + String(((err as Error).cause as Error | undefined)?.message);
  expect(message).toContain(`Failed to restore from ${sp}`);
  expect(message).toContain("'Count per key' (uid/id count)");
  expect(message).toMatch(/allowNonRestoredState/);

  // Skipping the counter's state: the source goes on from its position (the rest of the split, each once).
  const rest = tempDir();
  await job(openGate(), { out: rest, withCount: false, restoreFrom: sp, allowNonRestoredState: true }).execute('skips the counter state');
  expect(committedLines(rest).sort()).toEqual(splits.get('split-0')!.slice(30).map((e) => `${e.key} ${e.id}`).sort());
});

test('a corrupted newest checkpoint: one log line names it, the previous complete checkpoint is restored', async () => {
  const expected = await reference();
  const out = tempDir();
  const checkpoints = tempDir();
  const gate = new Gate(1);
  gate.close(new Map([['split-0', 50]]));
  const client = await job(gate, { out, checkpoints }).executeAsync('checkpointing');
  await gate.allHeld();
  // Three checkpoints after the source was held: the retained ones (3) all hold the same positions.
  const jobDir = join(checkpoints, client.getJobID());
  const completed = (): number[] =>
    existsSync(jobDir)
      ? readdirSync(jobDir)
          .filter((n) => n.startsWith('chk-') && existsSync(join(jobDir, n, '_metadata')))
          .map((n) => Number(n.slice(4)))
      : [];
  const heldAt = Math.max(0, ...completed());
  while (Math.max(0, ...completed()) < heldAt + 4) await new Promise((r) => setTimeout(r, 5));
  await client.cancel();
  await expect(client.getJobExecutionResult()).rejects.toThrow();

  const ids = completed().sort((a, b) => a - b);
  const newest = join(jobDir, `chk-${ids.at(-1)}`);
  const stateFile = readdirSync(newest).find((n) => n.endsWith('.state'))!;
  const bytes = readFileSync(join(newest, stateFile));
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(join(newest, stateFile), bytes);

  warn.mockClear();
  await job(openGate(), { out, restoreFrom: checkpoints }).execute('restored from the checkpoints folder');
  const logged = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(newest));
  expect(logged).toHaveLength(1);
  expect(logged[0]).toContain(`${stateFile} is corrupted`);
  expect(committedLines(out).sort()).toEqual(expected);
});

test('a folder with no checkpoint in it: a clear error', async () => {
  const empty = tempDir();
  const err = await job(openGate(), { out: tempDir(), restoreFrom: empty })
    .execute('nothing to restore')
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobExecutionException);
  expect(String((err as Error).message) + String(((err as Error).cause as Error | undefined)?.message)).toContain(`No complete checkpoint or savepoint under '${empty}': no folder with a _metadata file`);
});

test('restored with another max parallelism: the job fails at once, naming the operator, with the state layer message', async () => {
  const sp = await savepointAt(20, tempDir(), 128);
  for (const checkpoints of [undefined, tempDir()]) {
    const err = await job(openGate(), { out: tempDir(), restoreFrom: sp, maxParallelism: 64, checkpoints, restarts: 3 })
      .execute('max parallelism changed')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobExecutionException);
    const causes: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) causes.push(e.message);
    expect(causes.join('\n')).toContain('Cannot restore keyed state written with max parallelism 128 into an operator with max parallelism 64');
    // Decided before the job runs: not restarted (it would fail the same way every time).
    expect(causes[0]).toContain(`Failed to restore from ${sp}: operator 'Count per key' (uid/id count)`);
    expect(warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Restarting'))).toEqual([]);
  }
});
