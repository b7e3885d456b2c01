/**
 * Flink's PatternSelectFunction, PatternFlatSelectFunction, PatternTimeoutFunction and
 * PatternFlatTimeoutFunction are objects with a method (`select`, `flatSelect`, `timeout`): a Flink user
 * writes them so, and select()/flatSelect() take them as they take plain functions (`this` is the object).
 */
import { expect, test } from 'vitest';
import { CollectionSource } from '../../connectors/collection/index.ts';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type Collector } from '../../lib/index.ts';
import { CEP, Pattern, type Match, type PatternFlatSelectFunction, type PatternFlatTimeoutFunction, type PatternSelectFunction, type PatternTimeoutFunction } from '../../lib/api/cep/index.ts';

interface Ev {
  readonly user: string;
  readonly type: 'order' | 'pay';
  readonly ts: number;
}
type Names = 'order' | 'pay';

// u1 pays within 10 min, u2 never pays, u3 pays too late.
const events: Ev[] = [
  { user: 'u1', type: 'order', ts: 1_000 },
  { user: 'u2', type: 'order', ts: 2_000 },
  { user: 'u3', type: 'order', ts: 3_000 },
  { user: 'u1', type: 'pay', ts: 60_000 },
  { user: 'u3', type: 'pay', ts: 3_000 + 15 * 60_000 },
];

function patternStream() {
  const env = StreamExecutionEnvironment.create();
  const stream = env.fromSource(new CollectionSource(events), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), 'events');
  const orderThenPay = Pattern.begin<Ev, 'order'>('order').where((e) => e.type === 'order').followedBy('pay').where((e) => e.type === 'pay').within('10 min');
  return CEP.pattern(stream.keyBy((e) => e.user), orderThenPay);
}

async function collect<OUT, TO>(main: { executeAndCollect(): Promise<OUT[]>; getSideOutput(tag: OutputTag<TO>): { toObservable(): { subscribe(f: (v: TO) => void): unknown } } }, tag: OutputTag<TO>) {
  const side: TO[] = [];
  main.getSideOutput(tag).toObservable().subscribe((v) => side.push(v));
  const out = await main.executeAndCollect();
  return { out: out.sort(), side: side.sort() };
}

test('select(tag, { timeout }, { select }) as Flink writes it: matches and timed-out partial matches', async () => {
  class Unpaid implements PatternTimeoutFunction<Ev, Names, string> {
    private readonly prefix = 'unpaid';
    timeout(m: Match<Ev, Names>, timeoutTimestamp: number): string {
      return `${this.prefix} ${m.order[0]!.user} at ${timeoutTimestamp}`;
    }
  }
  const paid: PatternSelectFunction<Ev, Names, string> = { select: (m) => `paid ${m.order[0]!.user} after ${m.pay[0]!.ts - m.order[0]!.ts} ms` };
  const tag = new OutputTag<string>('unpaid');
  expect(await collect(patternStream().select(tag, new Unpaid(), paid), tag)).toEqual({
    out: ['paid u1 after 59000 ms'],
    side: ['unpaid u2 at 602000', 'unpaid u3 at 603000'],
  });
});

test('flatSelect(tag, { timeout }, { flatSelect }) as Flink writes it', async () => {
  class Paid implements PatternFlatSelectFunction<Ev, Names, string> {
    private readonly prefix = 'paid';
    flatSelect(m: Match<Ev, Names>, out: Collector<string>): void {
      out.collect(`${this.prefix} ${m.order[0]!.user}`);
      out.collect(`${this.prefix} ${m.pay[0]!.ts}`);
    }
  }
  const unpaid: PatternFlatTimeoutFunction<Ev, Names, string> = { timeout: (m, ts, out) => out.collect(`unpaid ${m.order[0]!.user} at ${ts}`) };
  const tag = new OutputTag<string>('unpaid');
  expect(await collect(patternStream().flatSelect(tag, unpaid, new Paid()), tag)).toEqual({
    out: ['paid 60000', 'paid u1'],
    side: ['unpaid u2 at 602000', 'unpaid u3 at 603000'],
  });
});

test('select({ select }) and flatSelect({ flatSelect }) without a timeout tag', async () => {
  expect(await patternStream().select({ select: (m) => m.order[0]!.user }).executeAndCollect()).toEqual(['u1']);
  expect(await patternStream().flatSelect({ flatSelect: (m, out) => out.collect(m.pay[0]!.ts) }).executeAndCollect()).toEqual([60_000]);
});

test('an object without the method, or an async select method, is refused when the job is built', () => {
  expect(() => patternStream().select({ process: () => 1 } as never)).toThrow('select() needs a function (match) => result or a PatternSelectFunction { select(match) }');
  expect(() => patternStream().flatSelect({} as never)).toThrow('flatSelect() needs a function (match, out) => void or a PatternFlatSelectFunction');
  expect(() => patternStream().select(new OutputTag<string>('t'), {} as never, { select: () => 1 })).toThrow('The timeout function must be a function');
  expect(() => patternStream().select({ select: async () => 1 })).toThrow('The pattern select() function');
});

test('an async timeout function or timeout method is refused when the job is built, as an async select is', () => {
  // Its Promise would be the timed-out partial match's value on the side output (select), or its values would reach the
  // side output whenever the Promise settles (flatSelect).
  const tag = new OutputTag<string>('unpaid');
  expect(() => patternStream().select(tag, (async () => 'late') as never, () => 'paid')).toThrow('The pattern timeout function');
  expect(() => patternStream().select(tag, { timeout: async () => 'late' } as never, { select: () => 'paid' })).toThrow('The pattern timeout function');
  expect(() => patternStream().flatSelect(tag, { timeout: async () => {} }, () => {})).toThrow('The pattern timeout function');
});
