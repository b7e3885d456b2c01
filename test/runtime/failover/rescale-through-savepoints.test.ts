/**
 * Rescaling through savepoints (issue 11, "Rescale"): a job with keyed state of several kinds (value,
 * list, map with TTL), event-time timers, a window, a CEP pattern, broadcast state and the sources'
 * split positions (operator list state) is stopped with a savepoint at p=1, restored at p=3, stopped
 * with a savepoint again, and restored at p=2 to the end: the FileSink's committed output equals one
 * uninterrupted run. Keyed state moves by key group, the splits and broadcast state are redistributed.
 * The stop points are chosen by fast-check (per split: how far the source reads before the savepoint);
 * a failing case prints its seed and stop points for replay.
 *
 * Also a savepoint triggered while the job runs: the job goes on to its end, and a job restored from
 * that savepoint produces exactly what the uninterrupted run produced after it.
 */
import { afterAll, beforeAll, afterEach, expect, test, vi, type MockInstance } from 'vitest';
import fc from 'fast-check';
import {
  KeyedBroadcastProcessFunction,
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  StateTtlConfig,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type DataStream,
  type KeyedBroadcastContext,
  type KeyedBroadcastOnTimerContext,
  type KeyedBroadcastReadOnlyContext,
  type KeyedProcessContext,
  type ListState,
  type MapState,
  type OnTimerContext,
  type ValueState,
} from '../../../lib/index.ts';
import { CEP, Pattern } from '../../../lib/api/cep/index.ts';
import { BasePathBucketAssigner, FileSink, SimpleStringEncoder } from '../../../connectors/file/index.ts';
import { committedLines } from '../../connectors/committed-files.ts';
import { removeTempDirs, tempDir } from '../../helpers.ts';
import { Gate, GatedSplitsSource, splitEvents, type Ev } from './gated-splits-source.ts';

afterAll(removeTempDirs);
let warn: MockInstance;
beforeAll(() => {
  // uid warnings, restore notices: not what these tests look at.
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockClear());
afterAll(() => warn.mockRestore());

/**
 * Releases each key's events in timestamp order once the watermark passed them (event-time timers),
 * numbering them per key (ValueState), buffering them (ListState) and keeping a running sum per
 * parity (MapState with TTL: an hour, nothing expires, but the TTL timestamps go through the savepoint).
 */
class SortPerKey extends KeyedProcessFunction<string, Ev, string> {
  private count!: ValueState<number>;
  private buffer!: ListState<Ev>;
  private sums!: MapState<string, number>;
  override open(): void {
    const ctx = this.getRuntimeContext();
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0));
    this.buffer = ctx.getListState(new ListStateDescriptor<Ev>('buffer'));
    const sums = new MapStateDescriptor<string, number>('sums');
    sums.enableTimeToLive(StateTtlConfig.newBuilder('1 h').build());
    this.sums = ctx.getMapState(sums);
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>): void {
    this.buffer.add(e);
    ctx.timerService().registerEventTimeTimer(e.ts);
  }
  override onTimer(t: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    const all = this.buffer.get();
    const due = all.filter((e) => e.ts <= t).sort((a, b) => a.ts - b.ts);
    this.buffer.update(all.filter((e) => e.ts > t));
    for (const e of due) {
      const n = (this.count.value() ?? 0) + 1;
      this.count.update(n);
      const parity = e.v % 2 === 0 ? 'even' : 'odd';
      const sum = (this.sums.get(parity) ?? 0) + e.v;
      this.sums.put(parity, sum);
      out.collect(`sorted ${ctx.getCurrentKey()} #${n} ${e.id}@${e.ts} ${parity}=${sum}`);
    }
  }
}

interface Rule {
  readonly from: number;
  readonly factor: number;
}
const rulesState = new MapStateDescriptor<number, number>('rules');

/** Scales each event by the rule in force at its timestamp (broadcast state), once event time passed it. */
class ApplyRules extends KeyedBroadcastProcessFunction<string, Ev, Rule, string> {
  private pending!: ListState<Ev>;
  override open(): void {
    this.pending = this.getRuntimeContext().getListState(new ListStateDescriptor<Ev>('pending'));
  }
  processElement(e: Ev, ctx: KeyedBroadcastReadOnlyContext<string>): void {
    this.pending.add(e);
    ctx.timerService().registerEventTimeTimer(e.ts);
  }
  processBroadcastElement(r: Rule, ctx: KeyedBroadcastContext): void {
    ctx.getBroadcastState(rulesState).put(r.from, r.factor);
  }
  override onTimer(t: number, ctx: KeyedBroadcastOnTimerContext<string>, out: Collector<string>): void {
    const rules = [...ctx.getBroadcastState(rulesState).entries()];
    const all = this.pending.get();
    this.pending.update(all.filter((e) => e.ts > t));
    for (const e of all.filter((x) => x.ts <= t)) {
      let factor = 1;
      let from = Number.NEGATIVE_INFINITY;
      for (const [f, k] of rules) if (f <= e.ts && f > from) [from, factor] = [f, k];
      out.collect(`rule ${ctx.getCurrentKey()} ${e.id} ${e.v * factor}`);
    }
  }
}

const SPLITS = 4;
const PER_SPLIT = 60;

interface RunOptions {
  readonly parallelism: number;
  readonly out: string;
  readonly restoreFrom?: string;
  readonly checkpoints?: string;
  /** Watermarks after every record instead of every 200 ms (then outputs come before a savepoint for sure). */
  readonly perEventWatermarks?: boolean;
}

/** Bounded out-of-orderness (100 ms), the watermark moved on by every record. */
const perEvent = WatermarkStrategy.forGenerator<Ev>(() => {
  let max = Number.NEGATIVE_INFINITY;
  return {
    onEvent: (_e: Ev, ts: number, out) => {
      if (ts > max) out.emitWatermark((max = ts) - 101);
    },
    onPeriodicEmit: () => {},
  };
}).withTimestampAssigner((e) => e.ts);

/** Builds the job; every stateful operator has a uid, so state follows it whatever the parallelism. */
function buildJob(splits: ReadonlyMap<string, readonly Ev[]>, gate: Gate, o: RunOptions): StreamExecutionEnvironment {
  const conf: Record<string, unknown> = { 'execution.runtime-mode': 'STREAMING' };
  if (o.restoreFrom !== undefined) conf['execution.savepoint.path'] = o.restoreFrom;
  if (o.checkpoints !== undefined) conf['state.checkpoints.dir'] = o.checkpoints;
  const env = StreamExecutionEnvironment.create(conf);
  env.setParallelism(o.parallelism);
  if (o.checkpoints !== undefined) env.enableCheckpointing(20);
  if (o.perEventWatermarks === true) env.getConfig().setAutoWatermarkInterval(0);
  const events = env
    .fromSource(new GatedSplitsSource(splits, gate), o.perEventWatermarks === true ? perEvent : WatermarkStrategy.forBoundedOutOfOrderness<Ev>(100).withTimestampAssigner((e) => e.ts), 'events')
    .uid('events');
  const keyed = events.keyBy((e) => e.key);
  const sorted = keyed.process(new SortPerKey()).uid('sort');
  const windows = keyed
    .window(TumblingEventTimeWindows.of(500))
    .process((key: string, ctx, els: Iterable<Ev>, out: Collector<string>) => {
      const xs = [...els];
      out.collect(`win ${key} ${ctx.window().start} n=${xs.length} sum=${xs.reduce((s, e) => s + e.v, 0)}`);
    })
    .uid('window');
  const pattern = Pattern.begin<Ev>('a')
    .where((e) => e.v % 3 === 0)
    .next('b')
    .where((e) => e.v % 3 === 1)
    .within(400);
  const matches = CEP.pattern(keyed, pattern)
    .process((m, _ctx, out: Collector<string>) => out.collect(`cep ${m.a![0]!.key} ${m.a![0]!.id}->${m.b![0]!.id}`))
    .uid('cep');
  const rules = env
    .fromElements<Rule>({ from: 0, factor: 2 }, { from: 1_000 + SPLITS * PER_SPLIT * 5, factor: 7 })
    .uid('rules')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Rule>().withTimestampAssigner((r) => r.from))
    .uid('rules-watermarks');
  const scaled = keyed.connect(rules.broadcast(rulesState as MapStateDescriptor<unknown, unknown>)).process(new ApplyRules()).uid('apply-rules');
  const all: DataStream<string> = sorted.union(windows, matches, scaled);
  all.sinkTo(FileSink.forRowFormat(o.out, new SimpleStringEncoder<string>()).withBucketAssigner(new BasePathBucketAssigner<string>()).build()).uid('files');
  return env;
}

/** One uninterrupted run at p=1: the reference. */
async function uninterrupted(splits: ReadonlyMap<string, readonly Ev[]>): Promise<string[]> {
  const gate = new Gate(splits.size);
  gate.close(undefined);
  const out = tempDir();
  await buildJob(splits, gate, { parallelism: 1, out }).execute('reference');
  return committedLines(out).sort();
}

/** Runs until every split is held at `limits`, then stops with a savepoint; resolves with its path. */
async function runAndStop(splits: ReadonlyMap<string, readonly Ev[]>, gate: Gate, limits: ReadonlyMap<string, number>, o: RunOptions): Promise<string> {
  gate.close(limits);
  const client = await buildJob(splits, gate, o).executeAsync(`stop at p=${o.parallelism}`);
  await gate.allHeld();
  const path = await client.stopWithSavepoint(tempDir());
  await client.getJobExecutionResult(); // stopped with a savepoint: FINISHED
  expect(client.getJobStatus()).toBe('FINISHED');
  return path;
}

const byId = (limits: readonly number[]): Map<string, number> => new Map(limits.map((l, j) => [`split-${j}`, l]));

test('property: savepoint at p=1 → restore at p=3 → savepoint → restore at p=2 equals one uninterrupted run', async () => {
  const stops = fc.array(fc.tuple(fc.integer({ min: 0, max: PER_SPLIT - 1 }), fc.integer({ min: 0, max: PER_SPLIT - 1 })), { minLength: SPLITS, maxLength: SPLITS });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), stops, fc.boolean(), async (seed, stopPairs, perEventWatermarks) => {
      const splits = splitEvents(seed, SPLITS, PER_SPLIT, 5);
      const expected = await uninterrupted(splits);
      const first = stopPairs.map(([a, b]) => Math.min(a, b));
      const second = stopPairs.map(([a, b]) => Math.max(a, b));
      const gate = new Gate(splits.size);
      const out = tempDir();
      const sp1 = await runAndStop(splits, gate, byId(first), { parallelism: 1, out, perEventWatermarks });
      const sp2 = await runAndStop(splits, gate, byId(second), { parallelism: 3, out, restoreFrom: sp1, checkpoints: tempDir(), perEventWatermarks });
      gate.close(undefined);
      await buildJob(splits, gate, { parallelism: 2, out, restoreFrom: sp2, checkpoints: tempDir(), perEventWatermarks }).execute('to the end at p=2');
      const got = committedLines(out).sort();
      if (JSON.stringify(got) !== JSON.stringify(expected)) console.log('DIFF', seed, stopPairs, perEventWatermarks, got.filter((x) => !expected.includes(x)), expected.filter((x) => !got.includes(x)));
      expect(got).toEqual(expected);
    }),
    { numRuns: 12 },
  );
}, 120_000);

test('the job restored at another parallelism really had state to carry: every kind of output is there', async () => {
  const expected = await uninterrupted(splitEvents(7, SPLITS, PER_SPLIT, 5));
  for (const kind of ['sorted', 'win', 'cep', 'rule']) expect(expected.filter((l) => l.startsWith(`${kind} `)).length).toBeGreaterThan(5);
  // The second rule took effect: the broadcast state decides some outputs.
  expect(expected.some((l) => l.startsWith('rule ') && Number(l.split(' ')[3]) % 7 === 0 && Number(l.split(' ')[3]) > 0)).toBe(true);
});

test('triggerSavepoint while the job runs: it goes on to the end; a job restored from the savepoint produces the rest', async () => {
  const splits = splitEvents(11, SPLITS, PER_SPLIT, 5);
  const expected = await uninterrupted(splits);
  const gate = new Gate(splits.size);
  gate.close(byId([37, 40, 23, 29]));
  const out = tempDir();
  // No periodic checkpoints: until the end, only the savepoint commits, so the output folder then
  // holds exactly what came before the savepoint's barrier.
  const client = await buildJob(splits, gate, { parallelism: 2, out, perEventWatermarks: true }).executeAsync('savepoint while running');
  await gate.allHeld();
  const sp = await client.triggerSavepoint(tempDir());
  const beforeSavepoint = committedLines(out);
  expect(client.getJobStatus()).toBe('RUNNING');
  expect(beforeSavepoint.length).toBeGreaterThan(0);
  // The job goes on to its end after the savepoint: all of its output, each record once.
  gate.open();
  await client.getJobExecutionResult();
  expect(committedLines(out).sort()).toEqual(expected);

  gate.close(undefined);
  const rest = tempDir();
  await buildJob(splits, gate, { parallelism: 3, out: rest, restoreFrom: sp }).execute('restored from the savepoint');
  expect([...beforeSavepoint, ...committedLines(rest)].sort()).toEqual(expected);
}, 60_000);
