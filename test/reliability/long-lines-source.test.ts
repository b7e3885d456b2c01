/**
 * Lines without a delimiter in the file and socket sources: a long unfinished line is read in linear
 * work (not re-split on every chunk), and a line over the line length limit fails the job with an
 * error naming the source and where the line starts. Work is counted, never timed.
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobExecutionException, StreamExecutionEnvironment } from '../../lib/index.ts';
import { DEFAULT_LINE_LENGTH_LIMIT, LineTooLongError } from '../../connectors/file/index.ts';
import { LineSplitter } from '../../connectors/file/lines.ts';
import { causeChain, rejection, removeTempDirs, startServer, TaggingSink, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

const env = (): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2 });

const MiB = 1024 * 1024;

/** Runs `fn` while counting the UTF-16 units every String.prototype.split call scans. */
async function countSplitWork<T>(fn: () => Promise<T>): Promise<{ result: T; scanned: number }> {
  const original = String.prototype.split;
  let scanned = 0;
  String.prototype.split = function (this: string, ...args: unknown[]) {
    scanned += this.length;
    return (original as (...a: unknown[]) => string[]).apply(this, args);
  } as unknown as typeof original;
  try {
    const result = await fn();
    return { result, scanned };
  } finally {
    String.prototype.split = original;
  }
}

function tooLong(err: unknown): LineTooLongError {
  const e = causeChain(err).find((c) => c instanceof Error && c.name === 'LineTooLongError');
  expect(e, `no LineTooLongError in ${String(err)}`).toBeDefined();
  return e as LineTooLongError;
}

describe('LineSplitter', () => {
  test('any chunking (also inside a UTF-8 character or a delimiter) gives the lines of split()', () => {
    const text = fc.array(fc.constantFrom('a', 'b', '|', 'é', '\n', '\r', '€'), { maxLength: 60 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, fc.constantFrom('\n', '|', '||', 'aa', 'é|', '€'), fc.array(fc.nat(), { maxLength: 12 }), (s, delimiter, cutSeeds) => {
        const bytes = Buffer.from(s, 'utf8');
        const cuts = [...new Set(cutSeeds.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const stripCR = delimiter === '\n';
        const splitter = new LineSplitter(delimiter, 1000, stripCR, false);
        const out: string[] = [];
        let from = 0;
        for (const to of [...cuts, bytes.length]) {
          out.push(...splitter.push(bytes.subarray(from, to)));
          from = to;
        }
        out.push(...splitter.finish());
        const expected = s.split(delimiter);
        if (expected[expected.length - 1] === '') expected.pop();
        expect(out).toEqual(stripCR ? expected.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)) : expected);
        expect(splitter.tooLong).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  test('a 32 MiB line in 64 KiB chunks costs a bounded number of passes per byte, not one per chunk', () => {
    const size = 32 * MiB;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (const delimiter of ['\n', '||']) {
      const splitter = new LineSplitter(delimiter, size + 1, false, false);
      for (let sent = 0; sent < size; sent += chunk.length) expect(splitter.push(chunk)).toEqual([]);
      const lines = splitter.push(Buffer.from(`${delimiter}tail`));
      expect(lines.length).toBe(1);
      expect(lines[0]!.length).toBe(size);
      // Search, copy, join, decode, split: a handful of passes. Re-splitting the whole partial line on
      // every chunk would be ~ size * chunks / 2, here 256 times the size.
      expect(splitter.work).toBeLessThan(8 * size);
    }
  });
});

describe('a long line without a newline is read in linear work', () => {
  test('readTextFile: an 8 MiB line is split once, not once per 64 KiB chunk', async () => {
    const path = join(tempDir(), 'long.txt');
    const long = 'y'.repeat(8 * MiB);
    writeFileSync(path, `first\n${long}`);
    const { result, scanned } = await countSplitWork(() => env().readTextFile(path, { lineLengthLimit: 16 * MiB }).executeAndCollect());
    expect(result.length).toBe(2);
    expect(result[0]).toBe('first');
    expect(result[1] === long).toBe(true);
    // Today's reader split `partial + chunk` for each of the 128 chunks: ~512 Mi units scanned.
    expect(scanned).toBeLessThan(2 * long.length);
  });

  test('socketTextStream: an 8 MiB record sent in many writes is split once', async () => {
    const long = 'z'.repeat(8 * MiB);
    const server = await startServer((socket) => {
      const piece = 16 * 1024;
      for (let i = 0; i < long.length; i += piece) socket.write(long.slice(i, i + piece));
      socket.end('\nlast\n');
    });
    try {
      const { result, scanned } = await countSplitWork(() =>
        env().socketTextStream('127.0.0.1', server.port, '\n', { lineLengthLimit: 16 * MiB }).executeAndCollect(),
      );
      expect(result.length).toBe(2);
      expect(result[0] === long).toBe(true);
      expect(result[1]).toBe('last');
      expect(scanned).toBeLessThan(2 * long.length + 1000);
    } finally {
      await server.close();
    }
  });
});

describe('the line length limit', () => {
  test('readTextFile: a line over the limit fails the job naming the file, byte offset and line number, after the lines before it', async () => {
    const path = join(tempDir(), 'input.txt');
    writeFileSync(path, `a\nbé\n${'x'.repeat(101)}\nnever\n`);
    const sink = new TaggingSink<string>();
    const e = env();
    e.readTextFile(path, { lineLengthLimit: 100 }).sinkTo(sink);
    const err = await rejection(e.execute());
    expect(err).toBeInstanceOf(JobExecutionException);
    const message = (err as Error).message;
    expect(message).toContain(path);
    expect(message).toContain('byte offset 6'); // 'a\n' + 'bé\n' = 2 + 4 bytes
    expect(message).toContain('Line 3');
    expect(message).toContain('line length limit of 100 bytes');
    const cause = tooLong(err);
    expect([cause.source, cause.byteOffset, cause.lineNumber, cause.lineLengthLimit]).toEqual([path, 6, 3, 100]);
    expect(sink.received.map((r) => r.value)).toEqual(['a', 'bé']);
  });

  test('readTextFile: a line of exactly the limit passes; an unterminated line over it fails', async () => {
    const dir = tempDir();
    const exact = join(dir, 'exact.txt');
    writeFileSync(exact, `${'é'.repeat(50)}\r\n`); // 100 bytes, the CR is not part of the line
    expect(await env().readTextFile(exact, { lineLengthLimit: 100 }).executeAndCollect()).toEqual(['é'.repeat(50)]);
    const over = join(dir, 'over.txt');
    writeFileSync(over, 'ok\n' + 'x'.repeat(70_000)); // longer than the limit and the 64 KiB read chunk
    const err = await rejection(env().readTextFile(over, { lineLengthLimit: 65_536 }).executeAndCollect());
    const cause = tooLong(err);
    expect([cause.source, cause.byteOffset, cause.lineNumber]).toEqual([over, 3, 2]);
  });

  test('readTextFile: the default limit is 1 MiB', async () => {
    const path = join(tempDir(), 'huge.txt');
    writeFileSync(path, 'x'.repeat(DEFAULT_LINE_LENGTH_LIMIT + 1));
    expect(DEFAULT_LINE_LENGTH_LIMIT).toBe(MiB);
    const err = await rejection(env().readTextFile(path).executeAndCollect());
    expect(tooLong(err).byteOffset).toBe(0);
    expect((err as Error).message).toContain('lineLengthLimit');
  });

  test('socketTextStream: a record over the limit fails naming host:port and the byte offset, after the records before it', async () => {
    const server = await startServer((socket) => {
      socket.write('one;twö;');
      socket.write('x'.repeat(3000)); // no delimiter, connection kept open
    });
    try {
      const sink = new TaggingSink<string>();
      const e = env();
      e.socketTextStream('127.0.0.1', server.port, ';', { lineLengthLimit: 1000 }).sinkTo(sink);
      const err = await rejection(e.execute());
      expect(err).toBeInstanceOf(JobExecutionException);
      const message = (err as Error).message;
      expect(message).toContain(`127.0.0.1:${server.port}`);
      expect(message).toContain('byte offset 9'); // 'one;' + 'twö;' = 4 + 5 bytes
      expect(message).toContain('Record 3');
      const cause = tooLong(err);
      expect([cause.byteOffset, cause.lineNumber, cause.lineLengthLimit]).toEqual([9, 3, 1000]);
      expect(sink.received.map((r) => r.value)).toEqual(['one', 'twö']);
    } finally {
      await server.close();
    }
  }, 20_000); // the connection stays open: a source without a limit would wait forever

  test('an invalid limit is refused when the job is built', () => {
    expect(() => env().readTextFile('x', { lineLengthLimit: 0 })).toThrow(/lineLengthLimit must be a positive integer/);
    expect(() => env().socketTextStream('127.0.0.1', 1, '\n', { lineLengthLimit: 1.5 })).toThrow(/lineLengthLimit/);
  });
});
