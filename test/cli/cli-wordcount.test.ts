/**
 * The seed word counts, run exactly as a user runs them: `bin/tidemark.mjs run ...` in a child process.
 * Batch: final counts on stdout and in the CSV file. Streaming: a real TCP server feeds the socket
 * source; each word's running counts go to the subtask Flink's key group assignment picks.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, lines, REPO_ROOT, removeTempDirs, runCli, startServer, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

describe('examples/wordcount-batch.ts', () => {
  test('prints the final counts and writes them as CSV', async () => {
    const dir = tempDir();
    const input = join(dir, 'words.txt');
    const output = join(dir, 'out.csv');
    writeFileSync(input, 'hello flink\nhello flink\n');
    const r = await runCli(['run', 'examples/wordcount-batch.ts', '--input', input, '--output', output]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).sort()).toEqual(['(flink,2)', '(hello,2)']);
    expect(lines(readFileSync(output, 'utf8')).sort()).toEqual(['flink,2', 'hello,2']);
  });
});

describe('examples/wordcount-stream.ts over a real TCP socket', () => {
  for (const target of ['inline', 'threads'] as const) {
    test(`-p 4 -t ${target}: exact running counts, each word on Flink's subtask`, async () => {
      const server = await startServer((socket) => socket.end('hello flink\nhello flink\n'));
      try {
        const r = await runCli([
          'run',
          '-p',
          '4',
          '-t',
          target,
          '-D',
          'taskmanager.numberOfTaskSlots=4',
          'examples/wordcount-stream.ts',
          '--host',
          '127.0.0.1',
          '--port',
          String(server.port),
        ]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const out = lines(r.stdout);
        expect([...out].sort()).toEqual(['2> (hello,1)', '2> (hello,2)', '4> (flink,1)', '4> (flink,2)']);
        // Each word keeps one subtask prefix, and its counts arrive in increasing order.
        for (const word of ['hello', 'flink']) {
          const mine = out.filter((l) => l.includes(`(${word},`));
          const prefixes = new Set(mine.map((l) => l.slice(0, l.indexOf('>'))));
          expect(prefixes.size).toBe(1);
          const counts = mine.map((l) => Number(/,(\d+)\)$/.exec(l)?.[1]));
          expect(counts).toEqual([1, 2]);
        }
      } finally {
        await server.close();
      }
    });
  }
});

describe('Ctrl-C', () => {
  for (const target of ['inline', 'threads'] as const) {
    test(`SIGINT cancels a running streaming job (-t ${target}): exit 130, socket released`, async () => {
      // The server sends one line and keeps the connection open: the job would run forever.
      const server = await startServer((socket) => socket.write('tide mark\n'));
      try {
        const connection = server.nextConnection();
        const child = spawn(
          process.execPath,
          [BIN, 'run', '-p', '2', '-t', target, '-D', 'taskmanager.numberOfTaskSlots=2', 'examples/wordcount-stream.ts', '--port', String(server.port)],
          { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        // Wait until both words were counted, then interrupt.
        await new Promise<void>((resolve) => {
          child.stdout.on('data', (d: Buffer) => {
            stdout += d.toString();
            if (stdout.includes('(tide,1)') && stdout.includes('(mark,1)')) resolve();
          });
        });
        child.kill('SIGINT');
        const code = await exited;
        expect(code).toBe(130); // canceled, not finished: 128 + SIGINT, as a shell reports it
        expect(stderr).toContain('canceling the job');
        expect(stderr).toContain('Job canceled.');
        expect(stderr).not.toContain('    at ');
        const socket = await connection;
        if (!socket.closed) await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      } finally {
        await server.close();
      }
    });
  }
});
