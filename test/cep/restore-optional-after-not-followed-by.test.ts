/**
 * A user's job: `b notFollowedBy(b) next(a).optional() followedBy(c).oneOrMore()`, checkpointed after
 * each event and restored: it emits what the uninterrupted job emits. (The compiler named two states
 * `s3:1`; the restored partial match that skipped the optional stage landed in the copy without the
 * notFollowedBy stop edge, and a match the negation forbids came out after a restore.)
 */
import { expect, test } from 'vitest';
import { CollectionSource } from '../../connectors/collection/index.ts';
import { StreamExecutionEnvironment, WatermarkStrategy, type Collector } from '../../lib/index.ts';
import { CEP, Pattern } from '../../lib/api/cep/index.ts';
import { KeyedOneInputStreamOperatorTestHarness } from '../../lib/testing/index.ts';

interface Ev {
  readonly key: string;
  readonly letter: string;
  readonly id: number;
}

function harness() {
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const stream = env.fromSource(new CollectionSource<Ev>([]), WatermarkStrategy.noWatermarks<Ev>(), 'events').keyBy((e) => e.key);
  const is = (l: string) => (e: Ev) => e.letter === l;
  const pattern = Pattern.begin<Ev>('s0').where(is('b')).notFollowedBy('s1').where(is('b')).next('s2').where(is('a')).optional().followedBy('s3').where(is('c')).oneOrMore().greedy();
  const out = CEP.pattern(stream, pattern)
    .inProcessingTime()
    .process((m, _ctx, o: Collector<string>) => o.collect(Object.entries(m).map(([k, es]) => `${k}=${es.map((e) => e.id).join(',')}`).join(' ')));
  return KeyedOneInputStreamOperatorTestHarness.forStream<string, Ev, string>(out);
}

test('a pattern with an optional stage after notFollowedBy matches the same with a restore after every event', () => {
  const events: Ev[] = ['b', 'a', 'b', 'c'].map((letter, id) => ({ key: 'k', letter, id }));
  const straight = harness();
  straight.open();
  for (const e of events) straight.processElement(e);
  const expected = straight.extractOutputValues();

  const got: string[] = [];
  let h = harness();
  h.open();
  for (const e of events) {
    h.processElement(e);
    got.push(...h.extractOutputValues());
    const snap = h.snapshot();
    h.close();
    h = harness();
    h.initializeState(snap);
    h.open();
  }
  expect(got).toEqual(expected);
});
