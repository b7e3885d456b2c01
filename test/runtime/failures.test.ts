/**
 * When user code throws, the job fails with a JobExecutionException that names the operator, the
 * subtask and the original message, and keeps the original Error in its cause chain.
 */
import { describe, expect, test } from 'vitest';
import {
  JobExecutionException,
  RichMapFunction,
  StreamExecutionEnvironment,
  UserCodeError,
  WatermarkStrategy,
  type Sink,
  type Source,
} from '../../lib/index.ts';
import { causeChain, rejection } from '../helpers.ts';

function env(p = 1): StreamExecutionEnvironment {
  return StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });
}

function expectAttributed(err: unknown, operator: string, subtask: string, original: Error): void {
  expect(err).toBeInstanceOf(JobExecutionException);
  const message = (err as Error).message;
  expect(message).toContain(`'${operator}'`);
  expect(message).toContain(`(subtask ${subtask})`);
  expect(message).toContain(original.message);
  const chain = causeChain(err);
  expect(chain).toContain(original);
  const user = chain.find((c) => c instanceof UserCodeError) as UserCodeError | undefined;
  expect(user?.operatorName).toBe(operator);
}

describe('user code failures', () => {
  test("a throwing map at parallelism 2 names 'Map', '(subtask 2/2)' and the error", async () => {
    const boom = new Error('boom at 77');
    // fromSequence(1, 100) at parallelism 2: subtask 2/2 reads 51..100; the map is chained to it.
    const err = await rejection(
      env(2)
        .fromSequence(1, 100)
        .map((x) => {
          if (x === 77) throw boom;
          return x;
        })
        .executeAndCollect(),
    );
    expectAttributed(err, 'Map', '2/2', boom);
  });

  test('a name given with .name() is used, for an operator fed through a channel (after keyBy)', async () => {
    const bad = new TypeError('negative amount: -5');
    const err = await rejection(
      env(1)
        .fromElements(3, 4, -5, 6)
        .keyBy((x) => x % 2)
        .map((x) => {
          if (x < 0) throw bad;
          return x;
        })
        .name('Validate amounts')
        .executeAndCollect(),
    );
    expectAttributed(err, 'Validate amounts', '1/1', bad);
    expect((err as Error).message).toContain('TypeError');
  });

  test('a filter chained after a map is blamed, not the map', async () => {
    const oops = new Error('filter exploded');
    const err = await rejection(
      env(1)
        .fromElements(1, 2, 3)
        .map((x) => x * 2)
        .filter((x) => {
          if (x === 4) throw oops;
          return true;
        })
        .executeAndCollect(),
    );
    expectAttributed(err, 'Filter', '1/1', oops);
  });

  test('a throwing open() fails the job, attributed to its operator', async () => {
    const cause = new Error('cannot open resource');
    class FailingOpen extends RichMapFunction<number, number> {
      override open(): void {
        throw cause;
      }
      map(x: number): number {
        return x;
      }
    }
    const err = await rejection(env(1).fromElements(1).map(new FailingOpen()).name('Opener').executeAndCollect());
    expectAttributed(err, 'Opener', '1/1', cause);
  });

  test('a failing source reader fails the job, naming the source', async () => {
    const cause = new Error('source broke');
    const source: Source<number> = {
      boundedness: 'BOUNDED',
      createReader: () => ({
        start() {},
        pollNext(out) {
          out.collect(1);
          throw cause;
        },
        isAvailable: () => Promise.resolve(),
        close() {},
      }),
    };
    const err = await rejection(env(1).fromSource(source, 'Broken Source').executeAndCollect());
    expectAttributed(err, 'Broken Source', '1/1', cause);
  });

  test('a failing sink flush at end of input fails the job', async () => {
    const cause = new Error('disk full');
    const sink: Sink<number> = {
      createWriter: () => ({
        write() {},
        flush(end: boolean) {
          if (end) return Promise.reject(cause);
        },
        close() {},
      }),
    };
    const e = env(1);
    e.fromElements(1, 2).sinkTo(sink, 'Flaky Sink');
    const err = await rejection(e.execute());
    expectAttributed(err, 'Flaky Sink', '1/1', cause);
  });

  test('a non-Error throw still fails the job with its text', async () => {
    const err = await rejection(
      env(1)
        .fromElements(1)
        .map(() => {
          throw 'plain string failure';
        })
        .executeAndCollect(),
    );
    expect(err).toBeInstanceOf(JobExecutionException);
    expect((err as Error).message).toContain('plain string failure');
  });

  test('a failure in one subtask cancels the others (the job settles even with an endless source)', async () => {
    // Subtask 2/2 fails at once; subtask 1/2 reads a source that never ends by itself.
    const endless: Source<number> = {
      boundedness: 'CONTINUOUS_UNBOUNDED',
      createReader: (ctx) => {
        let n = 0;
        return {
          start() {},
          pollNext(out) {
            if (ctx.getIndexOfSubtask() === 1) throw new Error('subtask 2 gave up');
            out.collect(n++);
            return 'MORE_AVAILABLE';
          },
          isAvailable: () => Promise.resolve(),
          close() {},
        };
      },
    };
    const err = await rejection(env(2).fromSource(endless, 'Endless').map((x) => x).executeAndCollect());
    expect((err as Error).message).toContain('subtask 2 gave up');
    expect((err as Error).message).toContain('(subtask 2/2)');
  });
});

describe('error attribution of code run on an output', () => {
  test('a timestamp assigner returning NaN is blamed on the timestamps operator, not the source', async () => {
    const err = await rejection(
      env()
        .fromElements({ ts: 1 }, { ts: Number.NaN })
        .assignTimestampsAndWatermarks(WatermarkStrategy.noWatermarks<{ ts: number }>().withTimestampAssigner((r) => r.ts))
        .executeAndCollect(),
    );
    expect((err as Error).message).toContain('Timestamps/Watermarks');
    expect((err as Error).message).not.toContain("'Collection Source'");
  });

  test('a throwing key selector on a network edge is not blamed on the source', async () => {
    const err = await rejection(
      env(2)
        .fromElements(1, 2, 3)
        .keyBy((x: number): number => {
          if (x === 3) throw new Error('no key for 3');
          return x;
        })
        .reduce((a, b) => a + b)
        .executeAndCollect(),
    );
    expect((err as Error).message).toContain('no key for 3');
    expect((err as Error).message).not.toContain("'Collection Source'");
  });
});
