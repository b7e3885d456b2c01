/**
 * A CEP operator without a late side output drops records behind the watermark: they were already
 * counted (`<operator>.numLateRecordsDropped`); now the first drop of each subtask is also logged on
 * stderr with its timestamp and the watermark, as the window operators do.
 */
import { afterEach, expect, test, vi } from 'vitest';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { CEP, Pattern } from '../../lib/api/cep/index.ts';
import { punctuatedWatermarks } from '../helpers.ts';

type Ev = { key: string; type: string; ts: number };

afterEach(() => {
  vi.restoreAllMocks();
});

test('the first late record dropped is logged once; all are counted', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const env = StreamExecutionEnvironment.create({ 'parallelism.default': 1 });
  const evs: Ev[] = [
    { key: 'k', type: 'a', ts: 1 },
    { key: 'k', type: 'b', ts: 10 },
    { key: 'k', type: 'a', ts: 3 }, // late: the watermark is 10
    { key: 'k', type: 'a', ts: 4 }, // late
  ];
  const events = env.fromCollection(evs).assignTimestampsAndWatermarks(punctuatedWatermarks<Ev>(0));
  const pattern = Pattern.begin<Ev>('a').where((e) => e.type === 'a').followedBy('b').where((e) => e.type === 'b');
  const matches = CEP.pattern(events.keyBy((e) => e.key), pattern)
    .select((m) => `${m.a![0]!.ts}-${m.b![0]!.ts}`)
    .name('cards');
  const out: string[] = [];
  matches.toObservable().subscribe((m) => out.push(m));
  const result = await env.execute();
  expect(out).toEqual(['1-10']);
  expect(result.getAccumulatorResult('cards.numLateRecordsDropped')).toBe(2);
  expect(warn).toHaveBeenCalledTimes(1);
  const text = String(warn.mock.calls[0]![0]);
  expect(text).toContain("Operator 'cards' (subtask 1/1) dropped a late record with timestamp 3 ");
  expect(text).toContain('watermark 10 ');
});
