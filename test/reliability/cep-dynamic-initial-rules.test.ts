/**
 * CEP.dynamicPatterns: rules given with withInitialRules run from the first record, whatever the timing
 * of the rule stream; records that event time passes while no rule runs are counted, not silently lost.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { EMPTY, ignoreElements, map, merge, timer } from 'rxjs';
import { StreamExecutionEnvironment, WatermarkStrategy, type Sink } from '../../lib/index.ts';
import { CEP, Pattern, PatternSpecError, type PatternRule } from '../../lib/api/cep/index.ts';
import { TrickleSource } from '../helpers.ts';

interface Txn {
  readonly card: string;
  readonly amount: number;
  readonly ts: number;
}

const SMALL_THEN_LARGE: PatternRule = {
  id: 'small-then-large',
  action: 'upsert',
  spec: Pattern.begin<Txn>('small').where('amount < 1').followedBy('large').where('amount > 500').within('1 min').toSpec(),
};
const TXNS: Txn[] = [
  { card: 'a', amount: 0.5, ts: 1_000 },
  { card: 'b', amount: 20, ts: 2_000 },
  { card: 'a', amount: 900, ts: 3_000 },
  { card: 'b', amount: 0.1, ts: 4_000 },
  { card: 'c', amount: 0.2, ts: 5_000 },
  { card: 'b', amount: 700, ts: 6_000 },
  { card: 'c', amount: 10, ts: 100_000 }, // c's large one never comes within the minute
];
const EXPECTED = ['small-then-large a 1000-3000', 'small-then-large b 4000-6000'];

/** Collects into an array shared by every subtask (inline target). */
function collectInto(out: string[]): Sink<string> {
  return { createWriter: () => ({ write: (v: string) => void out.push(v), flush() {}, close() {} }) };
}

async function runJob(options: { initial?: PatternRule[]; rulesAfterMs?: number; rulesEndAfterMs: number; perPoll: number; parallelism: number }) {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': options.parallelism });
  const txns = env
    .fromSource(new TrickleSource(TXNS, options.perPoll), 'txns')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Txn>().withTimestampAssigner((t) => t.ts));
  // The rule stream: at most one (identical) rule after a delay; it stays open a while, without watermarks.
  const rule$ = options.rulesAfterMs === undefined ? EMPTY : timer(options.rulesAfterMs).pipe(map(() => SMALL_THEN_LARGE));
  const rules = env.fromObservable(merge(rule$, timer(options.rulesEndAfterMs).pipe(ignoreElements())));
  let stream = CEP.dynamicPatterns(txns.keyBy((t) => t.card), rules);
  if (options.initial !== undefined) stream = stream.withInitialRules(options.initial);
  const out: string[] = [];
  stream
    .process((m, ctx, o) => o.collect(`${ctx.patternId()} ${m.small![0]!.card} ${m.small![0]!.ts}-${m.large![0]!.ts}`))
    .name('Rules')
    .sinkTo(collectInto(out));
  const result = await env.execute('dynamic rules');
  return { matches: out.sort(), unchecked: result.getAccumulatorResult<number>('Rules.numRecordsWithoutPatterns') };
}

describe('initial rules make dynamic patterns independent of the rule stream timing', () => {
  test('property: any timing of the rule stream, any batching of the events, parallelism 1 or 2: the same matches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 2 }),
        async (rulesAfterMs, extraOpenMs, perPoll, parallelism) => {
          const r = await runJob({ initial: [SMALL_THEN_LARGE], rulesAfterMs, rulesEndAfterMs: (rulesAfterMs ?? 0) + extraOpenMs, perPoll, parallelism });
          expect(r.matches).toEqual(EXPECTED);
          expect(r.unchecked).toBe(0);
        },
      ),
      { numRuns: 20 },
    );
  });

  test('records that event time passes before any rule runs are counted (numRecordsWithoutPatterns)', async () => {
    // No initial rule; the rule stream sends nothing and ends well after the events: nothing can match.
    const r = await runJob({ rulesEndAfterMs: 150, perPoll: 7, parallelism: 1 });
    expect(r.matches).toEqual([]);
    expect(r.unchecked).toBe(TXNS.length);
  });

  test('an initial rule that cannot run fails the job build, naming it', () => {
    const env = StreamExecutionEnvironment.create();
    const txns = env.fromElements<Txn>().keyBy((t) => t.card);
    const build = (rules: unknown[]) => () => CEP.dynamicPatterns(txns, env.fromElements<PatternRule>()).withInitialRules(rules as PatternRule[]);
    expect(build([{ id: 'bad', action: 'upsert', spec: { version: 1, stages: [{ name: 'x', condition: 'amount >' }] } }])).toThrow(PatternSpecError);
    expect(build([{ id: 'bad', action: 'upsert', spec: { version: 1, stages: [{ name: 'x', condition: 'amount >' }] } }])).toThrow(/initialRules\[0\]: rule 'bad': stages\[0\]\.condition/);
    expect(build([SMALL_THEN_LARGE, { id: 'gone', action: 'delete' }])).toThrow(/initialRules\[1\]: rule 'gone': delete of a rule that is not running/);
    expect(build([{ action: 'upsert' }])).toThrow(/initialRules\[0\]/);
  });
});
