/**
 * An `async` map, filter, flatMap or process function is a mistake the types do not always catch (a
 * map to Promise<T> type-checks): the Promise would travel on as a record (printed as `{}`), pass every
 * filter, or collect its output after the record was done with. The job fails at the first record,
 * naming the operator and pointing to AsyncDataStream, instead.
 */
import { describe, expect, test } from 'vitest';
import {
  AsyncFunctionResultError,
  JobExecutionException,
  StreamExecutionEnvironment,
  UserCodeError,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type ProcessContext,
} from '../../lib/index.ts';
import { causeChain, rejection } from '../helpers.ts';

const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** What a case builds: a stream to run. */
type Runnable = { executeAndCollect(): Promise<unknown[]> };

const CASES: Array<[string, (s: DataStream<number>) => Runnable, string]> = [
  ['map', (s) => s.map(async (x: number) => x * 2).name('Doubler'), 'map()'],
  ['filter', (s) => s.filter((async (x: number) => x > 1) as unknown as (x: number) => boolean).name('Big'), 'filter()'],
  [
    'flatMap',
    (s) =>
      s.flatMap((async (x: number, out: Collector<number>) => {
        await later();
        out.collect(x);
      }) as unknown as (x: number, out: Collector<number>) => void).name('Later'),
    'flatMap()',
  ],
  [
    'process',
    (s) =>
      s.process({
        processElement: (async (x: number, _ctx: ProcessContext, out: Collector<number>) => {
          await later();
          out.collect(x);
        }) as unknown as (x: number, ctx: ProcessContext, out: Collector<number>) => void,
      } as never).name('Proc'),
    'ProcessFunction.processElement()',
  ],
  [
    'keyed process',
    (s) =>
      s.keyBy((x: number) => x % 2).process({
        processElement: (async (x: number, _ctx: KeyedProcessContext<number>, out: Collector<number>) => {
          await later();
          out.collect(x);
        }) as unknown as (x: number, ctx: KeyedProcessContext<number>, out: Collector<number>) => void,
      } as never).name('KeyedProc'),
    'KeyedProcessFunction.processElement()',
  ],
];

describe('an async function where a synchronous one is called', () => {
  test.each(CASES)('%s: the job fails at the first record naming the operator and AsyncDataStream', async (_kind, build, fn) => {
    const env = StreamExecutionEnvironment.create();
    const e = await rejection(build(env.fromElements(1, 2, 3)).executeAndCollect());
    const chain = causeChain(e);
    const user = chain.find((c) => c instanceof UserCodeError) as UserCodeError | undefined;
    const cause = chain.find((c) => c instanceof AsyncFunctionResultError) as AsyncFunctionResultError | undefined;
    expect(cause?.functionName).toBe(fn);
    expect(cause?.message).toContain('AsyncDataStream');
    expect(user?.message).toMatch(/Doubler|Big|Later|Proc|KeyedProc/);
  });

  test('synchronous functions whose results are objects, and a filter returning truthy values, still run', async () => {
    const env = StreamExecutionEnvironment.create();
    const out = await env
      .fromElements(1, 2, 3)
      .map((x: number) => ({ x, next: x + 1 }))
      .filter(((r: { x: number }) => r.x - 1) as unknown as (r: { x: number }) => boolean) // 0 is falsy, as in Array.filter
      .executeAndCollect();
    expect(out).toEqual([{ x: 2, next: 3 }, { x: 3, next: 4 }]);
  });

  test('a map refused when its operator is built fails the job as any other failure: execute() rejects with a JobExecutionException naming the job', async () => {
    const env = StreamExecutionEnvironment.create();
    env.fromElements(1, 2).map(async (x: number) => x).name('Doubler').print();
    const e = await rejection(env.execute('built'));
    expect(e).toBeInstanceOf(JobExecutionException);
    expect((e as Error).message).toContain("Job 'built'");
    expect(causeChain(e).some((c) => c instanceof AsyncFunctionResultError)).toBe(true);
  });
});
