/**
 * The match a select/process function gets is a plain object: every stage name of the pattern (also
 * stages without events, as []) as an own property, in the order a plain object gives them, with
 * Object.prototype as its prototype — whatever the names are: quotes, backslashes, line separators,
 * numbers, 'constructor' ('__proto__' is rejected when the pattern is built).
 */
import { describe, expect, test } from 'vitest';
import { CollectionSource } from '../../connectors/collection/index.ts';
import { StreamExecutionEnvironment, WatermarkStrategy } from '../../lib/index.ts';
import { CEP, Pattern } from '../../lib/api/cep/index.ts';

interface Ev {
  readonly stage: number;
  readonly ts: number;
}

/** A pattern of `names`, stage i taking events with stage === i, followedBy; stage 1 optional. */
function pattern(names: readonly string[]): Pattern<Ev, string> {
  let p = Pattern.begin<Ev>(names[0]!).where((e) => e.stage === 0);
  for (let i = 1; i < names.length; i++) {
    p = p.followedBy(names[i]!).where((e) => e.stage === i);
    if (i === 1) p = p.optional();
  }
  return p;
}

/** What a plain object made property by property looks like: the reference for the match's shape. */
function plain(names: readonly string[], lists: ReadonlyArray<number[]>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  names.forEach((n, i) => Object.defineProperty(out, n, { value: lists[i], enumerable: true, writable: true, configurable: true }));
  return out;
}

async function matchesOf(names: readonly string[], events: readonly Ev[]): Promise<Array<Record<string, Ev[]>>> {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const stream = env.fromSource(new CollectionSource([...events]), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), 'events');
  return CEP.pattern(stream.keyBy(() => 'k'), pattern(names))
    .select((m) => m as Record<string, Ev[]>)
    .executeAndCollect();
}

describe('the match object', () => {
  const cases: Array<readonly string[]> = [
    ['a', 'b', 'c'],
    ['say "hi"', 'back\\slash', 'line\u2028sep'],
    ['2', 'x', '1'],
    ['constructor', 'toString', 'end'],
  ];
  test.each(cases)('stage names %j %j %j: own properties in plain-object order, Object.prototype', async (...names) => {
    // Stage 1 is optional: matches with it and without it (its list is then []).
    const events: Ev[] = [
      { stage: 0, ts: 1 },
      { stage: 2, ts: 2 },
      { stage: 0, ts: 3 },
      { stage: 1, ts: 4 },
      { stage: 2, ts: 5 },
    ];
    const out = await matchesOf(names, events);
    const shown = out.map((m) => {
      expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
      return { keys: Object.keys(m), lists: Object.keys(m).map((k) => Object.getOwnPropertyDescriptor(m, k)!.value.map((e: Ev) => e.ts)) };
    });
    const expected = [
      plain(names, [[1], [], [2]]),
      plain(names, [[1], [4], [5]]),
      plain(names, [[3], [4], [5]]),
      plain(names, [[3], [], [5]]),
    ].map((m) => ({ keys: Object.keys(m), lists: Object.keys(m).map((k) => Object.getOwnPropertyDescriptor(m, k)!.value) }));
    expect(shown.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual(
      expected.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    );
  });
});

describe('the match objects of one pattern', () => {
  test('are each their own: a select function that changes one (stage lists included) changes no other, and stages without events get their own []', async () => {
    const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
    const events: Ev[] = [
      { stage: 0, ts: 1 },
      { stage: 0, ts: 2 },
      { stage: 2, ts: 3 },
      { stage: 1, ts: 4 },
      { stage: 2, ts: 5 },
    ];
    const stream = env.fromSource(new CollectionSource([...events]), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), 'events');
    const seen: Array<Record<string, Ev[]>> = [];
    const out = await CEP.pattern(stream.keyBy(() => 'k'), pattern(['a', 'b', 'c']))
      .select((m) => {
        const match = m as Record<string, Ev[]>;
        for (const earlier of seen) for (const name of ['a', 'b', 'c']) expect(match[name]).not.toBe(earlier[name]);
        seen.push(match);
        const shown = ['a', 'b', 'c'].map((name) => match[name]!.map((e) => e.ts));
        for (const name of ['a', 'b', 'c']) match[name]!.push({ stage: -1, ts: -1 }); // the user's to change
        return JSON.stringify(shown);
      })
      .executeAndCollect();
    expect(out.sort()).toEqual(['[[1],[],[3]]', '[[1],[4],[5]]', '[[2],[],[3]]', '[[2],[4],[5]]'].sort());
  });
});
