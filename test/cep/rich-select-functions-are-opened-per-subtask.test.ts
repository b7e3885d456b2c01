/**
 * A PatternSelectFunction / PatternFlatSelectFunction / PatternTimeoutFunction object that is rich (Flink's
 * RichPatternSelectFunction & co.) is opened with its runtime context before the first match and closed at the
 * end, as Flink's PatternSelectAdapter does; and each parallel subtask has its own copy of it, fields included.
 * It was called from a closure: getRuntimeContext() threw, open() never ran, and all subtasks shared one object.
 */
import { expect, test } from 'vitest';
import { CollectionSource } from '../../connectors/collection/index.ts';
import { AbstractRichFunction, OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type Collector } from '../../lib/index.ts';
import { CEP, Pattern, type Match, type PatternFlatSelectFunction, type PatternSelectFunction, type PatternTimeoutFunction } from '../../lib/api/cep/index.ts';

interface Ev {
  readonly user: number;
  readonly type: 'order' | 'pay';
  readonly ts: number;
}
type Names = 'order' | 'pay';

// Users 0..19 order; even users pay, odd ones never do.
const events: Ev[] = [];
for (let u = 0; u < 20; u++) events.push({ user: u, type: 'order', ts: 1_000 + u });
for (let u = 0; u < 20; u += 2) events.push({ user: u, type: 'pay', ts: 2_000 + u });

function patternStream() {
  const env = StreamExecutionEnvironment.create();
  env.setParallelism(2);
  const stream = env.fromSource(new CollectionSource(events), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), 'events');
  const orderThenPay = Pattern.begin<Ev, 'order'>('order').where((e) => e.type === 'order').followedBy('pay').where((e) => e.type === 'pay').within('10 s');
  return CEP.pattern(stream.keyBy((e) => e.user), orderThenPay);
}

/** Numbers its outputs per subtask: `subtask:n` with n counted in a field of this subtask's copy. */
class Numbered extends AbstractRichFunction {
  protected subtask = -1;
  protected n = 0;
  override open(): void {
    this.subtask = this.getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
  }
  protected next(): string {
    return `${this.subtask}:${++this.n}`;
  }
}

/** Per subtask, its outputs are numbered 1..k: none skipped by another subtask's count, none numbered twice. */
function expectNumberedPerSubtask(values: string[], total: number): void {
  expect(values).toHaveLength(total);
  const bySubtask = new Map<string, number[]>();
  for (const v of values) {
    const [s, n] = v.split(':');
    expect(s === '0' || s === '1', v).toBe(true);
    (bySubtask.get(s!) ?? bySubtask.set(s!, []).get(s!)!).push(Number(n));
  }
  for (const ns of bySubtask.values()) expect(ns.sort((a, b) => a - b)).toEqual(ns.map((_, i) => i + 1));
}

test('a rich select object: opened with its subtask runtime context, its own copy per subtask', async () => {
  class Sel extends Numbered implements PatternSelectFunction<Ev, Names, string> {
    select(_m: Match<Ev, Names>): string {
      return this.next();
    }
  }
  expectNumberedPerSubtask(await patternStream().select(new Sel()).executeAndCollect(), 10);
});

test('a rich flatSelect object and a rich timeout object, with a timeout tag', async () => {
  class Flat extends Numbered implements PatternFlatSelectFunction<Ev, Names, string> {
    flatSelect(_m: Match<Ev, Names>, out: Collector<string>): void {
      out.collect(this.next());
    }
  }
  class Timeout extends Numbered implements PatternTimeoutFunction<Ev, Names, string> {
    timeout(_m: Match<Ev, Names>, _ts: number): string {
      return this.next();
    }
  }
  const tag = new OutputTag<string>('unpaid');
  const main = patternStream().select(tag, new Timeout(), { select: () => 'paid' });
  const side: string[] = [];
  main.getSideOutput(tag).toObservable().subscribe((v) => side.push(v));
  expect(await main.executeAndCollect()).toHaveLength(10);
  expectNumberedPerSubtask(side, 10);
  expectNumberedPerSubtask(await patternStream().flatSelect(new Flat()).executeAndCollect(), 10);
});

test('close() of a rich select object runs at the end of the job', async () => {
  const closed: string[] = [];
  class Sel extends Numbered implements PatternSelectFunction<Ev, Names, string> {
    select(): string {
      return this.next();
    }
    override close(): void {
      closed.push(`${this.subtask}:${this.n}`);
    }
  }
  const out = await patternStream().select(new Sel()).executeAndCollect();
  expect(closed.map((c) => Number(c.split(':')[1])).reduce((a, b) => a + b, 0)).toBe(out.length);
});
