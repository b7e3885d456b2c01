/**
 * The file reader checkpointed at any step — between two lines, and while its next chunk (or next file) is
 * being read, with the read landing in the buffer before the snapshot (the window of the kill -9 test's
 * 80001 lines) — holds exactly the lines it emitted: a reader restored from that snapshot emits the rest,
 * each line once, in order. fast-check draws the files (line lengths that often put a 64 KiB chunk's end
 * exactly at a line end, CRLF, a BOM, multi-byte characters, no last line end), FileSource or readTextFile,
 * and the steps that snapshot.
 */
import { afterAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource, TextLineInputFormat, TextLineSource } from '../../connectors/file/index.ts';
import type { ReaderOutput, Source, SourceReader, SourceSplit } from '../../lib/core/connector/source.ts';
import { removeTempDirs, tempDir } from '../helpers.ts';

afterAll(removeTempDirs);

/** Blocks the event loop so that a read the thread pool is doing lands in its buffer meanwhile. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

const fileArb = fc.record({
  // A length dividing 64 KiB (16, 64, 256 with the '\n') puts chunk ends at line ends; others anywhere.
  lineLength: fc.constantFrom(15, 63, 255, 1, 40, 777),
  lines: fc.integer({ min: 0, max: 9000 }),
  jitter: fc.boolean(),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  unterminated: fc.boolean(),
  multiByte: fc.boolean(),
});

type FileSpec = typeof fileArb extends fc.Arbitrary<infer S> ? S : never;

/** A file's text and its lines as the reader emits them. */
function content(spec: FileSpec, name: string, seed: number): { text: string; lines: string[] } {
  const lines: string[] = [];
  let s = seed >>> 0;
  for (let i = 0; i < spec.lines; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const length = spec.jitter ? s % (2 * spec.lineLength + 1) : spec.lineLength;
    const head = `${name}${i}|`;
    const fill = spec.multiByte && i % 7 === 3 ? 'é€'.repeat(Math.max(0, Math.floor((length - head.length) / 5))) : 'x'.repeat(Math.max(0, length - head.length - (spec.crlf ? 1 : 0)));
    lines.push(head + fill);
  }
  const eol = spec.crlf ? '\r\n' : '\n';
  let text = lines.join(eol);
  if (lines.length > 0 && !spec.unterminated) text += eol;
  if (spec.bom) text = `\uFEFF${text}`;
  return { text, lines };
}

function reader(source: Source<string>, restoredSplits?: readonly SourceSplit[]): SourceReader<string> {
  return source.createReader({ operatorName: 'lines', getIndexOfSubtask: () => 0, currentParallelism: () => 1, restoredSplits });
}

test('a snapshot at any step, also while the next chunk or file is read, holds exactly the lines emitted', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fileArb, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 0, max: 2 ** 30 }),
      async (specs, fileSource, cuts, seed) => {
        const dir = join(tempDir(), 'in');
        mkdirSync(dir);
        const all: string[] = [];
        specs.forEach((spec, i) => {
          const { text, lines } = content(spec, `f${i}-`, seed + i);
          writeFileSync(join(dir, `f${i}.txt`), text);
          all.push(...lines);
        });
        const source: Source<string> = fileSource ? FileSource.forRecordStreamFormat(new TextLineInputFormat(), dir).build() : new TextLineSource(dir);
        // Snapshots after cuts[k] lines (each taken at the first step where that many were emitted: between
        // lines, or right after the poll that started a read, with the read landed), and at every read.
        const emitted: string[] = [];
        const output: ReaderOutput<string> = { collect: (l) => void emitted.push(l) };
        const snapshots: Array<{ at: number; splits: SourceSplit[]; inFlight: boolean }> = [];
        const wanted = new Set(cuts.map((c) => c % (all.length + 1)));
        const r = reader(source);
        await r.start();
        let reads = 0;
        for (;;) {
          if (wanted.delete(emitted.length)) snapshots.push({ at: emitted.length, splits: structuredClone(r.snapshotState!(1)), inFlight: false });
          const s = r.pollNext(output);
          if (s === 'END_OF_INPUT') break;
          if (s === 'NOTHING_AVAILABLE') {
            // Every few reads: let the read land in the buffer (the thread pool writes it), then snapshot.
            if (reads++ % 3 === seed % 3) {
              spin(3);
              snapshots.push({ at: emitted.length, splits: structuredClone(r.snapshotState!(1)), inFlight: true });
            }
            await r.isAvailable();
          }
        }
        await r.close();
        expect(emitted).toEqual(all);
        for (const snap of snapshots) {
          const restored = reader(source, snap.splits);
          await restored.start();
          const rest: string[] = [];
          const out: ReaderOutput<string> = { collect: (l) => void rest.push(l) };
          for (;;) {
            const s = restored.pollNext(out);
            if (s === 'END_OF_INPUT') break;
            if (s === 'NOTHING_AVAILABLE') await restored.isAvailable();
          }
          await restored.close();
          const whole = [...emitted.slice(0, snap.at), ...rest];
          if (whole.length !== all.length || whole.some((l, i) => l !== all[i])) {
            const i = whole.findIndex((l, k) => l !== all[k]);
            expect.fail(`snapshot after ${snap.at} lines${snap.inFlight ? ' (read in flight)' : ''}, ${JSON.stringify(snap.splits)}: ${whole.length} lines of ${all.length}, first difference at ${i}: ${JSON.stringify(whole[i])} vs ${JSON.stringify(all[i])}`);
          }
        }
      },
    ),
    { numRuns: 40 },
  );
}, 120_000);
