/**
 * socketTextStream's maxRetry (Flink's SocketTextStreamFunction) against real TCP servers on 127.0.0.1: 0 never
 * reconnects, n reconnects n times 500 ms apart after the server closed, reset or refused the connection, -1
 * forever; with none left a close ends the stream and a failure fails the job.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from 'vitest';
import { JobExecutionException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { SocketSourceError } from '../../connectors/socket/index.ts';
import { causeChain, closedPort, rejection, startServer } from '../helpers.ts';

const env = (): StreamExecutionEnvironment => StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2 });

/** A server whose n-th connection (0-based) gets `script[n]`; later ones get nothing and are closed. */
async function scriptedServer(script: ReadonlyArray<(s: Socket) => void>): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = await startServer((s) => {
    const step = script[n++];
    if (step) step(s);
    else s.end();
  });
  return { port: server.port, connections: () => n, close: server.close };
}

let warn: MockInstance;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());
const retryWarnings = (): string[] => warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Reconnecting in 500 ms'));

describe('socketTextStream maxRetry', () => {
  const script = [(s: Socket) => s.end('a\nb\n'), (s: Socket) => s.end('c\n'), (s: Socket) => s.end('d\n')];

  test('0 (the default): the stream ends when the server closes the connection', async () => {
    const server = await scriptedServer(script);
    try {
      expect(await env().socketTextStream('127.0.0.1', server.port, '\n').executeAndCollect()).toEqual(['a', 'b']);
      expect(server.connections()).toBe(1);
      expect(retryWarnings()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  test('n: reconnects n times after the server closed, then ends', async () => {
    const server = await scriptedServer(script);
    try {
      const started = Date.now();
      expect(await env().socketTextStream('127.0.0.1', server.port, '\n', 2).executeAndCollect()).toEqual(['a', 'b', 'c', 'd']);
      expect(server.connections()).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // 2 × 500 ms between connections
      expect(retryWarnings()).toHaveLength(2);
      expect(retryWarnings()[0]).toContain(`127.0.0.1:${server.port}: the server closed the connection`);
    } finally {
      await server.close();
    }
  });

  test('a reset connection is retried too, and the lines before it are kept', async () => {
    const server = await scriptedServer([(s) => s.write('a\n', () => setTimeout(() => s.resetAndDestroy(), 50)), (s) => s.end('b\n')]);
    try {
      expect(await env().socketTextStream('127.0.0.1', server.port, '\n', { maxRetry: 1 }).executeAndCollect()).toEqual(['a', 'b']);
      expect(retryWarnings()).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  test('-1: a server that is down at first is waited for', async () => {
    const port = await closedPort();
    let server: Server | undefined;
    const later = setTimeout(() => {
      server = createServer((s) => s.end('x\ny\n'));
      server.listen(port, '127.0.0.1');
    }, 1_200);
    try {
      // The stream never ends (forever): take the first two records.
      expect(await env().socketTextStream('127.0.0.1', port, '\n', -1).executeAndCollect(2)).toEqual(['x', 'y']);
      expect(retryWarnings().length).toBeGreaterThanOrEqual(2);
      expect(retryWarnings()[0]).toContain('retrying forever');
    } finally {
      clearTimeout(later);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  });

  test('retries used up on a refused connection: the job fails with a SocketSourceError', async () => {
    const port = await closedPort();
    const error = await rejection(env().socketTextStream('127.0.0.1', port, '\n', 2).executeAndCollect());
    expect(error).toBeInstanceOf(JobExecutionException);
    const cause = causeChain(error).find((c) => c instanceof SocketSourceError) as Error | undefined;
    expect(cause?.message).toContain(`Could not connect to socket 127.0.0.1:${port}: connection refused`);
    expect(cause?.message).toContain('gave up after 2 reconnects 500 ms apart (maxRetry 2)');
    expect(retryWarnings()).toHaveLength(2);
  });

  test('retries used up after the server went away for good: the job fails saying the reconnects were used up', async () => {
    // The first connection gets a line, then the server closes it and stops listening: the reconnect is refused.
    let stop = (): void => {};
    const server = await scriptedServer([(s) => s.end('a\n', () => stop())]);
    stop = () => void server.close();
    const port = server.port;
    const error = await rejection(env().socketTextStream('127.0.0.1', port, '\n', 1).executeAndCollect());
    expect(server.connections()).toBe(1);
    const cause = causeChain(error).find((c) => c instanceof SocketSourceError) as Error | undefined;
    expect(cause?.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*connection refused.*gave up after 1 reconnect 500 ms apart \\(maxRetry 1\\)`));
  });

  test('maxRetry must be an integer >= -1', () => {
    expect(() => env().socketTextStream('127.0.0.1', 1, '\n', -2)).toThrow(/maxRetry must be an integer >= -1/);
  });
});
