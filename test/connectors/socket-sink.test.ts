/**
 * DataStream.writeToSocket (Flink's SocketClientSink) against real TCP servers on 127.0.0.1: every record's
 * bytes arrive (one connection per subtask, half-closed at the end); a refused connection, or a server that
 * closes the connection, fails the job — it never ends as if it had delivered.
 */
import type { Socket } from 'node:net';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { JobExecutionException, RestartStrategies, StreamExecutionEnvironment } from '../../lib/index.ts';
import { SocketSinkError } from '../../connectors/socket/index.ts';
import { causeChain, closedPort, hasCompletedCheckpoint, rejection, removeTempDirs, startServer, tempDir } from '../helpers.ts';
import { SlowSequence } from '../fixtures/slow-sequence-source.ts';

afterAll(removeTempDirs);

const env = (p: number): StreamExecutionEnvironment => StreamExecutionEnvironment.create({ 'parallelism.default': p, 'taskmanager.numberOfTaskSlots': 4 });

/** A server that keeps what each connection sent, and whether that connection ended cleanly. */
async function collectingServer() {
  const received: Array<{ data: string; ended: boolean }> = [];
  const server = await startServer((s: Socket) => {
    const entry = { data: '', ended: false };
    received.push(entry);
    s.setEncoding('utf8');
    s.on('data', (d: string) => (entry.data += d));
    s.on('end', () => {
      entry.ended = true;
      s.end();
    });
  });
  return { ...server, received };
}


const sinkError = (error: unknown): Error | undefined => causeChain(error).find((c) => c instanceof SocketSinkError) as Error | undefined;

describe('writeToSocket', () => {
  for (const p of [1, 3]) {
    test(`every record arrives, one connection per subtask, closed cleanly at the end (p=${p})`, async () => {
      const server = await collectingServer();
      try {
        const n = 20_000;
        const e = env(p);
        e.fromSequence(1, n).writeToSocket('127.0.0.1', server.port, (x: number) => `${x}\n`);
        await e.execute('to socket');
        expect(server.received).toHaveLength(p);
        for (const r of server.received) expect(r.ended).toBe(true);
        const lines = server.received.flatMap((r) => r.data.split('\n').filter((l) => l !== '')).map(Number);
        expect(lines.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      } finally {
        await server.close();
      }
    });
  }

  test('at least once across a failure and restore from a checkpoint: every record arrives, none lost', async () => {
    const server = await collectingServer();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const n = 20_000;
      const checkpoints = tempDir();
      const e = StreamExecutionEnvironment.create({ 'parallelism.default': 2, 'taskmanager.numberOfTaskSlots': 4, 'state.checkpoints.dir': checkpoints });
      e.enableCheckpointing(10);
      e.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
      let failOnce = true;
      e.fromSource(new SlowSequence(1, n), 'slow')
        .uid('slow')
        .map((x: number) => {
          // Past the middle, and only once a checkpoint completed (under load the first one can come late).
          if (x >= 10_000 && failOnce && hasCompletedCheckpoint(checkpoints)) {
            failOnce = false;
            throw new Error('injected failure');
          }
          return x;
        })
        .writeToSocket('127.0.0.1', server.port, (x: number) => `${x}\n`);
      await e.execute('to socket across a failure');
      expect(failOnce).toBe(false);
      expect(warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Restarting'))[0]).toMatch(/from checkpoint \d+/);
      const lines = server.received.flatMap((r) => r.data.split('\n').filter((l) => l !== '')).map(Number);
      expect(new Set(lines)).toEqual(new Set(Array.from({ length: n }, (_, i) => i + 1)));
      expect(server.received.length).toBe(4); // two attempts of two subtasks
    } finally {
      warn.mockRestore();
      await server.close();
    }
  });

  test('a SerializationSchema object and Uint8Array bytes work too', async () => {
    const server = await collectingServer();
    try {
      const e = env(1);
      e.fromElements('x', 'y').writeToSocket('127.0.0.1', server.port, { serialize: (s: string) => new TextEncoder().encode(`<${s}>`) });
      await e.execute();
      expect(server.received.map((r) => r.data)).toEqual(['<x><y>']);
    } finally {
      await server.close();
    }
  });

  test('a refused connection fails the job with a SocketSinkError', async () => {
    const port = await closedPort();
    const e = env(1);
    e.fromElements('a').writeToSocket('127.0.0.1', port, (s: string) => s);
    const error = await rejection(e.execute());
    expect(error).toBeInstanceOf(JobExecutionException);
    expect(sinkError(error)?.message).toMatch(new RegExp(`socket 127\\.0\\.0\\.1:${port}\\): could not connect: connection refused`));
  });

  test('a server that closes the connection fails the job, also when it closes before anything is written', async () => {
    for (const closeAfterBytes of [0, 1_000]) {
      let got = 0;
      const server = await startServer((s: Socket) => {
        if (closeAfterBytes === 0) s.destroy();
        else
          s.on('data', (d: Buffer) => {
            got += d.length;
            if (got >= closeAfterBytes) s.destroy();
          });
      });
      try {
        const e = env(1);
        // Slow enough that the close is seen while the job runs: 256 records per 10 ms.
        e.fromSource(new SlowSequence(1, 20_000), 'slow')
          .writeToSocket('127.0.0.1', server.port, (x: number) => `${x}\n`);
        const error = await rejection(e.execute());
        expect(error).toBeInstanceOf(JobExecutionException);
        expect(sinkError(error)?.message).toMatch(/the other side closed the connection|the connection (failed|closed)|writing failed/);
      } finally {
        await server.close();
      }
    }
  });
});
