/**
 * Task lifecycle on failure and cancel — every operator and source reader is closed exactly
 * once, whether the task finished, failed, or was canceled (also while starting or finishing).
 */
import { describe, expect, test } from 'vitest';
import type { Socket } from 'node:net';
import { RichMapFunction, StreamExecutionEnvironment, type Sink, type Source } from '../../lib/index.ts';
import { rejection, startServer } from '../helpers.ts';

const env = (p = 1): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

/** Resolves true when the peer closes `socket` within `ms`, false otherwise. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    socket.once('end', done);
    socket.once('close', done);
  });
}

describe('resources are released when a job fails', () => {
  test('a failing map chained to a socket source closes the socket (the job failed, the connection must not stay open)', async () => {
    const server = await startServer((s) => s.write('a\nb\n')); // keeps the connection open
    try {
      const conn = server.nextConnection();
      const err = await rejection(
        env()
          .socketTextStream('127.0.0.1', server.port)
          .map((l) => {
            if (l === 'b') throw new Error('bad line');
            return l;
          })
          .executeAndCollect(),
      );
      expect((err as Error).message).toContain('bad line');
      expect(await closedWithin(await conn, 1000)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('RichFunction.close() is called when the task fails (as Flink does)', async () => {
    const events: string[] = [];
    class Mapper extends RichMapFunction<number, number> {
      override open(): void {
        events.push('open');
      }
      map(x: number): number {
        if (x === 2) throw new Error('boom');
        return x;
      }
      override close(): void {
        events.push('close');
      }
    }
    await rejection(env().fromElements(1, 2, 3).map(new Mapper()).executeAndCollect());
    expect(events).toEqual(['open', 'close']);
  });
});

describe('resources are released when a job is canceled', () => {
  test('cancel while the socket source is still connecting closes the connection', async () => {
    const server = await startServer(); // accepts, never writes, never closes
    try {
      const e = env();
      e.socketTextStream('127.0.0.1', server.port).sinkTo({ createWriter: () => ({ write() {}, flush() {}, close() {} }) });
      const client = await e.executeAsync('cancel while connecting');
      await client.cancel();
      await expect(client.getJobExecutionResult()).rejects.toThrow(/was canceled/);
      // Destroyed while connecting, the socket may never reach the server; if it did, it is closed.
      const conn = await Promise.race([server.nextConnection(), new Promise<null>((r) => setTimeout(() => r(null), 500))]);
      if (conn !== null) expect(await closedWithin(conn, 1000)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('a job that fails at start-up (a sink in another task) closes the socket its source opened', async () => {
    const server = await startServer();
    try {
      const e = env();
      const failingSink: Sink<string> = {
        createWriter() {
          throw new Error('cannot open sink');
        },
      };
      e.socketTextStream('127.0.0.1', server.port).rebalance().sinkTo(failingSink).setParallelism(2);
      const err = await rejection(e.execute('fails at start'));
      expect((err as Error).message).toContain('cannot open sink');
      const conn = await Promise.race([server.nextConnection(), new Promise<null>((r) => setTimeout(() => r(null), 500))]);
      if (conn !== null) expect(await closedWithin(conn, 1000)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('cancel while a sink is finishing closes the writer once and never after close', async () => {
    const calls: string[] = [];
    let finishing!: () => void;
    const inFinish = new Promise<void>((r) => (finishing = r));
    const sink: Sink<number> = {
      createWriter: () => ({
        write() {},
        flush(endOfInput: boolean) {
          if (!endOfInput) return;
          calls.push('flush(end)');
          finishing();
          return new Promise<void>((r) => setTimeout(r, 200));
        },
        close() {
          calls.push('close');
        },
      }),
    };
    const e = env();
    e.fromElements(1, 2, 3).sinkTo(sink);
    const client = await e.executeAsync('cancel while finishing');
    await inFinish;
    await client.cancel();
    await client.getJobExecutionResult().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300)); // let the finishing flush complete
    expect({ calls, status: client.getJobStatus() }).toEqual({ calls: ['flush(end)', 'close'], status: 'CANCELED' });
  });
});

describe('a SourceReader.start() that throws', () => {
  test('a synchronous throw in start() names the source operator', async () => {
    const source: Source<number> = {
      boundedness: 'BOUNDED',
      createReader: () => ({
        start() {
          throw new Error('no credentials');
        },
        pollNext: () => 'END_OF_INPUT',
        isAvailable: () => Promise.resolve(),
        close() {},
      }),
    };
    const err = await rejection(env().fromSource(source, 'My Source').executeAndCollect());
    expect((err as Error).message).toContain("'My Source'");
  });
});
