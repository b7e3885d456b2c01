/**
 * Operators are matched to their state by uid(): a job restored from a savepoint after an operator was
 * added in front of a stateful one (its construction order changed) gets every operator's state back,
 * and its output equals the uninterrupted run. Without uids the ids follow the construction order, so
 * the same change leaves the savepoint's state without its operator: the restore is refused (not
 * silently given to another operator). The warning about missing uids is tested in test/api/uid-warnings.
 */
import { afterAll, afterEach, beforeEach, expect, test, vi, type MockInstance } from 'vitest';
import { JobExecutionException, KeyedProcessFunction, RestartStrategies, StreamExecutionEnvironment, ValueStateDescriptor, type Collector, type DataStream, type KeyedProcessContext, type ValueState } from '../../../lib/index.ts';
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

class CountPerKey extends KeyedProcessFunction<string, Ev, string> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>, out: Collector<string>): void {
    const n = (this.count.value() ?? 0) + 1;
    this.count.update(n);
    // Not the id with the number: which split's record comes first differs from run to run.
    out.collect(`${ctx.getCurrentKey()} #${n}`);
    out.collect(`id ${e.id}`);
  }
}

const splits = splitEvents(9, 2, 60, 3);

/** `extraInFront`: a stateless map added before the keyBy (the changed job). */
function job(gate: Gate, out: string, o: { uids: boolean; extraInFront: boolean; restoreFrom?: string }): StreamExecutionEnvironment {
  const env = StreamExecutionEnvironment.create(o.restoreFrom === undefined ? { 'execution.runtime-mode': 'STREAMING' } : { 'execution.runtime-mode': 'STREAMING', 'execution.savepoint.path': o.restoreFrom });
  env.setRestartStrategy(RestartStrategies.noRestart());
  env.setParallelism(2);
  const uid = <S extends { uid(u: string): S }>(s: S, u: string): S => (o.uids ? s.uid(u) : s);
  let events: DataStream<Ev> = uid(env.fromSource(new GatedSplitsSource(splits, gate), 'events'), 'events');
  if (o.extraInFront) events = events.map((e: Ev) => ({ ...e })).name('Copy');
  const counted = uid(events.keyBy((e) => e.key).process(new CountPerKey()).name('Count per key'), 'count');
  uid(counted.sinkTo(FileSink.forRowFormat(out, new SimpleStringEncoder<string>()).withBucketAssigner(new BasePathBucketAssigner<string>()).build()), 'files');
  return env;
}

async function stopAt(at: number, out: string, uids: boolean): Promise<string> {
  const gate = new Gate(2);
  gate.close(new Map([['split-0', at], ['split-1', at]]));
  const client = await job(gate, out, { uids, extraInFront: false }).executeAsync('before the change');
  await gate.allHeld();
  const sp = await client.stopWithSavepoint(tempDir());
  await client.getJobExecutionResult();
  return sp;
}

const open = (): Gate => {
  const g = new Gate(2);
  g.close(undefined);
  return g;
};

test('with uids: an operator added in front, the state is matched by uid and the output equals the uninterrupted run', async () => {
  const reference = tempDir();
  await job(open(), reference, { uids: true, extraInFront: false }).execute('reference');
  const expected = committedLines(reference).sort();

  const out = tempDir();
  const sp = await stopAt(25, out, true);
  expect(committedLines(out).length).toBeGreaterThan(0);
  await job(open(), out, { uids: true, extraInFront: true, restoreFrom: sp }).execute('changed job');
  expect(committedLines(out).sort()).toEqual(expected);
});

test('without uids: the same change leaves the counter state without its operator, and the restore is refused', async () => {
  const sp = await stopAt(25, tempDir(), false);
  const err = await job(open(), tempDir(), { uids: false, extraInFront: true, restoreFrom: sp })
    .execute('changed job without uids')
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobExecutionException);
  const causes: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) causes.push(e.message);
  expect(causes.join('\n')).toMatch(/Failed to restore from .*it holds state of .*'Count per key'.*which the job does not have/);
});
