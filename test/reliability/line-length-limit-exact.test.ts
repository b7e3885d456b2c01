/**
 * The line length limit counts the bytes of the line as they are in the input (UTF-8, without the
 * delimiter and a stripped '\r'): a line of exactly the limit passes however the input is cut into
 * chunks — also when a delimiter of several bytes ('\r\n', '||') arrives split over two chunks — and
 * the byte offset and line number of a line over the limit are those of the input, also after bytes
 * that are not valid UTF-8 (a Latin-1 'é' is one byte, not the three of the U+FFFD it decodes to).
 */
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../../lib/index.ts';
import { LineSplitter } from '../../connectors/file/lines.ts';
import { causeChain, rejection, removeTempDirs, startServer, TaggingSink, tempDir } from '../helpers.ts';
import type { LineTooLongError } from '../../connectors/file/index.ts';

afterAll(removeTempDirs);

const env = (): StreamExecutionEnvironment =>
  StreamExecutionEnvironment.create({ 'parallelism.default': 1, 'taskmanager.numberOfTaskSlots': 2 });

/** What a splitter must give: the lines before the first one over the limit, and where that one starts. */
function oracle(bytes: Buffer, delimiter: Buffer, limit: number, stripCR: boolean): { lines: string[]; tooLong: { byteOffset: number; lineNumber: number } | null } {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const at = bytes.indexOf(delimiter, start);
    const end = at < 0 ? bytes.length : at;
    if (at < 0 && end === start) return { lines, tooLong: null };
    let line = bytes.subarray(start, end);
    if (stripCR && line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, -1);
    if (line.length > limit) return { lines, tooLong: { byteOffset: start, lineNumber: lines.length + 1 } };
    lines.push(line.toString('utf8'));
    if (at < 0) return { lines, tooLong: null };
    start = at + delimiter.length;
  }
}

function splitAll(splitter: LineSplitter, bytes: Buffer, cuts: number[]): string[] {
  const out: string[] = [];
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    out.push(...splitter.push(bytes.subarray(from, to)));
    from = to;
    if (splitter.tooLong !== null) return out;
  }
  out.push(...splitter.finish());
  return out;
}

describe('LineSplitter: the limit in input bytes, under any chunking', () => {
  test('lines, the first line over the limit, its byte offset and line number are those of the input bytes', () => {
    const piece = fc.constantFrom(
      Buffer.from('a'),
      Buffer.from('b'),
      Buffer.from('|'),
      Buffer.from('\n'),
      Buffer.from('\r'),
      Buffer.from('é'),
      Buffer.from('€'),
      Buffer.from([0xe9]), // Latin-1 'é': not UTF-8
      Buffer.from([0xff]),
      Buffer.from([0xe2, 0x82]), // a cut-off '€'
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 40 }),
        fc.constantFrom('\n', '|', '||', '\r\n', '€', 'a|a'),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (pieces, delimiter, limit, cutSeeds) => {
          const bytes = Buffer.concat(pieces);
          const cuts = [...new Set(cutSeeds.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const stripCR = delimiter === '\n';
          const splitter = new LineSplitter(delimiter, limit, stripCR, false);
          const out = splitAll(splitter, bytes, cuts);
          const expected = oracle(bytes, Buffer.from(delimiter), limit, stripCR);
          expect(out).toEqual(expected.lines);
          expect(splitter.tooLong).toEqual(expected.tooLong);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('a line of exactly the limit followed by a two-byte delimiter cut between its bytes passes', () => {
    for (const delimiter of ['||', '\r\n']) {
      const splitter = new LineSplitter(delimiter, 10, false, false);
      const out = [...splitter.push(Buffer.from(`${'x'.repeat(10)}${delimiter[0]}`)), ...splitter.push(Buffer.from(`${delimiter[1]}next${delimiter}`))];
      expect(splitter.tooLong).toBeNull();
      expect(out).toEqual(['x'.repeat(10), 'next']);
    }
  });
});

describe('sources: exactly the limit passes, positions are input bytes', () => {
  test("socketTextStream with '\\r\\n': a record of exactly the limit whose '\\r' and '\\n' arrive apart", async () => {
    const server = await startServer((socket) => {
      socket.write(`${'x'.repeat(1000)}\r`);
      setTimeout(() => socket.end('\nlast\r\n'), 50);
    });
    try {
      const got = await env().socketTextStream('127.0.0.1', server.port, '\r\n', { lineLengthLimit: 1000 }).executeAndCollect();
      expect(got).toEqual(['x'.repeat(1000), 'last']);
    } finally {
      await server.close();
    }
  });

  test('readTextFile of a Latin-1 file: a line of limit bytes passes; the offset of a long line counts input bytes', async () => {
    const path = join(tempDir(), 'latin1.txt');
    // 'caf\xe9' is 4 bytes of input (decoded to 'caf\ufffd', 6 bytes of UTF-8); then 5 bytes.
    writeFileSync(path, Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('\nyyyyy\n')]));
    const sink = new TaggingSink<string>();
    const e = env();
    e.readTextFile(path, { lineLengthLimit: 4 }).sinkTo(sink);
    const cause = tooLongOf(await rejection(e.execute()));
    expect([cause.byteOffset, cause.lineNumber]).toEqual([5, 2]);
    expect(sink.received.map((r) => r.value)).toEqual(['caf\ufffd']);
  });
});

function tooLongOf(err: unknown): LineTooLongError {
  const e = causeChain(err).find((c) => c instanceof Error && c.name === 'LineTooLongError');
  expect(e, `no LineTooLongError in ${String(err)}`).toBeDefined();
  return e as LineTooLongError;
}
