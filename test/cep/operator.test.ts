/** The CEP operator in jobs: event-time ordering, lateness, timeouts, absence at the end, processing time, limits. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CollectionSource } from '../../connectors/collection/index.ts';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type Collector, type InputStatus, type ReaderOutput, type Source, type WatermarkGenerator, type WatermarkOutput } from '../../lib/index.ts';
import {
  AfterMatchSkipStrategy,
  CEP,
  MalformedPatternException,
  Pattern,
  PatternProcessFunction,
  type Match,
  type PatternContext,
  type TimedOutPartialMatchHandler,
} from '../../lib/api/cep/index.ts';

interface Ev {
  readonly key: string;
  readonly type: string;
  readonly ts: number;
  readonly id: number;
}

/** Watermark after each event: highest timestamp - bound (so a record `bound` behind the newest one is still on time). */
class Punctuated implements WatermarkGenerator<Ev> {
  private max = Number.NEGATIVE_INFINITY;
  constructor(private readonly bound: number) {}
  onEvent(_e: Ev, ts: number, out: WatermarkOutput): void {
    this.max = Math.max(this.max, ts);
    out.emitWatermark(this.max - this.bound - 1);
  }
  onPeriodicEmit(): void {}
}

function job(events: Ev[], bound: number, p = 1) {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
  env.getConfig().setAutoWatermarkInterval(0);
  const stream = env.fromSource(new CollectionSource(events), WatermarkStrategy.forGenerator(() => new Punctuated(bound)).withTimestampAssigner((e) => e.ts), 'events');
  return { env, stream };
}

let nextId = 0;
const ev = (key: string, type: string, ts: number): Ev => ({ key, type, ts, id: nextId++ });
const ids = (m: Record<string, Ev[]>): string =>
  Object.entries(m)
    .filter(([, v]) => v.length > 0)
    .map(([k, v]) => `${k}:${v.map((e) => e.type + e.ts).join(',')}`)
    .join(' ');

describe('CEP operator', () => {
  test('event time: out-of-order input within the bound gives the in-order matches, emitted at the last event time', async () => {
    const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').next('b').where((e) => e.type === 'b').followedBy('c').where((e) => e.type === 'c');
    // In timestamp order: a1 b2 x3 c4 a5 b6 c7
    const events = [ev('k', 'b', 2), ev('k', 'a', 1), ev('k', 'c', 4), ev('k', 'x', 3), ev('k', 'b', 6), ev('k', 'a', 5), ev('k', 'c', 7)];
    const { env, stream } = job(events, 5);
    const out = await CEP.pattern(stream.keyBy((e) => e.key), pattern)
      .process((m, ctx, o: Collector<string>) => o.collect(`${ids(m)}@${ctx.timestamp()}`))
      .executeAndCollect();
    expect(out).toEqual(['a:a1 b:b2 c:c4@4', 'a:a5 b:b6 c:c7@7']);
    void env;
  });

  test('records behind the watermark go to the late side output and are not matched', async () => {
    const late = new OutputTag<Ev>('late');
    const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').followedBy('b').where((e) => e.type === 'b');
    // bound 0: the watermark follows the newest timestamp; a@3 after b@10 is late.
    const events = [ev('k', 'x', 1), ev('k', 'b', 10), ev('k', 'a', 3), ev('k', 'a', 11), ev('k', 'b', 12)];
    const { stream } = job(events, 0);
    const matches = CEP.pattern(stream.keyBy((e) => e.key), pattern)
      .sideOutputLateData(late)
      .select((m) => ids(m));
    const lateOut: string[] = [];
    matches.getSideOutput(late).toObservable().subscribe((e) => lateOut.push(`${e.type}${e.ts}`));
    expect(await matches.executeAndCollect()).toEqual(['a:a11 b:b12']);
    expect(lateOut).toEqual(['a3']);
  });

  test('metrics reach the JobExecutionResult as accumulators, summed over subtasks', async () => {
    const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').followedBy('b').where((e) => e.type === 'b').within(100);
    const events = [ev('k', 'a', 1), ev('j', 'a', 2), ev('k', 'b', 10), ev('k', 'a', 3), ev('j', 'x', 500)];
    const { env, stream } = job(events, 0, 2);
    CEP.pattern(stream.keyBy((e) => e.key), pattern).select((m) => ids(m)).name('cards').toObservable().subscribe(() => {});
    const result = await env.execute();
    const metric = (n: string) => result.getAccumulatorResult(`cards.${n}`);
    // a3 arrives behind the watermark (9); j's a2 times out; k's match completes.
    expect([metric('numLateRecordsDropped'), metric('numMatches'), metric('numTimedOutMatches'), metric('partialMatches'), metric('bufferedEvents')]).toEqual([1, 1, 0, 0, 0]);
    expect(metric('peakPartialMatches')).toBeGreaterThanOrEqual(1);
  });

  test('timed-out partial matches reach the TimedOutPartialMatchHandler with their window end; matches in the window are kept', async () => {
    const timedOut = new OutputTag<string>('timed-out');
    class Fn extends PatternProcessFunction<Ev, 'start' | 'end', string> implements TimedOutPartialMatchHandler<Ev, 'start' | 'end'> {
      processMatch(m: Match<Ev, 'start' | 'end'>, _ctx: PatternContext, out: Collector<string>): void {
        out.collect(ids(m));
      }
      processTimedOutMatch(m: Match<Ev, 'start' | 'end'>, ctx: PatternContext): void {
        ctx.output(timedOut, `${ids(m)}@${ctx.timestamp()}`);
      }
    }
    const pattern = Pattern.begin<Ev>('start').where((e) => e.type === 's').followedBy('end').where((e) => e.type === 'e').within(10);
    const events = [ev('k', 's', 1), ev('k', 'e', 5), ev('k', 's', 20), ev('k', 'e', 30), ev('j', 's', 2)];
    const { stream } = job(events, 30);
    const main = CEP.pattern(stream.keyBy((e) => e.key), pattern).process(new Fn());
    const side: string[] = [];
    main.getSideOutput(timedOut).toObservable().subscribe((s) => side.push(s));
    expect(await main.executeAndCollect()).toEqual(['start:s1 end:e5']);
    // s20 timed out at 30 (e30 is not within [20, 30)); j's s2 at 12, fired by the end of input.
    expect(side.sort()).toEqual(['start:s20@30', 'start:s2@12']);
  });

  test('select with a timeout side output (Flink select(tag, timeoutFn, selectFn))', async () => {
    const tag = new OutputTag<number>('to');
    const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').followedBy('b').where((e) => e.type === 'b').within(5);
    const { stream } = job([ev('k', 'a', 1), ev('k', 'a', 10), ev('k', 'b', 12)], 0);
    const main = CEP.pattern(stream.keyBy((e) => e.key), pattern).select(tag, (m, t) => m.a[0]!.ts * 1000 + t, (m) => ids(m));
    const side: number[] = [];
    main.getSideOutput(tag).toObservable().subscribe((v) => side.push(v));
    expect(await main.executeAndCollect()).toEqual(['a:a10 b:b12']);
    expect(side).toEqual([1006]);
  });

  test('absence at the end: "created, not paid within 10" emits when the window closes, exactly at its boundary', async () => {
    const pattern = Pattern.begin<Ev>('created')
      .where((e) => e.type === 'created')
      .notFollowedBy('paid')
      .where((e) => e.type === 'paid')
      .within(10);
    const events = [
      ev('o1', 'created', 100), // paid at 105: no alert
      ev('o1', 'paid', 105),
      ev('o2', 'created', 100), // paid at 110 = 100 + 10: too late, alert at 110
      ev('o2', 'paid', 110),
      ev('o3', 'created', 100), // never paid: alert at 110
      ev('o4', 'created', 200), // paid at 209: in time
      ev('o4', 'paid', 209),
      ev('o5', 'created', 300), // the watermark reaches 310 only at the end of input
    ];
    const { stream } = job(events, 100);
    const out = await CEP.pattern(stream.keyBy((e) => e.key), pattern)
      .process((m, ctx, o: Collector<string>) => o.collect(`${m.created[0]!.key}@${ctx.timestamp()} paid=${m.paid.length}`))
      .executeAndCollect();
    expect(out.sort()).toEqual(['o2@110 paid=0', 'o3@110 paid=0', 'o5@310 paid=0']);
  });

  test('notFollowedBy at the end without within() is rejected when the job is built', () => {
    const pattern = Pattern.begin<Ev>('created').notFollowedBy('paid').where((e) => e.type === 'paid');
    const { stream } = job([], 0);
    expect(() => CEP.pattern(stream, pattern)).toThrow(MalformedPatternException);
    expect(() => CEP.pattern(stream, pattern)).toThrow(/NotFollowedBy is not supported without windowTime/);
  });

  test('equal timestamps keep arrival order, or follow the comparator', async () => {
    const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').next('b').where((e) => e.type === 'b');
    const events = [ev('k', 'b', 5), ev('k', 'a', 5), ev('k', 'b', 6)];
    const run = async (cmp?: (x: Ev, y: Ev) => number) => {
      const { stream } = job(events, 10);
      return CEP.pattern(stream.keyBy((e) => e.key), pattern, cmp).select((m) => ids(m)).executeAndCollect();
    };
    expect(await run()).toEqual(['a:a5 b:b6']); // arrival order b5 a5 b6
    expect(await run((x, y) => x.type.localeCompare(y.type))).toEqual(['a:a5 b:b5']); // a5 before b5
  });

  test('a non-keyed stream is matched as a whole in one subtask', async () => {
    const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').followedBy('b').where((e) => e.type === 'b');
    const { stream } = job([ev('x', 'a', 1), ev('y', 'b', 2)], 0, 3);
    const op = CEP.pattern(stream, pattern).select((m) => ids(m));
    expect(op.getParallelism()).toBe(1);
    expect(await op.executeAndCollect()).toEqual(['a:a1 b:b2']);
  });

  test('processing time: arrival order, no watermarks needed', async () => {
    const env = StreamExecutionEnvironment.create();
    const pattern = Pattern.begin<string>('a').where((s) => s.startsWith('a')).followedBy('b').where((s) => s.startsWith('b'));
    const out = await CEP.pattern(env.fromElements('b0', 'a1', 'x', 'b2', 'a3', 'b4'), pattern)
      .inProcessingTime()
      .select((m) => `${m.a[0]}-${m.b[0]}`)
      .executeAndCollect();
    expect(out).toEqual(['a1-b2', 'a3-b4']);
  });

  test('processing time: within() is timed by the wall clock; a pause longer than the window times the partial match out', async () => {
    const env = StreamExecutionEnvironment.create();
    const timedOut = new OutputTag<string>('timed-out');
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    // 'a1' then, 300 ms later, 'b1' and right after 'a2 b2': only a2-b2 is within 100 ms.
    const source: Source<string> = {
      boundedness: 'BOUNDED',
      nonParallel: true,
      createReader: () => {
        let step = 0;
        return {
          start() {},
          pollNext(out: ReaderOutput<string>): InputStatus {
            if (step === 0) {
              out.collect('a1');
              step = 1;
              setTimeout(release, 300);
              return 'NOTHING_AVAILABLE';
            }
            for (const x of ['b1', 'a2', 'b2']) out.collect(x);
            return 'END_OF_INPUT';
          },
          isAvailable: () => (step === 0 ? Promise.resolve() : paused),
          close() {},
        };
      },
    };
    const pattern = Pattern.begin<string>('a').where((s) => s.startsWith('a')).followedBy('b').where((s) => s.startsWith('b')).within(100);
    const main = CEP.pattern(env.fromSource(source, WatermarkStrategy.noWatermarks(), 'trickle'), pattern)
      .inProcessingTime()
      .select(timedOut, (m) => `timeout ${m.a[0]}`, (m) => `${m.a[0]}-${m.b[0]}`);
    const side: string[] = [];
    main.getSideOutput(timedOut).toObservable().subscribe((v) => side.push(v));
    expect(await main.executeAndCollect()).toEqual(['a2-b2']);
    expect(side).toEqual(['timeout a1']);
  });

  test('event time without timestamps fails with a message that says what to do', async () => {
    const env = StreamExecutionEnvironment.create();
    const pattern = Pattern.begin<string>('a');
    await expect(CEP.pattern(env.fromElements('x'), pattern).select((m) => m.a[0]).executeAndCollect()).rejects.toThrow(/needs record timestamps.*inProcessingTime/s);
  });

  test('maxPartialMatchesPerKey: fail names the key; drop-oldest keeps the newest partial matches', async () => {
    // followedByAny with oneOrMore keeps many partial matches per key.
    const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').followedByAny('b').where((e) => e.type === 'b');
    const events = [ev('k', 'a', 1), ev('k', 'a', 2), ev('k', 'a', 3), ev('k', 'b', 4)];
    const fail = job(events, 0);
    await expect(
      CEP.pattern(fail.stream.keyBy((e) => e.key), pattern).maxPartialMatchesPerKey(2).select((m) => ids(m)).executeAndCollect(),
    ).rejects.toThrow(/key "k" has 3 partial matches, more than maxPartialMatchesPerKey\(2\)/);
    const drop = job(events, 0);
    const out = await CEP.pattern(drop.stream.keyBy((e) => e.key), pattern)
      .maxPartialMatchesPerKey(2, 'drop-oldest')
      .select((m) => ids(m))
      .executeAndCollect();
    expect(out.sort()).toEqual(['a:a2 b:b4', 'a:a3 b:b4']);
  });

  test('skip strategy of the pattern applies in the operator', async () => {
    const pattern = Pattern.begin<Ev>('a', AfterMatchSkipStrategy.skipPastLastEvent()).where((e) => e.type === 'a').times(2);
    const events = [1, 2, 3, 4, 5].map((t) => ev('k', 'a', t));
    const { stream } = job(events, 0);
    expect(await CEP.pattern(stream.keyBy((e) => e.key), pattern).select((m) => ids(m)).executeAndCollect()).toEqual(['a:a1,a2', 'a:a3,a4']);
  });

  test('property: shuffling within the out-of-orderness bound and changing parallelism do not change event-time matches', async () => {
    const pattern = Pattern.begin<Ev>('a')
      .where((e) => e.type === 'a')
      .followedBy('b')
      .where((e) => e.type === 'b')
      .oneOrMore()
      .next('c')
      .where((e) => e.type === 'c')
      .within(80);
    const bound = 4;
    const arb = fc.array(fc.record({ key: fc.constantFrom('k1', 'k2', 'k3'), type: fc.constantFrom('a', 'b', 'c', 'x') }), { minLength: 1, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(arb, fc.array(fc.integer({ min: 0, max: bound }), { minLength: 40, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), async (raw, jitter, p) => {
        // Distinct timestamps 10, 20, ... ; each record may arrive up to `bound` positions late.
        const inOrder = raw.map((r, i) => ({ ...r, ts: (i + 1) * 10, id: i }));
        const shuffled = inOrder
          .map((e, i) => ({ e, at: i + jitter[i]! + 0.5 * (i % 2) }))
          .sort((x, y) => x.at - y.at)
          .map((x) => x.e);
        const run = async (events: Ev[], parallelism: number) => {
          const { stream } = job(events, bound * 10, parallelism);
          const out = await CEP.pattern(stream.keyBy((e) => e.key), pattern)
            .select((m) => `${m.a[0]!.key} ${ids(m)}`)
            .executeAndCollect();
          return out.sort();
        };
        expect(await run(shuffled, p)).toEqual(await run(inOrder, 1));
      }),
      { numRuns: 25 },
    );
  });
});

describe('CEP operator: timeouts, processing time, held-back matches', () => {
  test('flatSelect with a timeout tag: the timeout function emits any number of values (Flink PatternFlatTimeoutFunction)', async () => {
    const tag = new OutputTag<string>('timeouts');
    const env = StreamExecutionEnvironment.create();
    type E = { t: string; ts: number };
    const src = env.fromSource(new CollectionSource<E>([{ t: 'a', ts: 1 }, { t: 'a', ts: 20 }, { t: 'b', ts: 22 }]), WatermarkStrategy.forMonotonousTimestamps<E>().withTimestampAssigner((e) => e.ts), 'e');
    const p = Pattern.begin<E, 'a'>('a').where((e) => e.t === 'a').followedBy('b').where((e) => e.t === 'b').within(5);
    const main = CEP.pattern(src, p).flatSelect(
      tag,
      (m, ts, out) => {
        out.collect(`timeout ${m.a[0]!.ts}`);
        out.collect(`at ${ts}`);
      },
      (m, out) => out.collect(`${m.a[0]!.ts}-${m.b[0]!.ts}`),
    );
    const side: string[] = [];
    main.getSideOutput(tag).toObservable().subscribe((v) => side.push(v));
    expect(await main.executeAndCollect()).toEqual(['20-22']);
    expect(side).toEqual(['timeout 1', 'at 6']);
  });

  test('processing time with a comparator: records still buffered when the input ends are matched, not lost', async () => {
    const env = StreamExecutionEnvironment.create();
    const p = Pattern.begin<string, 'a'>('a').where((x) => x.startsWith('a')).followedBy('b').where((x) => x.startsWith('b'));
    const out = await CEP.pattern(env.fromElements('a1', 'x', 'b2'), p, (x, y) => x.localeCompare(y))
      .inProcessingTime()
      .select((m) => `${m.a[0]}-${m.b[0]}`)
      .executeAndCollect();
    expect(out).toEqual(['a1-b2']);
  });

  test('a match held back by a skip strategy gets a timestamp that does not depend on watermark timing', async () => {
    type E = { t: string; ts: number };
    // {c3} completes at 3 but waits (skipToFirst) behind the partial match {a0, c3...}, which times out at 0 + 4.
    const events: E[] = [{ t: 'a', ts: 0 }, { t: 'c', ts: 3 }, { t: 'x', ts: 100 }];
    const p = Pattern.begin<E, 's0'>('s0', AfterMatchSkipStrategy.skipToFirst('s0')).where((e) => e.t === 'a').optional()
      .next('s1').where((e) => e.t === 'c').oneOrMore()
      .within(4);
    class Lagging implements WatermarkGenerator<E> {
      constructor(private readonly lag: number) {}
      onEvent(e: E, _ts: number, o: WatermarkOutput): void {
        o.emitWatermark(e.ts - this.lag);
      }
      onPeriodicEmit(): void {}
    }
    const run = async (lag: number) => {
      const env = StreamExecutionEnvironment.create();
      env.getConfig().setAutoWatermarkInterval(0);
      const src = env.fromSource(new CollectionSource(events), WatermarkStrategy.forGenerator(() => new Lagging(lag)).withTimestampAssigner((e) => e.ts), 'e');
      const out = await CEP.pattern(src, p)
        .process((m, ctx, o) => o.collect(`${m.s0.map((e) => e.ts).join(',')}|${m.s1.map((e) => e.ts).join(',')}@${ctx.timestamp()}`))
        .executeAndCollect();
      return out.sort();
    };
    // Watermarks 0, 3, 100 / -50, -47, 50 / none until the end (+Infinity): the same stamps.
    for (const lag of [0, 50, 1000]) expect(await run(lag)).toEqual(['0|3@3', '|3@4']);
  });
});
