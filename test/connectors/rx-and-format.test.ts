/** RxJS interop (fromObservable / toObservable) and how records print (Flink tuple style, subtask prefixes). */
import { describe, expect, test, vi } from 'vitest';
import { from, Observable, lastValueFrom, toArray, throwError, concat, of } from 'rxjs';
import { formatRecord, JobExecutionException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { causeChain, rejection } from '../helpers.ts';

const env = (p = 1): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

describe('RxJS interop', () => {
  test('fromObservable emits the values in order and ends when the Observable completes', async () => {
    const values = Array.from({ length: 3000 }, (_, i) => i);
    const out = await env(1).fromObservable(from(values)).map((x) => x * 2).executeAndCollect();
    expect(out).toEqual(values.map((x) => x * 2));
  });

  test('values pushed asynchronously arrive too', async () => {
    const source = new Observable<string>((subscriber) => {
      let i = 0;
      const tick = (): void => {
        if (i === 5) return subscriber.complete();
        subscriber.next(`v${i++}`);
        setImmediate(tick);
      };
      setImmediate(tick);
    });
    expect(await env(1).fromObservable(source).executeAndCollect()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  test('an Observable error fails the job, with the error in the cause chain', async () => {
    const cause = new Error('upstream broke');
    const err = await rejection(env(1).fromObservable(concat(of(1, 2), throwError(() => cause))).executeAndCollect());
    expect(err).toBeInstanceOf(JobExecutionException);
    expect(causeChain(err)).toContain(cause);
  });

  test('toObservable emits the records of a running job and completes when it ends', async () => {
    const e = env(2);
    const observable = e.fromSequence(1, 500).map((x) => x * x).toObservable();
    const collected = lastValueFrom(observable.pipe(toArray()));
    await e.execute();
    const values = await collected;
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => (i + 1) * (i + 1)));
  });

  test('toObservable errors when the job fails', async () => {
    const e = env(1);
    const observable = e
      .fromElements(1, 2)
      .map((x) => {
        if (x === 2) throw new Error('nope');
        return x;
      })
      .toObservable();
    const collected = lastValueFrom(observable.pipe(toArray()));
    collected.catch(() => undefined);
    await rejection(e.execute());
    const err = await rejection(collected);
    expect((err as Error).message).toContain('nope');
  });
});

describe('toObservable when the job is refused', () => {
  test('errors when the job is refused at submission (not enough slots) instead of never settling', async () => {
    const e = StreamExecutionEnvironment.create({ 'parallelism.default': 8, 'taskmanager.numberOfTaskSlots': 2 });
    const all = lastValueFrom(e.fromSequence(1, 10).toObservable().pipe(toArray()));
    await rejection(e.execute('too wide'));
    const settled = await Promise.race([
      all.then(
        () => 'completed',
        () => 'errored',
      ),
      new Promise((r) => setTimeout(() => r('never settled'), 500)),
    ]);
    expect(settled).toBe('errored');
  });
});

describe('formatRecord', () => {
  test('tuples print as (a,b), nested; strings as they are; objects as JSON', () => {
    expect(formatRecord(['hello', 2])).toBe('(hello,2)');
    expect(formatRecord(['k', ['x', 1], true])).toBe('(k,(x,1),true)');
    expect(formatRecord('plain text')).toBe('plain text');
    expect(formatRecord({ a: 1, b: 'x' })).toBe('{"a":1,"b":"x"}');
    expect(formatRecord(new Map([['a', 1]]))).toBe('{"a":1}');
    expect(formatRecord(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(formatRecord(null)).toBe('null');
    expect(formatRecord(10n)).toBe('10');
    expect(formatRecord({ n: 10n })).toBe('{"n":"10"}');
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      toString(): string {
        return `Point(${this.x}, ${this.y})`;
      }
    }
    expect(formatRecord(new Point(1, 2))).toBe('Point(1, 2)');
  });
});

describe('print()', () => {
  /** Runs `job` while capturing what it writes to the given stream. */
  async function capture(stream: NodeJS.WriteStream, job: () => Promise<unknown>): Promise<string[]> {
    const chunks: string[] = [];
    const spy = vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    });
    try {
      await job();
    } finally {
      spy.mockRestore();
    }
    return chunks.join('').split('\n').filter((l) => l !== '');
  }

  test('parallelism 1: no prefix; an identifier adds `id> `', async () => {
    const plain = await capture(process.stdout, async () => {
      const e = env(1);
      e.fromElements<[string, number]>(['a', 1], ['b', 2]).print();
      await e.execute();
    });
    expect(plain).toEqual(['(a,1)', '(b,2)']);
    const named = await capture(process.stdout, async () => {
      const e = env(1);
      e.fromElements('x').print('counts');
      await e.execute();
    });
    expect(named).toEqual(['counts> x']);
  });

  test('parallelism 2: the 1-based subtask prefixes each line (`id:2> ` with an identifier)', async () => {
    // fromSequence(1, 4) at parallelism 2: subtask 1 prints 1, 2; subtask 2 prints 3, 4.
    const out = await capture(process.stdout, async () => {
      const e = env(2);
      e.fromSequence(1, 4).print();
      await e.execute();
    });
    expect([...out].sort()).toEqual(['1> 1', '1> 2', '2> 3', '2> 4']);
    const named = await capture(process.stdout, async () => {
      const e = env(2);
      e.fromSequence(1, 4).print('n');
      await e.execute();
    });
    expect([...named].sort()).toEqual(['n:1> 1', 'n:1> 2', 'n:2> 3', 'n:2> 4']);
  });

  test('printToErr writes to stderr', async () => {
    const err = await capture(process.stderr, async () => {
      const e = env(1);
      e.fromElements('oops').printToErr();
      await e.execute();
    });
    expect(err).toEqual(['oops']);
  });
});
