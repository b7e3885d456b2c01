/**
 * socketTextStream against real TCP servers on 127.0.0.1: record splitting (custom delimiters,
 * records split across TCP segments, CRLF), the end of the stream when the server closes, a
 * refused connection, and executeAndCollect(limit) on a stream that never ends.
 */
import { describe, expect, test } from 'vitest';
import { JobExecutionException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { causeChain, closedPort, rejection, startServer } from '../helpers.ts';

const env = (): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2 });

describe('socketTextStream', () => {
  test('splits on a custom delimiter, keeps empty records and emits the unterminated rest at the end', async () => {
    const server = await startServer((s) => s.end('alpha;beta;;gamma;delta'));
    try {
      const out = await env().socketTextStream('127.0.0.1', server.port, ';').executeAndCollect();
      // Flink's SocketTextStreamFunction: every delimited record (even empty), then the rest.
      expect(out).toEqual(['alpha', 'beta', '', 'gamma', 'delta']);
    } finally {
      await server.close();
    }
  });

  test('a multi-character delimiter', async () => {
    const server = await startServer((s) => s.end('a||b|c||d||'));
    try {
      const out = await env().socketTextStream('127.0.0.1', server.port, '||').executeAndCollect();
      expect(out).toEqual(['a', 'b|c', 'd']);
    } finally {
      await server.close();
    }
  });

  test('a record split across two TCP writes is emitted once, whole (also inside a UTF-8 character)', async () => {
    let sawFirst!: () => void;
    const firstSeen = new Promise<void>((r) => (sawFirst = r));
    const server = await startServer((socket) => {
      socket.setNoDelay(true);
      // 'é' is 0xC3 0xA9: the first write ends in the middle of it.
      socket.write(Buffer.concat([Buffer.from('first\nh'), Buffer.from([0xc3])]));
      // The second half goes out only after the job has processed 'first', so it cannot be in
      // the same chunk as the first line's delimiter.
      void firstSeen.then(() => socket.end(Buffer.concat([Buffer.from([0xa9]), Buffer.from('llo world\nlast\n')])));
    });
    try {
      const out = await env()
        .socketTextStream('127.0.0.1', server.port)
        .map((line) => {
          if (line === 'first') sawFirst();
          return line;
        })
        .executeAndCollect();
      expect(out).toEqual(['first', 'héllo world', 'last']);
    } finally {
      await server.close();
    }
  });

  test('CRLF line endings are stripped with the default delimiter', async () => {
    const server = await startServer((s) => s.end('one\r\ntwo\r\n\r\nthree\n'));
    try {
      const out = await env().socketTextStream('127.0.0.1', server.port).executeAndCollect();
      expect(out).toEqual(['one', 'two', '', 'three']);
    } finally {
      await server.close();
    }
  });

  test('the stream ends when the server closes the connection; a large payload arrives whole and in order', async () => {
    // More lines than the reader buffers before it pauses the socket (flow control to the sender).
    const payload = Array.from({ length: 60_000 }, (_, i) => `line-${i}`);
    const server = await startServer((s) => s.end(payload.join('\n') + '\n'));
    try {
      const out = await env()
        .socketTextStream('127.0.0.1', server.port)
        .map((l) => Number(l.slice(5)))
        .executeAndCollect();
      expect(out).toEqual(payload.map((_, i) => i));
    } finally {
      await server.close();
    }
  });

  test('a refused connection fails the job with a JobExecutionException naming host:port', async () => {
    const port = await closedPort();
    const err = await rejection(env().socketTextStream('127.0.0.1', port).executeAndCollect());
    expect(err).toBeInstanceOf(JobExecutionException);
    const message = (err as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).toContain('connection refused');
    expect(causeChain(err).some((c) => c instanceof Error && c.name === 'SocketSourceError')).toBe(true);
  });

  test('executeAndCollect(limit) returns after limit records of an unbounded stream and releases the socket', async () => {
    const server = await startServer((socket) => {
      // Never ends: 200 lines, connection kept open.
      socket.write(Array.from({ length: 200 }, (_, i) => `r${i}\n`).join(''));
    });
    try {
      const connection = server.nextConnection();
      const out = await env().socketTextStream('127.0.0.1', server.port).executeAndCollect(5);
      expect(out).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      // Canceling the job closed the client side of the connection (else this waits until the test times out).
      const socket = await connection;
      if (!socket.closed) await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    } finally {
      await server.close();
    }
  });
});
