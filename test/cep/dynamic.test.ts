/** CEP.dynamicPatterns: rules added, replaced and removed at runtime on a broadcast stream. */
import { describe, expect, test } from 'vitest';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type Collector, type InputStatus, type ReaderOutput, type Source, type SourceReader, type WatermarkGenerator, type WatermarkOutput } from '../../lib/index.ts';
import { CEP, Pattern, type PatternRule, type RejectedRule } from '../../lib/api/cep/index.ts';

interface Txn {
  readonly card: string;
  readonly amount: number;
  readonly ts: number;
}

/** A bounded source emitting phases of records; each phase waits for its gate (a promise) first. */
class GatedSource<T> implements Source<T> {
  readonly boundedness = 'BOUNDED';
  readonly nonParallel = true;
  constructor(private readonly phases: ReadonlyArray<{ gate?: Promise<void>; items: readonly T[] }>) {}
  createReader(): SourceReader<T> {
    const phases = this.phases;
    let phase = 0;
    let open = phases[0]?.gate === undefined;
    let waiting: Promise<void> | null = null;
    return {
      start() {},
      pollNext(output: ReaderOutput<T>): InputStatus {
        if (phase >= phases.length) return 'END_OF_INPUT';
        if (!open) return 'NOTHING_AVAILABLE';
        for (const item of phases[phase]!.items) output.collect(item);
        phase++;
        open = phase < phases.length && phases[phase]!.gate === undefined;
        return phase >= phases.length ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
      },
      isAvailable: () => {
        if (open || phase >= phases.length) return Promise.resolve();
        waiting ??= phases[phase]!.gate!.then(() => {
          open = true;
          waiting = null;
        });
        return waiting;
      },
      close() {},
    };
  }
}

class Punctuated implements WatermarkGenerator<Txn> {
  onEvent(e: Txn, _ts: number, out: WatermarkOutput): void {
    out.emitWatermark(e.ts - 1);
  }
  onPeriodicEmit(): void {}
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const smallThenLarge = Pattern.begin<Txn>('small').where('amount < 1').followedBy('large').where('amount > 500').within('1 min').toSpec();
const threeSmall = Pattern.begin<Txn>('small').where('amount < 1').times(3).consecutive().toSpec();
const t = (card: string, amount: number, ts: number): Txn => ({ card, amount, ts });

describe('CEP.dynamicPatterns', () => {
  test('rules are added, replaced and removed while the job runs; matches carry the rule id; bad rules are rejected without effect', async () => {
    const rejectedTag = new OutputTag<RejectedRule>('rejected');
    const rejected: string[] = [];
    const out: string[] = [];
    const rulesSeen = [deferred(), deferred()];
    const phaseOneMatched = deferred();
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 4 });
    env.getConfig().setAutoWatermarkInterval(0);
    // Rules: phase 1 adds r1; phase 2 (after r1 matched) removes r1 and adds r2. Each phase ends with a
    // bad rule: its rejection (once per subtask) shows the phase's rules were applied.
    const rules = env.fromSource(
      new GatedSource<PatternRule>([
        { items: [{ id: 'r1', action: 'upsert', spec: smallThenLarge }, { id: 'bad1', action: 'upsert', spec: { version: 1, stages: [] } as never }] },
        {
          gate: phaseOneMatched.promise,
          items: [{ id: 'r1', action: 'delete' }, { id: 'r2', action: 'upsert', spec: JSON.stringify(threeSmall) }, { id: 'bad2', action: 'explode' } as never],
        },
      ]),
      WatermarkStrategy.noWatermarks(),
      'rules',
    );
    const events = env.fromSource(
      new GatedSource<Txn>([
        { gate: rulesSeen[0]!.promise, items: [t('A', 0.5, 1000), t('B', 0.2, 1500), t('A', 900, 2000), t('X', 1, 3000)] },
        { gate: rulesSeen[1]!.promise, items: [t('A', 0.5, 10_000), t('A', 600, 11_000), t('B', 0.1, 12_000), t('B', 0.2, 13_000), t('B', 0.3, 14_000), t('X', 1, 20_000)] },
      ]),
      WatermarkStrategy.forGenerator(() => new Punctuated()).withTimestampAssigner((x) => x.ts),
      'txns',
    );
    const matches = CEP.dynamicPatterns(events.keyBy((x) => x.card), rules)
      .sideOutputRejectedRules(rejectedTag)
      .process((m, ctx, o: Collector<string>) => {
        const all = Object.values(m).flat();
        o.collect(`${ctx.patternId()} ${all[0]!.card} ${all.map((x) => x.amount).join(',')} @${ctx.timestamp()}`);
      });
    matches.toObservable().subscribe((s) => {
      out.push(s);
      if (s.startsWith('r1 A')) phaseOneMatched.resolve();
    });
    matches.getSideOutput(rejectedTag).toObservable().subscribe((r) => {
      rejected.push(r.error);
      const phase = (r.rule as { id: string }).id === 'bad1' ? 0 : 1;
      if (rejected.filter((e) => e.startsWith(phase === 0 ? "rule 'bad1'" : "rule 'bad2'")).length === 2) rulesSeen[phase]!.resolve();
    });
    await env.execute();
    expect(out.sort()).toEqual(['r1 A 0.5,900 @2000', 'r2 B 0.1,0.2,0.3 @14000']);
    expect([...new Set(rejected)].sort()).toEqual([
      "rule 'bad1': stages: expected a non-empty array of stages",
      "rule 'bad2': action must be 'upsert' or 'delete', got \"explode\"",
    ]);
  });

  test('dynamicPatterns needs a keyed stream', () => {
    const env = StreamExecutionEnvironment.create();
    expect(() => CEP.dynamicPatterns(env.fromElements(1) as never, env.fromElements<PatternRule>())).toThrow(/needs a KeyedStream/);
  });
});

describe('CEP.dynamicPatterns: failing and unknown rules', () => {
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
