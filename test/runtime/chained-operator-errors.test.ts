/**
 * User-code errors are attributed once, where the chain calls an operator (Flink's
 * ExceptionInChainedOperatorException): the innermost operator that threw is named with its subtask,
 * and the UserCodeError's `input` describes the record that operator was handed. Processing-time
 * timers and mails name the operator that registered them, not the task's head.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { AsyncDataStream, JobExecutionException, MapStateDescriptor, StreamExecutionEnvironment, UserCodeError, WatermarkStrategy, type WatermarkGenerator } from '../../lib/index.ts';
import { causeChain, endlessSource, rejection } from '../helpers.ts';

function env(p = 1): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
}

function blamed(err: unknown): UserCodeError & { input?: string } {
  expect(err).toBeInstanceOf(JobExecutionException);
  const user = causeChain(err).find((c) => c instanceof UserCodeError);
  expect(user).toBeInstanceOf(UserCodeError);
  return user as UserCodeError & { input?: string };
}

describe('the chain attributes an operator error once, with its input', () => {
  test('a chained operator that throws is named, with the record it was handed (not its predecessor\'s input)', async () => {
    const err = await rejection(
      env(1)
        .fromElements(1, 2, 3)
        .map((x) => ({ id: x, tag: `t${x}` }))
        .name('Wrap')
        .filter((r) => {
          if (r.id === 2) throw new Error('bad 2');
          return true;
        })
        .name('Check')
        .map((r) => r.id)
        .executeAndCollect(),
    );
    const user = blamed(err);
    expect(user.operatorName).toBe('Check');
    expect(user.subtaskIndex).toBe(0);
    expect(user.input).toBe("{ id: 2, tag: 't2' }");
    // The message stays as it was: operator, subtask, the error.
    expect((err as Error).message).toContain("Operator 'Check' (subtask 1/1) failed: Error: bad 2");
  });

  test('the head operator of a task fed by channels is named with its input record', async () => {
    const err = await rejection(
      env(1)
        .fromElements('a', 'b', 'c')
        .keyBy((s) => s)
        .map((s) => {
          if (s === 'b') throw new RangeError('no b');
          return s;
        })
        .name('Head')
        .executeAndCollect(),
    );
    const user = blamed(err);
    expect(user.operatorName).toBe('Head');
    expect(user.input).toBe('"b"'); // describeValue quotes strings
  });

  test('property: whichever operator of a chain throws is the one named, and its input is the record it got', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 20 }), async (failing, at) => {
        let s = env(1).fromSequence(1, 20);
        for (let k = 0; k < 4; k++) {
          // Operator k adds 100 to what it gets, and throws at the record that started as `at`.
          s = s
            .map((x: number) => {
              if (k === failing && x === at + 100 * k) throw new Error(`op ${k}`);
              return x + 100;
            })
            .name(`Op${k}`);
        }
        const user = blamed(await rejection(s.executeAndCollect()));
        expect(user.operatorName).toBe(`Op${failing}`);
        expect(user.input).toBe(String(at + 100 * failing));
      }),
      { numRuns: 12 },
    );
  });

  test("a watermark generator's periodic emit is a timer of its operator: its error names that operator, not the source", async () => {
    const generator: WatermarkGenerator<number> = {
      onEvent() {},
      onPeriodicEmit() {
        throw new Error('periodic emit failed');
      },
    };
    const e = env(1);
    e.getConfig().setAutoWatermarkInterval(5);
    const err = await rejection(
      e
        .fromSource(endlessSource(), WatermarkStrategy.noWatermarks<number>(), 'Numbers')
        .map((x) => x)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator(() => generator))
        .name('Stamps')
        .executeAndCollect(),
    );
    const user = blamed(err);
    expect(user.operatorName).toBe('Stamps');
    expect(user.input).toBeUndefined(); // a timer has no input record
  });

  test('an async function that rejects fails the job naming the async operator (its result arrives as a mail of that operator)', async () => {
    const err = await rejection(
      AsyncDataStream.unorderedWait(
        env(1).fromElements(1, 2, 3).map((x) => x).name('Before'),
        async (x: number) => {
          if (x === 2) throw new Error('lookup failed');
          return x;
        },
        '5 s',
      )
        .name('Lookup')
        .executeAndCollect(),
    );
    expect(blamed(err).operatorName).toBe('Lookup');
  });
  test("an interval join's process function that throws is named with the record it was handed (the operator does not attribute it itself)", async () => {
    const e = env(1);
    const left = e.fromElements({ k: 'a', ts: 1 }).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ k: string; ts: number }>().withTimestampAssigner((x) => x.ts));
    const right = e.fromElements({ k: 'a', ts: 2 }).assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ k: string; ts: number }>().withTimestampAssigner((x) => x.ts));
    const err = await rejection(
      left
        .keyBy((x) => x.k)
        .intervalJoin(right.keyBy((x) => x.k))
        .between(-5, 5)
        .process(() => {
          throw new Error('join failed');
        })
        .executeAndCollect(),
    );
    const user = blamed(err);
    expect(user.operatorName).toBe('Interval Join');
    expect(user.input).toMatch(/k: 'a', ts: [12]/);
    expect(user.context.input).toBe(user.input);
  });

  test("a broadcast function that throws is named with the record it was handed, keyed or not", async () => {
    for (const keyed of [false, true]) {
      const e = env(1);
      const rules = e.fromElements('rule').broadcast(new MapStateDescriptor<string, string>('rules') as MapStateDescriptor<unknown, unknown>);
      const events = e.fromElements({ id: 7 });
      const fn = {
        processElement(v: { id: number }) {
          throw new Error(`bad event ${v.id}`);
        },
        processBroadcastElement() {},
      };
      const connected = keyed ? events.keyBy((x) => x.id).connect(rules) : events.connect(rules);
      const err = await rejection((connected as any).process(fn).name('Rules').executeAndCollect());
      const user = blamed(err);
      expect(user.operatorName).toBe('Rules');
      expect(user.input).toContain('id: 7');
    }
  });
});

describe('CEP conditions are attributed by the chain too', () => {
  test("a pattern condition that throws in processing time is named with the record the CEP operator was handed (the operator does not attribute it itself)", async () => {
    const { CEP, Pattern } = await import('../../lib/api/cep/index.ts');
    const pattern = Pattern.begin<{ id: number }>('a').where((e) => {
      if (e.id === 2) throw new Error('condition failed');
      return true;
    });
    const err = await rejection(
      CEP.pattern(env(1).fromElements({ id: 1 }, { id: 2 }), pattern)
        .inProcessingTime()
        .select((m) => m.a[0]!.id)
        .executeAndCollect(),
    );
    const user = blamed(err);
    expect(user.operatorName).toMatch(/CEP|Pattern/i);
    expect(user.input).toBe('{ id: 2 }');
    expect(user.context.input).toBe(user.input);
  });
});

test('a pattern condition that throws in event time (the event runs when the watermark passes it) names the CEP operator, keyed and at the head of a task', async () => {
  const { CEP, Pattern } = await import('../../lib/api/cep/index.ts');
  const pattern = Pattern.begin<{ id: number; ts: number }>('a').where((e) => {
    if (e.id === 2) throw new Error('condition failed');
    return true;
  });
  const input = env(1)
    .fromElements({ id: 1, ts: 1 }, { id: 2, ts: 2 })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ id: number; ts: number }>().withTimestampAssigner((x) => x.ts))
    .keyBy((x) => x.id);
  const err = await rejection(CEP.pattern(input, pattern).select((m) => m.a[0]!.id).name('Matches').executeAndCollect());
  const user = blamed(err);
  expect(user.operatorName).toBe('Matches');
  expect((err as Error).message).toContain('condition failed');
});

test("a sink writer's isAvailable() that rejects fails the job naming the sink (the task attributes an operator's availability, as its finish)", async () => {
  for (const sync of [false, true]) {
    const e = env(1);
    const writer = {
      write() {},
      flush() {},
      close() {},
      isAvailable: (): Promise<void> => {
        if (sync) throw new Error('disk gone (sync)');
        return Promise.reject(new Error('disk gone'));
      },
    };
    e.fromSequence(1, 5).sinkTo({ createWriter: () => writer }).name('Disk');
    const err = await rejection(e.execute());
    const user = blamed(err);
    expect(user.operatorName).toBe('Disk');
    expect((err as Error).message).toContain("Operator 'Disk' (subtask 1/1) failed");
    expect((err as Error).message).toContain('disk gone');
  }
});

test("a sink writer's asynchronous flush that rejects fails the job naming the sink", async () => {
  const e = env(1);
  const writer = {
    write() {},
    flush: (): Promise<void> => Promise.reject(new Error('flush failed')),
    close() {},
  };
  e.fromSequence(1, 5).sinkTo({ createWriter: () => writer }).name('Disk');
  const err = await rejection(e.execute());
  expect(blamed(err).operatorName).toBe('Disk');
  expect((err as Error).message).toContain("Operator 'Disk' (subtask 1/1) failed");
});
