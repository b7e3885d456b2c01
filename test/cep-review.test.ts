/** Regressions found by reviewing the CEP change: argument checks, pattern rules, spec limits, windows in groups. */
import { describe, expect, test } from 'vitest';
import { CollectionSource } from '../connectors/collection/index.ts';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type WatermarkGenerator, type WatermarkOutput } from '../lib/index.ts';
import { AfterMatchSkipStrategy, CEP, MalformedPatternException, Pattern, type PatternRule, type RejectedRule } from '../lib/cep/index.ts';
import { NFA } from '../lib/cep/nfa/nfa.ts';
import { Event, NFATestHarness, comparePatterns } from './cep/harness.ts';

const named = (n: string) => (e: Event) => e.getName() === n;

describe('CEP review regressions', () => {
  test('within() inside a group pattern counts (the smallest window of the whole pattern applies, as in Flink)', () => {
    const a = new Event(1, 'a', 1);
    const b = new Event(2, 'b', 1);
    const c = new Event(3, 'c', 1);
    const group = Pattern.begin<Event>('a').where(named('a')).within(5).followedBy('b').where(named('b'));
    const p = Pattern.begin(group).followedBy('c').where(named('c'));
    expect(NFA.compile(p).getWindowTime()).toBe(5);
    comparePatterns(NFATestHarness.forPattern(p).feedRecords([[a, 0], [b, 100], [c, 101]]), []);
    comparePatterns(NFATestHarness.forPattern(p).feedRecords([[a, 0], [b, 2], [c, 4]]), [[a, b, c]]);
  });

  test('a group cannot end with notFollowedBy; misspelt stage names in expressions fail when the job is built', () => {
    const env = StreamExecutionEnvironment.create();
    const s = env.fromElements(new Event(1, 'a', 1));
    const group = Pattern.begin<Event>('a').notFollowedBy('n');
    expect(() => CEP.pattern(s, Pattern.begin(group).followedBy('c'))).toThrow(/A group pattern cannot end with notFollowedBy \('n'\)/);
    const typo = Pattern.begin<Event>('small').where('price < 1').followedBy('large').where('price > 10 * sum(smal.price)');
    expect(() => CEP.pattern(s, typo)).toThrow(MalformedPatternException);
    expect(() => CEP.pattern(s, typo)).toThrow(/Stage 'large'.*smal/);
  });

  test('bad arguments are rejected where they are passed', () => {
    const env = StreamExecutionEnvironment.create();
    const s = env.fromElements(1);
    expect(() => Pattern.begin<number>('a', 'skipPastLastEvent' as never)).toThrow(/must be an AfterMatchSkipStrategy/);
    expect(() => CEP.pattern(s, undefined as never)).toThrow(/needs a Pattern/);
    expect(() => CEP.pattern(s, Pattern.begin<number>('a')).sideOutputLateData('late' as never)).toThrow(/needs an OutputTag/);
    expect(() => Pattern.begin<number>('__proto__')).toThrow(/'__proto__' cannot be a stage name/);
    expect(() => Pattern.begin<number>('a', AfterMatchSkipStrategy.skipToFirst('a'))).not.toThrow();
  });

  test('specs from outside are bounded: times and the number of stages', () => {
    const one = (times: unknown) => ({ version: 1, stages: [{ name: 'a', quantifier: { kind: 'TIMES', times } }] });
    expect(() => Pattern.fromSpec(one({ from: 1001 }) as never)).toThrow('stages[0].quantifier.times.from: at most 1000');
    expect(() => Pattern.fromSpec(one({ from: 1, to: 5000 }) as never)).toThrow('stages[0].quantifier.times.to: at most 1000');
    const many = { version: 1, stages: Array.from({ length: 101 }, (_, i) => ({ name: `s${i}` })) };
    expect(() => Pattern.fromSpec(many as never)).toThrow('stages.length: at most 100');
    // The largest allowed count compiles (state names are no longer found by a quadratic search).
    expect(NFA.compile(Pattern.fromSpec(one({ from: 1000 }) as never)).getStates().length).toBeGreaterThan(1000);
  });

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

  test('dynamic rules: a rule whose expression fails on an event is removed and rejected by id; the others go on; deleting an unknown rule is rejected', async () => {
    const env = StreamExecutionEnvironment.create();
    type Txn = { card: unknown; amount: number; ts: number };
    const rejectedTag = new OutputTag<RejectedRule>('rejected');
    const rules: PatternRule[] = [
      { id: 'lower', action: 'upsert', spec: { version: 1, stages: [{ name: 'x', condition: "lower(card) == 'a'" }] } },
      { id: 'big', action: 'upsert', spec: { version: 1, stages: [{ name: 'x', condition: 'amount > 100' }] } },
      { id: 'ghost', action: 'delete' },
    ];
    let rulesApplied!: () => void;
    const gate = new Promise<void>((r) => (rulesApplied = r));
    const txns = env.fromSource(
      {
        boundedness: 'BOUNDED',
        nonParallel: true,
        createReader: () => {
          let done = false;
          let open = false;
          void gate.then(() => (open = true));
          return {
            start() {},
            pollNext(o: { collect(v: Txn): void }) {
              if (done) return 'END_OF_INPUT' as const;
              if (!open) return 'NOTHING_AVAILABLE' as const;
              o.collect({ card: 7, amount: 500, ts: 1 }); // a number: lower() fails
              o.collect({ card: 8, amount: 200, ts: 2 });
              done = true;
              return 'END_OF_INPUT' as const;
            },
            isAvailable: () => gate,
            close() {},
          };
        },
      },
      WatermarkStrategy.forMonotonousTimestamps<Txn>().withTimestampAssigner((t) => t.ts),
      'txns',
    );
    const main = CEP.dynamicPatterns(txns.keyBy((t) => String(t.card)), env.fromElements(...rules))
      .sideOutputRejectedRules(rejectedTag)
      .process((m, ctx, o) => o.collect(`${ctx.patternId()} ${String(Object.values(m).flat()[0]!.card)}`));
    const rejected: string[] = [];
    main.getSideOutput(rejectedTag).toObservable().subscribe((r) => {
      rejected.push(r.error);
      if (r.error.includes('ghost')) rulesApplied();
    });
    expect((await main.executeAndCollect()).sort()).toEqual(['big 7', 'big 8']);
    expect(rejected).toEqual([
      "rule 'ghost': delete of a rule that is not running",
      expect.stringMatching(/^rule 'lower' failed on an event and was removed: .*lower\(\) expects a string/),
    ]);
  });
});
